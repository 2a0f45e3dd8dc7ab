using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using VisionConsole.Domain;
using VisionConsole.Domain.Auditing;
using VisionConsole.Domain.Metrics;
using VisionConsole.Domain.Models;
using VisionConsole.Domain.Operations;
using VisionConsole.Trainer.Inference;
using VisionConsole.Domain.Storage;
using VisionConsole.Domain.Training;
using VisionConsole.Domain.Datasets;
using VisionConsole.Trainer.Detection;

namespace VisionConsole.Trainer.Jobs;

/// <summary>The <see cref="ITrainingService"/>: checks a request against the dataset and queues it through the one <see cref="OperationStore"/>.</summary>
public sealed class TrainingService(
    IDbContextFactory<ConsoleDbContext> contextFactory,
    OperationStore operations,
    ConsoleOptions options) : ITrainingService
{
    /// <inheritdoc />
    public async Task<OperationSummary> StartTrainingAsync(TrainingRequest request, string user, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        TrainingPlan plan;
        await using (var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false))
        {
            // One endpoint for both: an object detection dataset trains a detector (its own kind, train-detector).
            var kind = await db.Datasets.AsNoTracking().Where(d => d.Id == request.DatasetId).Select(d => (DatasetKind?)d.Kind)
                .FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
            if (kind == DatasetKind.ObjectDetection)
            {
                var detector = DetectorTrainingRequest.From(request);
                var detection = await DetectionPlan.BuildAsync(db, detector, options.DataFolder, cancellationToken).ConfigureAwait(false);
                var accepted = detector with { DisplayName = detector.DisplayName.Trim(), ModelType = detection.Preset.Id };
                return await operations.CreateAsync(accepted, detection.DatasetId, user, accepted, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            plan = await TrainingPlan.BuildAsync(db, request, options.DataFolder, cancellationToken).ConfigureAwait(false);
        }
        var normalized = request with { DisplayName = request.DisplayName.Trim(), ModelType = plan.Preset.Id };
        return await operations.CreateAsync(normalized, plan.DatasetId, user, normalized, cancellationToken: cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>
/// The <see cref="IModelService"/>: models and how each version was trained in the database, files under
/// <c>&lt;data&gt;/models</c>; prediction runs the version's exported <c>model.onnx</c> (<see cref="ClassifierInference"/>).
/// </summary>
public sealed partial class ModelService(
    IDbContextFactory<ConsoleDbContext> contextFactory,
    ClassifierInference inference,
    ConsoleOptions options,
    TimeProvider time,
    ILogger<ModelService> logger) : IModelService
{
    /// <inheritdoc />
    public async Task<IReadOnlyList<ModelSummary>> ListAsync(string? project = null, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var models = await InProject(db, project).Include(m => m.Versions).OrderByDescending(m => m.Id).ToListAsync(cancellationToken).ConfigureAwait(false);
        await RecordLegacyTrainingAsync(db, models.SelectMany(m => m.Versions), cancellationToken).ConfigureAwait(false);
        return models.Where(m => m.Versions.Count > 0).Select(ToSummary).ToList();
    }

    /// <inheritdoc />
    public async Task<ModelListPage> ListPageAsync(ModelListQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var trained = InProject(db, query.Project).Where(m => m.Versions.Any());
        var total = await trained.CountAsync(cancellationToken).ConfigureAwait(false);
        var ordered = (query.SortBy, query.Descending) switch
        {
            (ModelSortField.Name, false) => trained.OrderBy(m => m.DisplayName).ThenBy(m => m.Id),
            (ModelSortField.Name, true) => trained.OrderByDescending(m => m.DisplayName).ThenByDescending(m => m.Id),
            // Ids grow with creation time (no DateTimeOffset ordering in SQLite).
            (_, false) => trained.OrderBy(m => m.Id),
            _ => trained.OrderByDescending(m => m.Id),
        };
        var models = await ordered.Skip(Math.Max(0, query.Skip)).Take(Math.Clamp(query.Take, 1, 1000)).Include(m => m.Versions)
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        await RecordLegacyTrainingAsync(db, models.SelectMany(m => m.Versions), cancellationToken).ConfigureAwait(false);
        return new ModelListPage(models.Select(ToSummary).ToList(), total);
    }

    private static IQueryable<Model> InProject(ConsoleDbContext db, string? project) =>
        project is null ? db.Models : db.Models.Where(m => db.Projects.Any(p => p.Id == m.ProjectId && p.Name == project));

    /// <inheritdoc />
    public async Task<ModelSummary> GetAsync(long modelId, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var model = await LoadAsync(db, modelId, cancellationToken).ConfigureAwait(false);
        await RecordLegacyTrainingAsync(db, model.Versions, cancellationToken).ConfigureAwait(false);
        return ToSummary(model);
    }

    /// <inheritdoc />
    public async Task DeleteAsync(long modelId, string user, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var model = await LoadAsync(db, modelId, cancellationToken).ConfigureAwait(false);
        var before = ToSummary(model);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        db.Models.Remove(model);
        db.AuditEvents.Add(AuditEvent.Of(user, time.GetUtcNow(), "model", modelId, "deleted", before, null));
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        foreach (var version in model.Versions)
        {
            inference.Forget(ModelPath(version));
        }
        var folder = Path.Combine(options.DataFolder, "models", modelId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <inheritdoc />
    public async Task<ModelEvaluationView> GetEvaluationAsync(long modelId, long? modelVersionId = null, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var model = await LoadAsync(db, modelId, cancellationToken).ConfigureAwait(false);
        var version = modelVersionId is { } id
            ? model.Versions.FirstOrDefault(v => v.Id == id) ?? throw new NotFoundException($"Version {id} of model {modelId}")
            : Latest(model);
        if (model.Kind == DatasetKind.ObjectDetection)
        {
            // A detector's Evaluation row holds a DetectionEvaluationReport, not a classification report.
            throw new DomainException("model-kind", $"Model {modelId} is an object detector; its evaluation (mAP, per-label AP, PR curves) is a detection report (GetDetectionEvaluationAsync), not a classification one.");
        }
        var evaluation = await db.Evaluations.AsNoTracking().FirstOrDefaultAsync(e => e.ModelVersionId == version.Id, cancellationToken).ConfigureAwait(false)
            ?? throw new NotFoundException($"The evaluation of model {modelId} version {version.Number}");
        var report = JsonSerializer.Deserialize<EvaluationReport>(evaluation.MetricsJson, ClassifierFiles.Json)
            ?? throw new InvalidOperationException($"Evaluation {evaluation.Id} has no metrics.");
        var images = JsonSerializer.Deserialize<List<EvaluatedImage>>(evaluation.PerImageScoresJson, ClassifierFiles.Json) ?? [];
        return new ModelEvaluationView(model.Id, version.Id, evaluation.Id, model.Labels, report.Rule, report, images, evaluation.CreatedAt);
    }

    /// <inheritdoc />
    public async Task<DetectionEvaluationView> GetDetectionEvaluationAsync(long modelId, long? modelVersionId = null, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var model = await LoadAsync(db, modelId, cancellationToken).ConfigureAwait(false);
        var version = modelVersionId is { } id
            ? model.Versions.FirstOrDefault(v => v.Id == id) ?? throw new NotFoundException($"Version {id} of model {modelId}")
            : Latest(model);
        if (model.Kind != DatasetKind.ObjectDetection)
        {
            throw new DomainException("model-kind", $"Model {modelId} is a classification model; its evaluation is a classification report (GetEvaluationAsync), not a detection one.");
        }
        var evaluation = await db.Evaluations.AsNoTracking().FirstOrDefaultAsync(e => e.ModelVersionId == version.Id, cancellationToken).ConfigureAwait(false)
            ?? throw new NotFoundException($"The evaluation of model {modelId} version {version.Number}");
        DetectionEvaluationReport report;
        List<DetectionImage> images;
        try
        {
            report = JsonSerializer.Deserialize<DetectionEvaluationReport>(evaluation.MetricsJson, ClassifierFiles.Json)
                ?? throw new InvalidOperationException($"Evaluation {evaluation.Id} has no metrics.");
            images = JsonSerializer.Deserialize<List<DetectionImage>>(evaluation.PerImageScoresJson, ClassifierFiles.Json) ?? [];
        }
        catch (JsonException ex)
        {
            // Corrupt stored data is a server fault naming the row, never an empty evaluation.
            throw new InvalidOperationException($"Evaluation {evaluation.Id} of model {modelId} is not a detection evaluation: {ex.Message}", ex);
        }
        // The stored boxes name images by id; the thumbnails need their blobs (an image deleted since shows without one).
        var ids = images.Select(i => i.ImageId).ToList();
        var files = await db.Images.AsNoTracking().Where(i => ids.Contains(i.Id)).Select(i => new { i.Id, i.Sha256, i.FileName })
            .ToDictionaryAsync(i => i.Id, cancellationToken).ConfigureAwait(false);
        var evaluated = images.Select(i => new DetectionEvaluatedImage(
            i.ImageId, files.GetValueOrDefault(i.ImageId)?.Sha256, files.GetValueOrDefault(i.ImageId)?.FileName, i.GroundTruth, i.Predictions)).ToList();
        return new DetectionEvaluationView(model.Id, version.Id, evaluation.Id, model.DatasetId, model.Labels, report, evaluated, evaluation.CreatedAt);
    }

    /// <inheritdoc />
    public async Task<ClassificationPrediction> PredictAsync(long modelId, ReadOnlyMemory<byte> imageBytes, int? versionNumber = null, CancellationToken cancellationToken = default)
    {
        Model model;
        ModelVersion version;
        await using (var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false))
        {
            model = await LoadAsync(db, modelId, cancellationToken).ConfigureAwait(false);
            await RecordLegacyTrainingAsync(db, model.Versions, cancellationToken).ConfigureAwait(false);
            version = versionNumber is { } number
                ? model.Versions.FirstOrDefault(v => v.Number == number) ?? throw new NotFoundException($"Version {number} of model {modelId}")
                : Latest(model);
        }
        if (model.Kind == DatasetKind.ObjectDetection)
        {
            throw new DomainException("model-kind", $"Model {modelId} is an object detector; it answers boxes through POST .../models/{modelId}:predict (DetectionPredictor), not label scores.");
        }
        if (imageBytes.IsEmpty)
        {
            throw new DomainException("invalid-image", "The image is empty; send the bytes of a JPEG, PNG, GIF, BMP, ICO, WEBP or TIFF file.");
        }
        var record = version.ReadTraining()
            ?? throw new InvalidOperationException($"Model {modelId} version {version.Number} has no training record, so its input framing is unknown.");
        var modelPath = ModelPath(version);
        if (!File.Exists(modelPath) || !modelPath.EndsWith(".onnx", StringComparison.Ordinal))
        {
            throw new DomainException("model-unavailable", $"Model {modelId} version {version.Number} has no exported model.onnx to predict with.");
        }
        var start = Stopwatch.GetTimestamp();
        // ONNX Runtime work is synchronous; it runs off the request thread.
        var scores = await Task.Run(() => inference.Predict(modelPath, record, model.Labels, imageBytes.Span, cancellationToken), cancellationToken).ConfigureAwait(false);
        return new ClassificationPrediction(modelId, version.Id, scores, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    }

    /// <summary>
    /// Versions trained before the database kept their record have it only in their folder's <c>training.json</c>:
    /// read it once and keep it in the row, so no list reads a file per model again.
    /// </summary>
    private async Task RecordLegacyTrainingAsync(ConsoleDbContext db, IEnumerable<ModelVersion> versions, CancellationToken cancellationToken)
    {
        var changed = false;
        foreach (var version in versions.Where(v => v.TrainingRecordJson is null))
        {
            if (ClassifierFiles.ReadLegacyRecord(VersionFolder(version)) is { } record)
            {
                version.RecordTraining(record);
                changed = true;
                LogRecordMoved(version.Id);
            }
        }
        if (changed)
        {
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private string VersionFolder(ModelVersion version) =>
        Path.Combine(options.DataFolder, Path.GetDirectoryName(version.LabelsFile) ?? string.Empty);

    private string ModelPath(ModelVersion version) => Path.Combine(options.DataFolder, version.ModelFile);

    private static async Task<Model> LoadAsync(ConsoleDbContext db, long modelId, CancellationToken cancellationToken) =>
        await db.Models.Include(m => m.Versions).FirstOrDefaultAsync(m => m.Id == modelId, cancellationToken).ConfigureAwait(false)
        ?? throw new NotFoundException($"Model {modelId}");

    private static ModelVersion Latest(Model model) =>
        model.Versions.OrderByDescending(v => v.Number).FirstOrDefault()
        ?? throw new NotFoundException($"A trained version of model {model.Id}");

    private static ModelSummary ToSummary(Model model)
    {
        var latest = Latest(model);
        return new ModelSummary(
            model.Id, model.DisplayName, model.DatasetId, model.Kind, model.Labels, latest.Id, latest.Number, latest.ModelType,
            latest.TrainingOperationId, latest.ReadTraining(), model.CreatedAt, model.CreatedBy);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Model version {VersionId}: its training.json record is now kept in the database")]
    private partial void LogRecordMoved(long versionId);
}
