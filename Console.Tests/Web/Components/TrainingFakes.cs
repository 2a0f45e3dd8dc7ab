using Microsoft.Extensions.DependencyInjection;
using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Metrics;
using VisionConsole.Domain.Models;
using VisionConsole.Domain.Operations;
using VisionConsole.Domain.Training;

namespace VisionConsole.Tests.Web.Components;

/// <summary>Fixed operations, models and evaluations for page markup tests (the pages only read them).</summary>
internal sealed class FakeTrainingServices : ITrainingService, IOperationService, IModelService, IModelPublishing, IDetectionPredictionService, IModelFormats, VisionConsole.Domain.Hosting.IHostedModels
{
    private static readonly DateTimeOffset Created = new(2026, 11, 2, 9, 0, 0, TimeSpan.Zero);

    public List<OperationSummary> Operations { get; } = [];

    public List<ModelSummary> Models { get; } = [];

    public Dictionary<long, ModelEvaluationView> Evaluations { get; } = [];

    public void Register(IServiceCollection services)
    {
        services.AddSingleton<ITrainingService>(this);
        services.AddSingleton<IOperationService>(this);
        services.AddSingleton<IModelService>(this);
        services.AddSingleton<IModelPublishing>(this);
        services.AddSingleton<IDetectionPredictionService>(this);
        services.AddSingleton<IModelFormats>(this);
        services.AddSingleton<VisionConsole.Domain.Hosting.IHostedModels>(this);
        services.AddSingleton<IOperationNotifier, OperationNotifier>();
    }

    /// <summary>The formats of every version: each file present (3 MB) but the float32 TFLite model, made on request.</summary>
    public IReadOnlyList<ModelFormatFile> List(ModelVersionSummary version) =>
        [.. Enum.GetValues<ModelFormat>().Select(f => new ModelFormatFile(f, f == ModelFormat.TfliteFloat32 ? null : 3L * 1024 * 1024))];

