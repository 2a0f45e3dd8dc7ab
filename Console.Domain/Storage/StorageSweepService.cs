using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace VisionConsole.Domain.Storage;

/// <summary>
/// Runs <see cref="StorageSweeper"/> in the background whenever <see cref="StorageSweepSignal"/> is signalled, and
/// once at start-up (after the database is upgraded: hosted services start in order). When a sweep had to keep
/// unreferenced blobs younger than <see cref="ConsoleOptions.SweepGracePeriod"/>, it sweeps again one grace period
/// later (one follow-up pending at a time), so deleted data's space comes back without another trigger. A failed
/// sweep is logged and faults the waiters of that sweep; the next request sweeps again.
/// </summary>
internal sealed partial class StorageSweepService(
    IServiceProvider services,
    StorageSweepSignal signal,
    ConsoleOptions options,
    TimeProvider time,
    ILogger<StorageSweepService> logger) : BackgroundService
{
    private int _followUpPending;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Requested before the host reports started, so WhenSweptAsync from then on includes the start-up sweep.
        _ = signal.RequestSweep();
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            long generation;
            try
            {
                generation = await signal.WaitForRequestAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            try
            {
                // Resolved here, not in the constructor: a host without an image store fails its sweeps, not its start-up.
                var sweeper = services.GetRequiredService<StorageSweeper>();
                var tallies = await sweeper.SweepAsync(stoppingToken).ConfigureAwait(false);
                if (tallies.Any(t => t.Deferred > 0) && Interlocked.Exchange(ref _followUpPending, 1) == 0)
                {
                    _ = FollowUpAsync(stoppingToken);
                }
                signal.Complete(generation, null);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // A failed sweep must not stop the host: it is logged and handed to its waiters.
                LogFailed(ex);
                signal.Complete(generation, ex);
            }
        }
    }

    private async Task FollowUpAsync(CancellationToken stoppingToken)
    {
        try
        {
            // A moment past the grace period, so what was just too young is old enough.
            await Task.Delay(options.SweepGracePeriod + TimeSpan.FromSeconds(1), time, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        Volatile.Write(ref _followUpPending, 0);
        _ = signal.RequestSweep();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Storage sweep failed; the next request sweeps again")]
    private partial void LogFailed(Exception exception);
}
