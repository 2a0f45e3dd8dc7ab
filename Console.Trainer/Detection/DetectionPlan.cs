using Microsoft.EntityFrameworkCore;
using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Metrics;
using VisionConsole.Domain.Models;
using VisionConsole.Domain.Storage;
using VisionConsole.Domain.Training;

namespace VisionConsole.Trainer.Detection;

/// <summary>
/// A detector model type: the CenterNet backbone, its input side (the graph's upsampling sizes are fixed, so the input is
/// fixed too) and the head training settings.
/// </summary>
/// <param name="Id">The AutoML model type, e.g. <c>mobile-versatile-1</c>.</param>
/// <param name="BackboneId">The zoo backbone whose stride-4 head input the heads read.</param>
/// <param name="InputSide">The square input the image is stretched to (no letterbox: boxes normalized to the input are normalized to the image).</param>
/// <param name="MaxEpochs">Epoch limit of head training.</param>
/// <param name="LearningRate">Adam's step size.</param>
/// <param name="Views">The training views: <c>orig</c> and its mirror <c>flip</c> (boxes mirrored).</param>
/// <param name="TestTimeFlip">Whether the exported model also runs the mirror image and averages the two (twice the backbone work).</param>
public sealed record DetectorPreset(string Id, string BackboneId, int InputSide, int MaxEpochs, double LearningRate, IReadOnlyList<string> Views, bool TestTimeFlip = false);

/// <summary>The detector presets. Only the 512 input exists: the converted CenterNet graph resizes to fixed sizes inside, so other sides would need graph surgery.</summary>
public static class DetectorPresets
{
    /// <summary>The CenterNet MobileNetV3 COCO backbone.</summary>
    public const string CenterNetBackbone = "centernet-mobilenetv3-coco";

    /// <summary>
    /// Every detector preset. The three AutoML model types share the one 512 input for now and differ in the epoch limit;
    /// high-accuracy also predicts with test-time flip (raccoon: mAP@0.5 0.862 -> 0.888, mAP@0.75 0.44 -> 0.54, at twice
    /// the backbone work).
    /// </summary>
    public static IReadOnlyList<DetectorPreset> All { get; } =
    [
        new("mobile-low-latency-1", CenterNetBackbone, 512, 15, 5e-3, ["orig", "flip"]),
        new("mobile-versatile-1", CenterNetBackbone, 512, 30, 5e-3, ["orig", "flip"]),
        new("mobile-high-accuracy-1", CenterNetBackbone, 512, 60, 5e-3, ["orig", "flip"], TestTimeFlip: true),
    ];
}

/// <summary>One boxed image as detector training uses it.</summary>
/// <param name="Id">The image id.</param>
/// <param name="Sha256">Its blob.</param>
/// <param name="FileName">Its file name (for messages).</param>
/// <param name="Split">Its effective split.</param>
/// <param name="Boxes">Its boxes, labels as indices into the plan's labels, rectangles normalized to the image.</param>
public sealed record PlannedDetectionImage(long Id, string Sha256, string FileName, DataSplit Split, IReadOnlyList<GroundTruthBox> Boxes);

