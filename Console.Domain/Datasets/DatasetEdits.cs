using Microsoft.EntityFrameworkCore;
using VisionConsole.Domain.Auditing;
using VisionConsole.Domain.Storage;

namespace VisionConsole.Domain.Datasets;

/// <summary>What a label rename, merge or delete did: the label left (or merged into) and the images it changed.</summary>
/// <param name="LabelId">The renamed label, or the label merged into; the deleted label's id for a delete.</param>
/// <param name="Name">That label's name now.</param>
/// <param name="ImagesChanged">Images whose labels or boxes changed.</param>
/// <param name="BoxesRemoved">Boxes that a delete took away with the label.</param>
public sealed record LabelEditResult(long LabelId, string Name, int ImagesChanged, int BoxesRemoved);

/// <summary>How many of a dataset's images and boxes use a label: what a rename, merge or delete will touch.</summary>
public sealed record LabelUsage(long LabelId, string Name, int Images, int Boxes);

/// <summary>One delete action over images, which <see cref="IDatasetEdits.UndoDeleteAsync"/> can take back while it is the dataset's latest.</summary>
/// <param name="Batch">The action's id (undo names it).</param>
/// <param name="Count">Images it deleted.</param>
/// <param name="At">When.</param>
/// <param name="User">Who.</param>
public sealed record ImageDeletion(string Batch, int Count, DateTimeOffset At, string User);

/// <summary>What an undo brought back; <paramref name="Skipped"/> images had been uploaded again meanwhile and are kept as they are now.</summary>
public sealed record ImageRestore(int Restored, int Skipped);

/// <summary>The splits after a re-split, and how many images moved.</summary>
public sealed record ResplitResult(int Train, int Validation, int Test, int Changed);

/// <summary>Edits that fix a dataset's mistakes: label rename, merge and delete; image delete with undo; splits for many images.</summary>
public interface IDatasetEdits
{
    /// <summary>How many images and boxes use the label (for the confirmation a person sees first).</summary>
    Task<LabelUsage> GetLabelUsageAsync(long datasetId, long labelId, CancellationToken cancellationToken = default);

    /// <summary>Renames a label; the same name rules as creating one, with a suggested fix in the message.</summary>
    Task<LabelEditResult> RenameLabelAsync(long datasetId, long labelId, string name, string user, CancellationToken cancellationToken = default);

    /// <summary>Moves every use of <paramref name="labelId"/> to <paramref name="intoLabelId"/>, then deletes <paramref name="labelId"/>.</summary>
    Task<LabelEditResult> MergeLabelAsync(long datasetId, long labelId, long intoLabelId, string user, CancellationToken cancellationToken = default);

    /// <summary>Deletes a label: images lose it, boxes that carry it are removed.</summary>
    Task<LabelEditResult> DeleteLabelAsync(long datasetId, long labelId, string user, CancellationToken cancellationToken = default);

    /// <summary>Deletes images as one action; the previous delete action of the dataset can no longer be undone.</summary>
    Task<ImageDeletion> DeleteImagesAsync(long datasetId, IReadOnlyCollection<long> imageIds, string user, CancellationToken cancellationToken = default);

    /// <summary>The dataset's latest delete action that can still be undone, or null.</summary>
    Task<ImageDeletion?> GetLastDeletionAsync(long datasetId, CancellationToken cancellationToken = default);

    /// <summary>Brings back the images of the delete action <paramref name="batch"/> with their labels, boxes and splits.</summary>
    Task<ImageRestore> UndoDeleteAsync(long datasetId, string batch, string user, CancellationToken cancellationToken = default);

    /// <summary>Sets the split of several images at once; returns how many changed.</summary>
    Task<int> SetSplitsAsync(long datasetId, IReadOnlyCollection<long> imageIds, DataSplit split, string user, CancellationToken cancellationToken = default);

