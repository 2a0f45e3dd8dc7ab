using System.Globalization;
using System.Text.Json.Serialization;
using VisionConsole.Domain.Export;
using VisionConsole.Domain.Import;
using VisionConsole.Domain.Operations;
using VisionConsole.Domain.Training;

namespace VisionConsole.Web.Api;

/// <summary>
/// A long-running operation in the AutoML v1 (google.longrunning) shape: <c>name</c>, <c>metadata</c>, <c>done</c>, and
/// once done either <c>error</c> (google.rpc.Status) or <c>response</c>.
/// </summary>
public sealed record AutoMlOperation(
    string Name,
    AutoMlOperationMetadata Metadata,
    bool Done,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] AutoMlStatus? Error,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] object? Response)
{
    /// <summary>The download URL of a finished export's zip.</summary>
    public static string ExportUri(long operationId) => $"/api/exports/{operationId.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The download URL of an import's CSV report.</summary>
    public static string ReportUri(long operationId) => $"/api/imports/{operationId.ToString(CultureInfo.InvariantCulture)}/report";

    /// <summary>The AutoML view of an import or export operation.</summary>
    public static AutoMlOperation From(string project, string location, DataOperation operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var isImport = operation.Kind == ImportRequest.Kind;
        var percent = operation.State == OperationState.Succeeded ? 100
            : isImport ? Percent(operation.ImportProgress?.Done, operation.ImportProgress?.Total)
            : Percent(operation.ExportProgress?.Done, operation.ExportProgress?.Total);
        var metadata = new AutoMlOperationMetadata(
            percent, operation.CreatedAt, operation.FinishedAt ?? operation.StartedAt ?? operation.CreatedAt,
            operation.State.ToString().ToUpperInvariant(), operation.Kind,
            operation.DatasetId?.ToString(CultureInfo.InvariantCulture),
            isImport ? new { } : null, isImport ? null : new { },
            operation.ImportProgress, operation.ExportProgress,
            // A cancelled or failed import still leaves its report.
            isImport && operation.Done ? ReportUri(operation.Id) : null);
        AutoMlStatus? error = operation.State switch
        {
            OperationState.Cancelled => new AutoMlStatus(1, "The operation was cancelled; nothing it had added remains."),
            OperationState.Failed => new AutoMlStatus(13, operation.Error ?? "The operation failed."),
            _ => null,
        };
        object? response = (operation.ImportResult, operation.ExportResult) switch
        {
            ({ } r, _) when operation.State == OperationState.Succeeded => new ImportDataResponse(
                r.Format.ToString(), r.Items, r.Imported, r.Duplicates, r.Refused, r.Warnings, r.Errors, r.LabelsCreated, r.LabelsAssigned, r.BoxesAdded, ReportUri(operation.Id)),
            (_, { } r) when operation.State == OperationState.Succeeded => new ExportDataResponse(
                FormatName(r.Format), r.ImageCount, r.ByteSize, ExportUri(operation.Id)),
            _ => null,
        };
        return new AutoMlOperation(
            $"projects/{project}/locations/{location}/operations/{operation.Id.ToString(CultureInfo.InvariantCulture)}",
            metadata, operation.Done, error, response);
    }

    /// <summary>The finished operation <c>datasets.delete</c> returns (the delete is immediate).</summary>
    public static AutoMlOperation Deleted(string project, string location, long datasetId)
    {
        var now = DateTimeOffset.UtcNow;
        return new AutoMlOperation(
            $"projects/{project}/locations/{location}/operations/delete-dataset-{datasetId.ToString(CultureInfo.InvariantCulture)}",
            new AutoMlOperationMetadata(100, now, now, "SUCCEEDED", "delete-dataset", datasetId.ToString(CultureInfo.InvariantCulture), null, null, null, null, null),
            true, null, new EmptyResponse());
    }

    /// <summary>The AutoML spelling of an export format.</summary>
    public static string FormatName(ExportFormat format) => format switch
    {
        ExportFormat.FolderZip => "FOLDER_ZIP",
        ExportFormat.AutoMlCsv => "AUTOML_CSV",
        ExportFormat.Coco => "COCO",
        _ => "PASCAL_VOC",
    };

    private static int Percent(int? done, int? total) => total is > 0 && done is { } d ? (int)(100L * d / total.Value) : 0;
}

/// <summary>google.rpc.Status: <c>code</c> 1 CANCELLED, 13 INTERNAL (the job failed; <c>message</c> says why).</summary>
public sealed record AutoMlStatus(int Code, string Message);

/// <summary>
/// The operation's metadata: AutoML's <c>progressPercent</c>, <c>createTime</c>, <c>updateTime</c> and
/// <c>importDataDetails</c>/<c>exportDataDetails</c>, plus the console's <c>state</c>, <c>kind</c>, <c>datasetId</c>, the
/// live counts (<c>importProgress</c>: done, total, imported, duplicates, refused, warnings, errors; <c>exportProgress</c>)
/// and, once an import ended, <c>reportUri</c>.
/// </summary>
public sealed record AutoMlOperationMetadata(
    int ProgressPercent,
    DateTimeOffset CreateTime,
    DateTimeOffset UpdateTime,
    string State,
    string Kind,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? DatasetId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] object? ImportDataDetails,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] object? ExportDataDetails,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ImportProgress? ImportProgress,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ExportProgress? ExportProgress,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ReportUri)
{
    /// <summary>The protobuf type AutoML names its operation metadata with.</summary>
    [JsonPropertyName("@type")]
    public string Type => "type.googleapis.com/google.cloud.automl.v1.OperationMetadata";
}

/// <summary>A finished import's response: the counts and the report's URL.</summary>
public sealed record ImportDataResponse(
    string Format, int Items, int Imported, int Duplicates, int Refused, int Warnings, int Errors,
    int LabelsCreated, int LabelsAssigned, int BoxesAdded, string ReportUri);

/// <summary>A finished export's response: the archive's URL.</summary>
public sealed record ExportDataResponse(string Format, int ImageCount, long ByteSize, string DownloadUri);

/// <summary>google.protobuf.Empty.</summary>
public sealed record EmptyResponse
{
    /// <summary>The protobuf type.</summary>
    [JsonPropertyName("@type")]
    public string Type => "type.googleapis.com/google.protobuf.Empty";
}
