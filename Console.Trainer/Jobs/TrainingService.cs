using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using VisionConsole.Domain;
using VisionConsole.Domain.Auditing;
using VisionConsole.Domain.Metrics;
using VisionConsole.Domain.Models;
using VisionConsole.Domain.Storage;
using VisionConsole.Domain.Training;

namespace VisionConsole.Trainer.Jobs;

/// <summary>The <see cref="ITrainingService"/> over the database queue and the hosted trainer.</summary>
public sealed class TrainingService(
    IDbContextFactory<ConsoleDbContext> contextFactory,
    OperationStore operations,
    TrainingQueue queue,
    IOperationNotifier notifier,
    ConsoleOptions options,
    TimeProvider time) : ITrainingService
{
    /// <inheritdoc />
    public async Task<OperationSummary> StartTrainingAsync(TrainingRequest request, string user, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var plan = await TrainingPlan.BuildAsync(db, request, options.DataFolder, cancellationToken).ConfigureAwait(false);
        var normalized = request with { DisplayName = request.DisplayName.Trim(), ModelType = plan.Preset.Id };
        var now = time.GetUtcNow();
        var operation = new TrainingOperation(TrainingRequest.ClassificationKind, plan.DatasetId, JsonSerializer.Serialize(normalized, ClassifierFiles.Json), user, now);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        db.TrainingOperations.Add(operation);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        db.AuditEvents.Add(AuditEvent.Of(user, now, "operation", operation.Id, "created", null, normalized));
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        var summary = OperationStore.ToSummary(operation, null);
        notifier.Publish(new OperationUpdate(summary, now));
        queue.Signal();
        return summary;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<OperationSummary>> ListOperationsAsync(OperationQuery query, CancellationToken cancellationToken = default) =>
        operations.ListAsync(query, cancellationToken);

    /// <inheritdoc />
    public Task<OperationListPage> ListOperationsPageAsync(OperationQuery query, CancellationToken cancellationToken = default) =>
        operations.ListPageAsync(query, cancellationToken);

    /// <inheritdoc />
    public Task<OperationSummary> GetOperationAsync(long operationId, CancellationToken cancellationToken = default) =>
        operations.GetAsync(operationId, cancellationToken);

    /// <inheritdoc />
    public async Task<OperationSummary> CancelOperationAsync(long operationId, string user, CancellationToken cancellationToken = default)
    {
        var summary = await operations.UpdateAsync(operationId, o => o.RequestCancel(time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
        if (summary.State == OperationState.Cancelling)
        {
            // The job confirms Cancelled once it has stopped; a job in another process notices the row.
            queue.CancelRunning(operationId);
        }
        return summary;
    }
}

/// <summary>The <see cref="IModelService"/>: models in the database, files under <c>&lt;data&gt;/models</c>.</summary>
public sealed class ModelService(
    IDbContextFactory<ConsoleDbContext> contextFactory,
    ClassifierPredictor predictor,
    ConsoleOptions options,
    TimeProvider time) : IModelService
{
    /// <inheritdoc />
    public async Task<IReadOnlyList<ModelSummary>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var models = await db.Models.AsNoTracking().Include(m => m.Versions).OrderByDescending(m => m.Id).ToListAsync(cancellationToken).ConfigureAwait(false);
        return models.Where(m => m.Versions.Count > 0).Select(ToSummary).ToList();
    }

    /// <inheritdoc />
    public async Task<ModelListPage> ListPageAsync(ModelListQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var trained = db.Models.AsNoTracking().Where(m => m.Versions.Any());
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
        return new ModelListPage(models.Select(ToSummary).ToList(), total);
    }

    /// <inheritdoc />
    public async Task<ModelSummary> GetAsync(long modelId, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        return ToSummary(await LoadAsync(db, modelId, cancellationToken).ConfigureAwait(false));
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
            predictor.Evict(VersionFolder(version));
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
        var evaluation = await db.Evaluations.AsNoTracking().FirstOrDefaultAsync(e => e.ModelVersionId == version.Id, cancellationToken).ConfigureAwait(false)
            ?? throw new NotFoundException($"The evaluation of model {modelId} version {version.Number}");
        var report = JsonSerializer.Deserialize<EvaluationReport>(evaluation.MetricsJson, ClassifierFiles.Json)
            ?? throw new InvalidOperationException($"Evaluation {evaluation.Id} has no metrics.");
        var images = JsonSerializer.Deserialize<List<EvaluatedImage>>(evaluation.PerImageScoresJson, ClassifierFiles.Json) ?? [];
        return new ModelEvaluationView(model.Id, version.Id, evaluation.Id, model.Labels, report.Rule, report, images, evaluation.CreatedAt);
    }

    /// <inheritdoc />
    public async Task<ClassificationPrediction> PredictAsync(long modelId, ReadOnlyMemory<byte> imageBytes, int? versionNumber = null, CancellationToken cancellationToken = default)
    {
        ModelVersion version;
        await using (var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false))
        {
            var model = await LoadAsync(db, modelId, cancellationToken).ConfigureAwait(false);
            version = versionNumber is { } number
                ? model.Versions.FirstOrDefault(v => v.Number == number) ?? throw new NotFoundException($"Version {number} of model {modelId}")
                : Latest(model);
        }
        if (imageBytes.IsEmpty)
        {
            throw new DomainException("invalid-image", "The image is empty; send the bytes of a JPEG, PNG, GIF, BMP, ICO, WEBP or TIFF file.");
        }
        var start = Stopwatch.GetTimestamp();
        var scores = await predictor.PredictAsync(VersionFolder(version), imageBytes, cancellationToken).ConfigureAwait(false);
        return new ClassificationPrediction(modelId, version.Id, scores, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    }

    private string VersionFolder(ModelVersion version) =>
        Path.Combine(options.DataFolder, Path.GetDirectoryName(version.LabelsFile) ?? string.Empty);

    private static async Task<Model> LoadAsync(ConsoleDbContext db, long modelId, CancellationToken cancellationToken) =>
        await db.Models.Include(m => m.Versions).FirstOrDefaultAsync(m => m.Id == modelId, cancellationToken).ConfigureAwait(false)
        ?? throw new NotFoundException($"Model {modelId}");

    private static ModelVersion Latest(Model model) =>
        model.Versions.OrderByDescending(v => v.Number).FirstOrDefault()
        ?? throw new NotFoundException($"A trained version of model {model.Id}");

    private ModelSummary ToSummary(Model model)
    {
        var latest = Latest(model);
        return new ModelSummary(
            model.Id, model.DisplayName, model.DatasetId, model.Kind, model.Labels, latest.Id, latest.Number, latest.ModelType,
            latest.TrainingOperationId, ClassifierFiles.TryReadRecord(VersionFolder(latest)), model.CreatedAt, model.CreatedBy);
    }
}
