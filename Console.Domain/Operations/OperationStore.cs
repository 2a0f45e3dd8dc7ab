using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using VisionConsole.Domain.Auditing;
using VisionConsole.Domain.Storage;

namespace VisionConsole.Domain.Operations;

/// <summary>
/// The one place operation rows are written: creating (with its audit event, the live update and the runner's wake-up),
/// every state change through an entity method on a fresh DbContext (a concurrency conflict, the job and a user's cancel
/// writing at once, re-reads the row and applies the change again to the fresh state), completion with the job's own rows
/// in one transaction, and cancel requests (audited). Every successful change is published on the notifier.
/// </summary>
public sealed class OperationStore(
    IDbContextFactory<ConsoleDbContext> contextFactory,
    IOperationNotifier notifier,
    IEnumerable<IOperationQueue> queues,
    TimeProvider time)
{
    private const int MaxAttempts = 8;

    /// <summary>
    /// Queues an operation for <paramref name="request"/> and audits it as created by <paramref name="user"/>.
    /// <paramref name="finalize"/>, when given, runs inside the transaction once the row has its id and returns the final
    /// request (an import moves its upload under the id); the row is not visible to the runner before the commit.
    /// </summary>
    public async Task<OperationSummary> CreateAsync(
        OperationRequest request, long? datasetId, string user, object? auditDetails,
        Func<long, OperationRequest>? finalize = null, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var operation = new Operation(request, datasetId, user, now);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        db.Operations.Add(operation);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        if (finalize is not null)
        {
            operation.ReplaceRequest(finalize(operation.Id));
        }
        db.AuditEvents.Add(AuditEvent.Of(user, now, "operation", operation.Id, "created", null, auditDetails ?? new { kind = operation.Kind, datasetId }));
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        var summary = OperationSummary.From(operation);
        notifier.Publish(new OperationUpdate(summary, now));
        foreach (var queue in queues)
        {
            queue.Signal();
        }
        return summary;
    }

    /// <summary>Applies <paramref name="change"/> to the operation and saves it; returns the saved state.</summary>
    /// <param name="operationId">The operation.</param>
    /// <param name="change">An entity method call; it may throw <see cref="DomainException"/> to refuse.</param>
    /// <param name="cancellationToken">Cancels the database calls.</param>
    /// <param name="publish">Whether to publish the change (progress saves are published as they are reported instead).</param>
    public async Task<OperationSummary> UpdateAsync(long operationId, Action<Operation> change, CancellationToken cancellationToken = default, bool publish = true)
    {
        ArgumentNullException.ThrowIfNull(change);
        for (var attempt = 1; ; attempt++)
        {
            await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
            var operation = await db.Operations.FirstOrDefaultAsync(o => o.Id == operationId, cancellationToken).ConfigureAwait(false)
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
            var summary = OperationSummary.From(operation);
            if (publish)
            {
                notifier.Publish(new OperationUpdate(summary, time.GetUtcNow()));
            }
            return summary;
        }
    }

    /// <summary>
    /// Completes the operation with what its job produced: the job's rows, the result and the Succeeded state in one
    /// transaction. A completion without rows is retried on a concurrency conflict (a cancel that lost the race); one with
    /// rows is abandoned and reported as cancelled (<see cref="OperationCanceledException"/>), since the row changed under it.
    /// <paramref name="lastProgress"/>, the job's last report, is saved with it, so the finished row shows where the work ended.
    /// </summary>
    public async Task<OperationSummary> CompleteAsync(long operationId, OperationCompletion completion, OperationProgress? lastProgress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(completion);
        if (completion.ImmediateResult is { } immediate)
        {
            return await UpdateAsync(operationId, o =>
            {
                if (lastProgress is not null)
                {
                    o.ReportProgress(lastProgress);
                }
                o.Complete(immediate, completion.StopReason, time.GetUtcNow());
            }, cancellationToken).ConfigureAwait(false);
        }
        var committed = false;
        try
        {
            await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            var operation = await db.Operations.FirstOrDefaultAsync(o => o.Id == operationId, cancellationToken).ConfigureAwait(false)
                ?? throw new NotFoundException($"Operation {operationId}");
            if (lastProgress is not null)
            {
                operation.ReportProgress(lastProgress);
            }
            var result = await completion.CommitAsync(db, operation, cancellationToken).ConfigureAwait(false);
            operation.Complete(result, completion.StopReason, time.GetUtcNow());
            try
            {
                // Past this point the work is done: a cancel arriving now loses to the commit (the entity allows it).
                await db.SaveChangesAsync(CancellationToken.None).ConfigureAwait(false);
                await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (DbUpdateConcurrencyException)
            {
                throw new OperationCanceledException($"Operation {operationId} changed while its result was being saved.");
            }
            committed = true;
            var summary = OperationSummary.From(operation);
            notifier.Publish(new OperationUpdate(summary, time.GetUtcNow()));
            return summary;
        }
        finally
        {
            if (!committed)
            {
                completion.Abandon();
            }
        }
    }

    /// <summary>
    /// Records a user's cancel request (audited): a Queued operation is Cancelled at once, a Running one becomes Cancelling
    /// and its job in this process is told at once. A finished one is refused (<c>invalid-transition</c>).
    /// </summary>
    /// <summary>
    /// Deletes a finished operation's row (what it made, a model or a dataset's images, stays), audited; answers it as it was.
    /// </summary>
    /// <exception cref="NotFoundException">No such operation.</exception>
    /// <exception cref="DomainException"><c>invalid-transition</c> while it is queued or running: cancel it first.</exception>
    public async Task<OperationSummary> DeleteAsync(long operationId, string user, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var operation = await db.Operations.FirstOrDefaultAsync(o => o.Id == operationId, cancellationToken).ConfigureAwait(false)
            ?? throw new NotFoundException($"Operation {operationId}");
        var summary = OperationSummary.From(operation);
        if (!summary.Done)
        {
            throw new DomainException("invalid-transition", $"Operation {operationId} is {summary.State.ToString().ToLowerInvariant()}; cancel it and delete it once it has stopped.");
        }
        db.Operations.Remove(operation);
        db.AuditEvents.Add(AuditEvent.Of(user, time.GetUtcNow(), "operation", operationId, "deleted", new { kind = summary.Kind, state = summary.State.ToString() }, null));
        try
        {
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbUpdateConcurrencyException)
        {
            throw new NotFoundException($"Operation {operationId}"); // deleted by someone else meanwhile
        }
        return summary;
    }

    public async Task<OperationSummary> RequestCancelAsync(long operationId, string user, CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
            var operation = await db.Operations.FirstOrDefaultAsync(o => o.Id == operationId, cancellationToken).ConfigureAwait(false)
                ?? throw new NotFoundException($"Operation {operationId}");
            var before = operation.State;
            var now = time.GetUtcNow();
            operation.RequestCancel(now);
            db.AuditEvents.Add(AuditEvent.Of(user, now, "operation", operationId, "cancel-requested", new { state = before }, new { state = operation.State }));
            try
            {
                await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (DbUpdateConcurrencyException) when (attempt < MaxAttempts)
            {
                continue; // The runner saved progress at the same moment: apply the cancel to the fresh row.
            }
            if (operation.State == OperationState.Cancelling)
            {
                // The job confirms Cancelled once it has stopped; a job in another process notices the row.
                foreach (var queue in queues)
                {
                    queue.CancelRunning(operationId);
                }
            }
            var summary = OperationSummary.From(operation);
            notifier.Publish(new OperationUpdate(summary, now));
            return summary;
        }
    }

    /// <summary>
    /// Fails an operation whose row its kind's codec cannot read (<see cref="OperationDataException"/>), without reading it,
    /// so the runner does not claim it again. Not published: there is no readable view of it to send.
    /// </summary>
    public async Task FailUnreadableAsync(long operationId, string reason, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var operation = await db.Operations.FirstOrDefaultAsync(o => o.Id == operationId, cancellationToken).ConfigureAwait(false);
        if (operation is { IsFinished: false })
        {
            operation.Fail(reason, time.GetUtcNow());
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One operation; <see cref="NotFoundException"/> when absent.</summary>
    public async Task<OperationSummary> GetAsync(long operationId, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var operation = await db.Operations.AsNoTracking().FirstOrDefaultAsync(o => o.Id == operationId, cancellationToken).ConfigureAwait(false)
            ?? throw new NotFoundException($"Operation {operationId}");
        return OperationSummary.From(operation);
    }

    /// <summary>Operations matching the query, newest first.</summary>
    public async Task<IReadOnlyList<OperationSummary>> ListAsync(OperationQuery query, CancellationToken cancellationToken = default) =>
        (await ListPageAsync(query, cancellationToken).ConfigureAwait(false)).Items;

    /// <summary>One page of the operations matching the query, in its order, and how many match in all.</summary>
    public async Task<OperationListPage> ListPageAsync(OperationQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var operations = db.Operations.AsNoTracking();
        if (query.DatasetId is { } datasetId)
        {
            operations = operations.Where(o => o.DatasetId == datasetId);
        }
        if (query.Project is { } project)
        {
            // The console-wide operations (on no dataset: backups) are listed with the default project's.
            var consoleWide = project == Projects.Project.DefaultName;
            operations = operations.Where(o => (consoleWide && o.DatasetId == null)
                || db.Datasets.Any(d => d.Id == o.DatasetId && db.Projects.Any(p => p.Id == d.ProjectId && p.Name == project)));
        }
        if (query.Kinds is { } kinds)
        {
            operations = operations.Where(o => kinds.Contains(o.Kind));
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
        return new OperationListPage(rows.Select(OperationSummary.From).ToList(), total);
    }

    // Ids grow with creation time, so "created" orders by id (no DateTimeOffset ordering in SQLite); the id breaks ties.
    private static IQueryable<Operation> Order(IQueryable<Operation> operations, OperationSortField field, bool descending) => (field, descending) switch
    {
        (OperationSortField.Kind, false) => operations.OrderBy(o => o.Kind).ThenBy(o => o.Id),
        (OperationSortField.Kind, true) => operations.OrderByDescending(o => o.Kind).ThenByDescending(o => o.Id),
        (OperationSortField.State, false) => operations.OrderBy(o => o.State).ThenBy(o => o.Id),
        (OperationSortField.State, true) => operations.OrderByDescending(o => o.State).ThenByDescending(o => o.Id),
        (_, false) => operations.OrderBy(o => o.Id),
        _ => operations.OrderByDescending(o => o.Id),
    };

    /// <summary>The ids of operations in this state, oldest first (optionally of these kinds only).</summary>
    public async Task<IReadOnlyList<long>> FindAsync(OperationState state, CancellationToken cancellationToken = default, IReadOnlyCollection<string>? kinds = null)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var rows = db.Operations.Where(o => o.State == state);
        if (kinds is not null)
        {
            rows = rows.Where(o => kinds.Contains(o.Kind));
        }
        return await rows.OrderBy(o => o.CreatedAt).ThenBy(o => o.Id).Select(o => o.Id)
            .ToListAsync(cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>The <see cref="IOperationService"/> over the <see cref="OperationStore"/>.</summary>
public sealed class OperationService(OperationStore store, IServiceScopeFactory scopes, DataOperationService data) : IOperationService
{
    /// <inheritdoc />
    public async Task<Import.ImportReportPage?> ReadImportReportAsync(long operationId, int take = 100, CancellationToken cancellationToken = default) =>
        data.ImportReportPath(operationId) is null ? null : await data.ReadImportReportAsync(operationId, take, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public Task<IReadOnlyList<OperationSummary>> ListAsync(OperationQuery query, CancellationToken cancellationToken = default) =>
        store.ListAsync(query, cancellationToken);

    /// <inheritdoc />
    public Task<OperationListPage> ListPageAsync(OperationQuery query, CancellationToken cancellationToken = default) =>
        store.ListPageAsync(query, cancellationToken);

    /// <inheritdoc />
    public Task<OperationSummary> GetAsync(long operationId, CancellationToken cancellationToken = default) =>
        store.GetAsync(operationId, cancellationToken);

    /// <inheritdoc />
    public async Task DeleteAsync(long operationId, string user, CancellationToken cancellationToken = default)
    {
        var deleted = await store.DeleteAsync(operationId, user, cancellationToken).ConfigureAwait(false);
        data.DeleteResultFiles(deleted);
    }

    /// <inheritdoc />
    public async Task<OperationSummary> CancelAsync(long operationId, string user, CancellationToken cancellationToken = default)
    {
        var wasQueued = (await store.GetAsync(operationId, cancellationToken).ConfigureAwait(false)).State == OperationState.Queued;
        var summary = await store.RequestCancelAsync(operationId, user, cancellationToken).ConfigureAwait(false);
        if (wasQueued && summary.State == OperationState.Cancelled)
        {
            await using var scope = scopes.CreateAsyncScope();
            foreach (var job in scope.ServiceProvider.GetServices<IOperationJob>().Where(j => j.Kind == summary.Kind))
            {
                job.OnCancelledWhileQueued(operationId);
            }
        }
        return summary;
    }
}
