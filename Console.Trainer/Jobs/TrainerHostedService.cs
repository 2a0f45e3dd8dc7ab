using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VisionConsole.Domain;
using VisionConsole.Domain.Operations;
using VisionConsole.Domain.Training;

namespace VisionConsole.Trainer.Jobs;

/// <summary>
/// The hosted trainer. Its queue is the database: Queued operations run oldest first, up to
/// <see cref="TrainerOptions.MaxConcurrentJobs"/> at once. It wakes at once when an operation is queued
/// (<see cref="TrainingQueue.Signal"/>) and also polls. At start-up, operations a dead process left Running are
/// failed with the reason "interrupted" and Cancelling ones are confirmed Cancelled; Queued ones simply run.
/// Besides trainings it runs every kind an <see cref="IOperationJob"/> is registered for (import and export).
/// </summary>
public sealed partial class TrainerHostedService(
    IServiceProvider services,
    OperationStore operations,
    TrainingQueue queue,
    IOperationNotifier notifier,
    IOptions<TrainerOptions> options,
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
            foreach (var id in await operations.FindAsync(OperationState.Queued, cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    return await operations.UpdateAsync(id, o => o.Start(time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
                }
                catch (DomainException)
                {
                    // Cancelled (or claimed) between the read and the write: try the next one.
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
        try
        {
            await using var dataScope = services.CreateAsyncScope();
            if (dataScope.ServiceProvider.GetServices<IOperationJob>().FirstOrDefault(j => j.Kind == operation.Kind) is { } dataJob)
            {
                // Import and export: the job reports its own progress JSON and returns its result JSON.
                var requestJson = await operations.GetRequestJsonAsync(operation.Id, stoppingToken).ConfigureAwait(false);
                var resultJson = await dataJob.RunAsync(operation.Id, requestJson, sink, cancellation.Token).ConfigureAwait(false);
                sink.Stop();
                await operations.UpdateAsync(operation.Id, o => o.CompleteWithResult(resultJson, "completed", time.GetUtcNow()), CancellationToken.None, publish: false).ConfigureAwait(false);
                LogDataJobSucceeded(operation.Id, operation.Kind);
                return;
            }
            if (operation.Kind != TrainingRequest.ClassificationKind || operation.Request is not { } request)
            {
                throw new InvalidOperationException($"Operation {operation.Id} of kind '{operation.Kind}' has no training request this trainer can run.");
            }
            LogStarting(operation.Id, request.DatasetId, request.ModelType ?? TrainingRequest.DefaultModelType);
            await using var scope = services.CreateAsyncScope();
            var job = scope.ServiceProvider.GetRequiredService<ClassificationTrainingJob>();
            // The job does CPU work synchronously; it runs on this pool thread, not the queue loop.
            var result = await job.RunAsync(operation.Id, request, sink, cancellation.Token).ConfigureAwait(false);
            LogSucceeded(operation.Id, result.ModelId, result.Elapsed.TotalSeconds);
        }
        catch (Exception ex) when (cancellation.IsCancellationRequested)
        {
            await FinishCancelledAsync(operation.Id, stoppingToken.IsCancellationRequested, ex).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
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
            await PublishFinalStateAsync(operation.Id).ConfigureAwait(false);
            queue.Signal();
        }
    }

    /// <summary>
    /// The job commits its result in its own transaction, so live clients learn the final state (and the model it
    /// produced) from here, after the last progress report.
    /// </summary>
    private async Task PublishFinalStateAsync(long operationId)
    {
        try
        {
            var final = await operations.GetAsync(operationId, CancellationToken.None).ConfigureAwait(false);
            notifier.Publish(new OperationUpdate(final, time.GetUtcNow()));
        }
        catch (Exception ex) when (ex is DomainException or ObjectDisposedException or InvalidOperationException)
        {
            LogProgressSaveFailed(ex, operationId);
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
        string? saved = null;
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
            var latest = sink.LatestJson;
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

    private async Task TryUpdateAsync(long operationId, Action<TrainingOperation> change, CancellationToken cancellationToken)
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

    /// <summary>Receives the job's reports: publishes each at once, keeps the latest for the database.</summary>
    private sealed class ProgressSink(OperationSummary operation, IOperationNotifier notifier, TimeProvider time) : IProgress<TrainingProgress>, IProgress<OperationReport>
    {
        private readonly CancellationTokenSource _stop = new();
        private string? _latestJson;

        public string? LatestJson => Volatile.Read(ref _latestJson);

        public bool Stopped => _stop.IsCancellationRequested;

        public CancellationToken StopToken => _stop.Token;

        public void Report(TrainingProgress value)
        {
            Volatile.Write(ref _latestJson, JsonSerializer.Serialize(value, ClassifierFiles.Json));
            notifier.Publish(new OperationUpdate(operation with { State = OperationState.Running, Progress = value }, time.GetUtcNow()));
        }

        /// <summary>An import's or export's report: its JSON is stored and published as it is.</summary>
        public void Report(OperationReport value)
        {
            ArgumentNullException.ThrowIfNull(value);
            Volatile.Write(ref _latestJson, value.ProgressJson);
            notifier.Publish(new OperationUpdate(operation with { State = OperationState.Running, ProgressJson = value.ProgressJson }, time.GetUtcNow()));
        }

        public void Stop() => _stop.Cancel();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Operation {OperationId} found {Outcome} at start-up")]
    private partial void LogRecovered(long operationId, string outcome);

    [LoggerMessage(Level = LogLevel.Information, Message = "Operation {OperationId}: training on dataset {DatasetId} ({ModelType})")]
    private partial void LogStarting(long operationId, long datasetId, string modelType);

    [LoggerMessage(Level = LogLevel.Information, Message = "Operation {OperationId} succeeded: model {ModelId} in {Seconds:0.0} s")]
    private partial void LogSucceeded(long operationId, long modelId, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Operation {OperationId} ({Kind}) succeeded")]
    private partial void LogDataJobSucceeded(long operationId, string kind);

    [LoggerMessage(Level = LogLevel.Information, Message = "Operation {OperationId} stopped (server shutting down: {ShuttingDown})")]
    private partial void LogCancelled(long operationId, bool shuttingDown);

    [LoggerMessage(Level = LogLevel.Error, Message = "Operation {OperationId} failed")]
    private partial void LogFailed(Exception exception, long operationId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Operation {OperationId}: state change refused")]
    private partial void LogTransitionRefused(Exception exception, long operationId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Operation {OperationId}: progress not saved")]
    private partial void LogProgressSaveFailed(Exception exception, long operationId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reading the training queue failed; retrying at the next poll")]
    private partial void LogQueueReadFailed(Exception exception);
}
