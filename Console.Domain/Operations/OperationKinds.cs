using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using VisionConsole.Domain.Export;
using VisionConsole.Domain.Import;
using VisionConsole.Domain.Training;

namespace VisionConsole.Domain.Operations;

/// <summary>
/// What an operation is asked to do. One derived record per kind; the discriminator (<c>$kind</c>) is written only where
/// the base type travels (live updates), never into the row, whose kind column already says it.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "$kind")]
[JsonDerivedType(typeof(TrainingRequest), TrainingRequest.ClassificationKind)]
[JsonDerivedType(typeof(DetectorTrainingRequest), DetectorTrainingRequest.DetectionKind)]
[JsonDerivedType(typeof(ImportRequest), ImportRequest.Kind)]
[JsonDerivedType(typeof(ExportRequest), ExportRequest.Kind)]
[JsonDerivedType(typeof(Models.ModelExportRequest), Models.ModelExportRequest.Kind)]
[JsonDerivedType(typeof(Storage.BackupRequest), Storage.BackupRequest.Kind)]
[JsonDerivedType(typeof(Models.BatchPredictRequest), Models.BatchPredictRequest.Kind)]
public abstract record OperationRequest;

/// <summary>An operation's latest progress report, one derived record per kind.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "$kind")]
[JsonDerivedType(typeof(TrainingProgress), TrainingRequest.ClassificationKind)]
[JsonDerivedType(typeof(ImportProgress), ImportRequest.Kind)]
[JsonDerivedType(typeof(ExportProgress), ExportRequest.Kind)]
[JsonDerivedType(typeof(Models.ModelExportProgress), Models.ModelExportRequest.Kind)]
[JsonDerivedType(typeof(Storage.BackupProgress), Storage.BackupRequest.Kind)]
[JsonDerivedType(typeof(Models.BatchPredictProgress), Models.BatchPredictRequest.Kind)]
public abstract record OperationProgress;

/// <summary>What a succeeded operation produced, one derived record per kind.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "$kind")]
[JsonDerivedType(typeof(TrainingResult), TrainingRequest.ClassificationKind)]
[JsonDerivedType(typeof(ImportResult), ImportRequest.Kind)]
[JsonDerivedType(typeof(ExportResult), ExportRequest.Kind)]
[JsonDerivedType(typeof(Models.ModelExportResult), Models.ModelExportRequest.Kind)]
[JsonDerivedType(typeof(Storage.BackupResult), Storage.BackupRequest.Kind)]
[JsonDerivedType(typeof(Models.BatchPredictResult), Models.BatchPredictRequest.Kind)]
public abstract record OperationResult
{
    /// <summary>The model version the operation produced, when it produces one (trainings).</summary>
    [JsonIgnore]
    public virtual long? ProducedModelVersionId => null;
}

/// <summary>
/// One kind of operation and its typed codec: which request, progress and result records it carries, and how they are
/// written into and read from the operation row. Reading never guesses: JSON that is not a valid record of the kind
/// throws <see cref="OperationDataException"/> naming the operation and the part.
/// </summary>
public sealed class OperationKind
{
    internal OperationKind(string name, Type request, Type progress, Type result)
    {
        Name = name;
        RequestType = request;
        ProgressType = progress;
        ResultType = result;
    }

    /// <summary>The kind as stored and shown, for example <c>train-classifier</c>.</summary>
    public string Name { get; }

    /// <summary>The request record of this kind.</summary>
    public Type RequestType { get; }

    /// <summary>The progress record of this kind.</summary>
    public Type ProgressType { get; }

    /// <summary>The result record of this kind.</summary>
    public Type ResultType { get; }

    /// <summary>Writes a request of this kind.</summary>
    public string WriteRequest(OperationRequest request) => Write(request, RequestType, "request");

    /// <summary>Writes a progress report of this kind.</summary>
    public string WriteProgress(OperationProgress progress) => Write(progress, ProgressType, "progress");

    /// <summary>Writes a result of this kind.</summary>
    public string WriteResult(OperationResult result) => Write(result, ResultType, "result");

    /// <summary>Reads the stored request of operation <paramref name="operationId"/>.</summary>
    public OperationRequest ReadRequest(string json, long operationId) => Read<OperationRequest>(json, RequestType, operationId, "request");

    /// <summary>Reads the stored progress of operation <paramref name="operationId"/>.</summary>
    public OperationProgress ReadProgress(string json, long operationId) => Read<OperationProgress>(json, ProgressType, operationId, "progress");

    /// <summary>Reads the stored result of operation <paramref name="operationId"/>.</summary>
    public OperationResult ReadResult(string json, long operationId) => Read<OperationResult>(json, ResultType, operationId, "result");

    /// <inheritdoc />
    public override string ToString() => Name;

