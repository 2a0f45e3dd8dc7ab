using System.Text.Json.Serialization;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Operations;

namespace VisionConsole.Domain.Training;

/// <summary>
/// A request to train an image classifier (the console form and AutoML's <c>models.create</c>).
/// </summary>
/// <param name="DisplayName">Name of the model to create (1-128 characters).</param>
/// <param name="DatasetId">The labeled dataset to train on (single-label or multi-label).</param>
/// <param name="ModelType"><c>mobile-low-latency-1</c>, <c>mobile-versatile-1</c> (default) or <c>mobile-high-accuracy-1</c>.</param>
/// <param name="TrainBudgetMilliNodeHours">
/// AutoML's budget, read as wall-clock time on this machine: 1 milli node hour = 3.6 s (1000 = one hour),
/// capped by <c>Trainer:MaxBudget</c>. Ignored when <paramref name="BudgetMinutes"/> is set.
/// </param>
/// <param name="BudgetMinutes">The same budget in minutes (the console's friendly field); wins over the node hours.</param>
/// <param name="BaseModelId">A model to resume from: its label set must equal the dataset's; its head warm-starts the new one.</param>
public sealed record TrainingRequest(
    string DisplayName,
    long DatasetId,
    string? ModelType = null,
    long? TrainBudgetMilliNodeHours = null,
    double? BudgetMinutes = null,
    long? BaseModelId = null) : OperationRequest
{
    /// <summary>The model type used when none is given.</summary>
    public const string DefaultModelType = "mobile-versatile-1";

    /// <summary>The operation kind of a classification training.</summary>
    public const string ClassificationKind = "train-classifier";

    /// <summary>Wall-clock seconds one milli node hour buys (1000 milli node hours = one node hour = 3600 s).</summary>
    public const double SecondsPerMilliNodeHour = 3.6;

    /// <summary>The wall-clock budget this request asks for, before the server's cap; null when it sets none.</summary>
    public TimeSpan? RequestedBudget =>
        BudgetMinutes is { } minutes ? TimeSpan.FromMinutes(minutes)
        : TrainBudgetMilliNodeHours is { } mnh ? TimeSpan.FromSeconds(mnh * SecondsPerMilliNodeHour)
        : null;
}

/// <summary>
/// A request to train an object detector: the same fields as <see cref="TrainingRequest"/> (AutoML's <c>models.create</c>
/// starts one when the dataset is an object detection dataset), its own operation kind <c>train-detector</c>.
/// </summary>
/// <param name="DisplayName">Name of the model to create (1-128 characters).</param>
/// <param name="DatasetId">The object detection dataset to train on.</param>
/// <param name="ModelType">A detector preset (<c>mobile-versatile-1</c>, the default); see the trainer's detector presets.</param>
/// <param name="TrainBudgetMilliNodeHours">As <see cref="TrainingRequest.TrainBudgetMilliNodeHours"/>.</param>
/// <param name="BudgetMinutes">As <see cref="TrainingRequest.BudgetMinutes"/>.</param>
/// <param name="BaseModelId">A detector to resume from (same label set): its heads warm-start the new ones.</param>
public sealed record DetectorTrainingRequest(
    string DisplayName,
    long DatasetId,
    string? ModelType = null,
    long? TrainBudgetMilliNodeHours = null,
    double? BudgetMinutes = null,
    long? BaseModelId = null) : OperationRequest
{
    /// <summary>The operation kind of a detector training.</summary>
    public const string DetectionKind = "train-detector";

    /// <summary>The same request as a <see cref="TrainingRequest"/> (the budget rules are shared).</summary>
    public TrainingRequest AsTrainingRequest() => new(DisplayName, DatasetId, ModelType, TrainBudgetMilliNodeHours, BudgetMinutes, BaseModelId);

    /// <summary>The detector request carrying a classification-shaped request's fields.</summary>
    public static DetectorTrainingRequest From(TrainingRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new(request.DisplayName, request.DatasetId, request.ModelType, request.TrainBudgetMilliNodeHours, request.BudgetMinutes, request.BaseModelId);
    }
}

