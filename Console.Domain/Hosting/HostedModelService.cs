using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using VisionConsole.Domain.Auditing;
using VisionConsole.Domain.Models;
using VisionConsole.Domain.Storage;

namespace VisionConsole.Domain.Hosting;

/// <summary>A hosted model as the API and the pages show it.</summary>
public sealed record HostedModelView(
    long Id, string DisplayName, IReadOnlyList<string> Tags, bool Published, int ActiveVersion, string Etag,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, IReadOnlyList<HostedVersionView> Versions)
{
    /// <summary>The version apps download, or null before the first one.</summary>
    public HostedVersionView? Active => Versions.FirstOrDefault(v => v.Number == ActiveVersion);
}

/// <summary>One version of a hosted model.</summary>
public sealed record HostedVersionView(int Number, long SourceModelId, int SourceVersionNumber, string ModelHash, long SizeBytes, DateTimeOffset CreatedAt);

/// <summary>A page of hosted models and the token of the next one (null at the end).</summary>
public sealed record HostedModelPage(IReadOnlyList<HostedModelView> Models, string? NextPageToken);

/// <summary>What an update changes; null fields stay as they are.</summary>
/// <param name="DisplayName">A new unique name.</param>
/// <param name="Tags">The new tags (replacing the old ones).</param>
/// <param name="Published">Publish or unpublish.</param>
/// <param name="SourceModelId">A console model whose latest version's <c>model.tflite</c> becomes a new active version.</param>
public sealed record HostedModelUpdate(string? DisplayName = null, IReadOnlyList<string>? Tags = null, bool? Published = null, long? SourceModelId = null);

/// <summary>Hosting models for apps (Firebase ML's model management), as the console's pages use it.</summary>
public interface IHostedModels
{
    /// <summary>Hosted models matching a Firebase ML list filter (null: all).</summary>
    Task<HostedModelPage> ListAsync(string? filter, int pageSize = 100, string? pageToken = null, string? project = null, CancellationToken cancellationToken = default);

    /// <summary>Hosts the latest version of a console model under a new unique name.</summary>
    Task<HostedModelView> CreateAsync(string displayName, IReadOnlyList<string>? tags, long sourceModelId, bool published, string user, CancellationToken cancellationToken = default);

    /// <summary>Changes a hosted model (name, tags, published, a new file).</summary>
    Task<HostedModelView> UpdateAsync(long id, HostedModelUpdate update, string? etag, string user, CancellationToken cancellationToken = default);

    /// <summary>Makes a version the one apps download.</summary>
    Task<HostedModelView> RollBackAsync(long id, int number, string user, CancellationToken cancellationToken = default);
}

