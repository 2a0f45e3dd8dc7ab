using VisionConsole.Domain;
using VisionConsole.Domain.Operations;
using VisionConsole.Domain.Training;

namespace VisionConsole.Tests.Domain.Operations;

public class OperationTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static Operation Queued() => new(new TrainingRequest("insects", 7, "mobile-versatile-1"), 7, "ann", T0);

    private static TrainingProgress Epoch(int epoch) =>
        TrainingProgress.Queued with { Phase = TrainingPhase.Training, Epoch = epoch, Message = $"epoch {epoch}" };

    private static Operation InState(OperationState state)
    {
        var op = Queued();
        switch (state)
        {
            case OperationState.Queued:
                break;
            case OperationState.Running:
                op.Start(T0);
                break;
            case OperationState.Succeeded:
                op.Start(T0);
                op.Complete(new TrainingResult(1, 1), "converged", T0);
                break;
            case OperationState.Failed:
                op.Start(T0);
                op.Fail("out of memory", T0);
                break;
            case OperationState.Cancelling:
                op.Start(T0);
                op.RequestCancel(T0);
                break;
            case OperationState.Cancelled:
                op.RequestCancel(T0);
                break;
        }
        Assert.Equal(state, op.State);
        return op;
    }

    [Fact]
    public void New_IsQueuedAndUnfinished()
    {
        var op = Queued();

        Assert.Equal(OperationState.Queued, op.State);
        Assert.False(op.IsFinished);
        Assert.Null(op.StartedAt);
        Assert.Equal(1, op.Version);
    }

    [Fact]
    public void Start_WhenQueued_RunsWithStartTime()
    {
        var op = Queued();

        op.Start(T0.AddSeconds(1));

        Assert.Equal(OperationState.Running, op.State);
        Assert.Equal(T0.AddSeconds(1), op.StartedAt);
        Assert.Equal(2, op.Version);
    }

    [Fact]
    public void ReportProgress_WhenRunning_KeepsLatestReport()
    {
        var op = InState(OperationState.Running);

        op.ReportProgress(Epoch(1));
        op.ReportProgress(Epoch(2));

        Assert.Equal(Epoch(2).Message, Assert.IsType<TrainingProgress>(op.ReadProgress()).Message);
        Assert.Equal(2, ((TrainingProgress)op.ReadProgress()!).Epoch);
        Assert.Equal(OperationState.Running, op.State);
    }

    [Fact]
    public void ReportProgress_WhenCancelling_IsAllowed()
    {
        var op = InState(OperationState.Cancelling);

        op.ReportProgress(Epoch(3));

        Assert.Equal(OperationState.Cancelling, op.State);
    }

    [Fact]
    public void Complete_WhenRunning_SucceedsWithModelAndStopReason()
    {
        var op = InState(OperationState.Running);

        op.Complete(new TrainingResult(4, 42), "early-stopping", T0.AddMinutes(3));

        Assert.Equal(OperationState.Succeeded, op.State);
        Assert.Equal(42, op.ResultModelVersionId);
        Assert.Equal("early-stopping", op.StopReason);
        Assert.Equal(T0.AddMinutes(3), op.FinishedAt);
        Assert.True(op.IsFinished);
    }

    [Fact]
    public void Complete_WhenCancellingButWorkFinishedFirst_Succeeds()
    {
        var op = InState(OperationState.Cancelling);

        op.Complete(new TrainingResult(1, 5), "budget", T0);

        Assert.Equal(OperationState.Succeeded, op.State);
    }

    [Theory]
    [InlineData(OperationState.Queued)]
    [InlineData(OperationState.Running)]
    [InlineData(OperationState.Cancelling)]
    public void Fail_WhenNotFinished_FailsWithReason(OperationState from)
    {
        var op = InState(from);

        op.Fail("backbone mobilenetv2 not found in the mirror", T0.AddSeconds(9));

        Assert.Equal(OperationState.Failed, op.State);
        Assert.Equal("backbone mobilenetv2 not found in the mirror", op.Error);
        Assert.Equal(T0.AddSeconds(9), op.FinishedAt);
    }

    [Fact]
    public void RequestCancel_WhenQueued_CancelsAtOnce()
    {
        var op = Queued();

        op.RequestCancel(T0);

        Assert.Equal(OperationState.Cancelled, op.State);
        Assert.Equal("cancelled", op.StopReason);
        Assert.True(op.IsFinished);
    }

    [Fact]
    public void RequestCancel_WhenRunning_WaitsForJobThenConfirmCancels()
    {
        var op = InState(OperationState.Running);

        op.RequestCancel(T0);
        Assert.Equal(OperationState.Cancelling, op.State);
        Assert.False(op.IsFinished);

        op.RequestCancel(T0);
        Assert.Equal(OperationState.Cancelling, op.State);

        op.ConfirmCancelled(T0.AddSeconds(2));
        Assert.Equal(OperationState.Cancelled, op.State);
        Assert.Equal(T0.AddSeconds(2), op.FinishedAt);
    }

    public static TheoryData<OperationState, string> IllegalTransitions => new()
    {
        { OperationState.Running, "Start" },
        { OperationState.Succeeded, "Start" },
        { OperationState.Cancelled, "Start" },
        { OperationState.Queued, "ReportProgress" },
        { OperationState.Failed, "ReportProgress" },
        { OperationState.Queued, "Complete" },
        { OperationState.Failed, "Complete" },
        { OperationState.Succeeded, "Complete" },
        { OperationState.Succeeded, "Fail" },
        { OperationState.Cancelled, "Fail" },
        { OperationState.Succeeded, "RequestCancel" },
        { OperationState.Failed, "RequestCancel" },
        { OperationState.Cancelled, "RequestCancel" },
        { OperationState.Queued, "ConfirmCancelled" },
        { OperationState.Running, "ConfirmCancelled" },
        { OperationState.Cancelled, "ConfirmCancelled" },
    };

    [Theory]
    [MemberData(nameof(IllegalTransitions))]
    public void Transition_Illegal_ThrowsInvalidTransitionAndChangesNothing(OperationState from, string action)
    {
        var op = InState(from);
        var version = op.Version;

        var error = Assert.Throws<DomainException>(() => Apply(op, action));

        Assert.Equal("invalid-transition", error.Code);
        Assert.Contains(action, error.Message, StringComparison.Ordinal);
        Assert.Contains(from.ToString(), error.Message, StringComparison.Ordinal);
        Assert.Equal(from, op.State);
        Assert.Equal(version, op.Version);
    }

    private static void Apply(Operation op, string action)
    {
        switch (action)
        {
            case "Start": op.Start(T0); break;
            case "ReportProgress": op.ReportProgress(Epoch(1)); break;
            case "Complete": op.Complete(new TrainingResult(1, 1), "converged", T0); break;
            case "Fail": op.Fail("x", T0); break;
            case "RequestCancel": op.RequestCancel(T0); break;
            case "ConfirmCancelled": op.ConfirmCancelled(T0); break;
            default: throw new ArgumentOutOfRangeException(nameof(action), action, null);
        }
    }
}
