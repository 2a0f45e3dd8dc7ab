using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VisionConsole.Domain;
using VisionConsole.Domain.Operations;

namespace VisionConsole.Trainer.Jobs;

/// <summary>
/// The one hosted runner of operations. Its queue is the database: Queued operations run oldest first, up to
/// <see cref="TrainerOptions.MaxConcurrentJobs"/> at once, each by the <see cref="IOperationJob"/> registered for its kind
/// (trainings, imports and exports alike). It wakes at once when an operation is queued (<see cref="OperationQueue.Signal"/>)
/// and also polls. At start-up, operations a dead process left Running are failed with the reason
/// <see cref="InterruptedReason"/> and Cancelling ones are confirmed Cancelled; Queued ones simply run: nothing is forgotten.
/// </summary>
public sealed partial class TrainerHostedService(
    IServiceProvider services,
    OperationStore operations,
    OperationQueue queue,
    IOperationNotifier notifier,
    IOptions<TrainerOptions> options,
    OperationTelemetry telemetry,
    TimeProvider time,
    ILogger<TrainerHostedService> logger) : BackgroundService
{
    /// <summary>The reason recorded on an operation that was running when the process stopped.</summary>
    public const string InterruptedReason = "interrupted: the server stopped while this operation was running; start it again";

    private readonly List<Task> _jobs = [];

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Let the host finish starting (the database step runs first) before touching the queue.
        await Task.Yield();
        await RecoverAsync(stoppingToken).ConfigureAwait(false);
        var settings = options.Value;
        var slots = Math.Max(1, settings.MaxConcurrentJobs);
        while (!stoppingToken.IsCancellationRequested)
        {
            _jobs.RemoveAll(j => j.IsCompleted);
            while (_jobs.Count < slots && await ClaimNextAsync(stoppingToken).ConfigureAwait(false) is { } claimed)
            {
                _jobs.Add(Task.Run(() => RunJobAsync(claimed, stoppingToken), CancellationToken.None));
            }
            try
            {
                await queue.WaitAsync(settings.PollInterval, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
        }
        await Task.WhenAll(_jobs).ConfigureAwait(false);
    }

    /// <summary>Fails what a dead process left Running, confirms what it left Cancelling.</summary>
    internal async Task RecoverAsync(CancellationToken cancellationToken)
    {
        foreach (var id in await operations.FindAsync(OperationState.Running, cancellationToken).ConfigureAwait(false))
        {
            await TryUpdateAsync(id, o => o.Fail(InterruptedReason, time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
            LogRecovered(id, "Failed (interrupted)");
        }
        foreach (var id in await operations.FindAsync(OperationState.Cancelling, cancellationToken).ConfigureAwait(false))
        {
            await TryUpdateAsync(id, o => o.ConfirmCancelled(time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
            LogRecovered(id, "Cancelled");
        }
        // Uploads of imports that ended (or of requests a stopped server never finished) are not needed any more.
        if (services.GetService<DataOperationService>() is { } dataOperations)
        {
            await dataOperations.DeleteStaleUploadsAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<OperationSummary?> ClaimNextAsync(CancellationToken cancellationToken)
    {
        try
        {
            var queued = await operations.FindAsync(OperationState.Queued, cancellationToken).ConfigureAwait(false);
            telemetry.Queued(queued.Count);
            foreach (var id in queued)
            {
                try
                {
                    return await operations.UpdateAsync(id, o => o.Start(time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
                }
                catch (DomainException)
                {
                    // Cancelled (or claimed) between the read and the write: try the next one.
                }
                catch (OperationDataException ex)
                {
                    // A row this build cannot read can never run: fail it with the reason instead of retrying it forever.
                    LogUnreadable(ex, id);
                    await operations.FailUnreadableAsync(id, ex.Message, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogQueueReadFailed(ex);
        }
        return null;
    }

    private async Task RunJobAsync(OperationSummary operation, CancellationToken stoppingToken)
    {
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        queue.Register(operation.Id, cancellation);
        var sink = new ProgressSink(operation, notifier, time);
        var pumpTask = PumpProgressAsync(operation.Id, sink, cancellation);
        var activity = telemetry.Start(operation.Id, operation.Kind);
        var clock = time.GetTimestamp();
        var (outcome, error) = ("failed", (string?)null);
        try
        {
            await using var scope = services.CreateAsyncScope();
            var job = scope.ServiceProvider.GetServices<IOperationJob>().LastOrDefault(j => j.Kind == operation.Kind)
                ?? throw new InvalidOperationException($"Operation {operation.Id} is of kind '{operation.Kind}', which no job of this build runs.");
            LogStarting(operation.Id, operation.Kind, operation.DatasetId);
            // Jobs do CPU work synchronously; they run on this pool thread, not the queue loop.
            var completion = await job.RunAsync(new OperationRun(operation.Id, operation.Request, operation.CreatedBy, sink), cancellation.Token).ConfigureAwait(false);
            // The last progress is in; stop saving it so no progress write races the completion's transaction.
            sink.Stop();
            await pumpTask.ConfigureAwait(false);
            await operations.CompleteAsync(operation.Id, completion, sink.Latest, cancellation.Token).ConfigureAwait(false);
            LogSucceeded(operation.Id, operation.Kind, completion.StopReason, time.GetElapsedTime(clock).TotalSeconds);
            outcome = "succeeded";
        }
        catch (Exception ex) when (cancellation.IsCancellationRequested)
        {
            (outcome, error) = (stoppingToken.IsCancellationRequested ? "interrupted" : "cancelled", ex.Message);
            await FinishCancelledAsync(operation.Id, stoppingToken.IsCancellationRequested, ex).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            error = ex.Message;
            LogFailed(ex, operation.Id);
            await TryUpdateAsync(operation.Id, o =>
            {
                if (o.State == OperationState.Cancelling)
                {
                    o.ConfirmCancelled(time.GetUtcNow());
                }
                else
                {
                    o.Fail(ex.Message, time.GetUtcNow());
                }
            }, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            queue.Unregister(operation.Id);
            sink.Stop();
            await pumpTask.ConfigureAwait(false);
            telemetry.Finished(activity, operation.Kind, outcome, time.GetElapsedTime(clock).TotalSeconds, error);
            queue.Signal();
        }
    }

    private async Task FinishCancelledAsync(long operationId, bool shuttingDown, Exception exception)
    {
        await TryUpdateAsync(operationId, o =>
        {
            if (o.State == OperationState.Cancelling)
            {
                o.ConfirmCancelled(time.GetUtcNow());
            }
            else if (o.State == OperationState.Running)
            {
                // The host is stopping (or a cancel reached the job without the entity): it did not finish.
                o.Fail(shuttingDown ? InterruptedReason : $"stopped: {exception.Message}", time.GetUtcNow());
            }
        }, CancellationToken.None).ConfigureAwait(false);
        LogCancelled(operationId, shuttingDown);
    }

    /// <summary>
    /// Saves the latest progress every <see cref="TrainerOptions.ProgressSaveInterval"/> and notices a cancel
    /// written by another process (the row turned Cancelling) to stop the job here too.
    /// </summary>
    private async Task PumpProgressAsync(long operationId, ProgressSink sink, CancellationTokenSource job)
    {
        var interval = options.Value.ProgressSaveInterval;
        OperationProgress? saved = null;
        while (!sink.Stopped)
        {
            try
            {
                await Task.Delay(interval, sink.StopToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var latest = sink.Latest;
            if (latest is null || ReferenceEquals(latest, saved))
            {
                continue;
            }
            try
            {
                var state = await operations.UpdateAsync(operationId, o =>
                {
                    if (!o.IsFinished)
                    {
                        o.ReportProgress(latest);
                    }
                }, CancellationToken.None, publish: false).ConfigureAwait(false);
                saved = latest;
                if (state.State == OperationState.Cancelling && !job.IsCancellationRequested)
                {
                    await job.CancelAsync().ConfigureAwait(false);
                }
                if (state.Done)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is DomainException or ObjectDisposedException or InvalidOperationException)
            {
                LogProgressSaveFailed(ex, operationId);
            }
        }
    }

    private async Task TryUpdateAsync(long operationId, Action<Operation> change, CancellationToken cancellationToken)
    {
        try
        {
            await operations.UpdateAsync(operationId, change, cancellationToken).ConfigureAwait(false);
        }
        catch (DomainException ex)
        {
            LogTransitionRefused(ex, operationId);
        }
    }

    /// <summary>Receives the job's typed reports: publishes each at once, keeps the latest for the database.</summary>
    private sealed class ProgressSink(OperationSummary operation, IOperationNotifier notifier, TimeProvider time) : IProgress<OperationProgress>
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Type _progressType = OperationKinds.Of(operation.Kind, operation.Id).ProgressType;
        private OperationProgress? _latest;

        public OperationProgress? Latest => Volatile.Read(ref _latest);

        public bool Stopped => _stop.IsCancellationRequested;

        public CancellationToken StopToken => _stop.Token;

        public void Report(OperationProgress value)
        {
            ArgumentNullException.ThrowIfNull(value);
            if (value.GetType() != _progressType)
            {
                // Refused where it is reported, so the job's bug surfaces in the job, not later in a save.
                throw new ArgumentException($"Operation {operation.Id} ({operation.Kind}) reports {_progressType.Name}, not {value.GetType().Name}.", nameof(value));
            }
            Volatile.Write(ref _latest, value);
            notifier.Publish(new OperationUpdate(operation with { State = OperationState.Running, Progress = value }, time.GetUtcNow()));
        }

        public void Stop() => _stop.Cancel();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Operation {OperationId} found {Outcome} at start-up")]
    private partial void LogRecovered(long operationId, string outcome);

    [LoggerMessage(Level = LogLevel.Information, Message = "Operation {OperationId}: {Kind} on dataset {DatasetId}")]
    private partial void LogStarting(long operationId, string kind, long? datasetId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Operation {OperationId} ({Kind}) succeeded: {StopReason} in {Seconds:0.0} s")]
    private partial void LogSucceeded(long operationId, string kind, string stopReason, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Operation {OperationId} stopped (server shutting down: {ShuttingDown})")]
    private partial void LogCancelled(long operationId, bool shuttingDown);

    [LoggerMessage(Level = LogLevel.Error, Message = "Operation {OperationId} failed")]
    private partial void LogFailed(Exception exception, long operationId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Operation {OperationId} cannot be read and is failed")]
    private partial void LogUnreadable(Exception exception, long operationId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Operation {OperationId}: state change refused")]
    private partial void LogTransitionRefused(Exception exception, long operationId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Operation {OperationId}: progress not saved")]
    private partial void LogProgressSaveFailed(Exception exception, long operationId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reading the operation queue failed; retrying at the next poll")]
    private partial void LogQueueReadFailed(Exception exception);
}

/// <summary>
/// The runner's wake-up signal and the cancellation handles of the jobs running in this process.
/// </summary>
public sealed class OperationQueue : IOperationQueue
{
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
    });

    private readonly ConcurrentDictionary<long, CancellationTokenSource> _running = new();

    /// <summary>Wakes the runner: an operation was queued or a job slot freed up.</summary>
    public void Signal() => _signal.Writer.TryWrite(true);

    /// <summary>Waits for a signal, up to <paramref name="timeout"/>.</summary>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        try
        {
            await _signal.Reader.ReadAsync(timer.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The poll interval passed.
        }
    }

    /// <summary>The ids of the operations running in this process.</summary>
    public IReadOnlyCollection<long> Running => _running.Keys.ToArray();

    internal void Register(long operationId, CancellationTokenSource cancellation) => _running[operationId] = cancellation;

    internal void Unregister(long operationId) => _running.TryRemove(operationId, out _);

    /// <summary>Cancels the running job of the operation; false when none runs here.</summary>
    public bool CancelRunning(long operationId)
    {
        if (!_running.TryGetValue(operationId, out var cancellation))
        {
            return false;
        }
        try
        {
            cancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
        return true;
    }
}
