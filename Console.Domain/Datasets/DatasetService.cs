using Microsoft.EntityFrameworkCore;
using VisionConsole.Domain.Auditing;
using VisionConsole.Domain.Imaging;
using VisionConsole.Domain.Projects;
using VisionConsole.Domain.Storage;

namespace VisionConsole.Domain.Datasets;

/// <summary>Datasets, labels and image queries over the console database; one context per call.</summary>
/// <remarks>Every committed change to labels or splits is published on the <see cref="IDatasetChangeNotifier"/> after the commit.</remarks>
public sealed partial class DatasetService(IDbContextFactory<ConsoleDbContext> contextFactory, TimeProvider time, StorageSweepSignal sweep, IDatasetChangeNotifier changes) : IDatasetService
{
    /// <summary>Largest page <see cref="QueryImagesAsync"/> returns.</summary>
    public const int MaxPageSize = 1000;

    /// <inheritdoc />
    public async Task<IReadOnlyList<DatasetSummary>> ListAsync(string? project = null, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        return await Summaries(db, InProject(db, project).OrderByDescending(d => d.Id)).ToListAsync(cancellationToken).ConfigureAwait(false);
    }

    private static IQueryable<Dataset> InProject(ConsoleDbContext db, string? project) =>
        project is null ? db.Datasets : db.Datasets.Where(d => db.Projects.Any(p => p.Id == d.ProjectId && p.Name == project));

