using System.Globalization;
using VisionConsole.Domain.Datasets;

namespace VisionConsole.Web.Components.Pages.Api;

/// <summary>One copyable <c>curl</c> call of the API page.</summary>
/// <param name="Title">What the call does.</param>
/// <param name="Code">The command, filled with the console's address and the user's ids.</param>
public sealed record ApiSnippet(string Title, string Code);

/// <summary>What the API page fills its examples with: the console's address and a dataset and model of the user's, when there are any.</summary>
/// <param name="BaseUrl">The console's address as the browser sees it, ending in <c>/</c>.</param>
/// <param name="DatasetId">A dataset to show; null before the first one exists.</param>
/// <param name="DatasetKind">That dataset's kind (an import of boxes or of labels).</param>
/// <param name="ModelId">A trained model to show; null before the first one exists.</param>
public sealed record ApiSnippetContext(string BaseUrl, long? DatasetId, DatasetKind? DatasetKind, long? ModelId);

/// <summary>
/// The AutoML flow as <c>curl</c> calls against this console: create a dataset, import a zip, train, follow the
/// operation, predict, download the model. Where the user has no dataset or model yet, the id is a placeholder the
/// call before produces.
/// </summary>
public static class ApiSnippets
{
    /// <summary>AutoML's project and location; the console has one project, and any value addresses it.</summary>
    public const string Parent = "projects/default/locations/us-central1";

    /// <summary>The shell variable every call sends as its bearer token: an API key from the API keys page.</summary>
    public const string KeyVariable = "VC_API_KEY";

    /// <summary>The header every call sends.</summary>
    public const string AuthorizationHeader = $"-H \"Authorization: Bearer ${KeyVariable}\"";

    /// <summary>The calls, in the order a script makes them, each sending <see cref="AuthorizationHeader"/>.</summary>
    public static IReadOnlyList<ApiSnippet> For(ApiSnippetContext context) =>
        [.. Calls(context).Select(s => s with { Code = s.Code.Replace("curl -s ", $"curl -s {AuthorizationHeader} ", StringComparison.Ordinal).Replace("curl -fL ", $"curl -fL {AuthorizationHeader} ", StringComparison.Ordinal) })];

    private static IReadOnlyList<ApiSnippet> Calls(ApiSnippetContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var root = context.BaseUrl.TrimEnd('/');
        var v1 = $"{root}/v1/{Parent}";
        var dataset = context.DatasetId is { } d ? d.ToString(CultureInfo.InvariantCulture) : "DATASET_ID";
        var model = context.ModelId is { } m ? m.ToString(CultureInfo.InvariantCulture) : "MODEL_ID";
        var detection = context.DatasetKind == DatasetKind.ObjectDetection;
        var modelMetadata = detection ? "imageObjectDetectionModelMetadata" : "imageClassificationModelMetadata";
        return
        [
            new("List the datasets", $"curl -s \"{v1}/datasets\""),
            new("Create a dataset", $$$"""
                curl -s -X POST "{{{v1}}}/datasets" \
                  -H "Content-Type: application/json" \
                  -d '{"displayName":"insects","imageClassificationDatasetMetadata":{"classificationType":"MULTICLASS"}}'
                """),
            new(detection ? "Import photos with their boxes (a zip: Pascal VOC, COCO, CVAT or AutoML CSV)" : "Import photos (a zip of one folder per label, or images with an AutoML CSV)", $$$"""
                curl -s -X POST "{{{v1}}}/datasets/{{{dataset}}}:importData" \
                  -F "file=@{{{(detection ? "raccoon-voc.zip" : "photos.zip")}}};type=application/zip"
                """),
            new("Train a model (answers an operation)", $$$"""
                curl -s -X POST "{{{v1}}}/models" \
                  -H "Content-Type: application/json" \
                  -d '{"displayName":"my-model","datasetId":"{{{dataset}}}","{{{modelMetadata}}}":{"modelType":"mobile-versatile-1","trainBudgetMilliNodeHours":"100"}}'
                """),
            new("Follow the operation until it is done", $"curl -s \"{v1}/operations/OPERATION_ID\""),
            new("Predict on a photo", $$$$"""
                printf '{"payload":{"image":{"imageBytes":"%s"}}}' "$(base64 -w0 photo.jpg)" |
                  curl -s -X POST "{{{{v1}}}}/models/{{{{model}}}}:predict" -H "Content-Type: application/json" -d @-
                """),
            new("Predict a zip of photos (a batch prediction operation; its response's downloadUri serves JSON Lines)", $$$"""
                curl -s -X POST "{{{v1}}}/models/{{{model}}}:batchPredict?score_threshold=0.5" \
                  -F "file=@photos.zip;type=application/zip"
                """),
            new("Read the model's evaluations", $"curl -s \"{v1}/models/{model}/modelEvaluations\""),
            new("Download the model's ONNX file (version 1)", $"curl -fL -o model.onnx \"{root}/api/models/{model}/versions/1/model.onnx\""),
            new("The console's own API: a dataset's images", $"curl -s \"{root}/api/datasets/{dataset}/images?take=20\""),
        ];
    }
}
