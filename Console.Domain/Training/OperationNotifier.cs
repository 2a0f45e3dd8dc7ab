using Microsoft.Extensions.Logging;

namespace VisionConsole.Domain.Training;

/// <summary>The in-process <see cref="IOperationNotifier"/>.</summary>
public sealed partial class OperationNotifier(ILogger<OperationNotifier> logger) : InProcessNotifier<OperationUpdate>, IOperationNotifier
{
    /// <inheritdoc />
    protected override void OnHandlerFailed(Exception exception, OperationUpdate value) => LogHandlerFailed(exception, value.Operation.Id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "An operation subscriber failed on the update of operation {OperationId}")]
    private partial void LogHandlerFailed(Exception exception, long operationId);
}
