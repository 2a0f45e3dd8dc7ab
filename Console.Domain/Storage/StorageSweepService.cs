using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace VisionConsole.Domain.Storage;

/// <summary>
/// Runs <see cref="StorageSweeper"/> in the background whenever <see cref="StorageSweepSignal"/> is signalled, and
/// once at start-up (after the database is upgraded: hosted services start in order). A failed sweep is logged and
/// faults the waiters of that sweep; the next request sweeps again.
/// </summary>
internal sealed partial class StorageSweepService(IServiceProvider services, StorageSweepSignal signal, ILogger<StorageSweepService> logger) : BackgroundService
{
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
                await sweeper.SweepAsync(stoppingToken).ConfigureAwait(false);
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

    [LoggerMessage(Level = LogLevel.Error, Message = "Storage sweep failed; the next request sweeps again")]
    private partial void LogFailed(Exception exception);
}
