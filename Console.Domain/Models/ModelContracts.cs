using System.Text.Json;
using System.Text.Json.Serialization;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Metrics;

namespace VisionConsole.Domain.Models;

/// <summary>A model as lists and the API show it, with its latest version.</summary>
/// <param name="Id">The model id.</param>
/// <param name="DisplayName">Its name.</param>
/// <param name="DatasetId">The dataset it was trained from (null once deleted).</param>
/// <param name="Kind">Single-label or multi-label.</param>
/// <param name="Labels">The label set in output order.</param>
/// <param name="LatestVersionId">The newest version's id.</param>
/// <param name="LatestVersionNumber">The newest version's number (1, 2 ...).</param>
/// <param name="ModelType">The newest version's model type.</param>
/// <param name="TrainingOperationId">The operation that trained the newest version.</param>
/// <param name="Training">How the newest version was trained (budget, stop reason, cost), when recorded.</param>
/// <param name="CreatedAt">When the model was created.</param>
/// <param name="CreatedBy">Who created it.</param>
public sealed record ModelSummary(
    long Id,
    string DisplayName,
    long? DatasetId,
    DatasetKind Kind,
    IReadOnlyList<string> Labels,
    long LatestVersionId,
    int LatestVersionNumber,
    string ModelType,
    long? TrainingOperationId,
    TrainingRecord? Training,
    DateTimeOffset CreatedAt,
    string CreatedBy);

/// <summary>How a model version was trained, kept with the version in the database.</summary>
/// <param name="ModelType">The preset.</param>
/// <param name="BackboneId">The zoo backbone the features came from.</param>
/// <param name="InputSize">The backbone's square input side.</param>
/// <param name="TestTimeFlip">Whether prediction averages the image and its mirror image.</param>
/// <param name="MultiLabel">Sigmoid (true) or softmax (false) output.</param>
/// <param name="Labels">The labels in output order.</param>
/// <param name="BudgetMilliNodeHours">The budget as AutoML counts it (wall-clock seconds / 3.6).</param>
/// <param name="CostMilliNodeHours">The wall-clock time spent, counted the same way.</param>
/// <param name="StopReason"><c>converged</c>, <c>budget-reached</c> or <c>epoch-limit</c>.</param>
/// <param name="Epochs">Epochs run.</param>
/// <param name="BaseModelId">The model it resumed from.</param>
/// <param name="SuggestedThreshold">The confidence threshold with the best F1 on the evaluation images.</param>
/// <param name="TrainImages">Images fitted on.</param>
/// <param name="ValidationImages">Images used only to decide when to stop (0 when a TRAIN hold-out was used).</param>
/// <param name="EvaluationImages">Images of the evaluation, never used for fitting or stopping.</param>
/// <param name="EvaluationSplit"><c>TEST</c> or <c>VALIDATION</c>.</param>
public sealed record TrainingRecord(
    string ModelType,
    string BackboneId,
    int InputSize,
    bool TestTimeFlip,
    bool MultiLabel,
    IReadOnlyList<string> Labels,
    long BudgetMilliNodeHours,
    long CostMilliNodeHours,
    string StopReason,
    int Epochs,
    long? BaseModelId,
    float SuggestedThreshold,
    int TrainImages,
    int ValidationImages,
    int EvaluationImages,
    string EvaluationSplit)
{
    /// <summary>
    /// The view ids (see the trainer's <c>ImageView</c>) whose scores prediction averages, e.g. <c>["crop-c-0.875"]</c>;
    /// null in records written before it existed, whose models predict on <c>orig</c> (and <c>flip</c> when
    /// <see cref="TestTimeFlip"/>).
    /// </summary>
    public IReadOnlyList<string>? PredictionViews { get; init; }

    /// <summary>Whether training fine-tuned the top of the backbone (<c>mobile-high-accuracy-1</c>): the model's files then carry their own top.</summary>
    public bool FineTunedTop { get; init; }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    /// <summary>The record as the database keeps it: camelCase JSON (the shape versions trained before wrote to <c>training.json</c>).</summary>
    public static string Write(TrainingRecord record) => JsonSerializer.Serialize(record, Json);

    /// <summary>Reads a stored record; corrupt data throws, naming the version, never reads as "no record".</summary>
    /// <exception cref="InvalidOperationException">The JSON is not a training record.</exception>
    public static TrainingRecord Read(string json, long modelVersionId)
    {
        try
        {
            return JsonSerializer.Deserialize<TrainingRecord>(json, Json)
                ?? throw new InvalidOperationException($"Model version {modelVersionId} has an empty training record.");
        }
        catch (JsonException ex)
        {
            throw new InvalidOperationException($"Model version {modelVersionId} has an unreadable training record: {ex.Message}", ex);
        }
    }
}

