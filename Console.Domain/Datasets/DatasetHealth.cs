using Microsoft.EntityFrameworkCore;
using VisionConsole.Domain.Storage;

namespace VisionConsole.Domain.Datasets;

/// <summary>A label's counts on the health page.</summary>
/// <param name="LabelId">The label.</param>
/// <param name="Name">Its name.</param>
/// <param name="ImageCount">Images carrying it: as a whole-image label, or with at least one box of it.</param>
/// <param name="BoxCount">Boxes of this label.</param>
public sealed record LabelHealth(long LabelId, string Name, int ImageCount, int BoxCount);

/// <summary>Images in one split: as stored (what users chose) and as training will use them (UNASSIGNED resolved 80/10/10 by hash).</summary>
public sealed record SplitCount(DataSplit Split, int Stored, int Effective);

/// <summary>Images that share the same bytes.</summary>
public sealed record DuplicateGroup(string Sha256, IReadOnlyList<long> ImageIds);

/// <summary>Boxes whose area (fraction of the image) is at least <see cref="MinArea"/> and below <see cref="MaxArea"/> (the last bucket includes 1).</summary>
public sealed record BoxAreaBucket(double MinArea, double MaxArea, int Count);

/// <summary>A box narrower or lower than <see cref="DatasetHealthService.TinyBoxSide"/> of its image.</summary>
public sealed record TinyBox(long BoxId, long ImageId, string Label, double Width, double Height);

/// <summary>One health finding: a stable code, what it is about and what to do.</summary>
/// <param name="Code"><c>imbalance</c>, <c>few-images</c>, <c>unlabeled</c>, <c>duplicates</c>, <c>tiny-boxes</c>, <c>empty</c>.</param>
/// <param name="Message">For people.</param>
/// <param name="LabelId">The label it is about, when it is about one.</param>
public sealed record HealthWarning(string Code, string Message, long? LabelId = null);

/// <summary>Everything the dataset health page shows.</summary>
public sealed record DatasetHealth(
    long DatasetId,
    DatasetKind Kind,
    int ImageCount,
    int UnlabeledCount,
    int BoxCount,
    IReadOnlyList<LabelHealth> Labels,
    IReadOnlyList<SplitCount> Splits,
    IReadOnlyList<DuplicateGroup> Duplicates,
    IReadOnlyList<BoxAreaBucket> BoxAreas,
    int TinyBoxCount,
    IReadOnlyList<TinyBox> TinyBoxes,
    IReadOnlyList<HealthWarning> Warnings);

/// <summary>
/// Dataset statistics and health warnings, computed with SQL aggregates (GROUP BY, COUNT) so a 10,000-image dataset
/// costs a handful of indexed queries. The one per-image pass reads only the sha256 of UNASSIGNED images, to show
/// where the automatic split will put them.
/// </summary>
public sealed class DatasetHealthService(IDbContextFactory<ConsoleDbContext> contextFactory)
{
    /// <summary>A label with fewer images than this is warned about (AutoML's minimum is 10 per label).</summary>
    public const int MinImagesPerLabel = 10;

    /// <summary>Largest-to-smallest label ratio above which the dataset is warned as imbalanced.</summary>
    public const double MaxImbalance = 100;

    /// <summary>A box narrower or lower than this fraction of its image's side is tiny.</summary>
    public const double TinyBoxSide = 0.01;

    /// <summary>Most tiny boxes listed (all are counted).</summary>
    public const int MaxTinyBoxesListed = 100;

    /// <summary>Upper edges of the box-area histogram buckets (fractions of the image area).</summary>
    public static IReadOnlyList<double> AreaEdges { get; } = [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0];

