using System.Globalization;
using Microsoft.EntityFrameworkCore;
using VisionConsole.Domain.Auditing;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Imaging;
using VisionConsole.Domain.Storage;

namespace VisionConsole.Domain.Export;

/// <summary>What an export operation is asked to do.</summary>
/// <param name="DatasetId">The dataset to export.</param>
/// <param name="Format">The archive layout.</param>
/// <param name="CsvImagePathPrefix">For AutoML CSV: what image paths start with (default <c>images/</c>, inside the archive).</param>
/// <param name="User">Who exports (for the audit).</param>
public sealed record ExportRequest(long DatasetId, ExportFormat Format, string? CsvImagePathPrefix = null, string User = "system") : Operations.OperationRequest
{
    /// <summary>The operation kind of an export (AutoML's <c>exportData</c>).</summary>
    public const string Kind = "export-data";
}

/// <summary>An export's progress: images copied into the archive so far.</summary>
public sealed record ExportProgress(int Done, int Total, string Message) : Operations.OperationProgress;

/// <summary>A finished export.</summary>
/// <param name="Format">The archive layout.</param>
/// <param name="ImageCount">Images in the archive.</param>
/// <param name="ByteSize">Size of the zip.</param>
/// <param name="File">The zip, relative to the data folder (<c>exports/&lt;operation&gt;.zip</c>).</param>
public sealed record ExportResult(ExportFormat Format, int ImageCount, long ByteSize, string File) : Operations.OperationResult;

/// <summary>
/// Writes a dataset's export zip to <c>&lt;data&gt;/exports/&lt;operation&gt;.zip</c>: into a temporary file next to it
/// (the zip writer needs synchronous writes), renamed into place only when complete, so a download never sees half a file.
/// </summary>
public sealed class ExportJob(IImageStore store, IDbContextFactory<ConsoleDbContext> contextFactory, ConsoleOptions options, TimeProvider time)
{
    /// <summary>Writes the archive; throws <see cref="DomainException"/> <c>export-unsupported</c> when the format cannot hold the dataset.</summary>
    public async Task<ExportResult> RunAsync(long operationId, ExportRequest request, IProgress<ExportProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var model = await LoadModelAsync(contextFactory, request.DatasetId, cancellationToken).ConfigureAwait(false);
        DatasetExporter.EnsureSupported(model.Kind, request.Format);

        var relative = Path.Combine("exports", operationId.ToString(CultureInfo.InvariantCulture) + ".zip");
        var path = Path.Combine(options.DataFolder, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        var total = model.Images.Count;
        var done = 0;
        progress?.Report(new ExportProgress(0, total, $"exporting 0/{total}"));
        try
        {
            var output = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
            await using (output.ConfigureAwait(false))
            {
                Stream Open(string sha256)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    // Reported when the next image opens: the previous one is in the archive by then.
                    if (done > 0)
                    {
                        progress?.Report(new ExportProgress(done, total, $"exporting {done}/{total}"));
                    }
                    done++;
                    return store.OpenOriginal(sha256);
                }
                var exportOptions = request.CsvImagePathPrefix is { } prefix ? new ExportOptions { CsvImagePathPrefix = prefix } : new ExportOptions();
                await DatasetExporter.WriteZipAsync(model, request.Format, Open, output, exportOptions, cancellationToken).ConfigureAwait(false);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
        progress?.Report(new ExportProgress(total, total, $"exported {total} images"));
        var result = new ExportResult(request.Format, total, new FileInfo(path).Length, relative.Replace('\\', '/'));
        await using (var db = await contextFactory.CreateDbContextAsync(CancellationToken.None).ConfigureAwait(false))
        {
            db.AuditEvents.Add(AuditEvent.Of(request.User, time.GetUtcNow(), "dataset", request.DatasetId, "exported", null, new { operationId, result }));
            await db.SaveChangesAsync(CancellationToken.None).ConfigureAwait(false);
        }
        return result;
    }

    /// <summary>
    /// The dataset as the exporter needs it: images oldest first with their stored split, whole-image labels and boxes
    /// (metadata only; image bytes are streamed from the store as the archive is written).
    /// </summary>
    public static async Task<ExportModel> LoadModelAsync(IDbContextFactory<ConsoleDbContext> contextFactory, long datasetId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(contextFactory);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var kind = await db.Datasets.Where(d => d.Id == datasetId).Select(d => (DatasetKind?)d.Kind).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new NotFoundException($"Dataset {datasetId}");
        var labels = await db.Labels.Where(l => l.DatasetId == datasetId).OrderBy(l => l.Id).Select(l => l.Name).ToListAsync(cancellationToken).ConfigureAwait(false);
        var images = await db.Images.AsNoTracking().Where(i => i.DatasetId == datasetId).OrderBy(i => i.Id)
            .Select(i => new { i.Id, i.FileName, i.Sha256, i.Width, i.Height, i.Split }).ToListAsync(cancellationToken).ConfigureAwait(false);
        var wholeImage = (await db.ImageLabels.Where(il => il.Image!.DatasetId == datasetId).OrderBy(il => il.Label!.Name)
            .Select(il => new { il.ImageId, il.Label!.Name }).ToListAsync(cancellationToken).ConfigureAwait(false))
            .ToLookup(x => x.ImageId, x => x.Name);
        var boxes = (await db.Boxes.Where(b => b.Image!.DatasetId == datasetId).OrderBy(b => b.Id)
            .Select(b => new { b.ImageId, b.Label!.Name, b.Left, b.Top, b.Width, b.Height }).ToListAsync(cancellationToken).ConfigureAwait(false))
            .ToLookup(x => x.ImageId, x => new ExportBox(x.Name, x.Left, x.Top, x.Width, x.Height));
        return new ExportModel(kind, labels, images.Select(i => new ExportImage(
            i.FileName, i.Sha256, i.Width, i.Height, i.Split, wholeImage[i.Id].ToList(), boxes[i.Id].ToList())).ToList());
    }
}