/// <summary>One evaluation image: its scores (label order) and true labels, so any threshold can be recomputed.</summary>
/// <param name="ImageId">The dataset image.</param>
/// <param name="Sha256">Its blob (thumbnails at <c>/api/blobs/{sha256}/thumbnail</c>).</param>
/// <param name="FileName">Its file name.</param>
/// <param name="TrueLabels">Indices into the model's labels.</param>
/// <param name="Scores">One score per label.</param>
public sealed record EvaluatedImage(long ImageId, string Sha256, string FileName, IReadOnlyList<int> TrueLabels, IReadOnlyList<float> Scores);

/// <summary>
/// A model version's evaluation: the report at the suggested threshold and the per-image scores that let a page
/// recompute every figure at any threshold (<see cref="ToEvaluation"/>) without the server running the model.
/// </summary>
public sealed record ModelEvaluationView(
    long ModelId,
    long ModelVersionId,
    long EvaluationId,
    IReadOnlyList<string> Labels,
    PredictionRule Rule,
    EvaluationReport Report,
    IReadOnlyList<EvaluatedImage> Images,
    DateTimeOffset CreatedAt)
{
    /// <summary>The metrics engine over the stored scores (threshold queries, curves, confusion matrix).</summary>
    public ClassificationEvaluation ToEvaluation() =>
        new(Labels, Images.Select(i => new ScoredImage(i.ImageId, i.TrueLabels, i.Scores)).ToArray(), Rule);
}

/// <summary>One image of a detector's evaluation: its objects and the model's boxes, with what a page needs to show it.</summary>
/// <param name="ImageId">The dataset image.</param>
/// <param name="Sha256">Its blob (thumbnail at <c>/api/blobs/{sha256}/thumbnail</c>); null when the image has since been deleted.</param>
/// <param name="FileName">Its file name; null when deleted.</param>
/// <param name="GroundTruth">Its objects as they were when the model was evaluated.</param>
/// <param name="Predictions">The model's boxes, at every score the decoder kept.</param>
public sealed record DetectionEvaluatedImage(
    long ImageId, string? Sha256, string? FileName, IReadOnlyList<GroundTruthBox> GroundTruth, IReadOnlyList<PredictedBox> Predictions);

/// <summary>
/// A detector version's evaluation: the report the training stored and the evaluated images' boxes, from which a
/// page or the API recomputes every figure at any confidence and IoU threshold (<see cref="ToEvaluation"/>).
/// </summary>
/// <param name="ModelId">The model.</param>
/// <param name="ModelVersionId">The evaluated version.</param>
/// <param name="EvaluationId">The stored evaluation.</param>
/// <param name="DatasetId">The dataset the model was trained from (null once deleted): where its images are labeled.</param>
/// <param name="Labels">The model's labels; box label indices refer to them.</param>
/// <param name="Report">The report computed when the model was trained.</param>
/// <param name="Images">The evaluation images, those with no objects included.</param>
/// <param name="CreatedAt">When the evaluation was made.</param>
public sealed record DetectionEvaluationView(
    long ModelId,
    long ModelVersionId,
    long EvaluationId,
    long? DatasetId,
    IReadOnlyList<string> Labels,
    DetectionEvaluationReport Report,
    IReadOnlyList<DetectionEvaluatedImage> Images,
    DateTimeOffset CreatedAt)
{
    /// <summary>The metrics engine over the stored boxes (mAP, curves and counts at any confidence and IoU threshold).</summary>
    public DetectionEvaluation ToEvaluation() =>
        new(Labels, Images.Select(i => new DetectionImage(i.ImageId, i.GroundTruth, i.Predictions)).ToArray());
}

/// <summary>A box a detector found in an image.</summary>
/// <param name="LabelIndex">Index in the model's labels.</param>
/// <param name="Label">The label name.</param>
/// <param name="Box">Where, normalized (0-1, origin top-left).</param>
/// <param name="Score">The detector's confidence.</param>
public sealed record DetectedBox(int LabelIndex, string Label, BoxRect Box, float Score);