    /// <summary>Files are not served in component tests.</summary>
    public Task<string> GetFileAsync(ModelVersionSummary version, ModelFormat format, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("Component tests serve no model files.");

    /// <summary>Hosted models the fake knows (none unless a test adds them).</summary>
    public List<VisionConsole.Domain.Hosting.HostedModelView> Hosted { get; } = [];

    public Task<VisionConsole.Domain.Hosting.HostedModelPage> ListAsync(string? filter, int pageSize = 100, string? pageToken = null, string? project = null, CancellationToken cancellationToken = default) =>
        Task.FromResult(new VisionConsole.Domain.Hosting.HostedModelPage([.. Hosted], null));

    public Task<VisionConsole.Domain.Hosting.HostedModelView> CreateAsync(string displayName, IReadOnlyList<string>? tags, long sourceModelId, bool published, string user, CancellationToken cancellationToken = default)
    {
        var version = new VisionConsole.Domain.Hosting.HostedVersionView(1, sourceModelId, 1, new string('a', 64), 3 * 1024 * 1024, Created);
        var hosted = new VisionConsole.Domain.Hosting.HostedModelView(Hosted.Count + 1, displayName, tags ?? [], published, 1, "1", Created, Created, [version]);
        Hosted.Add(hosted);
        return Task.FromResult(hosted);
    }

    public Task<VisionConsole.Domain.Hosting.HostedModelView> UpdateAsync(long id, VisionConsole.Domain.Hosting.HostedModelUpdate update, string? etag, string user, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("Not used by the component tests.");

    public Task<VisionConsole.Domain.Hosting.HostedModelView> RollBackAsync(long id, int number, string user, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("Not used by the component tests.");

    /// <summary>Six images, two labels, single-label; hand-computed figures in <c>ThresholdExplorerTests</c>.</summary>
    public static ModelEvaluationView SixImageEvaluation(long modelId = 7)
    {
        string[] labels = ["ants", "bees"];
        EvaluatedImage Image(long id, int truth, float ants, float bees) =>
            new(id, new string((char)('a' + id), 64), $"photo-{id}.jpg", [truth], [ants, bees]);
        EvaluatedImage[] images =
        [
            Image(1, 0, 0.9f, 0.1f),
            Image(2, 0, 0.6f, 0.4f),
            Image(3, 0, 0.3f, 0.7f),
            Image(4, 1, 0.2f, 0.8f),
            Image(5, 1, 0.45f, 0.55f),
            Image(6, 1, 0.65f, 0.35f),
        ];
        var report = new ClassificationEvaluation(labels, images.Select(i => new ScoredImage(i.ImageId, i.TrueLabels, i.Scores)).ToArray(), PredictionRule.TopOne).Report();
        return new ModelEvaluationView(modelId, 70, 700, labels, PredictionRule.TopOne, report, images, Created);
    }

    /// <summary>
    /// The hand-worked <see cref="Domain.Metrics.DetectionFixture"/> as the training stores it (its report, computed by the
    /// real <see cref="DetectionEvaluation"/>), for detector 9 of dataset 3; image 13 has since been deleted (no blob).
    /// </summary>
    public static DetectionEvaluationView DetectorEvaluation(long modelId = 9)
    {
        var images = Domain.Metrics.DetectionFixture.Images();
        var report = Domain.Metrics.DetectionFixture.Evaluation().Report();
        var evaluated = images.Select(i => i.ImageId == 13
            ? new DetectionEvaluatedImage(i.ImageId, null, null, i.GroundTruth, i.Predictions)
            : new DetectionEvaluatedImage(i.ImageId, new string((char)('a' + i.ImageId - 10), 64), $"raccoon-{i.ImageId}.jpg", i.GroundTruth, i.Predictions)).ToArray();
        return new DetectionEvaluationView(modelId, modelId * 10, 900, 3, Domain.Metrics.DetectionFixture.Labels, report, evaluated, Created);
    }

    public static ModelSummary Detector(long id = 9) =>
        new(id, "Raccoon detector", 3, DatasetKind.ObjectDetection, Domain.Metrics.DetectionFixture.Labels, id * 10, 1, "mobile-versatile-1", 3, null, Created, "tester");

    public static ModelSummary Model(long id, string name = "Ants and bees model") =>
        new(id, name, 1, DatasetKind.SingleLabel, ["ants", "bees"], id * 10, 1, "mobile-versatile-1", 3, null, Created, "tester");

    public static OperationSummary Operation(long id, OperationState state, TrainingProgress? progress, string? error = null, string? stopReason = null, long? modelId = null) =>
        new(id, TrainingRequest.ClassificationKind, state, 1, new TrainingRequest("Ants and bees model", 1, "mobile-versatile-1", BudgetMinutes: 5),
            progress, modelId is { } m ? new TrainingResult(m, m * 10) : null, error, stopReason, Created, Created.AddSeconds(1),
            state is OperationState.Succeeded or OperationState.Failed or OperationState.Cancelled ? Created.AddSeconds(43) : null, "tester");

    /// <summary>Every training request the pages sent.</summary>
    public List<TrainingRequest> Started { get; } = [];

    /// <summary>Set: StartTrainingAsync refuses with it (as the server does); null: it queues operation 99.</summary>
    public DomainException? StartRefusal { get; set; }

    public Task<OperationSummary> StartTrainingAsync(TrainingRequest request, string user, CancellationToken cancellationToken = default)
    {
        Started.Add(request);
        return StartRefusal is { } refusal ? throw refusal : Task.FromResult(Operation(99, OperationState.Queued, null));
    }

    Task<IReadOnlyList<OperationSummary>> IOperationService.ListAsync(OperationQuery query, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<OperationSummary>>(Operations.Where(o => query.Done is null || o.Done == query.Done).ToList());

    Task<OperationListPage> IOperationService.ListPageAsync(OperationQuery query, CancellationToken cancellationToken)
    {
        var matching = Operations.Where(o => query.Done is null || o.Done == query.Done).OrderByDescending(o => o.Id).ToList();
        return Task.FromResult(new OperationListPage(matching.Skip(query.Skip).Take(query.Take).ToList(), matching.Count));
    }

    Task<OperationSummary> IOperationService.GetAsync(long operationId, CancellationToken cancellationToken) =>
        Task.FromResult(Operations.SingleOrDefault(o => o.Id == operationId) ?? throw new NotFoundException($"Operation {operationId}"));

    /// <summary>Import reports by operation id, as <see cref="IOperationService.ReadImportReportAsync"/> answers them.</summary>
    public Dictionary<long, VisionConsole.Domain.Import.ImportReportPage> ImportReports { get; } = [];

    Task<VisionConsole.Domain.Import.ImportReportPage?> IOperationService.ReadImportReportAsync(long operationId, int take, CancellationToken cancellationToken) =>
        Task.FromResult(ImportReports.GetValueOrDefault(operationId));

    Task<OperationSummary> IOperationService.CancelAsync(long operationId, string user, CancellationToken cancellationToken) =>
        throw new DomainException("invalid-transition", "The fake does not cancel.");

    Task IOperationService.DeleteAsync(long operationId, string user, CancellationToken cancellationToken) =>
        throw new DomainException("invalid-transition", "The fake does not delete operations.");

    public Task<IReadOnlyList<ModelSummary>> ListAsync(string? project = null, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<ModelSummary>>([.. Models]);

    public Task<ModelSummary> GetAsync(long modelId, CancellationToken cancellationToken = default) =>
        Task.FromResult(Models.SingleOrDefault(m => m.Id == modelId) ?? throw new NotFoundException($"Model {modelId}"));

    public Task DeleteAsync(long modelId, string user, CancellationToken cancellationToken = default) =>
        throw new DomainException("invalid-request", "The fake does not delete.");

    public Task<ModelEvaluationView> GetEvaluationAsync(long modelId, long? modelVersionId = null, CancellationToken cancellationToken = default) =>
        Task.FromResult(Evaluations.TryGetValue(modelId, out var view) ? view : throw new NotFoundException($"The evaluation of model {modelId}"));

    /// <summary>Detector evaluations by model id, as <see cref="GetDetectionEvaluationAsync"/> answers them.</summary>
    public Dictionary<long, DetectionEvaluationView> DetectionEvaluations { get; } = [];

    public Task<DetectionEvaluationView> GetDetectionEvaluationAsync(long modelId, long? modelVersionId = null, CancellationToken cancellationToken = default) =>
        Task.FromResult(DetectionEvaluations.TryGetValue(modelId, out var view) ? view : throw new NotFoundException($"The evaluation of model {modelId}"));

    /// <summary>What <see cref="DetectAsync"/> answers per version number; absent throws.</summary>
    public Dictionary<int, IReadOnlyList<DetectedBox>> Detections { get; } = [];

    public Task<DetectionPrediction> DetectAsync(long modelId, ReadOnlyMemory<byte> imageBytes, int? versionNumber = null, CancellationToken cancellationToken = default)
    {
        PredictedVersions.Add(versionNumber);
        var number = versionNumber ?? Models.Single(m => m.Id == modelId).LatestVersionNumber;
        return Detections.TryGetValue(number, out var boxes)
            ? Task.FromResult(new DetectionPrediction(modelId, modelId * 10 + number, boxes, 15))
            : throw new DomainException("invalid-request", "The fake does not detect.");
    }

    /// <summary>What <see cref="PredictAsync"/> answers per version number; absent throws.</summary>
    public Dictionary<int, IReadOnlyList<LabelScore>> Predictions { get; } = [];

    /// <summary>The version numbers predictions were asked for, in order (null: the latest).</summary>
    public List<int?> PredictedVersions { get; } = [];

    public List<(long ModelId, int Number, IReadOnlyList<string> Tags, string? DisplayName)> Tagged { get; } = [];

    public Task<ModelListPage> ListPageAsync(ModelListQuery query, CancellationToken cancellationToken = default) =>
        Task.FromResult(new ModelListPage(Models.Skip(query.Skip).Take(query.Take).ToList(), Models.Count));

    public Task<ClassificationPrediction> PredictAsync(long modelId, ReadOnlyMemory<byte> imageBytes, int? versionNumber = null, CancellationToken cancellationToken = default)
    {
        PredictedVersions.Add(versionNumber);
        var number = versionNumber ?? Models.Single(m => m.Id == modelId).LatestVersionNumber;
        return Predictions.TryGetValue(number, out var scores)
            ? Task.FromResult(new ClassificationPrediction(modelId, modelId * 10 + number, scores, 12))
            : throw new DomainException("invalid-request", "The fake does not predict.");
    }

    /// <summary>Versions per model; a model without an entry has one untagged v1.</summary>
    public Dictionary<long, List<ModelVersionSummary>> Versions { get; } = [];

    public static ModelVersionSummary Version(long modelId, int number, params string[] tags) =>
        new(modelId * 10 + number - 1, modelId, number, "mobile-versatile-1", tags, 3, $"models/{modelId}/v{number}", Created);

    public Task<IReadOnlyList<ModelVersionSummary>> ListVersionsAsync(long modelId, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<ModelVersionSummary>>(Versions.TryGetValue(modelId, out var versions) ? [.. versions] : [Version(modelId, 1)]);

    public Task<ModelVersionSummary> GetVersionAsync(long modelId, int number, CancellationToken cancellationToken = default) =>
        throw new NotFoundException($"Version {number} of model {modelId}");

    public Task<ModelVersionSummary> TagVersionAsync(long modelId, int number, IReadOnlyList<string> tags, string? displayName, string user, CancellationToken cancellationToken = default)
    {
        Tagged.Add((modelId, number, tags, displayName));
        var versions = Versions.TryGetValue(modelId, out var list) ? list : Versions[modelId] = [Version(modelId, 1)];
        var index = versions.FindIndex(v => v.Number == number);
        versions[index] = versions[index] with { Tags = [.. versions[index].Tags.Union(tags)] };
        if (displayName is not null)
        {
            var model = Models.FindIndex(m => m.Id == modelId);
            Models[model] = Models[model] with { DisplayName = displayName };
        }
        return Task.FromResult(versions[index]);
    }

    public Task<ModelVersionSummary> RemoveTagAsync(long modelId, int number, string tag, string user, CancellationToken cancellationToken = default) =>
        throw new DomainException("invalid-request", "The fake does not tag.");

    public Task<PublishedVersion> FindLatestPublishedAsync(string modelName, CancellationToken cancellationToken = default) =>
        throw new NotFoundException($"A published version of a model named '{modelName}'");
}
