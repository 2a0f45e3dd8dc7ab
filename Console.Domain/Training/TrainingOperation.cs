namespace VisionConsole.Domain.Training;

/// <summary>Where a long-running training operation is in its life.</summary>
public enum OperationState { Queued, Running, Succeeded, Failed, Cancelling, Cancelled }

/// <summary>
/// A long-running operation (AutoML's <c>operations/{id}</c>): one training or export run.
/// It guards its own life cycle; every illegal transition throws <see cref="DomainException"/>
/// with code <c>invalid-transition</c>.
/// <code>
/// Queued ──Start──▶ Running ──Complete──▶ Succeeded
///   │                 │  └────Fail─────▶ Failed
///   │                 └─RequestCancel─▶ Cancelling ──ConfirmCancelled──▶ Cancelled
///   └─RequestCancel──────────────────────────────────────────────────▶ Cancelled
/// </code>
/// A Cancelling operation may still report progress, complete (the work finished first) or fail.
/// </summary>
public sealed class TrainingOperation
{
    private TrainingOperation()
    {
        Kind = string.Empty;
        RequestJson = string.Empty;
        CreatedBy = string.Empty;
    }

    /// <summary>Queues an operation of <paramref name="kind"/> (for example <c>train-classifier</c>) with its request.</summary>
    public TrainingOperation(string kind, long? datasetId, string requestJson, string createdBy, DateTimeOffset createdAt)
    {
        if (string.IsNullOrWhiteSpace(kind))
        {
            throw new DomainException("invalid-operation", "An operation needs a kind.");
        }
        Kind = kind;
        DatasetId = datasetId;
        RequestJson = requestJson;
        CreatedBy = createdBy;
        CreatedAt = createdAt;
        State = OperationState.Queued;
        Version = 1;
    }

    public long Id { get; private set; }

    /// <summary>What the operation does, for example <c>train-classifier</c> or <c>train-detector</c>.</summary>
    public string Kind { get; private set; }

    public long? DatasetId { get; private set; }

    public OperationState State { get; private set; }

    /// <summary>The request as JSON (model type, budget, base model ...).</summary>
    public string RequestJson { get; private set; }

    /// <summary>The latest progress report as JSON (epoch, loss, metrics ...).</summary>
    public string? ProgressJson { get; private set; }

    /// <summary>Why the operation failed, for people.</summary>
    public string? Error { get; private set; }

    /// <summary>Why the work stopped: for example <c>budget</c>, <c>early-stopping</c>, <c>converged</c>, <c>cancelled</c>.</summary>
    public string? StopReason { get; private set; }

    public string CreatedBy { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }

    public DateTimeOffset? StartedAt { get; private set; }

    public DateTimeOffset? FinishedAt { get; private set; }

    /// <summary>The model version the operation produced, once it succeeded.</summary>
    public long? ResultModelVersionId { get; private set; }

    /// <summary>What an operation that produces no model returned (import counts and report, export file), as JSON.</summary>
    public string? ResultJson { get; private set; }

    /// <summary>Optimistic concurrency token: the job and a user's cancel must not overwrite each other.</summary>
    public long Version { get; private set; }

    /// <summary>Succeeded, Failed or Cancelled: nothing can change any more.</summary>
    public bool IsFinished => State is OperationState.Succeeded or OperationState.Failed or OperationState.Cancelled;

    /// <summary>Queued to Running.</summary>
    public void Start(DateTimeOffset now)
    {
        Require(nameof(Start), OperationState.Queued);
        State = OperationState.Running;
        StartedAt = now;
        Version++;
    }

    /// <summary>Records progress while Running or Cancelling.</summary>
    public void ReportProgress(string progressJson)
    {
        Require(nameof(ReportProgress), OperationState.Running, OperationState.Cancelling);
        ProgressJson = progressJson;
        Version++;
    }

    /// <summary>Running (or Cancelling) to Succeeded, with the model version produced and why training stopped.</summary>
    public void Complete(long resultModelVersionId, string stopReason, DateTimeOffset now)
    {
        Require(nameof(Complete), OperationState.Running, OperationState.Cancelling);
        State = OperationState.Succeeded;
        ResultModelVersionId = resultModelVersionId;
        StopReason = stopReason;
        FinishedAt = now;
        Version++;
    }

    /// <summary>Running (or Cancelling) to Succeeded for an operation whose result is not a model (import, export).</summary>
    public void CompleteWithResult(string resultJson, string stopReason, DateTimeOffset now)
    {
        Require(nameof(CompleteWithResult), OperationState.Running, OperationState.Cancelling);
        State = OperationState.Succeeded;
        ResultJson = resultJson;
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
