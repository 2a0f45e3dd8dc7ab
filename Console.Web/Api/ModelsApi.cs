using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using VisionConsole.Domain;
using VisionConsole.Domain.Accounts;
using VisionConsole.Domain.Metrics;
using VisionConsole.Domain.Models;
using VisionConsole.Domain.Operations;
using VisionConsole.Domain.Projects;
using VisionConsole.Domain.Training;
using VisionConsole.Trainer.Detection;
using VisionConsole.Trainer.Inference;
using VisionConsole.Web.Accounts;

namespace VisionConsole.Web.Api;

/// <summary>
/// Models in the AutoML v1 shape under <c>/v1/projects/{project}/locations/{location}/models</c>: create (starts a
/// training and returns its operation), list, get, delete, <c>{id}/modelEvaluations</c> and <c>{id}:predict</c>.
/// </summary>
public static class ModelsApi
{
    /// <summary>Largest prediction request (a 30 MB image, base64 encoded in JSON).</summary>
    public const long MaxPredictBytes = 48L * 1024 * 1024;

    /// <summary>Thresholds of the <c>confidenceMetricsEntry</c> lists: 0, 0.05, ..., 1.</summary>
    private static readonly float[] Thresholds = Enumerable.Range(0, 21).Select(i => i / 20f).ToArray();

    /// <summary>
    /// The IoU and confidence thresholds of a detector's <c>boundingBoxMetricsEntries</c>, as the AutoML v1 reference
    /// lists them: 0.05, 0.10, ..., 0.95, 0.96, 0.97, 0.98, 0.99.
    /// </summary>
    private static readonly double[] DetectionIouThresholds =
        [.. Enumerable.Range(1, 19).Select(i => Math.Round(i * 0.05, 2)), 0.96, 0.97, 0.98, 0.99];

    /// <summary>The same thresholds for confidences, which are floats.</summary>
    private static readonly float[] DetectionConfidenceThresholds = DetectionIouThresholds.Select(t => (float)t).ToArray();

    /// <summary>Body of <c>POST .../models</c>.</summary>
    public sealed record CreateModelRequest(
        string? DisplayName,
        [property: JsonConverter(typeof(FlexibleIdConverter))] string? DatasetId,
        ClassificationMetadataRequest? ImageClassificationModelMetadata,
        ClassificationMetadataRequest? ImageObjectDetectionModelMetadata = null);

