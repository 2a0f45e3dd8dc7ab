using Microsoft.Extensions.Logging;
using VisionConsole.Domain.Export;
using VisionConsole.Domain.Import;
using VisionConsole.Domain.Storage;
using VisionConsole.Domain.Training;

namespace VisionConsole.Domain.Operations;

/// <summary>An operation of any kind as lists, the API, the pages and live updates show it: typed request, progress and result.</summary>
/// <param name="Id">The operation id.</param>
/// <param name="Kind">For example <c>train-classifier</c>, <c>import-data</c>, <c>export-data</c>.</param>
/// <param name="State">Where it is in its life.</param>
/// <param name="DatasetId">The dataset it works on.</param>
/// <param name="Request">What it was asked to do.</param>
/// <param name="Progress">The latest progress (null before the first report).</param>
/// <param name="Result">What it produced, once it succeeded.</param>
/// <param name="Error">Why it failed.</param>
/// <param name="StopReason"><c>converged</c>, <c>budget-reached</c>, <c>epoch-limit</c>, <c>completed</c>, <c>cancelled</c>, <c>failed</c>.</param>
/// <param name="CreatedAt">When it was queued.</param>
/// <param name="StartedAt">When the runner picked it up.</param>
/// <param name="FinishedAt">When it finished.</param>
/// <param name="CreatedBy">Who asked for it.</param>
public sealed record OperationSummary(
    long Id,
    string Kind,
    OperationState State,
    long? DatasetId,
    OperationRequest Request,
    OperationProgress? Progress,
    OperationResult? Result,
    string? Error,
    string? StopReason,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    string CreatedBy)
{
    /// <summary>Succeeded, Failed or Cancelled.</summary>
    public bool Done => State is OperationState.Succeeded or OperationState.Failed or OperationState.Cancelled;

    /// <summary>When it last changed.</summary>
    public DateTimeOffset UpdatedAt => FinishedAt ?? StartedAt ?? CreatedAt;

    /// <summary>True for trainings (<c>train-...</c>).</summary>
    public bool IsTraining => Request is TrainingRequest or DetectorTrainingRequest;

    /// <summary>The training request, when it is a training (a detector's in the same shape).</summary>
    public TrainingRequest? Training => Request switch
    {
        TrainingRequest classification => classification,
        DetectorTrainingRequest detection => detection.AsTrainingRequest(),
        _ => null,
    };

    /// <summary>A training's latest progress.</summary>
    public TrainingProgress? TrainingProgress => Progress as TrainingProgress;

    /// <summary>An import's latest progress.</summary>
    public ImportProgress? ImportProgress => Progress as ImportProgress;

    /// <summary>An export's latest progress.</summary>
    public ExportProgress? ExportProgress => Progress as ExportProgress;

    /// <summary>A succeeded training's model.</summary>
    public TrainingResult? TrainingResult => Result as TrainingResult;

    /// <summary>A succeeded import's counts and report file.</summary>
    public ImportResult? ImportResult => Result as ImportResult;

    /// <summary>A succeeded export's file.</summary>
    public ExportResult? ExportResult => Result as ExportResult;

    /// <summary>The model a succeeded training produced.</summary>
    public long? ResultModelId => TrainingResult?.ModelId;

    /// <summary>The model version a succeeded training produced.</summary>
    public long? ResultModelVersionId => TrainingResult?.ModelVersionId;

    /// <summary>The view of a row, read through its kind's codec.</summary>
    /// <exception cref="OperationDataException">The row holds data its kind cannot read.</exception>
    public static OperationSummary From(Operation operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return new OperationSummary(
            operation.Id, operation.Kind, operation.State, operation.DatasetId, operation.ReadRequest(), operation.ReadProgress(), operation.ReadResult(),
            operation.Error, operation.StopReason, operation.CreatedAt, operation.StartedAt, operation.FinishedAt, operation.CreatedBy);
    }
}

/// <summary>One change of an operation, as the notifier publishes it (progress, state change, result).</summary>
public sealed record OperationUpdate(OperationSummary Operation, DateTimeOffset At);

/// <summary>
/// The ONE in-process channel of operation events: the runner publishes, Blazor components and the
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

/// <summary>The in-process <see cref="IOperationNotifier"/>.</summary>
public sealed partial class OperationNotifier(ILogger<OperationNotifier> logger) : InProcessNotifier<OperationUpdate>, IOperationNotifier
{
    /// <inheritdoc />
    protected override void OnHandlerFailed(Exception exception, OperationUpdate value) => LogHandlerFailed(exception, value.Operation.Id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "An operation subscriber failed on the update of operation {OperationId}")]
    private partial void LogHandlerFailed(Exception exception, long operationId);
}

/// <summary>What an operations list is ordered by (the id breaks ties, in the same direction).</summary>
public enum OperationSortField { Created, Kind, State }

/// <summary>Which operations a list returns, in which order, and which page of them.</summary>
/// <param name="Done">true: finished only; false: queued or running only; null: all.</param>
/// <param name="DatasetId">Only operations on this dataset.</param>
/// <param name="Take">At most this many (1-1000).</param>
/// <param name="Kinds">Only these kinds (null: every kind).</param>
/// <param name="Skip">Operations to pass over first (paging).</param>
/// <param name="SortBy">The order; newest first by default.</param>
/// <param name="Descending">Largest (newest, last in name order) first.</param>
/// <param name="Project">Only the operations on the datasets of the project with this name (with the default project's also those on no dataset, such as backups); null: all.</param>
public sealed record OperationQuery(bool? Done = null, long? DatasetId = null, int Take = 100, IReadOnlyList<string>? Kinds = null, int Skip = 0,
    OperationSortField SortBy = OperationSortField.Created, bool Descending = true, string? Project = null);

