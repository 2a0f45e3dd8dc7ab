using VisionConsole.Domain;
using VisionConsole.Domain.Training;

namespace VisionConsole.Tests.Domain.Training;

/// <summary>Operations whose result is not a model (import, export) complete with their result JSON.</summary>
public sealed class OperationResultTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void CompleteWithResult_Running_SucceedsWithTheResultAndNoModel()
    {
        var operation = new TrainingOperation("import-data", 3, "{}", "ann", Now);
        operation.Start(Now);

        operation.CompleteWithResult("""{"imported":398}""", "completed", Now.AddMinutes(1));

        Assert.Equal((OperationState.Succeeded, """{"imported":398}""", "completed", (long?)null, Now.AddMinutes(1)),
            (operation.State, operation.ResultJson, operation.StopReason, operation.ResultModelVersionId, operation.FinishedAt));
        Assert.True(operation.IsFinished);
    }

    [Fact]
    public void CompleteWithResult_Queued_IsAnIllegalTransition()
    {
        var operation = new TrainingOperation("export-data", 3, "{}", "ann", Now);

        var error = Assert.Throws<DomainException>(() => operation.CompleteWithResult("{}", "completed", Now));

        Assert.Equal("invalid-transition", error.Code);
        Assert.Equal(OperationState.Queued, operation.State);
    }
}
