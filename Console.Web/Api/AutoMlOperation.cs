using System.Globalization;
using System.Text.Json.Serialization;
using VisionConsole.Domain.Export;
using VisionConsole.Domain.Import;
using VisionConsole.Domain.Models;
using VisionConsole.Domain.Operations;
using VisionConsole.Domain.Training;

namespace VisionConsole.Web.Api;

/// <summary>
/// The one AutoML v1 (google.longrunning) operation resource, for every kind: <c>name</c>, <c>metadata</c>, <c>done</c>,
/// and once done either <c>error</c> (google.rpc.Status) or <c>response</c> (typed by kind, named by its <c>@type</c>).
/// </summary>
public sealed record AutoMlOperation(
    string Name,
    AutoMlOperationMetadata Metadata,
    bool Done,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] AutoMlStatus? Error,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] AutoMlOperationResponse? Response)
{
    /// <summary>The download URL of a finished export's zip.</summary>
    public static string ExportUri(long operationId) => $"/api/exports/{operationId.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The download URL of a finished model export's file.</summary>
    public static string ModelExportUri(long operationId) => $"/api/model-exports/{operationId.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The download URL of a finished batch prediction's JSON Lines.</summary>
    public static string BatchPredictionUri(long operationId) => $"/api/batch-predictions/{operationId.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The download URL of an import's CSV report.</summary>
    public static string ReportUri(long operationId) => $"/api/imports/{operationId.ToString(CultureInfo.InvariantCulture)}/report";

    /// <summary>The AutoML view of an operation of any kind.</summary>
    public static AutoMlOperation From(string project, string location, OperationSummary operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var parent = AutoMl.Parent(project, location);
        var isImport = operation.Request is ImportRequest;
        var training = operation.TrainingProgress;
        var metadata = new AutoMlOperationMetadata(
            ProgressPercent(operation),
            operation.CreatedAt,
            training is null ? operation.UpdatedAt : Max(operation.UpdatedAt, operation.CreatedAt.AddSeconds(training.ElapsedSeconds)),
            operation.State.ToString().ToUpperInvariant(),
            operation.Kind,
            operation.DatasetId?.ToString(CultureInfo.InvariantCulture),
            operation.IsTraining ? new JsonObjectPlaceholder() : null,
            isImport ? new JsonObjectPlaceholder() : null,
            operation.Request is ExportRequest ? new JsonObjectPlaceholder() : null,
            operation.IsTraining ? operation.StopReason : null,
            training,
            operation.Training,
            operation.ImportProgress,
            operation.ExportProgress,
            // A cancelled or failed import still leaves its report.
            isImport && operation.Done ? ReportUri(operation.Id) : null,
            operation.Request is ModelExportRequest ? new JsonObjectPlaceholder() : null,
            operation.Progress as ModelExportProgress);
        AutoMlStatus? error = operation.State switch
        {
            OperationState.Failed => new AutoMlStatus(
                operation.Error?.StartsWith("interrupted", StringComparison.Ordinal) == true ? 10 : 13,
                operation.Error ?? "The operation failed."),
            OperationState.Cancelled => new AutoMlStatus(1, "The operation was cancelled; nothing it had added remains."),
            _ => null,
        };
        AutoMlOperationResponse? response = operation.State != OperationState.Succeeded ? null : operation.Result switch
        {
            TrainingResult r => new ModelOperationResponse($"{parent}/models/{AutoMl.Id(r.ModelId)}"),
            ImportResult r => new ImportDataResponse(
                r.Format.ToString(), r.Items, r.Imported, r.Duplicates, r.Refused, r.Warnings, r.Errors, r.LabelsCreated, r.LabelsAssigned, r.BoxesAdded, ReportUri(operation.Id)),
            ExportResult r => new ExportDataResponse(FormatName(r.Format), r.ImageCount, r.ByteSize, ExportUri(operation.Id)),
            ModelExportResult r => new ExportModelResponse(ModelFormatName(r.Format), r.VersionNumber, r.ByteSize, ModelExportUri(operation.Id)),
            BatchPredictResult r => new BatchPredictResponse(r.Images, r.Failed, r.ByteSize, BatchPredictionUri(operation.Id)),
            _ => null,
        };
        return new AutoMlOperation($"{parent}/operations/{AutoMl.Id(operation.Id)}", metadata, operation.Done, error, response);
    }

    /// <summary>
    /// The finished operation a call that completes at once returns where AutoML returns an operation
    /// (<c>datasets.create</c>, <c>datasets.delete</c>, <c>models.delete</c>, <c>models.deploy</c>, <c>models.undeploy</c>).
    /// </summary>
    /// <param name="project">The project as the request named it.</param>
    /// <param name="location">The location as the request named it.</param>
    /// <param name="kind">What was done (<c>delete-dataset</c>, <c>deploy-model</c>, ...); names the operation with the id.</param>
    /// <param name="subjectId">The dataset or model.</param>
    /// <param name="datasetId">The dataset the operation is about, when it is about one.</param>
    /// <param name="response">The response (the created resource, or Empty).</param>
    public static AutoMlOperation Immediate(string project, string location, string kind, long subjectId, long? datasetId, AutoMlOperationResponse response)
    {
        var now = DateTimeOffset.UtcNow;
        var id = subjectId.ToString(CultureInfo.InvariantCulture);
        return new AutoMlOperation(
            $"{AutoMl.Parent(project, location)}/operations/{kind}-{id}",
            new AutoMlOperationMetadata(100, now, now, "SUCCEEDED", kind, datasetId?.ToString(CultureInfo.InvariantCulture), null, null, null, null, null, null, null, null, null),
            true, null, response);
    }

    /// <summary>The AutoML spelling of a model format.</summary>
    public static string ModelFormatName(ModelFormat format) => format switch
    {
        ModelFormat.Tflite => "tflite",
        ModelFormat.TfliteFloat32 => "tflite_float32",
        ModelFormat.Tfjs => "tf_js",
        ModelFormat.Onnx => "onnx",
        ModelFormat.Firebase => "firebase",
        _ => "package",
    };

    /// <summary>The AutoML spelling of an export format.</summary>
    public static string FormatName(ExportFormat format) => format switch
    {
        ExportFormat.FolderZip => "FOLDER_ZIP",
        ExportFormat.AutoMlCsv => "AUTOML_CSV",
        ExportFormat.Coco => "COCO",
        _ => "PASCAL_VOC",
    };

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    /// <summary>A share of the work done: for trainings embedding is most of a cold run, the head most of a warm one.</summary>
    private static int ProgressPercent(OperationSummary operation)
    {
        if (operation.State == OperationState.Succeeded)
        {
            return 100;
        }
        return operation.Progress switch
        {
            TrainingProgress p => p.Phase switch
            {
                TrainingPhase.Queued or TrainingPhase.Preparing => 0,
                TrainingPhase.Embedding => p.ImagesTotal == 0 ? 5 : 5 + 55 * p.ImagesDone / p.ImagesTotal,
                TrainingPhase.Training => p.MaxEpochs == 0 ? 60 : 60 + 35 * p.Epoch / p.MaxEpochs,
                // The model is exported first, then the exported model.onnx is evaluated.
                TrainingPhase.Exporting => 95,
                TrainingPhase.Evaluating => 97,
                TrainingPhase.Saving => 99,
                _ => 100,
            },
            ImportProgress p => Percent(p.Done, p.Total),
            ExportProgress p => Percent(p.Done, p.Total),
            BatchPredictProgress p => Percent(p.Done, p.Total),
            _ => 0,
        };
    }

    private static int Percent(int done, int total) => total > 0 ? (int)(100L * done / total) : 0;
}

