namespace VisionConsole.Domain;

/// <summary>
/// In-process fan-out of events to subscribers: a copy-on-write list of handlers, so publishing never takes a lock
/// and a handler may subscribe or unsubscribe from inside a callback. A subscriber that throws never fails the
/// publisher (a training, a labeling request, an import): <see cref="OnHandlerFailed"/> logs it and the others still run.
/// </summary>
/// <typeparam name="TEvent">What is published.</typeparam>
public abstract class InProcessNotifier<TEvent>
    where TEvent : class
{
    private readonly Lock _gate = new();
    private Action<TEvent>[] _handlers = [];

    /// <summary>Sends an event to every current subscriber; never throws because of a subscriber.</summary>
    public void Publish(TEvent value)
    {
        ArgumentNullException.ThrowIfNull(value);
        foreach (var handler in Volatile.Read(ref _handlers))
        {
            try
            {
                handler(value);
            }
#pragma warning disable CA1031 // A subscriber's bug must never fail the work that publishes.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                OnHandlerFailed(ex, value);
            }
        }
    }

    /// <summary>Receives every later event until the returned handle is disposed.</summary>
    public IDisposable Subscribe(Action<TEvent> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (_gate)
        {
            _handlers = [.. _handlers, handler];
        }
        return new Subscription(this, handler);
    }

    /// <summary>Reports a subscriber that threw (the publisher carries on).</summary>
    protected abstract void OnHandlerFailed(Exception exception, TEvent value);

    private void Unsubscribe(Action<TEvent> handler)
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

    private sealed class Subscription(InProcessNotifier<TEvent> owner, Action<TEvent> handler) : IDisposable
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
}