/// <summary>Every box a detector version kept for one image, best first.</summary>
public sealed record DetectionPrediction(long ModelId, long ModelVersionId, IReadOnlyList<DetectedBox> Boxes, double ElapsedMilliseconds);

/// <summary>Online prediction with object detectors (the console's test page; the REST <c>:predict</c> goes the same way).</summary>
public interface IDetectionPredictionService
{
    /// <summary>
    /// Every box the latest version (or version number <paramref name="versionNumber"/>) of detector
    /// <paramref name="modelId"/> decodes from an encoded image, best first, at any score.
    /// </summary>
    /// <exception cref="NotFoundException">No such model or version.</exception>
    /// <exception cref="DomainException"><c>model-kind</c> (not a detector), <c>invalid-image</c> (empty), <c>model-unavailable</c> (no model.onnx).</exception>
    /// <exception cref="Imaging.ImageRejectedException">The bytes are not a decodable image.</exception>
    Task<DetectionPrediction> DetectAsync(long modelId, ReadOnlyMemory<byte> imageBytes, int? versionNumber = null, CancellationToken cancellationToken = default);
}

/// <summary>One label's score for an image.</summary>
/// <param name="LabelIndex">Index in the model's labels.</param>
/// <param name="Label">The label name.</param>
/// <param name="Score">Softmax or sigmoid probability.</param>
public sealed record LabelScore(int LabelIndex, string Label, float Score);

/// <summary>The scores of one image, best first.</summary>
public sealed record ClassificationPrediction(long ModelId, long ModelVersionId, IReadOnlyList<LabelScore> Scores, double ElapsedMilliseconds);

/// <summary>What a models list is ordered by (the id breaks ties, in the same direction).</summary>
public enum ModelSortField { Created, Name }

/// <summary>A page of the models list in an order.</summary>
/// <param name="SortBy">The order; newest first by default.</param>
/// <param name="Descending">Newest (or last in name order) first.</param>
/// <param name="Skip">Models to pass over first.</param>
/// <param name="Take">At most this many (1-1000).</param>
/// <param name="Project">Only the models of the project with this name; null: every project's.</param>
public sealed record ModelListQuery(ModelSortField SortBy = ModelSortField.Created, bool Descending = true, int Skip = 0, int Take = 25, string? Project = null);

/// <summary>One page of models and how many there are in all.</summary>
public sealed record ModelListPage(IReadOnlyList<ModelSummary> Items, int Total);

/// <summary>Models, their evaluations and online prediction. Used by the REST API and the console pages alike.</summary>
public interface IModelService
{
    /// <summary>The models of project <paramref name="project"/> (null: of every project), newest first.</summary>
    Task<IReadOnlyList<ModelSummary>> ListAsync(string? project = null, CancellationToken cancellationToken = default);

    /// <summary>One page of the models with at least one trained version, in the query's order, with the total (the console's paged grid).</summary>
    Task<ModelListPage> ListPageAsync(ModelListQuery query, CancellationToken cancellationToken = default);

    /// <summary>One model; <see cref="NotFoundException"/> when absent.</summary>
    Task<ModelSummary> GetAsync(long modelId, CancellationToken cancellationToken = default);

    /// <summary>Deletes the model, its versions, evaluations and files.</summary>
    Task DeleteAsync(long modelId, string user, CancellationToken cancellationToken = default);

    /// <summary>The evaluation of the model's latest version (or of <paramref name="modelVersionId"/>).</summary>
    Task<ModelEvaluationView> GetEvaluationAsync(long modelId, long? modelVersionId = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// The evaluation of an object detector's latest version (or of <paramref name="modelVersionId"/>); a classification
    /// model is refused with <c>model-kind</c> (its evaluation is <see cref="GetEvaluationAsync"/>).
    /// </summary>
    Task<DetectionEvaluationView> GetDetectionEvaluationAsync(long modelId, long? modelVersionId = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Scores an encoded image (any format the intake accepts) with the model's latest version (or version number
    /// <paramref name="versionNumber"/>), best first. Throws <see cref="Imaging.ImageRejectedException"/> for bytes that are
    /// not a decodable image, <see cref="NotFoundException"/> for a version the model does not have.
    /// </summary>
    Task<ClassificationPrediction> PredictAsync(long modelId, ReadOnlyMemory<byte> imageBytes, int? versionNumber = null, CancellationToken cancellationToken = default);
}
