using Microsoft.EntityFrameworkCore;
using VisionConsole.Domain.Auditing;
using VisionConsole.Domain.Storage;

namespace VisionConsole.Domain.Models;

/// <summary>One version of a model as the model page and the publish API show it.</summary>
/// <param name="Id">The version id.</param>
/// <param name="ModelId">Its model.</param>
/// <param name="Number">1, 2 ... within the model.</param>
/// <param name="ModelType">The preset it was trained with.</param>
/// <param name="Tags">Its tags (for example <c>published</c>, <c>production</c>).</param>
/// <param name="TrainingOperationId">The operation that trained it.</param>
/// <param name="Folder">Its files' folder, relative to the data folder.</param>
/// <param name="CreatedAt">When it was trained.</param>
/// <param name="Training">How it was trained, as the database keeps it (null for versions from before it did, until first listed).</param>
public sealed record ModelVersionSummary(
    long Id, long ModelId, int Number, string ModelType, IReadOnlyList<string> Tags, long? TrainingOperationId, string Folder, DateTimeOffset CreatedAt,
    TrainingRecord? Training = null)
{
    /// <summary>Whether the version carries <see cref="ModelPublishing.PublishedTag"/>.</summary>
    public bool Published => Tags.Contains(ModelPublishing.PublishedTag, StringComparer.OrdinalIgnoreCase);
}

/// <summary>The version a stable URL resolves to: the model's name and its highest published version.</summary>
public sealed record PublishedVersion(long ModelId, string ModelName, ModelVersionSummary Version);

/// <summary>
/// Versions, tags and publishing of models. A version is published by tagging it <see cref="ModelPublishing.PublishedTag"/>;
/// the "latest" of a published name is the highest version number carrying that tag.
/// </summary>
public interface IModelPublishing
{
    /// <summary>The model's versions, newest first; <see cref="NotFoundException"/> when the model is absent.</summary>
    Task<IReadOnlyList<ModelVersionSummary>> ListVersionsAsync(long modelId, CancellationToken cancellationToken = default);

    /// <summary>Version <paramref name="number"/> of the model; <see cref="NotFoundException"/> when absent.</summary>
    Task<ModelVersionSummary> GetVersionAsync(long modelId, int number, CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds <paramref name="tags"/> to the version, and renames the model to <paramref name="displayName"/> when given.
    /// Every tag but <see cref="ModelPublishing.PublishedTag"/> names one version of a model at a time, so it moves
    /// off the version that had it. A name another model is already published under is refused (<c>name-taken</c>),
    /// so a stable URL names one model.
    /// </summary>
    Task<ModelVersionSummary> TagVersionAsync(long modelId, int number, IReadOnlyList<string> tags, string? displayName, string user, CancellationToken cancellationToken = default);

    /// <summary>Removes a tag from the version (<see cref="NotFoundException"/> when it does not carry it).</summary>
    Task<ModelVersionSummary> RemoveTagAsync(long modelId, int number, string tag, string user, CancellationToken cancellationToken = default);

    /// <summary>The highest published version of the model named <paramref name="modelName"/> (case-insensitive); <see cref="NotFoundException"/> when none.</summary>
    Task<PublishedVersion> FindLatestPublishedAsync(string modelName, CancellationToken cancellationToken = default);
}

/// <summary>The <see cref="IModelPublishing"/> over the database (one context per call).</summary>
public sealed class ModelPublishing(IDbContextFactory<ConsoleDbContext> contextFactory, TimeProvider time) : IModelPublishing
{
    /// <summary>The tag that publishes a version at <c>/api/published/{name}/latest/...</c>.</summary>
    public const string PublishedTag = "published";

    /// <inheritdoc />
    public async Task<IReadOnlyList<ModelVersionSummary>> ListVersionsAsync(long modelId, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var model = await LoadAsync(db, modelId, cancellationToken).ConfigureAwait(false);
        return model.Versions.OrderByDescending(v => v.Number).Select(v => ToSummary(model.Id, v)).ToList();
    }

    /// <inheritdoc />
    public async Task<ModelVersionSummary> GetVersionAsync(long modelId, int number, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var model = await LoadAsync(db, modelId, cancellationToken).ConfigureAwait(false);
        return ToSummary(model.Id, Version(model, number));
    }

