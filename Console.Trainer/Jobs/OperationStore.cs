using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using VisionConsole.Domain;
using VisionConsole.Domain.Storage;
using VisionConsole.Domain.Training;

namespace VisionConsole.Trainer.Jobs;

/// <summary>
/// Reads and changes <see cref="TrainingOperation"/> rows: every change goes through an entity method on a fresh
/// DbContext, and a concurrency conflict (the job and a user's cancel writing at once) re-reads the row and
/// applies the change again to the fresh state. Every successful change is published on the notifier.
/// </summary>
public sealed class OperationStore(IDbContextFactory<ConsoleDbContext> contextFactory, IOperationNotifier notifier, TimeProvider time)
{
    private const int MaxAttempts = 8;

    /// <summary>Applies <paramref name="change"/> to the operation and saves it; returns the saved state.</summary>
    /// <param name="operationId">The operation.</param>
    /// <param name="change">An entity method call; it may throw <see cref="DomainException"/> to refuse.</param>
    /// <param name="cancellationToken">Cancels the database calls.</param>
    /// <param name="publish">Whether to publish the change (progress saves are published as they are reported instead).</param>
    public async Task<OperationSummary> UpdateAsync(long operationId, Action<TrainingOperation> change, CancellationToken cancellationToken = default, bool publish = true)
    {
        ArgumentNullException.ThrowIfNull(change);
        for (var attempt = 1; ; attempt++)
        {
            await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
            var operation = await db.TrainingOperations.FirstOrDefaultAsync(o => o.Id == operationId, cancellationToken).ConfigureAwait(false)
                ?? throw new NotFoundException($"Operation {operationId}");
            change(operation);
            try
            {
                await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (DbUpdateConcurrencyException) when (attempt < MaxAttempts)
            {
                continue;
            }
            catch (DbUpdateConcurrencyException ex)
            {
                throw new ConcurrencyConflictException($"Operation {operationId} kept changing while it was being updated ({ex.Message}).");
            }
            var summary = await ToSummaryAsync(db, operation, cancellationToken).ConfigureAwait(false);
            if (publish)
            {
                notifier.Publish(new OperationUpdate(summary, time.GetUtcNow()));
            }
            return summary;
        }
    }

    /// <summary>One operation; <see cref="NotFoundException"/> when absent.</summary>
    public async Task<OperationSummary> GetAsync(long operationId, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var operation = await db.TrainingOperations.AsNoTracking().FirstOrDefaultAsync(o => o.Id == operationId, cancellationToken).ConfigureAwait(false)
            ?? throw new NotFoundException($"Operation {operationId}");
        return await ToSummaryAsync(db, operation, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Operations matching the query, in its order (newest first by default).</summary>
    public async Task<IReadOnlyList<OperationSummary>> ListAsync(OperationQuery query, CancellationToken cancellationToken = default) =>
        (await ListPageAsync(query, cancellationToken).ConfigureAwait(false)).Items;

    /// <summary>One page of the operations matching the query, and how many match in all.</summary>
    public async Task<OperationListPage> ListPageAsync(OperationQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var operations = db.TrainingOperations.AsNoTracking();
        if (query.DatasetId is { } datasetId)
        {
            operations = operations.Where(o => o.DatasetId == datasetId);
        }
        if (query.Done is { } done)
        {
            operations = done
                ? operations.Where(o => o.State == OperationState.Succeeded || o.State == OperationState.Failed || o.State == OperationState.Cancelled)
                : operations.Where(o => o.State == OperationState.Queued || o.State == OperationState.Running || o.State == OperationState.Cancelling);
        }
        var total = await operations.CountAsync(cancellationToken).ConfigureAwait(false);
        var rows = await Order(operations, query.SortBy, query.Descending)
            .Skip(Math.Max(0, query.Skip)).Take(Math.Clamp(query.Take, 1, 1000))
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        var versionIds = rows.Where(o => o.ResultModelVersionId is not null).Select(o => o.ResultModelVersionId!.Value).ToList();
        var modelByVersion = await db.ModelVersions.Where(v => versionIds.Contains(v.Id))
            .ToDictionaryAsync(v => v.Id, v => v.ModelId, cancellationToken).ConfigureAwait(false);
        return new OperationListPage(rows.Select(o => ToSummary(o, o.ResultModelVersionId is { } v && modelByVersion.TryGetValue(v, out var m) ? m : null)).ToList(), total);
    }

    // Ids grow with creation time, so "created" orders by id (no DateTimeOffset ordering in SQLite); the id breaks ties.
    private static IQueryable<TrainingOperation> Order(IQueryable<TrainingOperation> operations, OperationSortField field, bool descending) => (field, descending) switch
    {
        (OperationSortField.Kind, false) => operations.OrderBy(o => o.Kind).ThenBy(o => o.Id),
        (OperationSortField.Kind, true) => operations.OrderByDescending(o => o.Kind).ThenByDescending(o => o.Id),
        (OperationSortField.State, false) => operations.OrderBy(o => o.State).ThenBy(o => o.Id),
        (OperationSortField.State, true) => operations.OrderByDescending(o => o.State).ThenByDescending(o => o.Id),
        (_, false) => operations.OrderBy(o => o.Id),
        _ => operations.OrderByDescending(o => o.Id),
    };

    /// <summary>The request of an operation as stored; <see cref="NotFoundException"/> when absent.</summary>
    public async Task<string> GetRequestJsonAsync(long operationId, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        return await db.TrainingOperations.Where(o => o.Id == operationId).Select(o => o.RequestJson).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new NotFoundException($"Operation {operationId}");
    }

    /// <summary>The ids of operations in these states, oldest first.</summary>
    public async Task<IReadOnlyList<long>> FindAsync(OperationState state, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        return await db.TrainingOperations.Where(o => o.State == state)
            .OrderBy(o => o.CreatedAt).ThenBy(o => o.Id).Select(o => o.Id)
            .ToListAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The request of a training operation.</summary>
    public static TrainingRequest? ReadRequest(string requestJson)
    {
        if (string.IsNullOrWhiteSpace(requestJson))
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize<TrainingRequest>(requestJson, ClassifierFiles.Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The stored progress of an operation.</summary>
    public static TrainingProgress? ReadProgress(string? progressJson)
    {
        if (string.IsNullOrWhiteSpace(progressJson))
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize<TrainingProgress>(progressJson, ClassifierFiles.Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The summary of an entity, with the model its result version belongs to.</summary>
    public static OperationSummary ToSummary(TrainingOperation operation, long? resultModelId)
    {
        ArgumentNullException.ThrowIfNull(operation);
        // Import and export keep other shapes in the same columns: they are passed on as JSON, not read as a training's.
        var training = operation.Kind.StartsWith("train-", StringComparison.Ordinal);
        return new OperationSummary(
            operation.Id, operation.Kind, operation.State, operation.DatasetId, training ? ReadRequest(operation.RequestJson) : null,
            training ? ReadProgress(operation.ProgressJson) : null, operation.Error, operation.StopReason, resultModelId, operation.ResultModelVersionId,
            operation.CreatedAt, operation.StartedAt, operation.FinishedAt, operation.CreatedBy)
        {
            ProgressJson = training ? null : operation.ProgressJson,
            ResultJson = operation.ResultJson,
        };
    }

    private static async Task<OperationSummary> ToSummaryAsync(ConsoleDbContext db, TrainingOperation operation, CancellationToken cancellationToken)
    {
        long? modelId = null;
        if (operation.ResultModelVersionId is { } versionId)
        {
            modelId = await db.ModelVersions.Where(v => v.Id == versionId).Select(v => (long?)v.ModelId).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        }
        return ToSummary(operation, modelId);
    }
}

/// <summary>
/// The queue's wake-up signal and the cancellation handles of the jobs running in this process.
/// </summary>
public sealed class TrainingQueue : VisionConsole.Domain.Operations.IOperationQueue
{
    private readonly System.Threading.Channels.Channel<bool> _signal =
        System.Threading.Channels.Channel.CreateBounded<bool>(new System.Threading.Channels.BoundedChannelOptions(1)
        {
            FullMode = System.Threading.Channels.BoundedChannelFullMode.DropWrite,
        });

    private readonly ConcurrentDictionary<long, CancellationTokenSource> _running = new();

    /// <summary>Wakes the trainer: an operation was queued or a job slot freed up.</summary>
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