/// <summary>google.rpc.Status: <c>code</c> 1 CANCELLED, 10 ABORTED (interrupted by a server stop), 13 INTERNAL (the job failed; <c>message</c> says why).</summary>
public sealed record AutoMlStatus(int Code, string Message);

/// <summary>An empty JSON object (AutoML's <c>createModelDetails: {}</c>, <c>importDataDetails: {}</c> ...).</summary>
public sealed record JsonObjectPlaceholder;

/// <summary>
/// The operation's metadata: AutoML's <c>progressPercent</c>, <c>createTime</c>, <c>updateTime</c> and
/// <c>createModelDetails</c>/<c>importDataDetails</c>/<c>exportDataDetails</c>, plus the console's <c>state</c>, <c>kind</c>,
/// <c>datasetId</c>, the typed live progress of the kind (<c>progress</c> and <c>request</c> for a training;
/// <c>importProgress</c>; <c>exportProgress</c>), a training's <c>stopReason</c> and, once an import ended, <c>reportUri</c>.
/// </summary>
public sealed record AutoMlOperationMetadata(
    int ProgressPercent,
    DateTimeOffset CreateTime,
    DateTimeOffset UpdateTime,
    string State,
    string Kind,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? DatasetId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonObjectPlaceholder? CreateModelDetails,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonObjectPlaceholder? ImportDataDetails,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonObjectPlaceholder? ExportDataDetails,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? StopReason,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] TrainingProgress? Progress,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] TrainingRequest? Request,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ImportProgress? ImportProgress,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ExportProgress? ExportProgress,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ReportUri,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonObjectPlaceholder? ExportModelDetails = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ModelExportProgress? ExportModelProgress = null)
{
    /// <summary>The protobuf type AutoML names its operation metadata with.</summary>
    [JsonPropertyName("@type")]
    [JsonPropertyOrder(-1)]
    public string Type => "type.googleapis.com/google.cloud.automl.v1.OperationMetadata";
}

