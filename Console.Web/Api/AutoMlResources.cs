using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using VisionConsole.Domain;
using VisionConsole.Domain.Models;

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

    /// <summary>The model resource; <paramref name="deployed"/> is whether its latest version is loaded for prediction (<c>deploymentState</c>).</summary>
    public static ModelResource Model(ModelSummary model, string project, string location, bool deployed)
    {
        var record = model.Training;
        return new ModelResource(
            $"{Parent(project, location)}/models/{Id(model.Id)}",
            model.DisplayName,
            model.DatasetId is { } d ? Id(d) : null,
            model.CreatedAt,
            model.CreatedAt,
            deployed ? "DEPLOYED" : "UNDEPLOYED",
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
}

/// <summary><c>ListOperationsResponse</c>.</summary>
internal sealed record OperationList(IReadOnlyList<AutoMlOperation> Operations, string NextPageToken);

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