    private string Write(object value, Type expected, string part)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.GetType() != expected)
        {
            throw new ArgumentException($"A {Name} operation's {part} is a {expected.Name}, not a {value.GetType().Name}.", nameof(value));
        }
        // The concrete type, so the row holds the record itself, without the base type's discriminator.
        return JsonSerializer.Serialize(value, expected, OperationKinds.Json);
    }

    private T Read<T>(string json, Type type, long operationId, string part) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(json, type, OperationKinds.Json) as T
                ?? throw new OperationDataException(operationId, Name, part, "it is empty (null)", null);
        }
        catch (JsonException ex)
        {
            throw new OperationDataException(operationId, Name, part, ex.Message, ex);
        }
        catch (NotSupportedException ex)
        {
            throw new OperationDataException(operationId, Name, part, ex.Message, ex);
        }
    }
}

/// <summary>The operation kinds this build runs, each with its codec.</summary>
public static class OperationKinds
{
    /// <summary>Training an image classifier (<see cref="TrainingRequest"/>, <see cref="TrainingProgress"/>, <see cref="TrainingResult"/>).</summary>
    public static OperationKind TrainClassifier { get; } = new(TrainingRequest.ClassificationKind, typeof(TrainingRequest), typeof(TrainingProgress), typeof(TrainingResult));

    /// <summary>Training an object detector (<see cref="DetectorTrainingRequest"/>; progress and result as a classifier's).</summary>
    public static OperationKind TrainDetector { get; } = new(DetectorTrainingRequest.DetectionKind, typeof(DetectorTrainingRequest), typeof(TrainingProgress), typeof(TrainingResult));

    /// <summary>Importing an upload into a dataset (<see cref="ImportRequest"/>, <see cref="ImportProgress"/>, <see cref="ImportResult"/>).</summary>
    public static OperationKind ImportData { get; } = new(ImportRequest.Kind, typeof(ImportRequest), typeof(ImportProgress), typeof(ImportResult));

    /// <summary>Exporting a dataset (<see cref="ExportRequest"/>, <see cref="ExportProgress"/>, <see cref="ExportResult"/>).</summary>
    public static OperationKind ExportData { get; } = new(ExportRequest.Kind, typeof(ExportRequest), typeof(ExportProgress), typeof(ExportResult));

    /// <summary>Exporting a model to a file (<see cref="Models.ModelExportRequest"/>, <see cref="Models.ModelExportProgress"/>, <see cref="Models.ModelExportResult"/>).</summary>
    public static OperationKind ExportModel { get; } = new(Models.ModelExportRequest.Kind, typeof(Models.ModelExportRequest), typeof(Models.ModelExportProgress), typeof(Models.ModelExportResult));

    /// <summary>Backing up the data folder (<see cref="Storage.BackupRequest"/>, <see cref="Storage.BackupProgress"/>, <see cref="Storage.BackupResult"/>).</summary>
    public static OperationKind Backup { get; } = new(Storage.BackupRequest.Kind, typeof(Storage.BackupRequest), typeof(Storage.BackupProgress), typeof(Storage.BackupResult));

    /// <summary>Running a model over an upload's images (<see cref="Models.BatchPredictRequest"/>, <see cref="Models.BatchPredictProgress"/>, <see cref="Models.BatchPredictResult"/>).</summary>
    public static OperationKind BatchPredict { get; } = new(Models.BatchPredictRequest.Kind, typeof(Models.BatchPredictRequest), typeof(Models.BatchPredictProgress), typeof(Models.BatchPredictResult));

    /// <summary>Every kind.</summary>
    public static IReadOnlyList<OperationKind> All { get; } = [TrainClassifier, TrainDetector, ImportData, ExportData, ExportModel, Backup, BatchPredict];

    /// <summary>The JSON settings of every stored request, progress and result: camelCase, enums as strings.</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>The kind named <paramref name="name"/>.</summary>
    /// <exception cref="OperationDataException">No such kind in this build (the row was written by another one).</exception>
    public static OperationKind Of(string name, long operationId = 0) =>
        All.FirstOrDefault(k => k.Name == name)
        ?? throw new OperationDataException(operationId, name, "kind", $"this build knows only {string.Join(", ", All.Select(k => k.Name))}", null);

    /// <summary>The kind whose request type is the request's.</summary>
    /// <exception cref="DomainException"><c>invalid-operation</c>: no kind takes this request type.</exception>
    public static OperationKind ForRequest(OperationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return All.FirstOrDefault(k => k.RequestType == request.GetType())
            ?? throw new DomainException("invalid-operation", $"No operation kind takes a {request.GetType().Name}.");
    }
}

/// <summary>
/// An operation row holds data its kind's codec cannot read (a corrupt or foreign row). Never swallowed: the list or page
/// that meets it fails with this message, which names the operation, the part and the parser's reason.
/// </summary>
public sealed class OperationDataException : Exception
{
    /// <summary>Creates the exception for operation <paramref name="operationId"/>.</summary>
    public OperationDataException(long operationId, string kind, string part, string reason, Exception? inner)
        : base(string.Create(CultureInfo.InvariantCulture, $"Operation {operationId} ({kind}) has an unreadable {part}: {reason}"), inner)
    {
        OperationId = operationId;
        Part = part;
    }

    /// <summary>The operation whose row is unreadable.</summary>
    public long OperationId { get; }

    /// <summary><c>request</c>, <c>progress</c>, <c>result</c> or <c>kind</c>.</summary>
    public string Part { get; }
}