/// <summary>
/// Everything a detector training needs before it runs, checked the same way when the request is accepted and when the job
/// starts: the label order, the preset, the boxed images of each split, the base model.
/// </summary>
public sealed record DetectionPlan(
    long DatasetId,
    long ProjectId,
    IReadOnlyList<string> Labels,
    DetectorPreset Preset,
    IReadOnlyList<PlannedDetectionImage> Train,
    IReadOnlyList<PlannedDetectionImage> Validation,
    IReadOnlyList<PlannedDetectionImage> Test,
    int SkippedImages,
    long? BaseModelId,
    string? BaseVersionFolder)
{
    /// <summary>
    /// Reads and checks the dataset and request. Throws <see cref="NotFoundException"/> for a missing dataset or base model and
    /// <see cref="DomainException"/>: <c>invalid-training</c> (a bad name, budget, model type or kind), <c>datasetEmpty</c>
    /// (no boxed TRAIN image, or nothing to evaluate on), <c>label-set-mismatch</c>.
    /// </summary>
    public static async Task<DetectionPlan> BuildAsync(ConsoleDbContext db, DetectorTrainingRequest request, string dataFolder, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(request);
        var name = request.DisplayName?.Trim() ?? string.Empty;
        if (name.Length is 0 or > 128)
        {
            throw Invalid(name.Length == 0 ? "Give the model a name (displayName is empty)." : $"A model name has at most 128 characters (displayName has {name.Length}).");
        }
        if (request.TrainBudgetMilliNodeHours is <= 0)
        {
            throw Invalid($"The time budget must be more than 0 (trainBudgetMilliNodeHours was {request.TrainBudgetMilliNodeHours}).");
        }
        if (request.BudgetMinutes is { } minutes && !(minutes > 0 && double.IsFinite(minutes)))
        {
            throw Invalid(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"The time budget must be more than 0 minutes (budgetMinutes was {minutes})."));
        }
        var dataset = await db.Datasets.AsNoTracking().Include(d => d.Labels)
            .FirstOrDefaultAsync(d => d.Id == request.DatasetId, cancellationToken).ConfigureAwait(false)
            ?? throw new NotFoundException($"Dataset {request.DatasetId}");
        if (dataset.Kind != DatasetKind.ObjectDetection)
        {
            throw Invalid($"Dataset {dataset.Id} ('{dataset.DisplayName}') is a {dataset.Kind} dataset; a detector needs an object detection dataset.");
        }

        IReadOnlyList<string> labels;
        string? baseFolder = null;
        string? baseType = null;
        if (request.BaseModelId is { } baseId)
        {
            var baseModel = await db.Models.AsNoTracking().Include(m => m.Versions)
                .FirstOrDefaultAsync(m => m.Id == baseId, cancellationToken).ConfigureAwait(false)
                ?? throw new NotFoundException($"Base model {baseId}");
            var latest = baseModel.Versions.OrderByDescending(v => v.Number).FirstOrDefault()
                ?? throw Invalid($"Base model {baseId} ('{baseModel.DisplayName}') has no trained version to resume from.");
            if (baseModel.Kind != DatasetKind.ObjectDetection)
            {
                throw Invalid($"Base model {baseId} is {baseModel.Kind}; a detector resumes only from a detector.");
            }
            var datasetLabels = dataset.Labels.Select(l => l.Name).ToArray();
            if (!TrainingLabels.SameSet(baseModel.Labels, datasetLabels))
            {
                throw new DomainException("label-set-mismatch",
                    $"Base model {baseId} ('{baseModel.DisplayName}') was trained on labels [{string.Join(", ", baseModel.Labels)}] but dataset {dataset.Id} ('{dataset.DisplayName}') has [{string.Join(", ", datasetLabels.Order(StringComparer.Ordinal))}]; resuming needs the same label set.");
            }
            labels = baseModel.Labels;
            baseType = latest.ModelType;
            baseFolder = Path.Combine(dataFolder, Path.GetDirectoryName(latest.LabelsFile) ?? string.Empty);
        }
        else
        {
            labels = dataset.Labels.Select(l => l.Name).Order(StringComparer.OrdinalIgnoreCase).ThenBy(n => n, StringComparer.Ordinal).ToArray();
        }
        var modelType = request.ModelType ?? baseType ?? TrainingRequest.DefaultModelType;
        var preset = DetectorPresets.All.FirstOrDefault(p => p.Id == modelType)
            ?? throw Invalid($"modelType '{modelType}' is not one of {string.Join(", ", DetectorPresets.All.Select(p => p.Id))}.");
        if (labels.Count == 0)
        {
            throw new DomainException("datasetEmpty", $"Dataset {dataset.Id} ('{dataset.DisplayName}') has no labels; add labels and draw boxes before training.");
        }

        var indexByLabelId = dataset.Labels.ToDictionary(
            l => l.Id,
            l => Enumerable.Range(0, labels.Count).FirstOrDefault(i => LabelName.Normalize(labels[i]) == l.NormalizedName, -1));
        var rows = await db.Images.AsNoTracking().Where(i => i.DatasetId == dataset.Id).OrderBy(i => i.Id)
            .Select(i => new { i.Id, i.Sha256, i.FileName, i.Split, Boxes = i.Boxes.Select(b => new { b.LabelId, b.Left, b.Top, b.Width, b.Height }).ToList() })
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        var train = new List<PlannedDetectionImage>();
        var validation = new List<PlannedDetectionImage>();
        var test = new List<PlannedDetectionImage>();
        var skipped = 0;
        foreach (var row in rows)
        {
            var boxes = row.Boxes
                .Select(b => (Index: indexByLabelId.GetValueOrDefault(b.LabelId, -1), Rect: new BoxRect(b.Left, b.Top, b.Width, b.Height)))
                .Where(b => b.Index >= 0 && b.Rect.Width > 0 && b.Rect.Height > 0)
                .Select(b => new GroundTruthBox(b.Index, b.Rect))
                .ToArray();
            // An image without boxes may simply not be labeled yet: it teaches nothing certain, so it is left out.
            if (boxes.Length == 0)
            {
                skipped++;
                continue;
            }
            var split = SplitAssignment.Resolve(row.Split, row.Sha256);
            (split switch { DataSplit.Train => train, DataSplit.Validation => validation, _ => test }).Add(new PlannedDetectionImage(row.Id, row.Sha256, row.FileName, split, boxes));
        }
        if (train.Count == 0)
        {
            throw new DomainException("datasetEmpty", $"Dataset {dataset.Id} ('{dataset.DisplayName}') has no TRAIN images with boxes; draw boxes (or assign boxed images to TRAIN) before training.");
        }
        var missing = Enumerable.Range(0, labels.Count).Where(c => !train.Any(i => i.Boxes.Any(b => b.Label == c))).Select(c => labels[c]).ToArray();
        if (missing.Length > 0)
        {
            throw new DomainException("datasetEmpty", $"Dataset {dataset.Id} ('{dataset.DisplayName}') has no TRAIN boxes labeled {string.Join(", ", missing.Select(m => $"'{m}'"))}; draw some before training.");
        }
        if (validation.Count == 0 && test.Count == 0)
        {
            throw new DomainException("datasetEmpty", $"Dataset {dataset.Id} ('{dataset.DisplayName}') has no boxed VALIDATION or TEST images to evaluate on; assign some, or leave images UNASSIGNED so 10% go to each.");
        }
        return new DetectionPlan(dataset.Id, dataset.ProjectId, labels, preset, train, validation, test, skipped, request.BaseModelId, baseFolder);
    }

    private static DomainException Invalid(string message) => new("invalid-training", message);
}
