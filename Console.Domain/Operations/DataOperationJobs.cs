using System.Globalization;
using VisionConsole.Domain.Export;
using VisionConsole.Domain.Import;

namespace VisionConsole.Domain.Operations;

/// <summary>Runs <c>import-data</c> operations with <see cref="ImportJob"/>; the upload folder is deleted when the import ends, whatever the outcome.</summary>
public sealed class ImportOperationJob(ImportJob job, ConsoleOptions options) : IOperationJob
{
    /// <inheritdoc />
    public string Kind => ImportRequest.Kind;

    /// <inheritdoc />
    public async Task<OperationCompletion> RunAsync(OperationRun run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        try
        {
            var request = run.Request as ImportRequest
                ?? throw new ArgumentException($"Operation {run.OperationId}'s request is a {run.Request.GetType().Name}, not an import request.", nameof(run));
            var result = await job.RunAsync(run.OperationId, request, run.Progress, cancellationToken).ConfigureAwait(false);
            return OperationCompletion.Of(result);
        }
        finally
        {
            DeleteUploadFolder(options, run.OperationId);
        }
    }

    /// <inheritdoc />
    public void OnCancelledWhileQueued(long operationId) => DeleteUploadFolder(options, operationId);

    /// <summary>The folder an import's uploaded files wait in: <c>&lt;data&gt;/uploads/&lt;operation&gt;</c>.</summary>
    public static string UploadFolder(ConsoleOptions options, long operationId)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Path.Combine(options.UploadFolder, operationId.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Deletes an import's upload folder (no error when it is already gone).</summary>
    public static void DeleteUploadFolder(ConsoleOptions options, long operationId)
    {
        var folder = UploadFolder(options, operationId);
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}

/// <summary>Runs <c>export-data</c> operations with <see cref="ExportJob"/>.</summary>
public sealed class ExportOperationJob(ExportJob job) : IOperationJob
{
    /// <inheritdoc />
    public string Kind => ExportRequest.Kind;

    /// <inheritdoc />
    public async Task<OperationCompletion> RunAsync(OperationRun run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var request = run.Request as ExportRequest
            ?? throw new ArgumentException($"Operation {run.OperationId}'s request is a {run.Request.GetType().Name}, not an export request.", nameof(run));
        var result = await job.RunAsync(run.OperationId, request, run.Progress, cancellationToken).ConfigureAwait(false);
        return OperationCompletion.Of(result);
    }
}
