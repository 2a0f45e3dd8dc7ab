using System.Threading.Channels;

namespace VisionConsole.Domain.Storage;

/// <summary>
/// Asks for a storage sweep without waiting for it: deleting a dataset or undoing an import only signals, and
/// <see cref="StorageSweepService"/> sweeps in the background. Requests that arrive while a sweep runs fold into
/// one more sweep after it. The tasks it hands out complete when a sweep that started after the request has
/// finished, which is what tests (and anything else that must see the space given back) wait on.
/// </summary>
public sealed class StorageSweepSignal
{
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Lock _gate = new();
    private readonly List<(long Generation, TaskCompletionSource Done)> _waiters = [];
    private long _requested;
    private long _completed;

    /// <summary>Asks for a sweep; the task completes when one started after this call has finished (faults if it failed).</summary>
    public Task RequestSweep()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _requested++;
            _waiters.Add((_requested, done));
        }
        _wake.Writer.TryWrite(true);
        return done.Task;
    }

    /// <summary>Completes when every sweep requested so far has run (at once when none is pending).</summary>
    public Task WhenSweptAsync()
    {
        lock (_gate)
        {
            if (_completed >= _requested)
            {
                return Task.CompletedTask;
            }
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((_requested, done));
            return done.Task;
        }
    }

    /// <summary>Waits for a request; returns the newest request number the sweep about to start covers.</summary>
    internal async Task<long> WaitForRequestAsync(CancellationToken cancellationToken)
    {
        await _wake.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            return _requested;
        }
    }

    /// <summary>Completes the waiters of every request up to <paramref name="generation"/>.</summary>
    internal void Complete(long generation, Exception? failure)
    {
        List<TaskCompletionSource> finished;
        lock (_gate)
        {
            _completed = Math.Max(_completed, generation);
            finished = _waiters.Where(w => w.Generation <= generation).Select(w => w.Done).ToList();
            _waiters.RemoveAll(w => w.Generation <= generation);
        }
        foreach (var done in finished)
        {
            if (failure is null)
            {
                done.TrySetResult();
            }
            else
            {
                done.TrySetException(failure);
            }
        }
    }
}
