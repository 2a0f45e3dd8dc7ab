using Microsoft.EntityFrameworkCore;
using VisionConsole.Domain.Imaging;
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

/// <summary>One image of a <see cref="DuplicateGroup"/>.</summary>
/// <param name="ImageId">The image.</param>
/// <param name="FileName">Its file name.</param>
/// <param name="Sha256">Its bytes' hash (the thumbnail's address).</param>
/// <param name="Split">The split training puts it in (UNASSIGNED resolved).</param>
public sealed record DuplicateImage(long ImageId, string FileName, string Sha256, DataSplit Split);

/// <summary>
/// Images that show the same picture: their thumbnails' difference hashes differ in at most
/// <see cref="DatasetHealthService.MaxDuplicateDistance"/> bits (resized, re-encoded, lightly edited). Identical bytes
/// never appear twice in a dataset: intake merges them.
/// </summary>
public sealed record DuplicateGroup(IReadOnlyList<DuplicateImage> Images)
{
    /// <summary>The group's images sit in more than one split, so evaluation would score pictures training learned from.</summary>
    public bool CrossesSplits => Images.Select(i => i.Split).Distinct().Count() > 1;
}

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
    IReadOnlyList<HealthWarning> Warnings)
{
    /// <summary>Every near-duplicate group found; <see cref="Duplicates"/> lists the first <see cref="DatasetHealthService.MaxDuplicateGroupsListed"/>.</summary>
    public int DuplicateGroupCount { get; init; }
}

/// <summary>
/// Dataset statistics and health warnings, computed with SQL aggregates (GROUP BY, COUNT) so a 10,000-image dataset
/// costs a handful of indexed queries. One per-image pass reads the id, name, sha256, split and perceptual hash of
/// each image (a few dozen bytes each) to resolve automatic splits and group near-duplicates; images stored before
/// hashes were kept get theirs computed from their thumbnails once, here.
/// </summary>
public sealed class DatasetHealthService(IDbContextFactory<ConsoleDbContext> contextFactory, IImageStore store, IImageCodec codec)
{
    /// <summary>
    /// Most differing hash bits between two images that still count as the same picture. Measured on the hymenoptera
    /// photos: a photo and its resized, re-encoded copy differ in at most 4 bits, two different photos in at least 11.
    /// </summary>
    public const int MaxDuplicateDistance = 5;

    /// <summary>Most duplicate groups listed (all are counted in the warning).</summary>
    public const int MaxDuplicateGroupsListed = 100;

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
        var unlabeled = await images.CountAsync(i => !i.Labels.Any() && !i.Boxes.Any() && !i.NoObjects, cancellationToken).ConfigureAwait(false);

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

        await FillMissingHashesAsync(db, datasetId, cancellationToken).ConfigureAwait(false);
        var rows = await images.OrderBy(i => i.Id)
            .Select(i => new { i.Id, i.FileName, i.Sha256, i.Split, i.PerceptualHash })
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        var byId = rows.ToDictionary(r => r.Id, r => new DuplicateImage(r.Id, r.FileName, r.Sha256, SplitAssignment.Resolve(r.Split, r.Sha256)));
        var stored = rows.CountBy(r => r.Split).ToDictionary();
        var effective = byId.Values.CountBy(i => i.Split).ToDictionary();
        var splits = Enum.GetValues<DataSplit>().Select(s => new SplitCount(s, stored.GetValueOrDefault(s), effective.GetValueOrDefault(s))).ToList();

        var hashed = rows.Where(r => r.PerceptualHash is not null).Select(r => (r.Id, r.PerceptualHash!.Value)).ToList();
        var duplicates = NearDuplicates.Group(hashed, MaxDuplicateDistance)
            .Select(ids => new DuplicateGroup(ids.Select(id => byId[id]).ToList()))
            .ToList();

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
            var crossing = duplicates.Count(g => g.CrossesSplits);
            warnings.Add(new HealthWarning("duplicates",
                $"{duplicates.Count} group(s) of near-identical images ({duplicates.Sum(g => g.Images.Count)} images: the same picture resized, re-encoded or lightly edited)"
                + (crossing > 0
                    ? $"; {crossing} of them span more than one split, so evaluation scores pictures training learned from. Keep each group in one split or delete the copies."
                    : ". Copies add little; consider deleting them.")));
        }
        if (tinyCount > 0)
        {
            warnings.Add(new HealthWarning("tiny-boxes", $"{tinyCount} box(es) are narrower or lower than {TinyBoxSide:P0} of their image; detectors rarely learn objects that small."));
        }
        return new DatasetHealth(datasetId, kind, imageCount, unlabeled, boxCount, labels, splits,
            duplicates.OrderByDescending(g => g.CrossesSplits).ThenBy(g => g.Images[0].ImageId).Take(MaxDuplicateGroupsListed).ToList(),
            areas, tinyCount, tinyList, warnings)
        {
            DuplicateGroupCount = duplicates.Count,
        };
    }

    /// <summary>Computes, from the thumbnails, the hashes of images stored before hashes were kept (once per blob).</summary>
    private async Task FillMissingHashesAsync(ConsoleDbContext db, long datasetId, CancellationToken cancellationToken)
    {
        var missing = await db.Images.Where(i => i.DatasetId == datasetId && i.PerceptualHash == null)
            .Select(i => i.Sha256).Distinct().ToListAsync(cancellationToken).ConfigureAwait(false);
        foreach (var sha in missing)
        {
            long hash;
            try
            {
                await using var thumbnail = await store.OpenThumbnailAsync(sha, cancellationToken).ConfigureAwait(false);
                using var buffer = new MemoryStream();
                await thumbnail.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
                hash = PerceptualHash.Compute(codec, buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
            }
            catch (Exception e) when (e is NotFoundException or ImageRejectedException)
            {
                continue; // A missing or unreadable blob has no hash; the image is simply not compared.
            }
            await db.Images.Where(i => i.Sha256 == sha && i.PerceptualHash == null)
                .ExecuteUpdateAsync(set => set.SetProperty(i => i.PerceptualHash, hash), cancellationToken).ConfigureAwait(false);
        }
    }
}