    /// <summary>
    /// Splits the dataset 80/10/10 again, per label (stratified), ordered by sha256 within each label so the result is the
    /// same on every machine; <paramref name="onlyUnassigned"/> leaves the splits a person chose alone.
    /// </summary>
    Task<ResplitResult> ResplitAsync(long datasetId, bool onlyUnassigned, string user, CancellationToken cancellationToken = default);
}

public sealed partial class DatasetService : IDatasetEdits
{
    /// <inheritdoc />
    public async Task<LabelUsage> GetLabelUsageAsync(long datasetId, long labelId, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var label = await FindLabelAsync(db, datasetId, labelId, cancellationToken).ConfigureAwait(false);
        var images = await db.Images.CountAsync(i => i.DatasetId == datasetId && (i.Labels.Any(l => l.LabelId == labelId) || i.Boxes.Any(b => b.LabelId == labelId)), cancellationToken).ConfigureAwait(false);
        var boxes = await db.Boxes.CountAsync(b => b.LabelId == labelId, cancellationToken).ConfigureAwait(false);
        return new LabelUsage(label.Id, label.Name, images, boxes);
    }

    /// <inheritdoc />
    public async Task<LabelEditResult> RenameLabelAsync(long datasetId, long labelId, string name, string user, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var dataset = await db.Datasets.Include(d => d.Labels).FirstOrDefaultAsync(d => d.Id == datasetId, cancellationToken).ConfigureAwait(false)
            ?? throw new NotFoundException($"Dataset {datasetId}");
        var label = dataset.Labels.FirstOrDefault(l => l.Id == labelId) ?? throw new NotFoundException($"Label {labelId} of dataset {datasetId}");
        var before = label.Name;
        try
        {
            dataset.RenameLabel(label, name);
        }
        catch (DomainException ex)
        {
            var suggestion = LabelName.Check(name, dataset.Labels.Where(l => l != label).Select(l => l.Name)).Suggestion;
            throw new DomainException(ex.Code, $"{ex.Message} Try '{suggestion}'.");
        }
        var affected = await ImagesUsing(db, datasetId, labelId).ToListAsync(cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        db.AuditEvents.Add(AuditEvent.Of(user, now, "label", labelId, "renamed", new { name = before }, new { name = label.Name }));
        try
        {
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbUpdateException)
        {
            throw new DomainException("duplicate-label", $"A label named '{name}' already exists in this dataset (names are compared ignoring case).");
        }
        changes.Publish(DatasetChange.Of(datasetId, affected, DatasetChangeKind.Labels, user, now));
        return new LabelEditResult(labelId, label.Name, affected.Count, 0);
    }

    /// <inheritdoc />
    public async Task<LabelEditResult> MergeLabelAsync(long datasetId, long labelId, long intoLabelId, string user, CancellationToken cancellationToken = default)
    {
        if (labelId == intoLabelId)
        {
            throw new DomainException("invalid-label-change", "A label cannot be merged into itself; choose another label to merge into.");
        }
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var source = await FindLabelAsync(db, datasetId, labelId, cancellationToken).ConfigureAwait(false);
        var target = await FindLabelAsync(db, datasetId, intoLabelId, cancellationToken).ConfigureAwait(false);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // Deleted images waiting for an undo move too, so an undo brings them back with a label that exists.
        var images = await db.Images.IgnoreQueryFilters().Include(i => i.Labels).Include(i => i.Boxes)
            .Where(i => i.DatasetId == datasetId && (i.Labels.Any(l => l.LabelId == labelId) || i.Boxes.Any(b => b.LabelId == labelId)))
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var changed = new List<long>();
        foreach (var image in images)
        {
            if (image.ReplaceLabel(labelId, target) && !image.IsDeleted)
            {
                changed.Add(image.Id);
            }
        }
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        db.Labels.Remove(source);
        db.AuditEvents.Add(AuditEvent.Of(user, now, "label", labelId, "merged", new { name = source.Name, images = changed.Count }, new { into = target.Name, intoLabelId }));
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        changes.Publish(DatasetChange.Of(datasetId, changed, DatasetChangeKind.Labels, user, now));
        return new LabelEditResult(target.Id, target.Name, changed.Count, 0);
    }

    /// <inheritdoc />
    public async Task<LabelEditResult> DeleteLabelAsync(long datasetId, long labelId, string user, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var label = await FindLabelAsync(db, datasetId, labelId, cancellationToken).ConfigureAwait(false);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var affected = await ImagesUsing(db, datasetId, labelId).ToListAsync(cancellationToken).ConfigureAwait(false);
        var boxes = await db.Boxes.CountAsync(b => b.LabelId == labelId, cancellationToken).ConfigureAwait(false);
        // Every image that loses the label or a box moves to a new version, so a stale edit based on it is refused.
        await db.Images.Where(i => affected.Contains(i.Id)).ExecuteUpdateAsync(u => u.SetProperty(i => i.Version, i => i.Version + 1).SetProperty(i => i.BoxesVersion, i => i.BoxesVersion + 1), cancellationToken).ConfigureAwait(false);
        // Image labels and boxes go with the label (ON DELETE CASCADE).
        await db.Labels.Where(l => l.Id == labelId).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        db.AuditEvents.Add(AuditEvent.Of(user, now, "label", labelId, "deleted", new { name = label.Name, images = affected.Count, boxes }, null));
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        changes.Publish(DatasetChange.Of(datasetId, affected, DatasetChangeKind.Labels, user, now));
        return new LabelEditResult(labelId, label.Name, affected.Count, boxes);
    }

    /// <inheritdoc />
    public async Task<ImageDeletion> DeleteImagesAsync(long datasetId, IReadOnlyCollection<long> imageIds, string user, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var images = await FindImagesAsync(db, datasetId, imageIds, "Choose at least one image to delete.", cancellationToken).ConfigureAwait(false);
        var ids = images.Select(i => i.Id).ToList();
        var batch = Guid.NewGuid().ToString("D");
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // Only the latest delete can be undone: the images of earlier ones go for good now.
        var purged = await PurgeDeletedAsync(db, datasetId, cancellationToken).ConfigureAwait(false);
        foreach (var image in images)
        {
            image.MarkDeleted(batch, now);
        }
        db.AuditEvents.Add(AuditEvent.Of(user, now, "dataset", datasetId, "images-deleted", null, new { batch, images = ids }));
        try
        {
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbUpdateConcurrencyException)
        {
            throw new ConcurrencyConflictException("Some of these images were changed by someone else while deleting; refresh and try again.");
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        if (purged > 0)
        {
            _ = sweep.RequestSweep();
        }
        changes.Publish(DatasetChange.Of(datasetId, ids, DatasetChangeKind.ImagesRemoved, user, now));
        return new ImageDeletion(batch, images.Count, now, user);
    }

    /// <inheritdoc />
    public async Task<ImageDeletion?> GetLastDeletionAsync(long datasetId, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await EnsureDatasetAsync(db, datasetId, cancellationToken).ConfigureAwait(false);
        var deleted = await db.Images.IgnoreQueryFilters().AsNoTracking()
            .Where(i => i.DatasetId == datasetId && i.DeletionBatch != null)
            .GroupBy(i => i.DeletionBatch!)
            .Select(g => new { Batch = g.Key, Count = g.Count(), At = g.Max(i => i.DeletedAt) })
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        var last = deleted.OrderByDescending(d => d.At).FirstOrDefault();
        if (last is null)
        {
            return null;
        }
        var who = await db.AuditEvents.AsNoTracking()
            .Where(a => a.EntityType == "dataset" && a.EntityId == datasetId.ToString(System.Globalization.CultureInfo.InvariantCulture) && a.Action == "images-deleted")
            .OrderByDescending(a => a.Id).Select(a => a.User).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        return new ImageDeletion(last.Batch, last.Count, last.At!.Value, who ?? string.Empty);
    }

    /// <inheritdoc />
    public async Task<ImageRestore> UndoDeleteAsync(long datasetId, string batch, string user, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await EnsureDatasetAsync(db, datasetId, cancellationToken).ConfigureAwait(false);
        var images = await db.Images.IgnoreQueryFilters().Where(i => i.DatasetId == datasetId && i.DeletionBatch == batch).ToListAsync(cancellationToken).ConfigureAwait(false);
        if (images.Count == 0)
        {
            throw new DomainException("invalid-transition", $"There is no delete '{batch}' to undo in this dataset: only the latest delete can be undone, and only once.");
        }
        var shas = images.Select(i => i.Sha256).ToList();
        var back = await db.Images.Where(i => i.DatasetId == datasetId && shas.Contains(i.Sha256)).Select(i => i.Sha256).ToListAsync(cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var restored = new List<long>();
        foreach (var image in images)
        {
            if (back.Contains(image.Sha256))
            {
                // Uploaded again since the delete: the copy there now stays, the deleted one goes.
                db.Images.Remove(image);
                continue;
            }
            image.Restore();
            restored.Add(image.Id);
        }
        db.AuditEvents.Add(AuditEvent.Of(user, now, "dataset", datasetId, "images-restored", new { batch }, new { images = restored }));
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        changes.Publish(DatasetChange.Of(datasetId, restored, DatasetChangeKind.ImagesAdded, user, now));
        return new ImageRestore(restored.Count, images.Count - restored.Count);
    }

    /// <inheritdoc />
    public async Task<int> SetSplitsAsync(long datasetId, IReadOnlyCollection<long> imageIds, DataSplit split, string user, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var images = await FindImagesAsync(db, datasetId, imageIds, "Choose at least one image to move to another split.", cancellationToken).ConfigureAwait(false);
        return await ApplySplitsAsync(db, datasetId, images.Select(i => (i, split)), user, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<ResplitResult> ResplitAsync(long datasetId, bool onlyUnassigned, string user, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await EnsureDatasetAsync(db, datasetId, cancellationToken).ConfigureAwait(false);
        var images = await db.Images.Include(i => i.Labels).ThenInclude(l => l.Label).Include(i => i.Boxes).ThenInclude(b => b.Label)
            .Where(i => i.DatasetId == datasetId && (!onlyUnassigned || i.Split == DataSplit.Unassigned))
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        var plan = StratifiedSplit.Plan(images.Select(i => (i, StratumOf(i))));
        var changed = await ApplySplitsAsync(db, datasetId, plan, user, cancellationToken).ConfigureAwait(false);
        var counts = plan.GroupBy(p => p.Split).ToDictionary(g => g.Key, g => g.Count());
        return new ResplitResult(counts.GetValueOrDefault(DataSplit.Train), counts.GetValueOrDefault(DataSplit.Validation), counts.GetValueOrDefault(DataSplit.Test), changed);
    }

    /// <summary>The label an image is stratified by: its first whole-image label or box label by name; unlabeled images form their own group.</summary>
    private static string StratumOf(Image image) =>
        image.Labels.Select(l => l.Label!.Name).Concat(image.Boxes.Select(b => b.Label!.Name)).Order(StringComparer.Ordinal).FirstOrDefault() ?? string.Empty;

    private async Task<int> ApplySplitsAsync(ConsoleDbContext db, long datasetId, IEnumerable<(Image Image, DataSplit Split)> plan, string user, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var changed = new List<long>();
        foreach (var (image, split) in plan)
        {
            var before = image.Split;
            image.OverrideSplit(split);
            if (before != image.Split)
            {
                changed.Add(image.Id);
                db.AuditEvents.Add(AuditEvent.Of(user, now, "image", image.Id, "split-changed", new { split = before }, new { split }));
            }
        }
        try
        {
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbUpdateConcurrencyException)
        {
            throw new ConcurrencyConflictException("Some of these images were changed by someone else while saving; refresh and try again.");
        }
        if (changed.Count > 0)
        {
            changes.Publish(DatasetChange.Of(datasetId, changed, DatasetChangeKind.Split, user, now));
        }
        return changed.Count;
    }

    /// <summary>The dataset's images with these ids, tracked, in id order; refused when none is named or one is not in the dataset.</summary>
    private static async Task<List<Image>> FindImagesAsync(ConsoleDbContext db, long datasetId, IReadOnlyCollection<long> imageIds, string noneChosen, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(imageIds);
        if (imageIds.Count == 0)
        {
            throw new DomainException("invalid-argument", noneChosen);
        }
        await EnsureDatasetAsync(db, datasetId, cancellationToken).ConfigureAwait(false);
        var ids = imageIds.Distinct().ToList();
        var images = await db.Images.Where(i => i.DatasetId == datasetId && ids.Contains(i.Id)).OrderBy(i => i.Id).ToListAsync(cancellationToken).ConfigureAwait(false);
        if (ids.FirstOrDefault(id => images.All(i => i.Id != id)) is var missing && missing != 0)
        {
            throw new NotFoundException($"Image {missing} of dataset {datasetId}");
        }
        return images;
    }

    private static async Task<int> PurgeDeletedAsync(ConsoleDbContext db, long datasetId, CancellationToken cancellationToken) =>
        await db.Images.IgnoreQueryFilters().Where(i => i.DatasetId == datasetId && i.DeletedAt != null).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);

    private static IQueryable<long> ImagesUsing(ConsoleDbContext db, long datasetId, long labelId) =>
        db.Images.Where(i => i.DatasetId == datasetId && (i.Labels.Any(l => l.LabelId == labelId) || i.Boxes.Any(b => b.LabelId == labelId))).Select(i => i.Id);

    private static async Task<Label> FindLabelAsync(ConsoleDbContext db, long datasetId, long labelId, CancellationToken cancellationToken) =>
        await db.Labels.FirstOrDefaultAsync(l => l.Id == labelId && l.DatasetId == datasetId, cancellationToken).ConfigureAwait(false)
            ?? throw new NotFoundException($"Label {labelId} of dataset {datasetId}");
}

/// <summary>The deterministic, per-label 80/10/10 split behind <see cref="IDatasetEdits.ResplitAsync"/>.</summary>
public static class StratifiedSplit
{
    /// <summary>
    /// Orders each stratum's items by sha256 and gives the first 80% (at least one) TRAIN, the next 10% VALIDATION and
    /// the rest TEST, so every label with enough images lands in every split and the outcome is the same everywhere.
    /// </summary>
    public static List<(Image Image, DataSplit Split)> Plan(IEnumerable<(Image Image, string Stratum)> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var plan = new List<(Image, DataSplit)>();
        foreach (var group in items.GroupBy(x => x.Stratum, StringComparer.Ordinal))
        {
            var ordered = group.Select(x => x.Image).OrderBy(i => i.Sha256, StringComparer.Ordinal).ToList();
            var (train, validation) = Sizes(ordered.Count);
            for (var k = 0; k < ordered.Count; k++)
            {
                plan.Add((ordered[k], k < train ? DataSplit.Train : k < train + validation ? DataSplit.Validation : DataSplit.Test));
            }
        }
        return plan;
    }

    /// <summary>TRAIN and VALIDATION sizes of a stratum of <paramref name="count"/>; TEST takes the rest.</summary>
    public static (int Train, int Validation) Sizes(int count)
    {
        if (count <= 0)
        {
            return (0, 0);
        }
        var test = (int)Math.Round(count * 0.1, MidpointRounding.AwayFromZero);
        var validation = (int)Math.Round(count * 0.1, MidpointRounding.AwayFromZero);
        var train = Math.Max(1, count - test - validation);
        validation = Math.Min(validation, count - train);
        return (train, validation);
    }
}
