using System.Globalization;
using System.Text.Json;
using VisionConsole.Domain.Export;
using VisionConsole.Domain.Import;

namespace VisionConsole.Domain.Operations;

/// <summary>Runs <c>import-data</c> operations with <see cref="ImportJob"/>; the upload folder is deleted when the import ends, whatever the outcome.</summary>
public sealed class ImportOperationJob(ImportJob job, ConsoleOptions options) : IOperationJob
{
    /// <inheritdoc />
    public string Kind => ImportRequest.Kind;

    /// <inheritdoc />
    public async Task<string> RunAsync(long operationId, string requestJson, IProgress<OperationReport> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(progress);
        try
        {
            var request = OperationJson.Read<ImportRequest>(requestJson)
                ?? throw new DomainException("invalid-operation", $"Operation {operationId} has no readable import request.");
            var sink = new Sink<ImportProgress>(progress, p => p.Message);
            var result = await job.RunAsync(operationId, request, sink, cancellationToken).ConfigureAwait(false);
            return JsonSerializer.Serialize(result, OperationJson.Options);
        }
        finally
        {
            DeleteUploadFolder(options, operationId);
        }
    }

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
    public async Task<string> RunAsync(long operationId, string requestJson, IProgress<OperationReport> progress, CancellationToken cancellationToken)
    {
        var request = OperationJson.Read<ExportRequest>(requestJson)
            ?? throw new DomainException("invalid-operation", $"Operation {operationId} has no readable export request.");
        var result = await job.RunAsync(operationId, request, new Sink<ExportProgress>(progress, p => p.Message), cancellationToken).ConfigureAwait(false);
        return JsonSerializer.Serialize(result, OperationJson.Options);
    }
}

internal sealed class Sink<T>(IProgress<OperationReport> target, Func<T, string> message) : IProgress<T>
{
    public void Report(T value) => target.Report(new OperationReport(JsonSerializer.Serialize(value, OperationJson.Options), message(value)));
}