/// <summary>A finished operation's <c>response</c>, typed by kind; its <c>@type</c> is the protobuf type AutoML names.</summary>
[JsonDerivedType(typeof(ModelOperationResponse))]
[JsonDerivedType(typeof(ImportDataResponse))]
[JsonDerivedType(typeof(ExportDataResponse))]
[JsonDerivedType(typeof(ExportModelResponse))]
[JsonDerivedType(typeof(EmptyResponse))]
[JsonDerivedType(typeof(DatasetOperationResponse))]
[JsonDerivedType(typeof(BatchPredictResponse))]
public abstract record AutoMlOperationResponse
{
    /// <summary>The protobuf type of the response.</summary>
    [JsonPropertyName("@type")]
    [JsonPropertyOrder(-1)]
    public abstract string Type { get; }

    /// <summary>AutoML's <c>google.protobuf.Empty</c>, the response of import, export and delete.</summary>
    protected const string Empty = "type.googleapis.com/google.protobuf.Empty";
}

/// <summary>A finished training's response: the model's resource name.</summary>
public sealed record ModelOperationResponse(string Name) : AutoMlOperationResponse
{
    /// <inheritdoc />
    public override string Type => "type.googleapis.com/google.cloud.automl.v1.Model";
}

/// <summary>A finished import's response (AutoML's Empty, plus the counts and the report's URL).</summary>
public sealed record ImportDataResponse(
    string Format, int Items, int Imported, int Duplicates, int Refused, int Warnings, int Errors,
    int LabelsCreated, int LabelsAssigned, int BoxesAdded, string ReportUri) : AutoMlOperationResponse
{
    /// <inheritdoc />
    public override string Type => Empty;
}

/// <summary>A finished export's response (AutoML's Empty, plus the archive's URL).</summary>
public sealed record ExportDataResponse(string Format, int ImageCount, long ByteSize, string DownloadUri) : AutoMlOperationResponse
{
    /// <inheritdoc />
    public override string Type => Empty;
}

/// <summary>A finished model export's response (AutoML's Empty, plus the file's format, version, size and URL).</summary>
public sealed record ExportModelResponse(string ModelFormat, int VersionNumber, long ByteSize, string DownloadUri) : AutoMlOperationResponse
{
    /// <inheritdoc />
    public override string Type => Empty;
}

/// <summary>
/// A finished batch prediction's response (AutoML's BatchPredictResult; the console's output is not in Cloud Storage but
/// served at <c>downloadUri</c>): images read, the ones that failed (an <c>error</c> line each), the output's size.
/// </summary>
public sealed record BatchPredictResponse(int Images, int Failed, long ByteSize, string DownloadUri) : AutoMlOperationResponse
{
    /// <inheritdoc />
    public override string Type => "type.googleapis.com/google.cloud.automl.v1.BatchPredictResult";
}

/// <summary>A created dataset: the dataset resource, as <c>datasets.create</c>'s operation answers it.</summary>
public sealed record DatasetOperationResponse(
    string Name,
    string DisplayName,
    DateTimeOffset CreateTime,
    int ExampleCount,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] AutoMlDatasetsApi.ImageClassificationDatasetMetadata? ImageClassificationDatasetMetadata,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] AutoMlDatasetsApi.ImageObjectDetectionDatasetMetadata? ImageObjectDetectionDatasetMetadata) : AutoMlOperationResponse
{
    /// <inheritdoc />
    public override string Type => "type.googleapis.com/google.cloud.automl.v1.Dataset";

    public static DatasetOperationResponse Of(AutoMlDatasetsApi.DatasetResource dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return new(dataset.Name, dataset.DisplayName, dataset.CreateTime, dataset.ExampleCount, dataset.ImageClassificationDatasetMetadata, dataset.ImageObjectDetectionDatasetMetadata);
    }
}

/// <summary>google.protobuf.Empty.</summary>
public sealed record EmptyResponse : AutoMlOperationResponse
{
    /// <inheritdoc />
    public override string Type => Empty;
}