/// <summary>
/// Firebase ML-style model hosting over the database and <c>&lt;data&gt;/hosted/{id}/v{n}.tflite</c>: create from a
/// console model, list with Firebase's filters, update (name, tags, publish, a new file as a new version), roll back,
/// delete, and find the published file apps download. Every change is audited and checked against the <c>etag</c> the
/// caller read, when it sends one.
/// </summary>
public sealed partial class HostedModelService(
    IDbContextFactory<ConsoleDbContext> contextFactory, IModelPublishing publishing, IModelFormats formats, ConsoleOptions options, TimeProvider time) : IHostedModels
{
    /// <summary>Hosts the latest version of console model <paramref name="sourceModelId"/> under <paramref name="displayName"/>.</summary>
    /// <exception cref="DomainException"><c>name-taken</c>, <c>invalid-name</c>, <c>invalid-tag</c>.</exception>
    public async Task<HostedModelView> CreateAsync(string displayName, IReadOnlyList<string>? tags, long sourceModelId, bool published, string user, CancellationToken cancellationToken = default)
    {
        var source = await SourceAsync(sourceModelId, cancellationToken).ConfigureAwait(false);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var projectId = await db.Models.Where(m => m.Id == sourceModelId).Select(m => m.ProjectId).FirstAsync(cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var model = new HostedModel(projectId, displayName, tags ?? [], user, now);
        await EnsureNameFreeAsync(db, model.DisplayName, null, cancellationToken).ConfigureAwait(false);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        db.HostedModels.Add(model);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        var file = await AddVersionAsync(model, source, now, cancellationToken).ConfigureAwait(false);
        try
        {
            if (published) model.SetPublished(true, now);
            db.AuditEvents.Add(AuditEvent.Of(user, now, "hosted-model", model.Id, "created", null, new { model.DisplayName, model.Tags, model.Published, source = sourceModelId }));
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            File.Delete(file);
            throw;
        }
        return View(model);
    }

    /// <summary>
    /// Hosted models matching Firebase ML's list <paramref name="filter"/>: terms joined by <c>AND</c>, each
    /// <c>display_name = NAME</c>, <c>display_name : PREFIX*</c> or <c>tags: TAG</c> (quotes optional); by id. A <c>project</c> keeps the hosted models of the project with that name.
    /// </summary>
    /// <exception cref="DomainException"><c>invalid-argument</c>: a term of another form (the message names it).</exception>
    public async Task<HostedModelPage> ListAsync(string? filter, int pageSize = 100, string? pageToken = null, string? project = null, CancellationToken cancellationToken = default)
    {
        var match = ParseFilter(filter);
        var skip = string.IsNullOrEmpty(pageToken) ? 0
            : int.TryParse(pageToken, NumberStyles.None, CultureInfo.InvariantCulture, out var offset) ? offset
            : throw new DomainException("invalid-argument", $"pageToken '{pageToken}' is not one this server gave.");
        pageSize = pageSize is > 0 and <= 1000 ? pageSize : 100;
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var hosted = project is null ? db.HostedModels : db.HostedModels.Where(m => db.Projects.Any(p => p.Id == m.ProjectId && p.Name == project));
        var all = await hosted.AsNoTracking().Include(m => m.Versions).OrderBy(m => m.Id).ToListAsync(cancellationToken).ConfigureAwait(false);
        var matching = all.Where(match).ToList();
        var page = matching.Skip(skip).Take(pageSize).Select(View).ToList();
        return new HostedModelPage(page, skip + pageSize < matching.Count ? (skip + pageSize).ToString(CultureInfo.InvariantCulture) : null);
    }

    /// <summary>One hosted model.</summary>
    public async Task<HostedModelView> GetAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        return View(await LoadAsync(db, id, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Applies <paramref name="update"/>; with <paramref name="etag"/>, only if nobody changed the model since it was read.</summary>
    /// <exception cref="ConcurrencyConflictException">The etag is stale.</exception>
    public async Task<HostedModelView> UpdateAsync(long id, HostedModelUpdate update, string? etag, string user, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        (long ModelId, int Number, string Path)? source = update.SourceModelId is { } sourceId ? await SourceAsync(sourceId, cancellationToken).ConfigureAwait(false) : null;
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var model = await LoadAsync(db, id, cancellationToken).ConfigureAwait(false);
        CheckEtag(model, etag);
        var before = new { model.DisplayName, model.Tags, model.Published, model.ActiveVersion };
        var now = time.GetUtcNow();
        if (update.DisplayName is { } name && name.Trim() != model.DisplayName)
        {
            await EnsureNameFreeAsync(db, name.Trim(), model.Id, cancellationToken).ConfigureAwait(false);
            model.Rename(name, now);
        }
        if (update.Tags is { } tags) model.SetTags(tags, now);
        string? file = null;
        if (source is { } newSource) file = await AddVersionAsync(model, newSource, now, cancellationToken).ConfigureAwait(false);
        try
        {
            if (update.Published is { } published) model.SetPublished(published, now);
            db.AuditEvents.Add(AuditEvent.Of(user, now, "hosted-model", model.Id, "updated", before, new { model.DisplayName, model.Tags, model.Published, model.ActiveVersion }));
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            if (file is not null) File.Delete(file);
            throw;
        }
        return View(model);
    }

    /// <summary>Makes version <paramref name="number"/> the one apps download.</summary>
    public async Task<HostedModelView> RollBackAsync(long id, int number, string user, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var model = await LoadAsync(db, id, cancellationToken).ConfigureAwait(false);
        var before = model.ActiveVersion;
        model.RollBack(number, time.GetUtcNow());
        db.AuditEvents.Add(AuditEvent.Of(user, time.GetUtcNow(), "hosted-model", model.Id, "rolled-back", new { activeVersion = before }, new { activeVersion = number }));
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return View(model);
    }

    /// <summary>Deletes the hosted model and its files (the console models it was copied from stay).</summary>
    public async Task DeleteAsync(long id, string user, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var model = await LoadAsync(db, id, cancellationToken).ConfigureAwait(false);
        db.HostedModels.Remove(model);
        db.AuditEvents.Add(AuditEvent.Of(user, time.GetUtcNow(), "hosted-model", model.Id, "deleted", new { model.DisplayName }, null));
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        var folder = Path.Combine(options.DataFolder, "hosted", id.ToString(CultureInfo.InvariantCulture));
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }

    /// <summary>The published model named <paramref name="displayName"/> and its active file, for apps.</summary>
    /// <exception cref="NotFoundException">No published model of that name.</exception>
    public async Task<(HostedModelView Model, string Path)> FindDownloadAsync(string displayName, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var model = await db.HostedModels.AsNoTracking().Include(m => m.Versions).FirstOrDefaultAsync(m => m.DisplayName == displayName && m.Published, cancellationToken).ConfigureAwait(false)
            ?? throw new NotFoundException($"A published hosted model named '{displayName}'");
        return (View(model), Path.Combine(options.DataFolder, model.Active!.File));
    }

    /// <summary>The file of one version (published or not: the console's own download).</summary>
    public async Task<string> VersionFileAsync(long id, int number, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var model = await LoadAsync(db, id, cancellationToken).ConfigureAwait(false);
        var version = model.Versions.FirstOrDefault(v => v.Number == number) ?? throw new NotFoundException($"Version {number} of hosted model {id}");
        return Path.Combine(options.DataFolder, version.File);
    }

    /// <summary>The console model version a new hosted version copies: the latest of <paramref name="modelId"/>, its quantized TFLite file made if missing.</summary>
    private async Task<(long ModelId, int Number, string Path)> SourceAsync(long modelId, CancellationToken cancellationToken)
    {
        var version = (await publishing.ListVersionsAsync(modelId, cancellationToken).ConfigureAwait(false)).MaxBy(v => v.Number)
            ?? throw new NotFoundException($"A version of model {modelId}");
        var path = await formats.GetFileAsync(version, ModelFormat.Tflite, cancellationToken).ConfigureAwait(false);
        return (modelId, version.Number, path);
    }

    /// <summary>Copies the source file to <c>hosted/{id}/v{n}.tflite</c>, hashes it and adds the version; returns the copy's path.</summary>
    private async Task<string> AddVersionAsync(HostedModel model, (long ModelId, int Number, string Path) source, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var number = model.Versions.Count == 0 ? 1 : model.Versions.Max(v => v.Number) + 1;
        var relative = Path.Combine("hosted", model.Id.ToString(CultureInfo.InvariantCulture), $"v{number.ToString(CultureInfo.InvariantCulture)}.tflite");
        var target = Path.Combine(options.DataFolder, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Copy(source.Path, target, overwrite: true);
        string hash;
        await using (var stream = File.OpenRead(target))
        {
            hash = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
        }
        model.AddVersion(source.ModelId, source.Number, hash, new FileInfo(target).Length, relative, now);
        return target;
    }

    private static void CheckEtag(HostedModel model, string? etag)
    {
        if (!string.IsNullOrEmpty(etag) && etag.Trim('"') != Etag(model))
        {
            throw new ConcurrencyConflictException($"Hosted model '{model.DisplayName}' was changed since etag {etag} was read (now {Etag(model)}); read it again.");
        }
    }

    private static async Task EnsureNameFreeAsync(ConsoleDbContext db, string name, long? except, CancellationToken cancellationToken)
    {
        if (await db.HostedModels.AnyAsync(m => m.DisplayName == name && m.Id != except, cancellationToken).ConfigureAwait(false))
        {
            throw new DomainException("name-taken", $"A hosted model is already named '{name}'; display names are unique.");
        }
    }

    private static async Task<HostedModel> LoadAsync(ConsoleDbContext db, long id, CancellationToken cancellationToken) =>
        await db.HostedModels.Include(m => m.Versions).FirstOrDefaultAsync(m => m.Id == id, cancellationToken).ConfigureAwait(false)
        ?? throw new NotFoundException($"Hosted model {id}");

    private static string Etag(HostedModel model) => model.UpdatedAt.UtcTicks.ToString(CultureInfo.InvariantCulture);

    private static HostedModelView View(HostedModel m) => new(
        m.Id, m.DisplayName, m.Tags, m.Published, m.ActiveVersion, Etag(m), m.CreatedAt, m.UpdatedAt,
        [.. m.Versions.OrderBy(v => v.Number).Select(v => new HostedVersionView(v.Number, v.SourceModelId, v.SourceVersionNumber, v.ModelHash, v.SizeBytes, v.CreatedAt))]);

    private static Func<HostedModel, bool> ParseFilter(string? filter)
    {
        if (string.IsNullOrWhiteSpace(filter)) return _ => true;
        var terms = AndPattern().Split(filter.Trim());
        var tests = new List<Func<HostedModel, bool>>();
        foreach (var term in terms)
        {
            if (ExactName().Match(term) is { Success: true } exact)
            {
                var name = exact.Groups[1].Value;
                tests.Add(m => m.DisplayName == name);
            }
            else if (NamePrefix().Match(term) is { Success: true } prefix)
            {
                var start = prefix.Groups[1].Value;
                tests.Add(m => m.DisplayName.StartsWith(start, StringComparison.Ordinal));
            }
            else if (TagTerm().Match(term) is { Success: true } tag)
            {
                var wanted = tag.Groups[1].Value;
                tests.Add(m => m.Tags.Contains(wanted, StringComparer.Ordinal));
            }
            else
            {
                throw new DomainException("invalid-argument", $"filter term '{term.Trim()}' is not one of: display_name = NAME, display_name : PREFIX*, tags: TAG (joined by AND).");
            }
        }
        return m => tests.All(t => t(m));
    }

    [GeneratedRegex(@"\s+AND\s+", RegexOptions.IgnoreCase)]
    private static partial Regex AndPattern();

    [GeneratedRegex("^\\s*display_name\\s*=\\s*\"?([A-Za-z0-9_-]{1,32})\"?\\s*$")]
    private static partial Regex ExactName();

    [GeneratedRegex("^\\s*display_name\\s*:\\s*\"?([A-Za-z0-9_-]{0,32})\\*?\"?\\s*$")]
    private static partial Regex NamePrefix();

    [GeneratedRegex("^\\s*tags\\s*:\\s*\"?([A-Za-z0-9_-]{1,32})\"?\\s*$")]
    private static partial Regex TagTerm();
}
