using Microsoft.EntityFrameworkCore;
using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Models;
using VisionConsole.Domain.Storage;
using VisionConsole.Domain.Training;
using VisionConsole.Trainer.Training;

namespace VisionConsole.Trainer.Jobs;

/// <summary>One labeled image as training uses it.</summary>
/// <param name="Id">The image id.</param>
/// <param name="Sha256">Its blob.</param>
/// <param name="FileName">Its file name (for messages).</param>
/// <param name="Split">Its effective split (UNASSIGNED resolved 80/10/10 by hash).</param>
/// <param name="Labels">Indices into the plan's labels.</param>
public sealed record PlannedImage(long Id, string Sha256, string FileName, DataSplit Split, int[] Labels);

/// <summary>
/// Everything a classification training needs to know before it runs, checked: the label order, the preset,
/// the images of each split, the base model. Built the same way when a request is accepted and when the job
/// starts, so a request that would fail is refused at once with the same message.
/// </summary>
public sealed record TrainingPlan(
    long DatasetId,
    long ProjectId,
    DatasetKind Kind,
    IReadOnlyList<string> Labels,
    ModelTypePreset Preset,
    IReadOnlyList<PlannedImage> Train,
    IReadOnlyList<PlannedImage> Validation,
    IReadOnlyList<PlannedImage> Test,
    int SkippedImages,
    long? BaseModelId,
    string? BaseVersionFolder)
{
    /// <summary>Multi-label datasets train sigmoid heads; single-label ones softmax heads.</summary>
    public bool MultiLabel => Kind == DatasetKind.MultiLabel;

    /// <summary>
    /// Reads and checks the dataset and request. Throws <see cref="NotFoundException"/> for a missing dataset or
    /// base model and <see cref="DomainException"/> (code <c>invalid-training</c> or <c>label-set-mismatch</c>)
    /// with a message naming what is wrong.
    /// </summary>
    public static async Task<TrainingPlan> BuildAsync(ConsoleDbContext db, TrainingRequest request, string dataFolder, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(request);
        var name = request.DisplayName?.Trim() ?? string.Empty;
        if (name.Length is 0 or > 128)
        {
            throw Invalid(name.Length == 0
                ? "Give the model a name (displayName is empty)."
                : $"A model name has at most 128 characters (displayName has {name.Length}).");
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
        if (dataset.Kind == DatasetKind.ObjectDetection)
        {
            throw Invalid($"Dataset {dataset.Id} ('{dataset.DisplayName}') is an object detection dataset; image classification needs a single-label or multi-label dataset.");
        }

        ModelTypePreset? basePreset = null;
        string? baseFolder = null;
        IReadOnlyList<string> labels;
        if (request.BaseModelId is { } baseId)
        {
            var baseModel = await db.Models.AsNoTracking().Include(m => m.Versions)
                .FirstOrDefaultAsync(m => m.Id == baseId, cancellationToken).ConfigureAwait(false)
                ?? throw new NotFoundException($"Base model {baseId}");
            var latest = baseModel.Versions.OrderByDescending(v => v.Number).FirstOrDefault()
                ?? throw Invalid($"Base model {baseId} ('{baseModel.DisplayName}') has no trained version to resume from.");
            var datasetLabels = dataset.Labels.Select(l => l.Name).ToArray();
            if (!TrainingLabels.SameSet(baseModel.Labels, datasetLabels))
            {
                throw new DomainException(
                    "label-set-mismatch",
                    $"Base model {baseId} ('{baseModel.DisplayName}') was trained on labels [{string.Join(", ", baseModel.Labels)}] but dataset {dataset.Id} ('{dataset.DisplayName}') has [{string.Join(", ", datasetLabels.Order(StringComparer.Ordinal))}]; resuming needs the same label set.");
            }
            if (baseModel.Kind != dataset.Kind)
            {
                throw Invalid($"Base model {baseId} is {baseModel.Kind} but dataset {dataset.Id} is {dataset.Kind}; resuming needs the same kind.");
            }
            basePreset = ModelTypePresets.All.FirstOrDefault(p => p.Id == latest.ModelType);
            baseFolder = Path.Combine(dataFolder, Path.GetDirectoryName(latest.LabelsFile) ?? string.Empty);
            // Output order stays the base model's, so its head's rows keep their meaning.
            labels = baseModel.Labels;
        }
        else
        {
            labels = dataset.Labels.Select(l => l.Name).Order(StringComparer.OrdinalIgnoreCase).ThenBy(n => n, StringComparer.Ordinal).ToArray();
        }

        var modelType = request.ModelType ?? basePreset?.Id ?? TrainingRequest.DefaultModelType;
        var preset = ModelTypePresets.All.FirstOrDefault(p => p.Id == modelType)
            ?? throw Invalid($"modelType '{modelType}' is not one of {string.Join(", ", ModelTypePresets.All.Select(p => p.Id))}.");
        if (basePreset is not null && (basePreset.Head != preset.Head || basePreset.BackboneId != preset.BackboneId || basePreset.HiddenUnits != preset.HiddenUnits))
        {
            throw Invalid($"Base model {request.BaseModelId} is a {basePreset.Id} model; its head cannot warm-start a {preset.Id} model (leave modelType empty or use {basePreset.Id}).");
        }

        var multiLabel = dataset.Kind == DatasetKind.MultiLabel;
        if (!multiLabel && labels.Count < 2)
        {
            throw Invalid($"Dataset {dataset.Id} ('{dataset.DisplayName}') has {labels.Count} label(s); single-label classification needs at least 2.");
        }
        if (labels.Count == 0)
        {
            throw Invalid($"Dataset {dataset.Id} ('{dataset.DisplayName}') has no labels.");
        }

        var indexByLabelId = new Dictionary<long, int>();
        foreach (var label in dataset.Labels)
        {
            var index = -1;
            for (var i = 0; i < labels.Count; i++)
            {
                if (LabelName.Normalize(labels[i]) == label.NormalizedName)
                {
                    index = i;
                }
            }
            indexByLabelId[label.Id] = index;
        }

        var rows = await db.Images.AsNoTracking().Where(i => i.DatasetId == dataset.Id)
            .OrderBy(i => i.Id)
            .Select(i => new { i.Id, i.Sha256, i.FileName, i.Split, LabelIds = i.Labels.Select(l => l.LabelId).ToList() })
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        var train = new List<PlannedImage>();
        var validation = new List<PlannedImage>();
        var test = new List<PlannedImage>();
        var skipped = 0;
        foreach (var row in rows)
        {
            var indices = row.LabelIds.Select(id => indexByLabelId.GetValueOrDefault(id, -1)).Where(i => i >= 0).Distinct().Order().ToArray();
            // Unlabeled images are not examples of anything yet; a single-label image with several labels is ambiguous.
            if (indices.Length == 0 || (!multiLabel && indices.Length != 1))
            {
                skipped++;
                continue;
            }
            var split = SplitAssignment.Resolve(row.Split, row.Sha256);
            var image = new PlannedImage(row.Id, row.Sha256, row.FileName, split, indices);
            (split switch { DataSplit.Train => train, DataSplit.Validation => validation, _ => test }).Add(image);
        }

        var missing = Enumerable.Range(0, labels.Count).Where(c => !train.Any(i => i.Labels.Contains(c))).Select(c => labels[c]).ToArray();
        if (missing.Length > 0)
        {
            throw Invalid($"Dataset {dataset.Id} ('{dataset.DisplayName}') has no TRAIN images labeled {string.Join(", ", missing.Select(m => $"'{m}'"))}; label some images (or assign them to TRAIN) before training.");
        }
        if (validation.Count == 0 && test.Count == 0)
        {
            throw Invalid($"Dataset {dataset.Id} ('{dataset.DisplayName}') has no labeled VALIDATION or TEST images to evaluate on; assign some, or leave images UNASSIGNED so 10% go to each.");
        }

        return new TrainingPlan(dataset.Id, dataset.ProjectId, dataset.Kind, labels, preset, train, validation, test, skipped, request.BaseModelId, baseFolder);
    }

    private static DomainException Invalid(string message) => new("invalid-training", message);
}