    /// <summary>
    /// <c>imageClassificationModelMetadata</c>: <c>modelType</c>, <c>trainBudgetMilliNodeHours</c> (a string or number;
    /// 1 = 3.6 s of wall clock here), the console's <c>budgetMinutes</c>, and <c>baseModelId</c>.
    /// </summary>
    public sealed record ClassificationMetadataRequest(
        string? ModelType,
        [property: JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)] long? TrainBudgetMilliNodeHours,
        [property: JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)] double? BudgetMinutes,
        [property: JsonConverter(typeof(FlexibleIdConverter))] string? BaseModelId);

    /// <summary>Body of <c>:export</c>: <c>{"outputConfig":{"modelFormat":"tflite"}}</c> (<c>gcsDestination</c> is accepted and ignored: the file is served here).</summary>
    public sealed record ExportModelRequest(ModelExportOutputConfig? OutputConfig);

    /// <summary><c>outputConfig</c> of <c>:export</c>.</summary>
    public sealed record ModelExportOutputConfig(string? ModelFormat, JsonElement? GcsDestination);

    public static IEndpointRouteBuilder MapModelsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/v1/projects/{project}/locations/{location}/models").WithTags("Models")
            .ProducesGoogleError(400)
            .ProducesGoogleError(404);
        group.MapPost("/", CreateAsync).RequireRateLimiting(ApiRateLimits.Training).ProducesGoogleError(StatusCodes.Status429TooManyRequests).DisableAntiforgery();
        group.MapGet("/", ListAsync);
        group = group.MapGroup("").InProjectOf(ProjectResource.Model, "id");
        group.MapGet("/{id:long}", GetAsync);
        group.MapDelete("/{id:long}", DeleteAsync);
        group.MapPost("/{id:long}:deploy", DeployAsync).DisableAntiforgery();
        // Predictions change nothing in the project: a viewer may ask for them.
        group.MapPost("/{id:long}:batchPredict", BatchPredictAsync).RequireAuthorization(ConsolePolicies.Read)
            .WithMetadata(new RequestSizeLimitAttribute(AutoMlDatasetsApi.MaxImportBytes))
            .RequireRateLimiting(ApiRateLimits.Import)
            .ProducesGoogleError(StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status429TooManyRequests)
            .DisableAntiforgery();
        group.MapPost("/{id:long}:undeploy", UndeployAsync).DisableAntiforgery();
        group.MapGet("/{id:long}/modelEvaluations", EvaluationsAsync);
        group.MapGet("/{id:long}/modelEvaluations/{evaluationId}", EvaluationAsync);
        group.MapPost("/{id:long}:export", ExportAsync).DisableAntiforgery();
        group.MapPost("/{id:long}:predict", PredictAsync).RequireAuthorization(ConsolePolicies.Read)
            .RequireRateLimiting(ApiRateLimits.Predict)
            .ProducesGoogleError(StatusCodes.Status429TooManyRequests)
            .Produces<PredictResponse>()
            .WithDescription("A classification model answers its labels' scores (classification); an object detector its boxes (imageObjectDetection: boundingBox.normalizedVertices and score).")
            .WithMetadata(new RequestSizeLimitAttribute(MaxPredictBytes))
            .DisableAntiforgery();
        return endpoints;
    }

    /// <summary>
    /// AutoML's <c>models.export</c>: queues the export of the model's latest version and returns its operation; the done
    /// operation's <c>response.downloadUri</c> serves the file. <c>modelFormat</c>: <c>tflite</c> (the default, quantized),
    /// <c>tf_js</c>, <c>onnx</c>; AutoML's other formats are refused with the reason.
    /// </summary>
    private static async Task<Ok<AutoMlOperation>> ExportAsync(
        string project, string location, long id, ExportModelRequest? request, ModelExportService exports, ICurrentUser user, CancellationToken cancellationToken)
    {
        var format = (request?.OutputConfig?.ModelFormat?.Trim().ToLowerInvariant().Replace('-', '_')) switch
        {
            null or "" or "tflite" => ModelFormat.Tflite,
            "tf_js" or "tfjs" => ModelFormat.Tfjs,
            "onnx" => ModelFormat.Onnx,
            "edgetpu_tflite" => throw new DomainException("export-unsupported",
                "modelFormat 'edgetpu_tflite' needs Google's Edge TPU compiler, which is not part of the console: export 'tflite' (fully int8) and compile it with edgetpu_compiler."),
            "core_ml" => throw new DomainException("export-unsupported",
                "modelFormat 'core_ml' is not exported by the console: export 'onnx' and convert it with Apple's coremltools, or use 'tflite' in ML Kit on iOS."),
            "tf_saved_model" or "docker" => throw new DomainException("export-unsupported",
                $"modelFormat '{request!.OutputConfig!.ModelFormat}' (a TensorFlow server model) is not exported by the console: serve the model from the console's :predict, or export 'onnx'."),
            var other => throw new DomainException("invalid-argument", $"outputConfig.modelFormat '{other}' is not one of tflite, tf_js, onnx (edgetpu_tflite, core_ml, tf_saved_model and docker are refused)."),
        };
        var operation = await exports.StartAsync(id, format, user.Name, cancellationToken);
        return TypedResults.Ok(AutoMlOperation.From(project, location, operation));
    }

    private static async Task<Ok<AutoMlOperation>> CreateAsync(
        string project, string location, CreateModelRequest request, ITrainingService training, ProjectAccessService access, ICurrentUser user, CancellationToken cancellationToken)
    {
        // AutoML names the metadata after the model's kind; the dataset's kind decides what is trained (TrainingService).
        var metadata = request.ImageClassificationModelMetadata ?? request.ImageObjectDetectionModelMetadata
            ?? throw new DomainException("invalid-request", "imageClassificationModelMetadata or imageObjectDetectionModelMetadata is required (for example {\"modelType\":\"mobile-versatile-1\"}).");
        var trainingRequest = new TrainingRequest(
            request.DisplayName ?? string.Empty,
            AutoMl.ParseId(request.DatasetId, "datasetId"),
            string.IsNullOrWhiteSpace(metadata.ModelType) ? null : metadata.ModelType,
            metadata.TrainBudgetMilliNodeHours,
            metadata.BudgetMinutes,
            string.IsNullOrWhiteSpace(metadata.BaseModelId) ? null : AutoMl.ParseId(metadata.BaseModelId, "baseModelId"));
        await access.EnsureInProjectAsync(ProjectResource.Dataset, trainingRequest.DatasetId, project, cancellationToken);
        var operation = await training.StartTrainingAsync(trainingRequest, user.Name, cancellationToken);
        return TypedResults.Ok(AutoMlOperation.From(project, location, operation));
    }

    /// <summary>
    /// AutoML's <c>models.list</c>; <c>filter</c>: <c>datasetId=ID</c>, <c>imageClassificationModelMetadata:*</c>,
    /// <c>imageObjectDetectionModelMetadata:*</c>, <c>displayName=NAME</c>, joined by AND.
    /// </summary>
    private static async Task<Ok<ModelList>> ListAsync(string project, string location, string? filter, IModelService models, ModelDeployment deployment, CancellationToken cancellationToken)
    {
        var terms = AutoMlListFilter.Parse(filter, "models", "datasetId", "imageClassificationModelMetadata", "imageObjectDetectionModelMetadata", "displayName");
        var list = (await models.ListAsync(project, cancellationToken)).Where(m => terms.All(t => t.Field switch
        {
            "datasetId" => m.DatasetId is { } d && AutoMl.Id(d) == t.Value,
            "imageClassificationModelMetadata" => m.Kind != Domain.Datasets.DatasetKind.ObjectDetection,
            "imageObjectDetectionModelMetadata" => m.Kind == Domain.Datasets.DatasetKind.ObjectDetection,
            _ => m.DisplayName == t.Value,
        }));
        var deployed = await deployment.DeployedAsync(cancellationToken);
        return TypedResults.Ok(new ModelList(list.Select(m => AutoMl.Model(m, project, location, deployed.Contains(m.Id))).ToList(), string.Empty));
    }

    private static async Task<Ok<ModelResource>> GetAsync(string project, string location, long id, IModelService models, ModelDeployment deployment, CancellationToken cancellationToken)
    {
        var model = await models.GetAsync(id, cancellationToken);
        return TypedResults.Ok(AutoMl.Model(model, project, location, await deployment.IsDeployedAsync(id, cancellationToken)));
    }

    /// <summary>
    /// AutoML's <c>models.deploy</c>: loads the model's latest <c>model.onnx</c> for prediction now and answers a done
    /// operation. Not needed before <c>:predict</c>, which loads an undeployed model on first use.
    /// </summary>
    private static async Task<Ok<AutoMlOperation>> DeployAsync(string project, string location, long id, ModelDeployment deployment, CancellationToken cancellationToken)
    {
        await deployment.DeployAsync(id, cancellationToken);
        return TypedResults.Ok(AutoMlOperation.Immediate(project, location, "deploy-model", id, null, new EmptyResponse()));
    }

    /// <summary>
    /// AutoML's <c>models.batchPredict</c>: the images (and zips of them) of a multipart upload, spooled to disk, predicted
    /// by an operation; <c>?score_threshold=</c> (default 0.5) leaves out what scores below it. The done operation's
    /// <c>response.downloadUri</c> serves the JSON Lines.
    /// </summary>
    private static async Task<Ok<AutoMlOperation>> BatchPredictAsync(
        string project, string location, long id, [FromQuery(Name = "score_threshold")] float? scoreThreshold, HttpRequest request,
        DataOperationService operations, BatchPredictionService batches, ICurrentUser user, CancellationToken cancellationToken)
    {
        var folder = operations.CreateUploadFolder();
        var files = await MultipartUpload.SpoolAsync(request, folder, AutoMlDatasetsApi.MaxImportBytes, cancellationToken);
        var operation = await batches.StartAsync(id, folder, files, scoreThreshold ?? 0.5f, user.Name, cancellationToken);
        return TypedResults.Ok(AutoMlOperation.From(project, location, operation));
    }

    /// <summary>AutoML's <c>models.undeploy</c>: frees the model's loaded session (memory); answers a done operation.</summary>
    private static async Task<Ok<AutoMlOperation>> UndeployAsync(string project, string location, long id, ModelDeployment deployment, CancellationToken cancellationToken)
    {
        await deployment.UndeployAsync(id, cancellationToken);
        return TypedResults.Ok(AutoMlOperation.Immediate(project, location, "undeploy-model", id, null, new EmptyResponse()));
    }

    /// <summary>AutoML's <c>models.delete</c>: closes the model's session, deletes it, and answers a done operation.</summary>
    private static async Task<Ok<AutoMlOperation>> DeleteAsync(
        string project, string location, long id, IModelService models, ModelDeployment deployment, ICurrentUser user, CancellationToken cancellationToken)
    {
        await deployment.UndeployAsync(id, cancellationToken);
        await models.DeleteAsync(id, user.Name, cancellationToken);
        return TypedResults.Ok(AutoMlOperation.Immediate(project, location, "delete-model", id, null, new EmptyResponse()));
    }

    /// <summary>One overall evaluation (no annotationSpecId) and one per label, as AutoML lists them.</summary>
    private static async Task<Ok<ModelEvaluationList>> EvaluationsAsync(
        string project, string location, long id, IModelService models, DetectionPredictor detectors, CancellationToken cancellationToken) =>
        TypedResults.Ok(new ModelEvaluationList(await EvaluationResourcesAsync(project, location, id, models, detectors, cancellationToken), string.Empty));

    /// <summary>One evaluation of the list by its id: the overall one (<c>{evaluation}</c>) or a label's (<c>{evaluation}-{annotationSpecId}</c>).</summary>
    private static async Task<Ok<ModelEvaluationResource>> EvaluationAsync(
        string project, string location, long id, string evaluationId, IModelService models, DetectionPredictor detectors, CancellationToken cancellationToken)
    {
        var list = await EvaluationResourcesAsync(project, location, id, models, detectors, cancellationToken);
        return TypedResults.Ok(list.FirstOrDefault(e => e.Name.EndsWith("/" + evaluationId, StringComparison.Ordinal))
            ?? throw new NotFoundException($"Model evaluation {evaluationId} of model {id}"));
    }

    private static async Task<IReadOnlyList<ModelEvaluationResource>> EvaluationResourcesAsync(
        string project, string location, long id, IModelService models, DetectionPredictor detectors, CancellationToken cancellationToken)
    {
        var parent = $"{AutoMl.Parent(project, location)}/models/{AutoMl.Id(id)}/modelEvaluations";
        // A detector's evaluation is AutoML's imageObjectDetectionEvaluationMetrics, in the same list and resource shape.
        if (await detectors.IsDetectorAsync(id, cancellationToken))
        {
            return DetectionEvaluations(parent, await models.GetDetectionEvaluationAsync(id, cancellationToken: cancellationToken));
        }
        var view = await models.GetEvaluationAsync(id, cancellationToken: cancellationToken);
        var evaluation = view.ToEvaluation();
        var list = new List<ModelEvaluationResource>();
        var atThresholds = Thresholds.Select(evaluation.AtThreshold).ToArray();
        var top1 = evaluation.TopKAccuracy(1);
        list.Add(new ModelEvaluationResource(
            $"{parent}/{AutoMl.Id(view.EvaluationId)}",
            null,
            null,
            view.CreatedAt,
            evaluation.Images.Count,
            new ClassificationMetrics(
                evaluation.AveragePrecision() ?? 0,
                atThresholds.Select(t => Entry(t.Threshold, t.Micro, view.Rule == PredictionRule.TopOne ? top1 : null)).ToArray(),
                view.Rule == PredictionRule.TopOne ? Confusion(evaluation) : null,
                evaluation.Labels.Select((_, i) => AutoMl.Id(i)).ToArray(),
                top1,
                evaluation.TopKAccuracy(5),
                view.Report.SuggestedThreshold.Threshold)));
        for (var c = 0; c < evaluation.Labels.Count; c++)
        {
            list.Add(new ModelEvaluationResource(
                $"{parent}/{AutoMl.Id(view.EvaluationId)}-{AutoMl.Id(c)}",
                AutoMl.Id(c),
                evaluation.Labels[c],
                view.CreatedAt,
                evaluation.Positives(c),
                new ClassificationMetrics(
                    evaluation.AveragePrecision(c) ?? 0,
                    atThresholds.Select(t => Entry(t.Threshold, t.PerLabel[c].Counts, null)).ToArray(),
                    null,
                    null,
                    null,
                    null,
                    null)));
        }
        return list;
    }

    /// <summary>
    /// A detector's evaluations: overall (pooled counts, mAP over labels) and one per label (that label's AP), each with
    /// a <c>boundingBoxMetricsEntry</c> per IoU threshold and in it a <c>confidenceMetricsEntry</c> per confidence threshold,
    /// and <c>boundingBoxMeanAveragePrecision</c> the mean of the entries' <c>meanAveragePrecision</c> (AutoML's definition).
    /// </summary>
    private static List<ModelEvaluationResource> DetectionEvaluations(string parent, DetectionEvaluationView view)
    {
        var evaluation = view.ToEvaluation();
        var grid = DetectionIouThresholds
            .Select(iou => DetectionConfidenceThresholds.Select(confidence => evaluation.AtThreshold(confidence, iou)).ToArray())
            .ToArray();
        ObjectDetectionMetrics Metrics(int? label, int boxes)
        {
            var entries = DetectionIouThresholds.Select((iou, i) => new BoundingBoxMetricsEntry(
                iou,
                (label is { } c ? evaluation.AveragePrecision(c, iou) : evaluation.MeanAveragePrecision(iou)) ?? 0,
                grid[i].Select(t => DetectionEntry(t.ConfidenceThreshold, label is { } c ? t.PerLabel[c].Counts : t.Micro)).ToArray())).ToArray();
            return new ObjectDetectionMetrics(boxes, entries, entries.Average(e => e.MeanAveragePrecision));
        }
        var list = new List<ModelEvaluationResource>
        {
            new($"{parent}/{AutoMl.Id(view.EvaluationId)}", null, null, view.CreatedAt, evaluation.Images.Count, null,
                Metrics(null, Enumerable.Range(0, evaluation.Labels.Count).Sum(evaluation.GroundTruths))),
        };
        for (var c = 0; c < evaluation.Labels.Count; c++)
        {
            list.Add(new ModelEvaluationResource(
                $"{parent}/{AutoMl.Id(view.EvaluationId)}-{AutoMl.Id(c)}", AutoMl.Id(c), evaluation.Labels[c], view.CreatedAt,
                evaluation.Images.Count(i => i.GroundTruth.Any(g => g.Label == c)), null, Metrics(c, evaluation.GroundTruths(c))));
        }
        return list;
    }

    /// <summary>AutoML's detection entry; a threshold nothing reaches has precision 1 (nothing predicted wrongly), as the classification entries.</summary>
    private static DetectionConfidenceMetricsEntry DetectionEntry(float threshold, MetricCounts counts) =>
        new(threshold, counts.Recall ?? 0, counts.Precision ?? 1, counts.F1 ?? 0);

    private static ConfidenceMetricsEntry Entry(float threshold, MetricCounts counts, double? top1) => new(
        threshold,
        counts.Recall ?? 0,
        counts.Precision ?? 1,
        counts.F1 ?? 0,
        counts.TruePositives,
        counts.FalsePositives,
        counts.FalseNegatives,
        top1,
        top1,
        top1);

    /// <summary>The top-1 confusion matrix (threshold 0: every image is predicted as its best label).</summary>
    private static ConfusionMatrixResource Confusion(ClassificationEvaluation evaluation)
    {
        var matrix = evaluation.ConfusionMatrix(0f);
        var n = evaluation.Labels.Count;
        var rows = Enumerable.Range(0, n)
            .Select(t => new ConfusionRow(Enumerable.Range(0, n).Select(p => matrix.Count(t, p)).ToArray()))
            .ToArray();
        return new ConfusionMatrixResource(Enumerable.Range(0, n).Select(i => AutoMl.Id(i)).ToArray(), evaluation.Labels, rows);
    }

    /// <summary>
    /// The AutoML payload <c>{"payload":{"image":{"imageBytes":"&lt;base64&gt;"}},"params":{"score_threshold":"0.5"}}</c>,
    /// or a multipart upload (the first file part; an optional <c>score_threshold</c> field). Answers the labels scoring
    /// at least the threshold (default 0.5, as AutoML), best first.
    /// </summary>
    private static async Task<IResult> PredictAsync(long id, HttpRequest request, IModelService models, DetectionPredictor detectors, CancellationToken cancellationToken)
    {
        byte[] image;
        string? thresholdText;
        string? maxBoxesText;
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(cancellationToken);
            var file = form.Files.FirstOrDefault()
                ?? throw new DomainException("invalid-request", "The multipart body has no file part; send the image as a file.");
            using var buffer = new MemoryStream();
            await file.CopyToAsync(buffer, cancellationToken);
            image = buffer.ToArray();
            thresholdText = form["score_threshold"].FirstOrDefault() ?? form["scoreThreshold"].FirstOrDefault();
            maxBoxesText = form["max_bounding_box_count"].FirstOrDefault();
        }
        else
        {
            (image, thresholdText, maxBoxesText) = await ReadJsonPayloadAsync(request, cancellationToken);
        }
        // A detector answers with boxes (AutoML's imageObjectDetection payload), through its own model.onnx.
        if (await detectors.IsDetectorAsync(id, cancellationToken))
        {
            return TypedResults.Ok(await detectors.PredictAsync(id, image, AutoMlDetectionParams.Parse(thresholdText, maxBoxesText), cancellationToken));
        }
        var threshold = 0.5f;
        if (!string.IsNullOrWhiteSpace(thresholdText)
            && !(float.TryParse(thresholdText, NumberStyles.Float, CultureInfo.InvariantCulture, out threshold) && threshold is >= 0 and <= 1))
        {
            throw new DomainException("invalid-request", $"params.score_threshold '{thresholdText}' must be a number from 0 to 1.");
        }
        var prediction = await models.PredictAsync(id, image, cancellationToken: cancellationToken);
        var payload = prediction.Scores.Where(s => s.Score >= threshold)
            .Select(s => new AnnotationPayload(AutoMl.Id(s.LabelIndex), s.Label, new ClassificationAnnotation(s.Score)))
            .ToArray();
        return TypedResults.Ok(new PredictResponse(payload, new PredictMetadata(prediction.ModelVersionId.ToString(CultureInfo.InvariantCulture), prediction.ElapsedMilliseconds)));
    }

    private static async Task<(byte[] Image, string? Threshold, string? MaxBoxes)> ReadJsonPayloadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancellationToken);
        }
        catch (JsonException ex)
        {
            throw new DomainException("invalid-request", $"The body is not JSON ({ex.Message}); send {{\"payload\":{{\"image\":{{\"imageBytes\":\"<base64>\"}}}}}} or a multipart image upload.");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("payload", out var payload) || payload.ValueKind != JsonValueKind.Object
                || !payload.TryGetProperty("image", out var imageElement) || imageElement.ValueKind != JsonValueKind.Object
                || !imageElement.TryGetProperty("imageBytes", out var bytesElement) || bytesElement.ValueKind != JsonValueKind.String)
            {
                throw new DomainException("invalid-request", "payload.image.imageBytes (a base64 string) is required.");
            }
            byte[] image;
            try
            {
                image = Convert.FromBase64String(bytesElement.GetString()!);
            }
            catch (FormatException)
            {
                throw new DomainException("invalid-request", "payload.image.imageBytes is not valid base64.");
            }
            string? Param(string name)
            {
                if (!root.TryGetProperty("params", out var parameters) || parameters.ValueKind != JsonValueKind.Object
                    || !parameters.TryGetProperty(name, out var value))
                {
                    return null;
                }
                return value.ValueKind switch
                {
                    JsonValueKind.String => value.GetString(),
                    JsonValueKind.Number => value.GetRawText(),
                    _ => throw new DomainException("invalid-request", $"params.{name} must be a number or a string holding one."),
                };
            }
            return (image, Param("score_threshold"), Param("max_bounding_box_count"));
        }
    }

    internal sealed record ModelEvaluationList(IReadOnlyList<ModelEvaluationResource> ModelEvaluation, string NextPageToken);

    internal sealed record ModelEvaluationResource(
        string Name,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? AnnotationSpecId,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? DisplayName,
        DateTimeOffset CreateTime,
        int EvaluatedExampleCount,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ClassificationMetrics? ClassificationEvaluationMetrics,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ObjectDetectionMetrics? ImageObjectDetectionEvaluationMetrics = null);

    /// <summary>AutoML v1 <c>ImageObjectDetectionEvaluationMetrics</c>.</summary>
    internal sealed record ObjectDetectionMetrics(
        int EvaluatedBoundingBoxCount,
        IReadOnlyList<BoundingBoxMetricsEntry> BoundingBoxMetricsEntries,
        double BoundingBoxMeanAveragePrecision);

    /// <summary>AutoML v1 <c>BoundingBoxMetricsEntry</c>: the mAP and the counts at one IoU threshold.</summary>
    internal sealed record BoundingBoxMetricsEntry(
        double IouThreshold,
        double MeanAveragePrecision,
        IReadOnlyList<DetectionConfidenceMetricsEntry> ConfidenceMetricsEntries);

    /// <summary>AutoML v1 <c>BoundingBoxMetricsEntry.ConfidenceMetricsEntry</c>.</summary>
    internal sealed record DetectionConfidenceMetricsEntry(float ConfidenceThreshold, double Recall, double Precision, double F1Score);

    internal sealed record ClassificationMetrics(
        double AuPrc,
        IReadOnlyList<ConfidenceMetricsEntry> ConfidenceMetricsEntry,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ConfusionMatrixResource? ConfusionMatrix,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? AnnotationSpecId,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? Top1Accuracy,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? Top5Accuracy,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] float? SuggestedScoreThreshold);

    internal sealed record ConfidenceMetricsEntry(
        float ConfidenceThreshold,
        double Recall,
        double Precision,
        double F1Score,
        int TruePositiveCount,
        int FalsePositiveCount,
        int FalseNegativeCount,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? RecallAt1,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? PrecisionAt1,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? F1ScoreAt1);

    internal sealed record ConfusionMatrixResource(IReadOnlyList<string> AnnotationSpecId, IReadOnlyList<string> DisplayName, IReadOnlyList<ConfusionRow> Row);

    internal sealed record ConfusionRow(IReadOnlyList<int> ExampleCount);

    internal sealed record PredictResponse(IReadOnlyList<AnnotationPayload> Payload, PredictMetadata Metadata);

    internal sealed record AnnotationPayload(string AnnotationSpecId, string DisplayName, ClassificationAnnotation Classification);

    internal sealed record ClassificationAnnotation(float Score);

    internal sealed record PredictMetadata(string ModelVersionId, double ElapsedMilliseconds);
}