    /// <inheritdoc />
    public async Task<DatasetPage> ListPageAsync(DatasetListQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Skip < 0 || query.Take is < 1 or > MaxPageSize)
        {
            throw new DomainException("invalid-query", $"A datasets page needs skip >= 0 and take between 1 and {MaxPageSize} (got skip {query.Skip}, take {query.Take}).");
        }
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var datasets = InProject(db, query.Project);
        var total = await datasets.CountAsync(cancellationToken).ConfigureAwait(false);
        // Sorted on the entity (the counts as subqueries): EF cannot order by the members of a projected record.
        var sorted = (query.SortBy, query.Descending) switch
        {
            (DatasetSortField.Name, false) => datasets.OrderBy(d => d.DisplayName),
            (DatasetSortField.Name, true) => datasets.OrderByDescending(d => d.DisplayName),
            (DatasetSortField.Kind, false) => datasets.OrderBy(d => d.Kind),
            (DatasetSortField.Kind, true) => datasets.OrderByDescending(d => d.Kind),
            (DatasetSortField.Images, false) => datasets.OrderBy(d => db.Images.Count(i => i.DatasetId == d.Id)),
            (DatasetSortField.Images, true) => datasets.OrderByDescending(d => db.Images.Count(i => i.DatasetId == d.Id)),
            (DatasetSortField.Labels, false) => datasets.OrderBy(d => db.Labels.Count(l => l.DatasetId == d.Id)),
            (DatasetSortField.Labels, true) => datasets.OrderByDescending(d => db.Labels.Count(l => l.DatasetId == d.Id)),
            (_, false) => datasets.OrderBy(d => d.Id),
            _ => datasets.OrderByDescending(d => d.Id),
        };
        var items = await Summaries(db, sorted.ThenByDescending(d => d.Id).Skip(query.Skip).Take(query.Take)).ToListAsync(cancellationToken).ConfigureAwait(false);
        return new DatasetPage(items, total);
    }

    /// <inheritdoc />
    public async Task<DatasetSummary> GetAsync(long datasetId, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        return await Summaries(db, db.Datasets.Where(d => d.Id == datasetId)).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new NotFoundException($"Dataset {datasetId}");
    }

    /// <inheritdoc />
    public async Task<DatasetSummary> CreateAsync(string displayName, DatasetKind kind, string user, string project = Project.DefaultName, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var projectId = await db.Projects.Where(p => p.Name == project).Select(p => (long?)p.Id).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new NotFoundException($"Project '{project}'");
        var now = time.GetUtcNow();
        var dataset = new Dataset(projectId, displayName, kind, user, now);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        db.Datasets.Add(dataset);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        var summary = new DatasetSummary(dataset.Id, dataset.DisplayName, dataset.Kind, 0, 0, dataset.CreatedAt, dataset.CreatedBy);
        db.AuditEvents.Add(AuditEvent.Of(user, now, "dataset", dataset.Id, "created", null, summary));
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return summary;
    }

    /// <inheritdoc />
    public async Task<DatasetSummary> RenameAsync(long datasetId, string displayName, string user, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var dataset = await db.Datasets.FirstOrDefaultAsync(d => d.Id == datasetId, cancellationToken).ConfigureAwait(false)
            ?? throw new NotFoundException($"Dataset {datasetId}");
        var before = dataset.DisplayName;
        dataset.Rename(displayName);
        if (dataset.DisplayName != before)
        {
            db.AuditEvents.Add(AuditEvent.Of(user, time.GetUtcNow(), "dataset", datasetId, "renamed", new { displayName = before }, new { displayName = dataset.DisplayName }));
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
        return await Summaries(db, db.Datasets.Where(d => d.Id == datasetId)).FirstAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Deletes the dataset with its labels, images, boxes and operations (the database cascades).
    /// Then asks for a storage sweep (<see cref="StorageSweepSignal"/>), which removes in the background the blobs,
    /// thumbnails and cached features no other dataset's image shares.
    /// </summary>
    public async Task DeleteAsync(long datasetId, string user, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var before = await Summaries(db, db.Datasets.Where(d => d.Id == datasetId)).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new NotFoundException($"Dataset {datasetId}");
        await db.Datasets.Where(d => d.Id == datasetId).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
        db.AuditEvents.Add(AuditEvent.Of(user, time.GetUtcNow(), "dataset", datasetId, "deleted", before, null));
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        // Its blobs, thumbnails and cached features go in the background, unless another dataset's images share them.
        _ = sweep.RequestSweep();
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<LabelSummary>> ListLabelsAsync(long datasetId, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await EnsureDatasetAsync(db, datasetId, cancellationToken).ConfigureAwait(false);
        return await db.Labels
            .Where(l => l.DatasetId == datasetId)
            .OrderBy(l => l.Name)
            .Select(l => new LabelSummary(
                l.Id,
                l.Name,
                db.Images.Count(i => i.DatasetId == datasetId && (i.Labels.Any(il => il.LabelId == l.Id) || i.Boxes.Any(b => b.LabelId == l.Id)))))
            .ToListAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Adds a label; throws <see cref="DomainException"/> <c>invalid-label</c> or <c>duplicate-label</c> with a suggestion in the message.</summary>
    public async Task<LabelSummary> AddLabelAsync(long datasetId, string name, string user, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var dataset = await db.Datasets.Include(d => d.Labels).FirstOrDefaultAsync(d => d.Id == datasetId, cancellationToken).ConfigureAwait(false)
            ?? throw new NotFoundException($"Dataset {datasetId}");
        var now = time.GetUtcNow();
        Label label;
        try
        {
            label = dataset.AddLabel(name, now);
        }
        catch (DomainException ex)
        {
            var suggestion = LabelName.Check(name, dataset.Labels.Select(l => l.Name)).Suggestion;
            throw new DomainException(ex.Code, $"{ex.Message} Try '{suggestion}'.");
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbUpdateException)
        {
            // Another user added the same name between our read and our write (unique index).
            throw new DomainException("duplicate-label", $"A label named '{name}' already exists in this dataset (names are compared ignoring case).");
        }
        var summary = new LabelSummary(label.Id, label.Name, 0);
        db.AuditEvents.Add(AuditEvent.Of(user, now, "label", label.Id, "created", null, new { datasetId, label.Name }));
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        changes.Publish(DatasetChange.Of(datasetId, [], DatasetChangeKind.LabelCreated, user, now));
        return summary;
    }

    /// <summary>
    /// One page of a dataset's images, oldest first. <see cref="ImageQuery.Split"/> matches the stored
    /// split (UNASSIGNED images are assigned 80/10/10 only when training); <see cref="ImageQuery.Search"/>
    /// matches part of the file name (ignoring ASCII case) or the start of the sha256.
    /// </summary>
    public async Task<ImagePage> QueryImagesAsync(long datasetId, ImageQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Skip < 0 || query.Take < 1 || query.Take > MaxPageSize)
        {
            throw new DomainException("invalid-query", $"Paging needs skip >= 0 and 1 <= take <= {MaxPageSize} (got skip {query.Skip}, take {query.Take}).");
        }
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await EnsureDatasetAsync(db, datasetId, cancellationToken).ConfigureAwait(false);
        var images = Filter(db, datasetId, query);

        var total = await images.CountAsync(cancellationToken).ConfigureAwait(false);
        var rows = await images.OrderBy(i => i.Id).Skip(query.Skip).Take(query.Take).ToListAsync(cancellationToken).ConfigureAwait(false);
        var ids = rows.Select(r => r.Id).ToList();
        var wholeImage = await db.ImageLabels.Where(il => ids.Contains(il.ImageId)).Select(il => new { il.ImageId, il.Label!.Name }).ToListAsync(cancellationToken).ConfigureAwait(false);
        var boxed = await db.Boxes.Where(b => ids.Contains(b.ImageId)).Select(b => new { b.ImageId, b.Label!.Name }).ToListAsync(cancellationToken).ConfigureAwait(false);
        var names = wholeImage.Concat(boxed).ToLookup(x => x.ImageId, x => x.Name);

        var items = rows.Select(i => new ImageSummary(
            i.Id, i.Sha256, i.FileName, i.Format.ToString(), i.Width, i.Height, i.ByteSize, i.Split,
            names[i.Id].Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(),
            i.AddedAt, i.AddedBy, i.Version)).ToList();
        return new ImagePage(items, total);
    }

    /// <summary>The ids of every image matching the filters of <paramref name="query"/> (its paging is ignored), oldest first.</summary>
    public async Task<IReadOnlyList<long>> QueryImageIdsAsync(long datasetId, ImageQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await EnsureDatasetAsync(db, datasetId, cancellationToken).ConfigureAwait(false);
        return await Filter(db, datasetId, query).OrderBy(i => i.Id).Select(i => i.Id).ToListAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Adds and removes whole-image labels on several images in one transaction. Single-label datasets: at most one
    /// label to add, and it replaces whatever label the image had. Multi-label: removals first, then additions.
    /// Each image that changes gets one <c>labels-changed</c> audit event with the label names before and after,
    /// and a new version; an image that ends up as it was is left alone. Refused as a whole when an expected version
    /// is stale, a label or image is not in the dataset, or the dataset is for object detection (boxes carry its labels).
    /// </summary>
    public async Task<IReadOnlyList<ImageLabelState>> ChangeLabelsAsync(long datasetId, LabelChange change, string user, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (change.ImageIds.Count == 0)
        {
            throw new DomainException("invalid-label-change", "Choose at least one image to label.");
        }
        if (change.Add.Count == 0 && change.Remove.Count == 0)
        {
            throw new DomainException("invalid-label-change", "Name at least one label to add or remove.");
        }
        if (change.Add.Intersect(change.Remove).FirstOrDefault() is var both && both != 0)
        {
            throw new DomainException("invalid-label-change", $"Label {both} is both added and removed; choose one.");
        }

        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var dataset = await db.Datasets.AsNoTracking().FirstOrDefaultAsync(d => d.Id == datasetId, cancellationToken).ConfigureAwait(false)
            ?? throw new NotFoundException($"Dataset {datasetId}");
        if (dataset.Kind == DatasetKind.ObjectDetection)
        {
            throw new DomainException("invalid-label-change", $"Dataset '{dataset.DisplayName}' is for object detection: its labels are drawn as boxes, not given to whole images.");
        }
        if (dataset.Kind == DatasetKind.SingleLabel && change.Add.Count > 1)
        {
            throw new DomainException("invalid-label-change", $"Dataset '{dataset.DisplayName}' is single-label: an image takes one label, not {change.Add.Count}.");
        }

        var labels = await db.Labels.Where(l => l.DatasetId == datasetId).ToDictionaryAsync(l => l.Id, cancellationToken).ConfigureAwait(false);
        if (change.Add.Concat(change.Remove).FirstOrDefault(id => !labels.ContainsKey(id)) is var unknownLabel && unknownLabel != 0)
        {
            throw new NotFoundException($"Label {unknownLabel} of dataset {datasetId}");
        }

        var ids = change.ImageIds.Distinct().ToList();
        var images = await db.Images.Include(i => i.Labels)
            .Where(i => i.DatasetId == datasetId && ids.Contains(i.Id))
            .ToDictionaryAsync(i => i.Id, cancellationToken).ConfigureAwait(false);
        if (ids.FirstOrDefault(id => !images.ContainsKey(id)) is var unknownImage && unknownImage != 0)
        {
            throw new NotFoundException($"Image {unknownImage} of dataset {datasetId}");
        }
        if (change.ExpectedVersions is { } expected)
        {
            foreach (var (imageId, version) in expected)
            {
                if (images.TryGetValue(imageId, out var image) && image.Version != version)
                {
                    throw new ConcurrencyConflictException($"Image {imageId} changed since version {version} (now {image.Version}); refresh and try again.");
                }
            }
        }

        var now = time.GetUtcNow();
        var results = new List<ImageLabelState>(ids.Count);
        foreach (var id in ids)
        {
            var image = images[id];
            var before = LabelNames(image, labels);
            var removals = dataset.Kind == DatasetKind.SingleLabel && change.Add.Count == 1
                ? image.Labels.Select(l => l.LabelId).Where(l => !change.Add.Contains(l)).Concat(change.Remove).ToList()
                : [.. change.Remove];
            image.ChangeLabels(change.Add.Select(l => labels[l]), removals);
            var after = LabelNames(image, labels);
            // Removing then re-adding the same label is no change: compare the sets, not the steps.
            var changed = !before.SequenceEqual(after, StringComparer.Ordinal);
            if (changed)
            {
                image.MarkLabeled(user, now);
                db.AuditEvents.Add(AuditEvent.Of(user, now, "image", id, "labels-changed", new { labels = before },
                    change.Source is null ? new { labels = after } : (object)new { labels = after, source = change.Source }));
            }
            results.Add(new ImageLabelState(id, after, image.Version, changed));
        }

        try
        {
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbUpdateConcurrencyException)
        {
            throw new ConcurrencyConflictException("Some of these images were changed by someone else while saving; refresh and try again.");
        }
        // SaveChanges committed (its own transaction): subscribers that read now see the new labels.
        if (results.Any(r => r.Changed))
        {
            changes.Publish(DatasetChange.Of(datasetId, results.Where(r => r.Changed).Select(r => r.ImageId), DatasetChangeKind.Labels, user, now));
        }
        return results;
    }

    private static List<string> LabelNames(Image image, Dictionary<long, Label> labels) =>
        [.. image.Labels.Select(l => labels[l.LabelId].Name).Order(StringComparer.Ordinal)];

    private static IQueryable<Image> Filter(ConsoleDbContext db, long datasetId, ImageQuery query)
    {
        var images = db.Images.AsNoTracking().Where(i => i.DatasetId == datasetId);
        if (query.Split is { } split)
        {
            images = images.Where(i => i.Split == split);
        }
        if (query.LabelId is { } labelId)
        {
            images = images.Where(i => i.Labels.Any(l => l.LabelId == labelId) || i.Boxes.Any(b => b.LabelId == labelId));
        }
        if (query.UnlabeledOnly)
        {
            // An image marked as showing no objects is labeled (a negative).
            images = images.Where(i => !i.Labels.Any() && !i.Boxes.Any() && !i.NoObjects);
        }
        if (!string.IsNullOrWhiteSpace(query.Search))
        {
            var search = query.Search.Trim();
            var pattern = "%" + search.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal) + "%";
            var shaPrefix = search.ToLowerInvariant();
            images = images.Where(i => EF.Functions.Like(i.FileName, pattern, "\\") || i.Sha256.StartsWith(shaPrefix));
        }
        return images;
    }

    /// <summary>The format of a stored blob, from any image that uses it; null when no image does.</summary>
    public async Task<ImageFormat?> FindBlobFormatAsync(string sha256, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        return await db.Images.Where(i => i.Sha256 == sha256).Select(i => (ImageFormat?)i.Format).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Overrides an image's split (or sets it back to UNASSIGNED). <paramref name="expectedVersion"/> is the
    /// version the user saw; a newer one means someone else changed the image and the write is refused.
    /// Returns the new version.
    /// </summary>
    public async Task<long> SetSplitAsync(long datasetId, long imageId, DataSplit split, long expectedVersion, string user, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var image = await db.Images.FirstOrDefaultAsync(i => i.Id == imageId && i.DatasetId == datasetId, cancellationToken).ConfigureAwait(false)
            ?? throw new NotFoundException($"Image {imageId} of dataset {datasetId}");
        if (image.Version != expectedVersion)
        {
            throw new ConcurrencyConflictException($"Image {imageId} changed since version {expectedVersion} (now {image.Version}); refresh and try again.");
        }
        var before = image.Split;
        image.OverrideSplit(split);
        if (before == image.Split)
        {
            return image.Version;
        }
        var now = time.GetUtcNow();
        db.AuditEvents.Add(AuditEvent.Of(user, now, "image", imageId, "split-changed", new { split = before }, new { split }));
        try
        {
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbUpdateConcurrencyException)
        {
            throw new ConcurrencyConflictException($"Image {imageId} was changed by someone else while saving; refresh and try again.");
        }
        changes.Publish(DatasetChange.Of(datasetId, [imageId], DatasetChangeKind.Split, user, now));
        return image.Version;
    }

    private static IQueryable<DatasetSummary> Summaries(ConsoleDbContext db, IQueryable<Dataset> datasets) =>
        datasets.Select(d => new DatasetSummary(
            d.Id, d.DisplayName, d.Kind,
            db.Images.Count(i => i.DatasetId == d.Id),
            db.Labels.Count(l => l.DatasetId == d.Id),
            d.CreatedAt, d.CreatedBy));

    internal static async Task EnsureDatasetAsync(ConsoleDbContext db, long datasetId, CancellationToken cancellationToken)
    {
        if (!await db.Datasets.AnyAsync(d => d.Id == datasetId, cancellationToken).ConfigureAwait(false))
        {
            throw new NotFoundException($"Dataset {datasetId}");
        }
    }
}