    /// <summary>The health of a dataset; <see cref="NotFoundException"/> when it does not exist.</summary>
    public async Task<DatasetHealth> GetAsync(long datasetId, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var kind = await db.Datasets.Where(d => d.Id == datasetId).Select(d => (DatasetKind?)d.Kind).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new NotFoundException($"Dataset {datasetId}");
        var images = db.Images.AsNoTracking().Where(i => i.DatasetId == datasetId);
        var imageCount = await images.CountAsync(cancellationToken).ConfigureAwait(false);
        var unlabeled = await images.CountAsync(i => !i.Labels.Any() && !i.Boxes.Any(), cancellationToken).ConfigureAwait(false);

        var labelRows = await db.Labels.AsNoTracking().Where(l => l.DatasetId == datasetId).OrderBy(l => l.Name)
            .Select(l => new { l.Id, l.Name }).ToListAsync(cancellationToken).ConfigureAwait(false);
        var wholeImage = await db.ImageLabels.Where(il => il.Label!.DatasetId == datasetId)
            .GroupBy(il => il.LabelId).Select(g => new { LabelId = g.Key, Count = g.Count() })
            .ToDictionaryAsync(x => x.LabelId, x => x.Count, cancellationToken).ConfigureAwait(false);
        var boxed = await db.Boxes.Where(b => b.Label!.DatasetId == datasetId)
            .GroupBy(b => b.LabelId).Select(g => new { LabelId = g.Key, Boxes = g.Count(), Images = g.Select(b => b.ImageId).Distinct().Count() })
            .ToDictionaryAsync(x => x.LabelId, cancellationToken).ConfigureAwait(false);
        // An image with both a whole-image label and boxes of that label counts once.
        var both = await db.ImageLabels.Where(il => il.Label!.DatasetId == datasetId && db.Boxes.Any(b => b.ImageId == il.ImageId && b.LabelId == il.LabelId))
            .GroupBy(il => il.LabelId).Select(g => new { LabelId = g.Key, Count = g.Count() })
            .ToDictionaryAsync(x => x.LabelId, x => x.Count, cancellationToken).ConfigureAwait(false);
        var labels = labelRows.Select(l =>
        {
            var box = boxed.GetValueOrDefault(l.Id);
            var imagesWith = wholeImage.GetValueOrDefault(l.Id) + (box?.Images ?? 0) - both.GetValueOrDefault(l.Id);
            return new LabelHealth(l.Id, l.Name, imagesWith, box?.Boxes ?? 0);
        }).ToList();

        var stored = await images.GroupBy(i => i.Split).Select(g => new { Split = g.Key, Count = g.Count() })
            .ToDictionaryAsync(x => x.Split, x => x.Count, cancellationToken).ConfigureAwait(false);
        var effective = new Dictionary<DataSplit, int>(stored.Where(s => s.Key != DataSplit.Unassigned));
        await foreach (var sha in images.Where(i => i.Split == DataSplit.Unassigned).Select(i => i.Sha256).AsAsyncEnumerable().WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            var split = SplitAssignment.ForSha256(sha);
            effective[split] = effective.GetValueOrDefault(split) + 1;
        }
        var splits = Enum.GetValues<DataSplit>().Select(s => new SplitCount(s, stored.GetValueOrDefault(s), effective.GetValueOrDefault(s))).ToList();

        var duplicateShas = await images.GroupBy(i => i.Sha256).Where(g => g.Count() > 1).Select(g => g.Key).ToListAsync(cancellationToken).ConfigureAwait(false);
        var duplicates = new List<DuplicateGroup>();
        foreach (var sha in duplicateShas)
        {
            duplicates.Add(new DuplicateGroup(sha, await images.Where(i => i.Sha256 == sha).OrderBy(i => i.Id).Select(i => i.Id).ToListAsync(cancellationToken).ConfigureAwait(false)));
        }

        var boxes = db.Boxes.AsNoTracking().Where(b => b.Image!.DatasetId == datasetId);
        var boxCount = await boxes.CountAsync(cancellationToken).ConfigureAwait(false);
        var e = AreaEdges;
        var byBucket = await boxes
            .Select(b => b.Width * b.Height < e[0] ? 0 : b.Width * b.Height < e[1] ? 1 : b.Width * b.Height < e[2] ? 2
                : b.Width * b.Height < e[3] ? 3 : b.Width * b.Height < e[4] ? 4 : b.Width * b.Height < e[5] ? 5 : 6)
            .GroupBy(bucket => bucket).Select(g => new { Bucket = g.Key, Count = g.Count() })
            .ToDictionaryAsync(x => x.Bucket, x => x.Count, cancellationToken).ConfigureAwait(false);
        var areas = AreaEdges.Select((max, k) => new BoxAreaBucket(k == 0 ? 0 : AreaEdges[k - 1], max, byBucket.GetValueOrDefault(k))).ToList();
        var tiny = boxes.Where(b => b.Width < TinyBoxSide || b.Height < TinyBoxSide);
        var tinyCount = await tiny.CountAsync(cancellationToken).ConfigureAwait(false);
        var tinyList = await tiny.OrderBy(b => b.Id).Take(MaxTinyBoxesListed)
            .Select(b => new TinyBox(b.Id, b.ImageId, b.Label!.Name, b.Width, b.Height)).ToListAsync(cancellationToken).ConfigureAwait(false);

        var warnings = new List<HealthWarning>();
        if (imageCount == 0)
        {
            warnings.Add(new HealthWarning("empty", "The dataset has no images yet; import or upload some."));
        }
        var used = labels.Where(l => l.ImageCount > 0).ToList();
        if (used.Count >= 2)
        {
            var largest = used.MaxBy(l => l.ImageCount)!;
            var smallest = used.MinBy(l => l.ImageCount)!;
            if (largest.ImageCount > MaxImbalance * smallest.ImageCount)
            {
                warnings.Add(new HealthWarning("imbalance",
                    $"Labels are imbalanced: '{largest.Name}' has {largest.ImageCount} images, '{smallest.Name}' only {smallest.ImageCount} (more than {MaxImbalance:0}x). Add images of the rare labels.",
                    smallest.LabelId));
            }
        }
        foreach (var label in labels.Where(l => l.ImageCount < MinImagesPerLabel))
        {
            warnings.Add(new HealthWarning("few-images",
                $"Label '{label.Name}' has {label.ImageCount} image(s); at least {MinImagesPerLabel} are needed to train and evaluate it.", label.LabelId));
        }
        if (unlabeled > 0)
        {
            warnings.Add(new HealthWarning("unlabeled", $"{unlabeled} image(s) have no label{(kind == DatasetKind.ObjectDetection ? " or box" : "")}; training ignores them until they are labeled."));
        }
        if (duplicates.Count > 0)
        {
            warnings.Add(new HealthWarning("duplicates", $"{duplicates.Count} group(s) of images have identical bytes."));
        }
        if (tinyCount > 0)
        {
            warnings.Add(new HealthWarning("tiny-boxes", $"{tinyCount} box(es) are narrower or lower than {TinyBoxSide:P0} of their image; detectors rarely learn objects that small."));
        }
        return new DatasetHealth(datasetId, kind, imageCount, unlabeled, boxCount, labels, splits, duplicates, areas, tinyCount, tinyList, warnings);
    }
}