/// <summary>What a training is doing right now.</summary>
public enum TrainingPhase { Queued, Preparing, Embedding, Training, Evaluating, Exporting, Saving, Done }

/// <summary>One finished epoch of head training (the live chart's points).</summary>
public sealed record EpochPoint(int Epoch, double TrainLoss, double? ValidationLoss, double? ValidationAccuracy);

/// <summary>
/// A training's progress, reported through <c>IProgress&lt;OperationProgress&gt;</c>, saved to the operation and pushed to live clients.
/// </summary>
/// <param name="Phase">The current phase.</param>
/// <param name="ImagesDone">Embedding: images whose features are ready (computed or from the cache).</param>
/// <param name="ImagesTotal">Embedding: images to prepare.</param>
/// <param name="EmbeddingsComputed">Backbone runs so far (one per image view not found in the feature cache).</param>
/// <param name="EmbeddingsCached">Image views found in the feature cache.</param>
/// <param name="Epoch">Training: the last finished epoch (0 before the first).</param>
/// <param name="MaxEpochs">Training: the epoch limit.</param>
/// <param name="History">Every finished epoch so far.</param>
/// <param name="ElapsedSeconds">Wall-clock time since the job started.</param>
/// <param name="EtaSeconds">Estimated seconds left in the current phase, when it can be estimated.</param>
/// <param name="Message">A short line for people, for example <c>embedding 120/398</c>.</param>
public sealed record TrainingProgress(
    TrainingPhase Phase,
    int ImagesDone,
    int ImagesTotal,
    int EmbeddingsComputed,
    int EmbeddingsCached,
    int Epoch,
    int MaxEpochs,
    IReadOnlyList<EpochPoint> History,
    double ElapsedSeconds,
    double? EtaSeconds,
    string Message) : OperationProgress
{
    /// <summary>The progress of an operation that has not started.</summary>
    public static TrainingProgress Queued { get; } = new(TrainingPhase.Queued, 0, 0, 0, 0, 0, 0, [], 0, null, "queued");

    /// <summary>The last epoch's figures, when one finished.</summary>
    public EpochPoint? LastEpoch => History.Count == 0 ? null : History[^1];
}

/// <summary>What a succeeded training produced.</summary>
/// <param name="ModelId">The new model.</param>
/// <param name="ModelVersionId">Its version.</param>
public sealed record TrainingResult(long ModelId, long ModelVersionId) : OperationResult
{
    /// <inheritdoc />
    [JsonIgnore]
    public override long? ProducedModelVersionId => ModelVersionId;
}

/// <summary>Starting trainings (listing, reading and cancelling them is <see cref="IOperationService"/>'s, as for every kind).</summary>
public interface ITrainingService
{
    /// <summary>
    /// Checks the request (dataset exists and is a classification dataset with labels, model type known,
    /// budget positive, base model's label set equal to the dataset's) and queues the training.
    /// Throws <see cref="DomainException"/> with a clear message when the request cannot be run.
    /// </summary>
    /// <remarks>An object detection dataset starts a <see cref="DetectorTrainingRequest"/> (kind <c>train-detector</c>) instead.</remarks>
    Task<OperationSummary> StartTrainingAsync(TrainingRequest request, string user, CancellationToken cancellationToken = default);
}

/// <summary>Labels of a dataset as training sees them, in model output order.</summary>
public static class TrainingLabels
{
    /// <summary>True when both sets hold the same names, ignoring case and order.</summary>
    public static bool SameSet(IEnumerable<string> a, IEnumerable<string> b) =>
        new HashSet<string>(a.Select(LabelName.Normalize), StringComparer.Ordinal)
            .SetEquals(b.Select(LabelName.Normalize));
}
