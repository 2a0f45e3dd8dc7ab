using VisionConsole.Domain.Datasets;

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
    long? BaseModelId = null)
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

/// <summary>What a training is doing right now.</summary>
public enum TrainingPhase { Queued, Preparing, Embedding, Training, Evaluating, Exporting, Saving, Done }

/// <summary>One finished epoch of head training (the live chart's points).</summary>
public sealed record EpochPoint(int Epoch, double TrainLoss, double? ValidationLoss, double? ValidationAccuracy);

/// <summary>
/// A training's progress as stored in <see cref="TrainingOperation.ProgressJson"/> and pushed to live clients.
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
    string Message)
{
    /// <summary>The progress of an operation that has not started.</summary>
    public static TrainingProgress Queued { get; } = new(TrainingPhase.Queued, 0, 0, 0, 0, 0, 0, [], 0, null, "queued");

    /// <summary>The last epoch's figures, when one finished.</summary>
    public EpochPoint? LastEpoch => History.Count == 0 ? null : History[^1];
}

/// <summary>An operation as lists, the API and the operation page show it.</summary>
/// <param name="Id">The operation id.</param>
/// <param name="Kind">For example <c>train-classifier</c>.</param>
/// <param name="State">Where it is in its life.</param>
/// <param name="DatasetId">The dataset trained on.</param>
/// <param name="Request">The training request, when it is a training.</param>
/// <param name="Progress">The latest progress (null before the first report).</param>
/// <param name="Error">Why it failed.</param>
/// <param name="StopReason"><c>converged</c>, <c>budget-reached</c>, <c>epoch-limit</c>, <c>cancelled</c>, <c>failed</c>.</param>
/// <param name="ResultModelId">The model it produced, once it succeeded.</param>
/// <param name="ResultModelVersionId">The model version it produced, once it succeeded.</param>
/// <param name="CreatedAt">When it was queued.</param>
/// <param name="StartedAt">When a job picked it up.</param>
/// <param name="FinishedAt">When it finished.</param>
/// <param name="CreatedBy">Who asked for it.</param>
public sealed record OperationSummary(
    long Id,
    string Kind,
    OperationState State,
    long? DatasetId,
    TrainingRequest? Request,
    TrainingProgress? Progress,
    string? Error,
    string? StopReason,
    long? ResultModelId,
    long? ResultModelVersionId,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    string CreatedBy)
{
    /// <summary>Succeeded, Failed or Cancelled.</summary>
    public bool Done => State is OperationState.Succeeded or OperationState.Failed or OperationState.Cancelled;

    /// <summary>When it last changed.</summary>
    public DateTimeOffset UpdatedAt => FinishedAt ?? StartedAt ?? CreatedAt;

    /// <summary>
    /// The latest progress as stored, for kinds that are not trainings (<c>import-data</c>: an
    /// <see cref="Import.ImportProgress"/>, <c>export-data</c>: an <see cref="Export.ExportProgress"/>; read them with
    /// <see cref="Operations.OperationJson.Read{T}"/> or take <see cref="Operations.DataOperation.From(TrainingOperation)"/>).
    /// </summary>
    public string? ProgressJson { get; init; }

    /// <summary>The result as stored, for kinds whose result is not a model (<see cref="Import.ImportResult"/>, <see cref="Export.ExportResult"/>).</summary>
    public string? ResultJson { get; init; }

    /// <summary>True for the kinds the trainer's own jobs run (<c>train-...</c>); false for import and export.</summary>
    public bool IsTraining => Kind.StartsWith("train-", StringComparison.Ordinal);
}

/// <summary>One change of an operation, as the notifier publishes it (progress, state change, result).</summary>
public sealed record OperationUpdate(OperationSummary Operation, DateTimeOffset At);

/// <summary>
/// The ONE in-process channel of operation events: the trainer publishes, Blazor components and the
/// SignalR relay subscribe. Handlers run on the publisher's thread; they must be quick and must not throw
/// (an exception is caught and logged, never reaching the job).
/// </summary>
public interface IOperationNotifier
{
    /// <summary>Sends an update to every current subscriber.</summary>
    void Publish(OperationUpdate update);

    /// <summary>Receives every later update until the returned handle is disposed.</summary>
    IDisposable Subscribe(Action<OperationUpdate> handler);
}

/// <summary>What an operations list is ordered by (the id breaks ties, in the same direction).</summary>
public enum OperationSortField { Created, Kind, State }

/// <summary>Which operations a list returns, in which order, and which page of them.</summary>
/// <param name="Done">true: finished only; false: queued or running only; null: all.</param>
/// <param name="DatasetId">Only operations on this dataset.</param>
/// <param name="Take">At most this many (1-1000).</param>
/// <param name="Skip">Operations to pass over first (paging).</param>
/// <param name="SortBy">The order; newest first by default.</param>
/// <param name="Descending">Largest (newest, last in name order) first.</param>
public sealed record OperationQuery(bool? Done = null, long? DatasetId = null, int Take = 100, int Skip = 0,
    OperationSortField SortBy = OperationSortField.Created, bool Descending = true);

/// <summary>One page of operations and how many match the query in all.</summary>
public sealed record OperationListPage(IReadOnlyList<OperationSummary> Items, int Total);

/// <summary>Starting, listing and cancelling trainings. Used by the REST API and the console pages alike.</summary>
public interface ITrainingService
{
    /// <summary>
    /// Checks the request (dataset exists and is a classification dataset with labels, model type known,
    /// budget positive, base model's label set equal to the dataset's) and queues the training.
    /// Throws <see cref="DomainException"/> with a clear message when the request cannot be run.
    /// </summary>
    Task<OperationSummary> StartTrainingAsync(TrainingRequest request, string user, CancellationToken cancellationToken = default);

    /// <summary>Operations, in the query's order (newest first by default).</summary>
    Task<IReadOnlyList<OperationSummary>> ListOperationsAsync(OperationQuery query, CancellationToken cancellationToken = default);

    /// <summary>One page of the operations the query matches, in its order, with the total (the console's paged grid).</summary>
    Task<OperationListPage> ListOperationsPageAsync(OperationQuery query, CancellationToken cancellationToken = default);

    /// <summary>One operation; <see cref="NotFoundException"/> when absent.</summary>
    Task<OperationSummary> GetOperationAsync(long operationId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Asks an operation to stop: a queued one is cancelled at once, a running one becomes Cancelling and its
    /// job stops within seconds, then confirms Cancelled. A finished one is refused (<c>invalid-transition</c>).
    /// </summary>
    Task<OperationSummary> CancelOperationAsync(long operationId, string user, CancellationToken cancellationToken = default);
}

/// <summary>Labels of a dataset as training sees them, in model output order.</summary>
public static class TrainingLabels
{
    /// <summary>True when both sets hold the same names, ignoring case and order.</summary>
    public static bool SameSet(IEnumerable<string> a, IEnumerable<string> b) =>
        new HashSet<string>(a.Select(LabelName.Normalize), StringComparer.Ordinal)
            .SetEquals(b.Select(LabelName.Normalize));
}