    /// <inheritdoc />
    public async Task<ModelVersionSummary> TagVersionAsync(
        long modelId, int number, IReadOnlyList<string> tags, string? displayName, string user, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tags);
        var cleaned = tags.Select(t => t?.Trim() ?? string.Empty).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (cleaned.Count == 0 && string.IsNullOrWhiteSpace(displayName))
        {
            throw new DomainException("invalid-tag", "Give at least one tag (for example 'published') or a new name.");
        }
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var model = await LoadAsync(db, modelId, cancellationToken).ConfigureAwait(false);
        var version = Version(model, number);
        var before = new { model.DisplayName, version.Tags };
        if (!string.IsNullOrWhiteSpace(displayName))
        {
            model.Rename(displayName);
        }
        foreach (var tag in cleaned)
        {
            version.AddTag(tag);
            if (!tag.Equals(PublishedTag, StringComparison.OrdinalIgnoreCase))
            {
                foreach (var other in model.Versions.Where(v => v.Id != version.Id))
                {
                    other.RemoveTag(tag);
                }
            }
        }
        if (model.Versions.Any(v => v.TagList.Contains(PublishedTag, StringComparer.OrdinalIgnoreCase)))
        {
            var taken = (await PublishedModelsAsync(db, model.DisplayName, cancellationToken).ConfigureAwait(false)).Any(m => m.Id != model.Id);
            if (taken)
            {
                throw new DomainException("name-taken", $"Another model is already published as '{model.DisplayName}'; publish under another name.");
            }
        }
        db.AuditEvents.Add(AuditEvent.Of(user, time.GetUtcNow(), "model", model.Id, "tagged", before, new { model.DisplayName, version.Number, version.Tags }));
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return ToSummary(model.Id, version);
    }

    /// <inheritdoc />
    public async Task<ModelVersionSummary> RemoveTagAsync(long modelId, int number, string tag, string user, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var model = await LoadAsync(db, modelId, cancellationToken).ConfigureAwait(false);
        var version = Version(model, number);
        var before = version.Tags;
        if (!version.RemoveTag(tag))
        {
            throw new NotFoundException($"Tag '{tag}' on version {number} of model {modelId}");
        }
        db.AuditEvents.Add(AuditEvent.Of(user, time.GetUtcNow(), "model", model.Id, "untagged", new { version.Number, Tags = before }, new { version.Number, version.Tags }));
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return ToSummary(model.Id, version);
    }

    /// <inheritdoc />
    public async Task<PublishedVersion> FindLatestPublishedAsync(string modelName, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var models = await PublishedModelsAsync(db, modelName?.Trim() ?? string.Empty, cancellationToken).ConfigureAwait(false);
        var found = models
            .SelectMany(m => m.Versions.Where(v => v.TagList.Contains(PublishedTag, StringComparer.OrdinalIgnoreCase)).Select(v => (Model: m, Version: v)))
            .OrderByDescending(p => p.Version.Number).ThenByDescending(p => p.Model.Id)
            .FirstOrDefault();
        return found.Model is null
            ? throw new NotFoundException($"A published version of a model named '{modelName}'")
            : new PublishedVersion(found.Model.Id, found.Model.DisplayName, ToSummary(found.Model.Id, found.Version));
    }

    /// <summary>
    /// Models named <paramref name="name"/> (any case, compared in .NET: SQLite's upper() knows only ASCII) that have a
    /// published version. Model lists are short, so the names are read whole.
    /// </summary>
    private static async Task<List<Model>> PublishedModelsAsync(ConsoleDbContext db, string name, CancellationToken cancellationToken)
    {
        var models = await db.Models.AsNoTracking().Include(m => m.Versions).ToListAsync(cancellationToken).ConfigureAwait(false);
        return models
            .Where(m => string.Equals(m.DisplayName, name, StringComparison.OrdinalIgnoreCase))
            .Where(m => m.Versions.Any(v => v.TagList.Contains(PublishedTag, StringComparer.OrdinalIgnoreCase)))
            .ToList();
    }

    private static async Task<Model> LoadAsync(ConsoleDbContext db, long modelId, CancellationToken cancellationToken) =>
        await db.Models.Include(m => m.Versions).FirstOrDefaultAsync(m => m.Id == modelId, cancellationToken).ConfigureAwait(false)
        ?? throw new NotFoundException($"Model {modelId}");

    private static ModelVersion Version(Model model, int number) =>
        model.Versions.FirstOrDefault(v => v.Number == number) ?? throw new NotFoundException($"Version {number} of model {model.Id}");

    private static ModelVersionSummary ToSummary(long modelId, ModelVersion version) =>
        new(version.Id, modelId, version.Number, version.ModelType, version.TagList, version.TrainingOperationId,
            Path.GetDirectoryName(version.LabelsFile) ?? string.Empty, version.CreatedAt, version.ReadTraining());
}
