using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using VisionConsole.Domain.Auditing;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Export;
using VisionConsole.Domain.Import;
using VisionConsole.Domain.Storage;
using VisionConsole.Domain.Training;

namespace VisionConsole.Domain.Operations;

/// <summary>
/// Starts, reads and cancels import and export operations (the REST API and the console pages use the same calls).
/// An import's files are first spooled by the caller into <see cref="CreateUploadFolder"/>; <see cref="StartImportAsync"/>
/// then queues the operation and moves the folder to <c>&lt;data&gt;/uploads/&lt;operation&gt;/</c> in one step.
/// </summary>
public sealed class DataOperationService(
    IDbContextFactory<ConsoleDbContext> contextFactory,
    IOperationQueue queue,
    ConsoleOptions options,
    TimeProvider time)
{
    /// <summary>A fresh, empty folder under <c>&lt;data&gt;/uploads/</c> to spool an upload's files into.</summary>
    public string CreateUploadFolder()
    {
        var folder = Path.Combine(options.UploadFolder, "incoming-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>
    /// Queues an import of the files spooled in <paramref name="uploadFolder"/> (each <see cref="ImportFile.Path"/> inside it).
    /// The folder becomes <c>&lt;data&gt;/uploads/&lt;operation&gt;/</c> before the operation is visible to the runner;
    /// on any refusal it is deleted. Throws <see cref="NotFoundException"/> for an unknown dataset and
    /// <see cref="DomainException"/> <c>invalid-upload</c> when no file was sent.
    /// </summary>
    public async Task<DataOperation> StartImportAsync(long datasetId, string uploadFolder, IReadOnlyList<ImportFile> files, ImportFormat format, string user, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(files);
        var full = Path.GetFullPath(uploadFolder);
        try
        {
            if (files.Count == 0)
            {
                throw new DomainException("invalid-upload", "The upload has no files; send the zip, CSV, COCO JSON, VOC XML or images as parts named 'file'.");
            }
            if (files.Any(f => !Path.GetFullPath(f.Path).StartsWith(full + Path.DirectorySeparatorChar, StringComparison.Ordinal)))
            {
                throw new ArgumentException("Every file must lie in the upload folder.", nameof(files));
            }
            await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
            await DatasetService.EnsureDatasetAsync(db, datasetId, cancellationToken).ConfigureAwait(false);
            var now = time.GetUtcNow();
            var operation = new TrainingOperation(ImportRequest.Kind, datasetId, "{}", user, now);
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            db.TrainingOperations.Add(operation);
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            // The row is not visible to the runner until the commit, so the files are in place when it is.
            var target = ImportOperationJob.UploadFolder(options, operation.Id);
            Directory.Move(full, target);
            full = target;
            var request = new ImportRequest(datasetId,
                files.Select(f => new ImportFile(f.Name, Path.Combine(target, Path.GetRelativePath(uploadFolder, f.Path)))).ToList(), format, User: user);
            db.Entry(operation).Property(o => o.RequestJson).CurrentValue = JsonSerializer.Serialize(request, OperationJson.Options);
            db.AuditEvents.Add(AuditEvent.Of(user, now, "operation", operation.Id, "created", null, new { kind = operation.Kind, datasetId, files = files.Count, format }));
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            queue.Signal();
            return DataOperation.From(operation);
        }
        catch
        {
            if (Directory.Exists(full))
            {
                Directory.Delete(full, recursive: true);
            }
            throw;
        }
    }

    /// <summary>
    /// Queues an export; refuses at once (<c>export-unsupported</c>) a format that cannot hold the dataset, and
    /// <see cref="NotFoundException"/> for an unknown dataset.
    /// </summary>
    public async Task<DataOperation> StartExportAsync(long datasetId, ExportFormat format, string user, CancellationToken cancellationToken = default)
    {
        if (!Enum.IsDefined(format))
        {
            throw new DomainException("invalid-format", $"Export format '{format}' is not one of FOLDER_ZIP, AUTOML_CSV, COCO, PASCAL_VOC.");
        }
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var kind = await db.Datasets.Where(d => d.Id == datasetId).Select(d => (DatasetKind?)d.Kind).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new NotFoundException($"Dataset {datasetId}");
        DatasetExporter.EnsureSupported(kind, format);
        var now = time.GetUtcNow();
        var request = new ExportRequest(datasetId, format, User: user);
        var operation = new TrainingOperation(ExportRequest.Kind, datasetId, JsonSerializer.Serialize(request, OperationJson.Options), user, now);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        db.TrainingOperations.Add(operation);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        db.AuditEvents.Add(AuditEvent.Of(user, now, "operation", operation.Id, "created", null, new { kind = operation.Kind, datasetId, format }));
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        queue.Signal();
        return DataOperation.From(operation);
    }

    /// <summary>One import or export operation; <see cref="NotFoundException"/> when absent or of another kind.</summary>
    public async Task<DataOperation> GetAsync(long operationId, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var operation = await db.TrainingOperations.AsNoTracking()
            .FirstOrDefaultAsync(o => o.Id == operationId && (o.Kind == ImportRequest.Kind || o.Kind == ExportRequest.Kind), cancellationToken).ConfigureAwait(false)
            ?? throw new NotFoundException($"Import or export operation {operationId}");
        return DataOperation.From(operation);
    }

    /// <summary>A dataset's import and export operations, newest first.</summary>
    public async Task<IReadOnlyList<DataOperation>> ListAsync(long datasetId, int take = 50, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var rows = await db.TrainingOperations.AsNoTracking()
            .Where(o => o.DatasetId == datasetId && (o.Kind == ImportRequest.Kind || o.Kind == ExportRequest.Kind))
            .OrderByDescending(o => o.Id).Take(Math.Clamp(take, 1, 1000)).ToListAsync(cancellationToken).ConfigureAwait(false);
        return rows.Select(DataOperation.From).ToList();
    }

    /// <summary>
    /// Asks an import or export to stop: a queued one is cancelled at once (its upload deleted), a running one becomes
    /// Cancelling and its job stops at the next image, undoes what it added and confirms Cancelled. A finished one is
    /// refused (<c>invalid-transition</c>).
    /// </summary>
    public async Task<DataOperation> CancelAsync(long operationId, string user, CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
            var operation = await db.TrainingOperations
                .FirstOrDefaultAsync(o => o.Id == operationId && (o.Kind == ImportRequest.Kind || o.Kind == ExportRequest.Kind), cancellationToken).ConfigureAwait(false)
                ?? throw new NotFoundException($"Import or export operation {operationId}");
            var before = operation.State;
            operation.RequestCancel(time.GetUtcNow());
            db.AuditEvents.Add(AuditEvent.Of(user, time.GetUtcNow(), "operation", operationId, "cancel-requested", new { state = before }, new { state = operation.State }));
            try
            {
                await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (DbUpdateConcurrencyException) when (attempt < 8)
            {
                continue; // The runner saved progress at the same moment: apply the cancel to the fresh row.
            }
            if (operation.State == OperationState.Cancelled && operation.Kind == ImportRequest.Kind)
            {
                ImportOperationJob.DeleteUploadFolder(options, operationId);
            }
            else if (operation.State == OperationState.Cancelling)
            {
                queue.CancelRunning(operationId);
            }
            return DataOperation.From(operation);
        }
    }

    /// <summary>
    /// Deletes upload folders no queued import needs: spools of requests a stopped server never finished
    /// (<c>incoming-...</c>) and folders of imports that ended. Called by the runner at start-up.
    /// </summary>
    public async Task DeleteStaleUploadsAsync(CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(options.UploadFolder))
        {
            return;
        }
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var waiting = (await db.TrainingOperations.Where(o => o.Kind == ImportRequest.Kind && o.State == OperationState.Queued)
            .Select(o => o.Id).ToListAsync(cancellationToken).ConfigureAwait(false)).ToHashSet();
        foreach (var folder in Directory.EnumerateDirectories(options.UploadFolder))
        {
            if (!long.TryParse(Path.GetFileName(folder), NumberStyles.None, CultureInfo.InvariantCulture, out var id) || !waiting.Contains(id))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    /// <summary>The finished export's zip, or null when the operation has none (yet).</summary>
    public string? ExportFilePath(long operationId)
    {
        var path = Path.Combine(options.ExportFolder, operationId.ToString(CultureInfo.InvariantCulture) + ".zip");
        return File.Exists(path) ? path : null;
    }

    /// <summary>An import's CSV report (written when the import ends, also when cancelled), or null when there is none.</summary>
    public string? ImportReportPath(long operationId)
    {
        var path = Path.Combine(options.ReportFolder, $"import-{operationId.ToString(CultureInfo.InvariantCulture)}.csv");
        return File.Exists(path) ? path : null;
    }

    /// <summary>The first <paramref name="take"/> findings of an import's report (errors and warnings) and their total.</summary>
    public async Task<ImportReportPage> ReadImportReportAsync(long operationId, int take = 100, CancellationToken cancellationToken = default)
    {
        var path = ImportReportPath(operationId) ?? throw new NotFoundException($"The report of import operation {operationId}");
        return await ImportJob.ReadReportAsync(path, take, cancellationToken).ConfigureAwait(false);
    }
}
