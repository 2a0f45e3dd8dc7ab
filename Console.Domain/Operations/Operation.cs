namespace VisionConsole.Domain.Operations;

/// <summary>Where a long-running operation is in its life.</summary>
public enum OperationState { Queued, Running, Succeeded, Failed, Cancelling, Cancelled }

/// <summary>
/// A long-running operation (AutoML's <c>operations/{id}</c>) of any kind: a training, an import, an export, and what
/// comes next (detection training, batch prediction). Request, progress and result are typed records
/// (<see cref="OperationRequest"/>, <see cref="OperationProgress"/>, <see cref="OperationResult"/>); the row keeps them as
/// JSON written and read by the kind's own codec (<see cref="OperationKind"/>), which refuses corrupt data loudly.
/// It guards its own life cycle; every illegal transition throws <see cref="DomainException"/> with code
/// <c>invalid-transition</c>.
/// <code>
/// Queued ──Start──▶ Running ──Complete──▶ Succeeded
///   │                 │  └────Fail─────▶ Failed
///   │                 └─RequestCancel─▶ Cancelling ──ConfirmCancelled──▶ Cancelled
///   └─RequestCancel──────────────────────────────────────────────────▶ Cancelled
/// </code>
/// A Cancelling operation may still report progress, complete (the work finished first) or fail.
/// </summary>
public sealed class Operation
{
    private Operation()
    {
        Kind = string.Empty;
        RequestJson = string.Empty;
        CreatedBy = string.Empty;
    }

    /// <summary>Queues an operation for <paramref name="request"/>; its kind is the one registered for the request's type.</summary>
    /// <exception cref="DomainException"><c>invalid-operation</c> when no kind is registered for the request's type.</exception>
    public Operation(OperationRequest request, long? datasetId, string createdBy, DateTimeOffset createdAt)
    {
        ArgumentNullException.ThrowIfNull(request);
        var kind = OperationKinds.ForRequest(request);
        Kind = kind.Name;
        RequestJson = kind.WriteRequest(request);
        DatasetId = datasetId;
        CreatedBy = createdBy;
        CreatedAt = createdAt;
        State = OperationState.Queued;
        Version = 1;
    }

    public long Id { get; private set; }

    /// <summary>What the operation does, for example <c>train-classifier</c>, <c>import-data</c> or <c>export-data</c>.</summary>
    public string Kind { get; private set; }

    public long? DatasetId { get; private set; }

    public OperationState State { get; private set; }

    /// <summary>The request as its kind's codec wrote it; read it with <see cref="ReadRequest"/>.</summary>
    public string RequestJson { get; private set; }

    /// <summary>The latest progress as its kind's codec wrote it; read it with <see cref="ReadProgress"/>.</summary>
    public string? ProgressJson { get; private set; }

    /// <summary>Why the operation failed, for people.</summary>
    public string? Error { get; private set; }

    /// <summary>Why the work stopped: for example <c>converged</c>, <c>budget-reached</c>, <c>completed</c>, <c>cancelled</c>, <c>failed</c>.</summary>
    public string? StopReason { get; private set; }

    public string CreatedBy { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }

    public DateTimeOffset? StartedAt { get; private set; }

    public DateTimeOffset? FinishedAt { get; private set; }

    /// <summary>The model version the operation produced, once it succeeded (trainings); kept as a column for joins.</summary>
    public long? ResultModelVersionId { get; private set; }

    /// <summary>The result as its kind's codec wrote it; read it with <see cref="ReadResult"/>.</summary>
    public string? ResultJson { get; private set; }

    /// <summary>Optimistic concurrency token: the job and a user's cancel must not overwrite each other.</summary>
    public long Version { get; private set; }

    /// <summary>Succeeded, Failed or Cancelled: nothing can change any more.</summary>
    public bool IsFinished => State is OperationState.Succeeded or OperationState.Failed or OperationState.Cancelled;

    /// <summary>The kind's codec.</summary>
    /// <exception cref="OperationDataException">The row names a kind this build does not know.</exception>
    public OperationKind KindInfo => OperationKinds.Of(Kind, Id);

