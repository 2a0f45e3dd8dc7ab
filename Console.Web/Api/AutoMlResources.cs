using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using VisionConsole.Domain;
using VisionConsole.Domain.Models;
using VisionConsole.Domain.Training;

namespace VisionConsole.Web.Api;

/// <summary>
/// The AutoML v1 resource shapes (<c>projects/{project}/locations/{location}/...</c>). Any project and location
/// address the console's one default project; names echo the path the client used. 64-bit numbers are written as
/// strings, as AutoML's JSON does.
/// </summary>
internal static class AutoMl
{
    /// <summary><c>projects/{project}/locations/{location}</c>.</summary>
    public static string Parent(string project, string location) => $"projects/{project}/locations/{location}";

    public static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);

    /// <summary>Parses an id sent as a string (AutoML) or a number; refuses anything else with a clear message.</summary>
    public static long ParseId(string? value, string field)
    {
        if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0)
        {
            return id;
        }
        throw new DomainException("invalid-request", $"{field} '{value}' is not an id (a positive whole number, for example \"12\").");
    }

    public static OperationResource Operation(OperationSummary operation, string project, string location)
    {
        var parent = Parent(project, location);
        OperationError? error = operation.State switch
        {
            OperationState.Failed => new OperationError(
                operation.Error?.StartsWith("interrupted", StringComparison.Ordinal) == true ? 10 : 13,
                operation.Error ?? "The operation failed."),
            OperationState.Cancelled => new OperationError(1, "The operation was cancelled."),
            _ => null,
        };
        var response = operation.State == OperationState.Succeeded && operation.ResultModelId is { } modelId
            ? new OperationResponse("type.googleapis.com/google.cloud.automl.v1.Model", $"{parent}/models/{Id(modelId)}")
            : null;
        var metadata = new OperationMetadata(
            "type.googleapis.com/google.cloud.automl.v1.OperationMetadata",
            operation.CreatedAt,
            operation.Progress is null ? operation.UpdatedAt : Max(operation.UpdatedAt, operation.CreatedAt.AddSeconds(operation.Progress.ElapsedSeconds)),
            ProgressPercent(operation),
            operation.State.ToString().ToUpperInvariant(),
            operation.Kind == TrainingRequest.ClassificationKind ? new JsonObjectPlaceholder() : null,
            operation.StopReason,
            operation.Progress,
            operation.Request);
        return new OperationResource($"{parent}/operations/{Id(operation.Id)}", metadata, operation.Done, error, response);
    }

    public static ModelResource Model(ModelSummary model, string project, string location)
    {
        var record = model.Training;
        return new ModelResource(
            $"{Parent(project, location)}/models/{Id(model.Id)}",
            model.DisplayName,
            model.DatasetId is { } d ? Id(d) : null,
            model.CreatedAt,
            model.CreatedAt,
            "DEPLOYED",
            new ModelMetadata(
                model.ModelType,
                record is null ? null : record.BudgetMilliNodeHours.ToString(CultureInfo.InvariantCulture),
                record is null ? null : record.CostMilliNodeHours.ToString(CultureInfo.InvariantCulture),
                record?.StopReason switch
                {
                    "converged" => "MODEL_CONVERGED",
                    "budget-reached" => "BUDGET_REACHED",
                    "epoch-limit" => "EPOCH_LIMIT_REACHED",
                    var other => other,
                },
                record?.BaseModelId is { } b ? Id(b) : null,
                record?.MultiLabel == true ? "MULTILABEL" : "MULTICLASS"),
            model.Labels,
            model.LatestVersionNumber,
            record?.SuggestedThreshold);
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    /// <summary>A rough share of the work done: embedding is most of a cold run, the head most of a warm one.</summary>
    private static int ProgressPercent(OperationSummary operation)
    {
        if (operation.State == OperationState.Succeeded)
        {
            return 100;
        }
        var p = operation.Progress;
        if (p is null)
        {
            return 0;
        }
        return p.Phase switch
        {
            TrainingPhase.Queued or TrainingPhase.Preparing => 0,
            TrainingPhase.Embedding => p.ImagesTotal == 0 ? 5 : 5 + 55 * p.ImagesDone / p.ImagesTotal,
            TrainingPhase.Training => p.MaxEpochs == 0 ? 60 : 60 + 35 * p.Epoch / p.MaxEpochs,
            TrainingPhase.Evaluating => 95,
            TrainingPhase.Exporting => 97,
            TrainingPhase.Saving => 99,
            _ => 100,
        };
    }
}

/// <summary>An empty JSON object (AutoML's <c>createModelDetails: {}</c>).</summary>
internal sealed record JsonObjectPlaceholder;

/// <summary><c>google.longrunning.Operation</c>.</summary>
internal sealed record OperationResource(
    string Name,
    OperationMetadata Metadata,
    bool Done,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] OperationError? Error,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] OperationResponse? Response);

/// <summary><c>google.cloud.automl.v1.OperationMetadata</c> plus the console's live progress.</summary>
internal sealed record OperationMetadata(
    [property: JsonPropertyName("@type")] string Type,
    DateTimeOffset CreateTime,
    DateTimeOffset UpdateTime,
    int ProgressPercent,
    string State,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonObjectPlaceholder? CreateModelDetails,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? StopReason,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] TrainingProgress? Progress,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] TrainingRequest? Request);

/// <summary><c>google.rpc.Status</c>: 1 CANCELLED, 10 ABORTED (interrupted), 13 INTERNAL.</summary>
internal sealed record OperationError(int Code, string Message);

/// <summary>The finished operation's result: the model's resource name.</summary>
internal sealed record OperationResponse([property: JsonPropertyName("@type")] string Type, string Name);

/// <summary><c>ListOperationsResponse</c>.</summary>
internal sealed record OperationList(IReadOnlyList<object> Operations, string NextPageToken);

/// <summary><c>google.cloud.automl.v1.Model</c> (image classification).</summary>
internal sealed record ModelResource(
    string Name,
    string DisplayName,
    string? DatasetId,
    DateTimeOffset CreateTime,
    DateTimeOffset UpdateTime,
    string DeploymentState,
    ModelMetadata ImageClassificationModelMetadata,
    IReadOnlyList<string> Labels,
    int VersionNumber,
    float? SuggestedScoreThreshold);

/// <summary><c>ImageClassificationModelMetadata</c>.</summary>
internal sealed record ModelMetadata(
    string ModelType,
    string? TrainBudgetMilliNodeHours,
    string? TrainCostMilliNodeHours,
    string? StopReason,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? BaseModelId,
    string ClassificationType);

/// <summary><c>ListModelsResponse</c>.</summary>
internal sealed record ModelList(IReadOnlyList<ModelResource> Model, string NextPageToken);

/// <summary>Reads an id given as a JSON string or number into its text.</summary>
internal sealed class FlexibleIdConverter : JsonConverter<string?>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.String => reader.GetString(),
        JsonTokenType.Number => reader.TryGetInt64(out var n) ? n.ToString(CultureInfo.InvariantCulture) : throw new JsonException("An id must be a whole number."),
        JsonTokenType.Null => null,
        _ => throw new JsonException($"An id must be a string or a number, not {reader.TokenType}."),
    };

    public override void Write(Utf8JsonWriter writer, string? value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteStringValue(value);
        }
    }
}
