using Microsoft.EntityFrameworkCore;
using VisionConsole.Domain.Storage;

namespace VisionConsole.Domain.Auditing;

/// <summary>One audit event as the history pages show it.</summary>
/// <param name="Id">The event's id (later events have larger ids).</param>
/// <param name="At">When it happened.</param>
/// <param name="User">Who did it (an account, or the account an API key acts as).</param>
/// <param name="EntityType"><c>dataset</c>, <c>label</c> or <c>image</c>.</param>
/// <param name="EntityId">The id of that dataset, label or image.</param>
/// <param name="EntityName">Its name now: the image's file name or the label's name (null when it is gone).</param>
/// <param name="Action">What happened, for example <c>labels-changed</c> or <c>review-rejected</c>.</param>
/// <param name="BeforeJson">The state before, as JSON (null for a creation).</param>
/// <param name="AfterJson">The state after, as JSON (null for a deletion).</param>
public sealed record AuditEntry(long Id, DateTimeOffset At, string User, string EntityType, string EntityId, string? EntityName, string Action, string? BeforeJson, string? AfterJson);

/// <summary>A page of audit entries, newest first.</summary>
public sealed record AuditPage(IReadOnlyList<AuditEntry> Items, int Total);

/// <summary>Who changed what in a dataset and when: the dataset's own events, and those of its labels and images.</summary>
public sealed class AuditTrail(IDbContextFactory<ConsoleDbContext> contexts)
{
    /// <summary>The most entries one page holds.</summary>
    public const int MaxPageSize = 200;

    /// <summary>The events of <paramref name="datasetId"/>, its labels and its images (deleted ones too), newest first.</summary>
    /// <exception cref="NotFoundException">No such dataset.</exception>
    /// <exception cref="DomainException"><c>invalid-query</c> for a bad page.</exception>
    public async Task<AuditPage> ForDatasetAsync(long datasetId, int skip = 0, int take = 50, CancellationToken cancellationToken = default)
    {
        CheckPage(skip, take);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await EnsureDatasetAsync(db, datasetId, cancellationToken).ConfigureAwait(false);
        var id = datasetId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var images = db.Images.IgnoreQueryFilters().Where(i => i.DatasetId == datasetId).Select(i => i.Id.ToString());
        var labels = db.Labels.Where(l => l.DatasetId == datasetId).Select(l => l.Id.ToString());
        var events = db.AuditEvents.Where(a =>
            (a.EntityType == "dataset" && a.EntityId == id) ||
            (a.EntityType == "image" && images.Contains(a.EntityId)) ||
            (a.EntityType == "label" && labels.Contains(a.EntityId)));
        return await PageAsync(db, events, skip, take, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The events of one image of <paramref name="datasetId"/>, newest first.</summary>
    /// <exception cref="NotFoundException">No such dataset, or the image is not one of its.</exception>
    public async Task<AuditPage> ForImageAsync(long datasetId, long imageId, int skip = 0, int take = 50, CancellationToken cancellationToken = default)
    {
        CheckPage(skip, take);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        if (!await db.Images.IgnoreQueryFilters().AnyAsync(i => i.Id == imageId && i.DatasetId == datasetId, cancellationToken).ConfigureAwait(false))
        {
            throw new NotFoundException($"Image {imageId} of dataset {datasetId}");
        }
        var id = imageId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return await PageAsync(db, db.AuditEvents.Where(a => a.EntityType == "image" && a.EntityId == id), skip, take, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<AuditPage> PageAsync(ConsoleDbContext db, IQueryable<AuditEvent> events, int skip, int take, CancellationToken cancellationToken)
    {
        var total = await events.CountAsync(cancellationToken).ConfigureAwait(false);
        var rows = await events.OrderByDescending(a => a.Id).Skip(skip).Take(take).AsNoTracking().ToListAsync(cancellationToken).ConfigureAwait(false);
        var imageIds = rows.Where(r => r.EntityType == "image").Select(r => long.Parse(r.EntityId, System.Globalization.CultureInfo.InvariantCulture)).Distinct().ToList();
        var labelIds = rows.Where(r => r.EntityType == "label").Select(r => long.Parse(r.EntityId, System.Globalization.CultureInfo.InvariantCulture)).Distinct().ToList();
        var imageNames = await db.Images.IgnoreQueryFilters().Where(i => imageIds.Contains(i.Id)).ToDictionaryAsync(i => i.Id, i => i.FileName, cancellationToken).ConfigureAwait(false);
        var labelNames = await db.Labels.Where(l => labelIds.Contains(l.Id)).ToDictionaryAsync(l => l.Id, l => l.Name, cancellationToken).ConfigureAwait(false);
        string? NameOf(AuditEvent e) => long.TryParse(e.EntityId, System.Globalization.CultureInfo.InvariantCulture, out var key)
            ? e.EntityType switch
            {
                "image" => imageNames.GetValueOrDefault(key),
                "label" => labelNames.GetValueOrDefault(key),
                _ => null,
            }
            : null;
        return new AuditPage([.. rows.Select(e => new AuditEntry(e.Id, e.At, e.User, e.EntityType, e.EntityId, NameOf(e), e.Action, e.BeforeJson, e.AfterJson))], total);
    }

    private static void CheckPage(int skip, int take)
    {
        if (skip < 0 || take < 1 || take > MaxPageSize)
        {
            throw new DomainException("invalid-query", $"Paging needs skip >= 0 and 1 <= take <= {MaxPageSize} (got skip {skip}, take {take}).");
        }
    }

    private static async Task EnsureDatasetAsync(ConsoleDbContext db, long datasetId, CancellationToken cancellationToken)
    {
        if (!await db.Datasets.AnyAsync(d => d.Id == datasetId, cancellationToken).ConfigureAwait(false))
        {
            throw new NotFoundException($"Dataset {datasetId}");
        }
    }
}
