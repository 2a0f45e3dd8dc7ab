using System.Globalization;
using Microsoft.EntityFrameworkCore;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Export;
using VisionConsole.Domain.Import;
using VisionConsole.Domain.Storage;

namespace VisionConsole.Domain.Operations;

/// <summary>
/// Starts import and export operations and serves their files (the REST API and the console pages use the same calls);
/// reading and cancelling them is <see cref="IOperationService"/>'s, as for every kind.
/// An import's files are first spooled by the caller into <see cref="CreateUploadFolder"/>; <see cref="StartImportAsync"/>
/// then queues the operation and moves the folder to <c>&lt;data&gt;/uploads/&lt;operation&gt;/</c> in one step.
/// </summary>
public sealed class DataOperationService(
    IDbContextFactory<ConsoleDbContext> contextFactory,
    OperationStore store,
    ConsoleOptions options)
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
    public async Task<OperationSummary> StartImportAsync(long datasetId, string uploadFolder, IReadOnlyList<ImportFile> files, ImportFormat format, string user, CancellationToken cancellationToken = default)
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
            await using (var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false))
            {
                await DatasetService.EnsureDatasetAsync(db, datasetId, cancellationToken).ConfigureAwait(false);
            }
            var spooled = new ImportRequest(datasetId, files, format, User: user);
            return await CreateWithUploadAsync(store, options, uploadFolder, files, spooled, (request, moved) => request with { Files = moved },
                datasetId, user, new { kind = ImportRequest.Kind, datasetId, files = files.Count, format }, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            DeleteIfPresent(full);
            throw;
        }
    }

    /// <summary>
    /// Queues <paramref name="request"/> with the files spooled in <paramref name="uploadFolder"/>: the folder becomes
    /// <c>&lt;data&gt;/uploads/&lt;operation&gt;/</c> before the operation is visible to the runner, and the request is
    /// rewritten (<paramref name="withFiles"/>) to name the moved files. The folder is deleted when the queueing fails.
    /// </summary>
    internal static async Task<OperationSummary> CreateWithUploadAsync<TRequest>(
        OperationStore store, ConsoleOptions options, string uploadFolder, IReadOnlyList<ImportFile> files, TRequest request,
        Func<TRequest, IReadOnlyList<ImportFile>, TRequest> withFiles, long? datasetId, string user, object auditDetails, CancellationToken cancellationToken)
        where TRequest : OperationRequest
    {
        var full = Path.GetFullPath(uploadFolder);
        try
        {
            return await store.CreateAsync(request, datasetId, user, auditDetails, id =>
            {
                // The row is not visible to the runner until the commit, so the files are in place when it is.
                var target = ImportOperationJob.UploadFolder(options, id);
                Directory.Move(full, target);
                full = target;
                return withFiles(request, files.Select(f => new ImportFile(f.Name, Path.Combine(target, Path.GetRelativePath(uploadFolder, f.Path)))).ToList());
            }, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            DeleteIfPresent(full);
            throw;
        }
    }

    private static void DeleteIfPresent(string folder)
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// Queues an export; refuses at once (<c>export-unsupported</c>) a format that cannot hold the dataset, and
    /// <see cref="NotFoundException"/> for an unknown dataset.
    /// </summary>
    public async Task<OperationSummary> StartExportAsync(long datasetId, ExportFormat format, string user, CancellationToken cancellationToken = default)
    {
        if (!Enum.IsDefined(format))
        {
            throw new DomainException("invalid-format", $"Export format '{format}' is not one of FOLDER_ZIP, AUTOML_CSV, COCO, PASCAL_VOC.");
        }
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var kind = await db.Datasets.Where(d => d.Id == datasetId).Select(d => (DatasetKind?)d.Kind).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new NotFoundException($"Dataset {datasetId}");
        DatasetExporter.EnsureSupported(kind, format);
        var request = new ExportRequest(datasetId, format, User: user);
        return await store.CreateAsync(request, datasetId, user, new { kind = ExportRequest.Kind, datasetId, format }, cancellationToken: cancellationToken).ConfigureAwait(false);
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
        var waiting = (await db.Operations.Where(o => o.Kind == ImportRequest.Kind && o.State == OperationState.Queued)
            .Select(o => o.Id).ToListAsync(cancellationToken).ConfigureAwait(false)).ToHashSet();
        foreach (var folder in Directory.EnumerateDirectories(options.UploadFolder))
        {
            if (!long.TryParse(Path.GetFileName(folder), NumberStyles.None, CultureInfo.InvariantCulture, out var id) || !waiting.Contains(id))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    /// <summary>Deletes the files a deleted operation's result pointed at (relative to the data folder, and only inside it).</summary>
    public void DeleteResultFiles(OperationSummary deleted)
    {
        ArgumentNullException.ThrowIfNull(deleted);
        var relative = deleted.Result switch
        {
            Export.ExportResult r => r.File,
            Import.ImportResult r => r.ReportFile,
            Models.ModelExportResult r => r.File,
            Models.BatchPredictResult r => r.File,
            _ => null,
        };
        // A cancelled or failed import still wrote its report.
        relative ??= deleted.Request is Import.ImportRequest ? Path.Combine("reports", $"import-{deleted.Id.ToString(CultureInfo.InvariantCulture)}.csv") : null;
        if (relative is null)
        {
            return;
        }
        var root = Path.GetFullPath(options.DataFolder) + Path.DirectorySeparatorChar;
        var path = Path.GetFullPath(Path.Combine(root, relative));
        if (path.StartsWith(root, StringComparison.Ordinal) && File.Exists(path))
        {
            File.Delete(path);
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
