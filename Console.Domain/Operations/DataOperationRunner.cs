using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using VisionConsole.Domain.Storage;
using VisionConsole.Domain.Training;

namespace VisionConsole.Domain.Operations;

/// <summary>
/// Runs queued operations of the kinds it has an <see cref="IOperationJob"/> for (import and export), one at a time,
/// oldest first. It wakes when one is queued (<see cref="DataOperationQueue.Signal"/>) and polls every second. Progress is
/// saved at most every <see cref="ProgressSaveInterval"/>; a cancel written by another process (the row turned
/// Cancelling) is noticed at the next save. At start-up, operations of its kinds that a dead process left Running are
/// failed and Cancelling ones confirmed, and upload folders no queued import needs are deleted.
/// </summary>
public sealed partial class DataOperationRunner(
    IServiceProvider services,
    IEnumerable<IOperationJob> jobs,
    IDbContextFactory<ConsoleDbContext> contextFactory,
    DataOperationQueue queue,
    ConsoleOptions options,
    TimeProvider time,
    ILogger<DataOperationRunner> logger) : BackgroundService
{
    /// <summary>The least time between two progress saves of one operation.</summary>
    public static TimeSpan ProgressSaveInterval { get; } = TimeSpan.FromMilliseconds(250);

    private TimeProvider Time => time;

    private readonly Dictionary<string, Type> _kinds = jobs.ToDictionary(j => j.Kind, j => j.GetType(), StringComparer.Ordinal);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var kinds = _kinds.Keys.ToList();
        try
        {
            await RecoverAsync(kinds, stoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogQueueFailed(ex);
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            long? next = null;
            try
            {
                next = await ClaimNextAsync(kinds, stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogQueueFailed(ex);
            }
            if (next is { } id)
            {
                await RunAsync(id, stoppingToken).ConfigureAwait(false);
                continue;
            }
            try
            {
                await queue.WaitAsync(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
        }
    }

    private async Task RecoverAsync(List<string> kinds, CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var stale = await db.TrainingOperations
            .Where(o => kinds.Contains(o.Kind) && (o.State == OperationState.Running || o.State == OperationState.Cancelling))
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        foreach (var operation in stale)
        {
            if (operation.State == OperationState.Cancelling)
            {
                operation.ConfirmCancelled(time.GetUtcNow());
            }
            else
            {
                operation.Fail("interrupted: the server stopped while this operation was running; start it again", time.GetUtcNow());
            }
            if (operation.Kind == Import.ImportRequest.Kind)
            {
                ImportOperationJob.DeleteUploadFolder(options, operation.Id);
            }
        }
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);

        // Spools of requests a stopped server never finished, and folders of imports that ended.
        if (Directory.Exists(options.UploadFolder))
        {
            var waiting = (await db.TrainingOperations.Where(o => o.Kind == Import.ImportRequest.Kind && o.State == OperationState.Queued)
                .Select(o => o.Id).ToListAsync(cancellationToken).ConfigureAwait(false)).ToHashSet();
            foreach (var folder in Directory.EnumerateDirectories(options.UploadFolder))
            {
                var name = Path.GetFileName(folder);
                if (!long.TryParse(name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id) || !waiting.Contains(id))
                {
                    Directory.Delete(folder, recursive: true);
                }
            }
        }
    }

    private async Task<long?> ClaimNextAsync(List<string> kinds, CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var operation = await db.TrainingOperations.Where(o => kinds.Contains(o.Kind) && o.State == OperationState.Queued)
            .OrderBy(o => o.Id).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        if (operation is null)
        {
            return null;
        }
        operation.Start(time.GetUtcNow());
        try
        {
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbUpdateConcurrencyException)
        {
            return null; // Cancelled between the read and the write; the next loop looks again.
        }
        return operation.Id;
    }

    private async Task RunAsync(long operationId, CancellationToken stoppingToken)
    {
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        queue.Register(operationId, cancellation);
        var progress = new ThrottledProgress(this, operationId, cancellation);
        try
        {
            string kind, requestJson;
            await using (var db = await contextFactory.CreateDbContextAsync(stoppingToken).ConfigureAwait(false))
            {
                var row = await db.TrainingOperations.AsNoTracking().Where(o => o.Id == operationId).Select(o => new { o.Kind, o.RequestJson }).FirstAsync(stoppingToken).ConfigureAwait(false);
                (kind, requestJson) = (row.Kind, row.RequestJson);
            }
            await using var scope = services.CreateAsyncScope();
            var job = scope.ServiceProvider.GetServices<IOperationJob>().First(j => j.Kind == kind);
            var resultJson = await job.RunAsync(operationId, requestJson, progress, cancellation.Token).ConfigureAwait(false);
            await progress.FlushAsync().ConfigureAwait(false);
            await UpdateAsync(operationId, o => o.CompleteWithResult(resultJson, "completed", time.GetUtcNow())).ConfigureAwait(false);
            LogFinished(operationId, kind, "Succeeded");
        }
        catch (Exception ex) when (cancellation.IsCancellationRequested)
        {
            await progress.FlushAsync().ConfigureAwait(false);
            await UpdateAsync(operationId, o =>
            {
                if (o.State == OperationState.Cancelling)
                {
                    o.ConfirmCancelled(time.GetUtcNow());
                }
                else if (!o.IsFinished)
                {
                    o.Fail(stoppingToken.IsCancellationRequested ? "interrupted: the server stopped while this operation was running; start it again" : ex.Message, time.GetUtcNow());
                }
            }).ConfigureAwait(false);
            LogFinished(operationId, "", "Cancelled");
        }
#pragma warning disable CA1031 // Any failure of a job fails its operation, with the reason, and never the runner.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogFailed(ex, operationId);
            await progress.FlushAsync().ConfigureAwait(false);
            await UpdateAsync(operationId, o =>
            {
                if (!o.IsFinished)
                {
                    o.Fail(ex.Message, time.GetUtcNow());
                }
            }).ConfigureAwait(false);
        }
        finally
        {
            queue.Unregister(operationId);
        }
    }

    /// <summary>Applies a change to the row on a fresh context, retrying when a cancel was written at the same moment.</summary>
    private async Task<TrainingOperation?> UpdateAsync(long operationId, Action<TrainingOperation> change)
    {
        for (var attempt = 1; attempt <= 8; attempt++)
        {
            await using var db = await contextFactory.CreateDbContextAsync(CancellationToken.None).ConfigureAwait(false);
            var operation = await db.TrainingOperations.FirstOrDefaultAsync(o => o.Id == operationId, CancellationToken.None).ConfigureAwait(false);
            if (operation is null)
            {
                return null; // The dataset (and with it the operation) was deleted.
            }
            try
            {
                change(operation);
                await db.SaveChangesAsync(CancellationToken.None).ConfigureAwait(false);
                return operation;
            }
            catch (DbUpdateConcurrencyException)
            {
            }
            catch (DomainException ex)
            {
                LogTransitionRefused(ex, operationId);
                return operation;
            }
        }
        return null;
    }

    /// <summary>Keeps the latest report; saves it when <see cref="ProgressSaveInterval"/> has passed since the last save.</summary>
    private sealed class ThrottledProgress(DataOperationRunner runner, long operationId, CancellationTokenSource job) : IProgress<OperationReport>
    {
        private OperationReport? _latest;
        private OperationReport? _saved;
        private long _lastSave;

        public void Report(OperationReport value)
        {
            _latest = value;
            var now = runner.Time.GetTimestamp();
            if (runner.Time.GetElapsedTime(_lastSave, now) >= ProgressSaveInterval)
            {
                _lastSave = now;
                // Jobs report from their own flow; the save is synchronous to keep the order of reports.
                FlushAsync().GetAwaiter().GetResult();
            }
        }

        public async Task FlushAsync()
        {
            var latest = _latest;
            if (latest is null || ReferenceEquals(latest, _saved))
            {
                return;
            }
            _saved = latest;
            var saved = await runner.UpdateAsync(operationId, o =>
            {
                if (!o.IsFinished)
                {
                    o.ReportProgress(latest.ProgressJson);
                }
            }).ConfigureAwait(false);
            if (saved?.State == OperationState.Cancelling && !job.IsCancellationRequested)
            {
                await job.CancelAsync().ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Operation {OperationId} ({Kind}) {Outcome}")]
    private partial void LogFinished(long operationId, string kind, string outcome);

    [LoggerMessage(Level = LogLevel.Error, Message = "Operation {OperationId} failed")]
    private partial void LogFailed(Exception exception, long operationId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Operation {OperationId}: state change refused")]
    private partial void LogTransitionRefused(Exception exception, long operationId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reading the operation queue failed; retrying at the next poll")]
    private partial void LogQueueFailed(Exception exception);
}
