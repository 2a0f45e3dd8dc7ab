using Microsoft.Extensions.Logging;

namespace VisionConsole.Domain.Training;

/// <summary>
/// The in-process <see cref="IOperationNotifier"/>: a copy-on-write list of handlers, so publishing never
/// takes a lock and a handler may subscribe or unsubscribe from inside a callback.
/// </summary>
public sealed partial class OperationNotifier(ILogger<OperationNotifier> logger) : IOperationNotifier
{
    private readonly Lock _gate = new();
    private Action<OperationUpdate>[] _handlers = [];

    /// <inheritdoc />
    public void Publish(OperationUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        foreach (var handler in Volatile.Read(ref _handlers))
        {
            try
            {
                handler(update);
            }
#pragma warning disable CA1031 // A subscriber's bug must never fail the training that publishes.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogHandlerFailed(ex, update.Operation.Id);
            }
        }
    }

    /// <inheritdoc />
    public IDisposable Subscribe(Action<OperationUpdate> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (_gate)
        {
            _handlers = [.. _handlers, handler];
        }
        return new Subscription(this, handler);
    }

    private void Unsubscribe(Action<OperationUpdate> handler)
    {
        lock (_gate)
        {
            var index = Array.IndexOf(_handlers, handler);
            if (index >= 0)
            {
                _handlers = [.. _handlers[..index], .. _handlers[(index + 1)..]];
            }
        }
    }

    private sealed class Subscription(OperationNotifier owner, Action<OperationUpdate> handler) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Unsubscribe(handler);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "An operation subscriber failed on the update of operation {OperationId}")]
    private partial void LogHandlerFailed(Exception exception, long operationId);
}