/// <summary>One page of operations and how many match the query in all.</summary>
public sealed record OperationListPage(IReadOnlyList<OperationSummary> Items, int Total);

/// <summary>Listing, reading and cancelling operations of every kind. Used by the REST API and the console pages alike.</summary>
public interface IOperationService
{
    /// <summary>Operations in the query's order (newest first by default).</summary>
    Task<IReadOnlyList<OperationSummary>> ListAsync(OperationQuery query, CancellationToken cancellationToken = default);

    /// <summary>One page of the operations the query matches, in its order, with the total (the console's paged grid).</summary>
    Task<OperationListPage> ListPageAsync(OperationQuery query, CancellationToken cancellationToken = default);

    /// <summary>One operation; <see cref="NotFoundException"/> when absent.</summary>
    Task<OperationSummary> GetAsync(long operationId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Asks an operation to stop: a queued one is cancelled at once (its job is told, e.g. an import deletes its upload),
    /// a running one becomes Cancelling and its job stops within seconds, then confirms Cancelled. A finished one is
    /// refused (<c>invalid-transition</c>).
    /// </summary>
    Task<OperationSummary> CancelAsync(long operationId, string user, CancellationToken cancellationToken = default);

    /// <summary>
    /// Forgets a finished operation (google.longrunning's DeleteOperation): its row and the files only it serves (an
    /// export's zip, an import's report, a batch prediction's lines, a model export) go; a trained model stays. A queued or
    /// running one is refused with <c>invalid-transition</c>.
    /// </summary>
    Task DeleteAsync(long operationId, string user, CancellationToken cancellationToken = default);

    /// <summary>The first <paramref name="take"/> findings of an import's report and their total; null when the import wrote none (yet).</summary>
    Task<Import.ImportReportPage?> ReadImportReportAsync(long operationId, int take = 100, CancellationToken cancellationToken = default);
}

/// <summary>
/// One kind of long-running operation. The one hosted runner claims a Queued <see cref="Operation"/> of <see cref="Kind"/>,
/// calls <see cref="RunAsync"/>, saves and publishes the typed progress reported through <see cref="OperationRun.Progress"/>,
/// and completes the row through the store with the returned <see cref="OperationCompletion"/> (or fails it / confirms the
/// cancel). Trainings, imports and exports are all jobs; nothing else runs operations.
/// </summary>
public interface IOperationJob
{
    /// <summary>The operation kind this job runs, e.g. <c>import-data</c>.</summary>
    string Kind { get; }

    /// <summary>Runs the operation up to its completion. Throws <see cref="OperationCanceledException"/> when cancelled.</summary>
    Task<OperationCompletion> RunAsync(OperationRun run, CancellationToken cancellationToken);

    /// <summary>The operation was cancelled before it started: let go of what was kept for it (an import's upload).</summary>
    void OnCancelledWhileQueued(long operationId)
    {
    }
}

/// <summary>What a job is given: its operation, the typed request, who asked, and where to report typed progress.</summary>
/// <param name="OperationId">The Running operation.</param>
/// <param name="Request">Its request, read through the kind's codec.</param>
/// <param name="CreatedBy">Who asked for it (audits, "added by").</param>
/// <param name="Progress">Typed progress: published live at once, saved to the row periodically.</param>
public sealed record OperationRun(long OperationId, OperationRequest Request, string CreatedBy, IProgress<OperationProgress> Progress);

/// <summary>
/// How a job's work ends: the result, and any rows that must be committed in the same transaction as the completion
/// (a training's model, version and evaluation), so an operation never succeeds without what it produced, nor the other
/// way round.
/// </summary>
public abstract class OperationCompletion
{
    /// <summary>Why the work stopped (<c>completed</c>, <c>converged</c>, <c>budget-reached</c> ...).</summary>
    public abstract string StopReason { get; }

    /// <summary>A completion with nothing to commit besides the result.</summary>
    public static OperationCompletion Of(OperationResult result, string stopReason = "completed") => new ResultOnly(result, stopReason);

    /// <summary>
    /// Adds the job's rows to <paramref name="db"/> (inside the store's transaction) and returns the result. May throw
    /// <see cref="OperationCanceledException"/> when <paramref name="operation"/> turned Cancelling and the work should not
    /// be kept. The store saves, completes the operation and commits after it returns.
    /// </summary>
    public abstract Task<OperationResult> CommitAsync(ConsoleDbContext db, Operation operation, CancellationToken cancellationToken);

    /// <summary>The commit did not happen (failed, refused or rolled back): undo side effects of <see cref="CommitAsync"/>, such as moved files.</summary>
    public virtual void Abandon()
    {
    }

    /// <summary>The result when <see cref="CommitAsync"/> adds no rows: the store may then retry the completion on a concurrency conflict.</summary>
    internal virtual OperationResult? ImmediateResult => null;

    private sealed class ResultOnly(OperationResult result, string stopReason) : OperationCompletion
    {
        public override string StopReason => stopReason;

        internal override OperationResult? ImmediateResult => result;

        public override Task<OperationResult> CommitAsync(ConsoleDbContext db, Operation operation, CancellationToken cancellationToken) => Task.FromResult(result);
    }
}

/// <summary>What queueing and cancelling an operation needs from the runner that executes it (the hosted runner's queue).</summary>
public interface IOperationQueue
{
    /// <summary>Wakes the runner: an operation was queued.</summary>
    void Signal();

    /// <summary>Cancels the running job of the operation; false when none runs in this process.</summary>
    bool CancelRunning(long operationId);
}