    /// <summary>The typed request.</summary>
    /// <exception cref="OperationDataException">The stored request is not a valid request of the kind.</exception>
    public OperationRequest ReadRequest() => KindInfo.ReadRequest(RequestJson, Id);

    /// <summary>The typed latest progress, or null before the first report.</summary>
    /// <exception cref="OperationDataException">The stored progress is not valid progress of the kind.</exception>
    public OperationProgress? ReadProgress() => ProgressJson is null ? null : KindInfo.ReadProgress(ProgressJson, Id);

    /// <summary>The typed result, or null until it succeeded.</summary>
    /// <exception cref="OperationDataException">The stored result is not a valid result of the kind.</exception>
    public OperationResult? ReadResult() => ResultJson is null ? null : KindInfo.ReadResult(ResultJson, Id);

    /// <summary>
    /// Replaces the request of a Queued operation (an import learns its files' final paths only once the row has its id).
    /// </summary>
    public void ReplaceRequest(OperationRequest request)
    {
        Require(nameof(ReplaceRequest), OperationState.Queued);
        RequestJson = KindInfo.WriteRequest(request);
        Version++;
    }

    /// <summary>Queued to Running.</summary>
    public void Start(DateTimeOffset now)
    {
        Require(nameof(Start), OperationState.Queued);
        State = OperationState.Running;
        StartedAt = now;
        Version++;
    }

    /// <summary>Records progress while Running or Cancelling.</summary>
    /// <exception cref="ArgumentException">The progress is not of this kind's progress type.</exception>
    public void ReportProgress(OperationProgress progress)
    {
        Require(nameof(ReportProgress), OperationState.Running, OperationState.Cancelling);
        ProgressJson = KindInfo.WriteProgress(progress);
        Version++;
    }

    /// <summary>Running (or Cancelling: the work finished first) to Succeeded, with the result and why the work stopped.</summary>
    /// <exception cref="ArgumentException">The result is not of this kind's result type.</exception>
    public void Complete(OperationResult result, string stopReason, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(result);
        Require(nameof(Complete), OperationState.Running, OperationState.Cancelling);
        ResultJson = KindInfo.WriteResult(result);
        ResultModelVersionId = result.ProducedModelVersionId;
        State = OperationState.Succeeded;
        StopReason = stopReason;
        FinishedAt = now;
        Version++;
    }

    /// <summary>Queued, Running or Cancelling to Failed, with the reason for people.</summary>
    public void Fail(string reason, DateTimeOffset now)
    {
        Require(nameof(Fail), OperationState.Queued, OperationState.Running, OperationState.Cancelling);
        State = OperationState.Failed;
        Error = string.IsNullOrWhiteSpace(reason) ? "The operation failed without a reason." : reason;
        StopReason = "failed";
        FinishedAt = now;
        Version++;
    }

    /// <summary>
    /// A user asks to stop. A Queued operation is cancelled at once; a Running one becomes Cancelling
    /// until the job confirms. Asking again while Cancelling changes nothing.
    /// </summary>
    public void RequestCancel(DateTimeOffset now)
    {
        Require(nameof(RequestCancel), OperationState.Queued, OperationState.Running, OperationState.Cancelling);
        switch (State)
        {
            case OperationState.Queued:
                State = OperationState.Cancelled;
                StopReason = "cancelled";
                FinishedAt = now;
                Version++;
                break;
            case OperationState.Running:
                State = OperationState.Cancelling;
                Version++;
                break;
        }
    }

    /// <summary>The job stopped after a cancel request: Cancelling to Cancelled.</summary>
    public void ConfirmCancelled(DateTimeOffset now)
    {
        Require(nameof(ConfirmCancelled), OperationState.Cancelling);
        State = OperationState.Cancelled;
        StopReason = "cancelled";
        FinishedAt = now;
        Version++;
    }

    private void Require(string action, params OperationState[] allowed)
    {
        if (!allowed.Contains(State))
        {
            throw new DomainException(
                "invalid-transition",
                $"Operation {Id} cannot {action} while {State}; allowed from {string.Join(" or ", allowed)}.");
        }
    }
}
