using System.Globalization;
using System.Text.Json.Serialization;
using VisionConsole.Domain;

namespace VisionConsole.Trainer.Detection;

/// <summary>
/// The AutoML v1 <c>:predict</c> answer for an object detector:
/// <c>{"payload":[{"annotationSpecId":"0","displayName":"raccoon","imageObjectDetection":{"boundingBox":{"normalizedVertices":[{"x":0.1,"y":0.2},{"x":0.6,"y":0.9}]},"score":0.93}}]}</c>
/// (camelCase, as <c>JsonSerializerDefaults.Web</c> writes it).
/// </summary>
/// <param name="Payload">One entry per box, highest score first.</param>
/// <param name="Metadata">Optional, left out when null: which version answered and how long it took.</param>
public sealed record DetectionPredictResponse(
    IReadOnlyList<DetectionAnnotationPayload> Payload,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DetectionPredictMetadata? Metadata = null)
{
    /// <summary>
    /// The answer for decoded detections, honouring AutoML's <c>params</c>: boxes scoring at least
    /// <paramref name="parameters"/>' score threshold, best first, at most its box count. The annotation spec id is the
    /// label's index, as the classification <c>:predict</c> writes it.
    /// </summary>
    /// <exception cref="ArgumentException">A detection's label is not an index into <paramref name="labels"/>.</exception>
    public static DetectionPredictResponse From(
        IEnumerable<DetectedObject> detections, IReadOnlyList<string> labels, AutoMlDetectionParams parameters, DetectionPredictMetadata? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(detections);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(parameters);
        var payload = detections
            .Where(d => d.Score >= parameters.ScoreThreshold)
            .OrderByDescending(d => d.Score)
            .Take(parameters.MaxBoundingBoxCount)
            .Select(d =>
            {
                if (d.Label < 0 || d.Label >= labels.Count)
                    throw new ArgumentException($"A detection has label index {d.Label}; the model has {labels.Count} labels.", nameof(detections));
                return new DetectionAnnotationPayload(
                    d.Label.ToString(CultureInfo.InvariantCulture),
                    labels[d.Label],
                    new ImageObjectDetectionAnnotation(
                        new BoundingPoly([new NormalizedVertex(d.XMin, d.YMin), new NormalizedVertex(d.XMax, d.YMax)]),
                        d.Score));
            })
            .ToArray();
        return new DetectionPredictResponse(payload, metadata);
    }
}

/// <summary>One detected object in a <see cref="DetectionPredictResponse"/>.</summary>
public sealed record DetectionAnnotationPayload(string AnnotationSpecId, string DisplayName, ImageObjectDetectionAnnotation ImageObjectDetection);

/// <summary>AutoML's <c>ImageObjectDetectionAnnotation</c>: the box and its score.</summary>
public sealed record ImageObjectDetectionAnnotation(BoundingPoly BoundingBox, float Score);

/// <summary>AutoML's <c>BoundingPoly</c>: for a box, two vertices, the top-left then the bottom-right.</summary>
public sealed record BoundingPoly(IReadOnlyList<NormalizedVertex> NormalizedVertices);

/// <summary>A point normalized to the image (0-1, origin top-left).</summary>
public sealed record NormalizedVertex(float X, float Y);

/// <summary>Which model version answered, and how long the prediction took.</summary>
public sealed record DetectionPredictMetadata(string ModelVersionId, double ElapsedMilliseconds);

/// <summary>AutoML's detection <c>params</c>: <c>score_threshold</c> (default 0.5) and <c>max_bounding_box_count</c> (default 100).</summary>
public sealed record AutoMlDetectionParams(float ScoreThreshold = AutoMlDetectionParams.DefaultScoreThreshold, int MaxBoundingBoxCount = AutoMlDetectionParams.DefaultMaxBoundingBoxCount)
{
    /// <summary>AutoML's default <c>score_threshold</c>.</summary>
    public const float DefaultScoreThreshold = 0.5f;

    /// <summary>AutoML's default <c>max_bounding_box_count</c>.</summary>
    public const int DefaultMaxBoundingBoxCount = 100;

    /// <summary>Reads the two params as AutoML sends them (strings in its <c>params</c> map); null or blank: the default.</summary>
    /// <exception cref="DomainException"><c>invalid-request</c>: a threshold outside 0-1 or a count that is not a positive whole number.</exception>
    public static AutoMlDetectionParams Parse(string? scoreThreshold, string? maxBoundingBoxCount)
    {
        var threshold = DefaultScoreThreshold;
        if (!string.IsNullOrWhiteSpace(scoreThreshold)
            && !(float.TryParse(scoreThreshold, NumberStyles.Float, CultureInfo.InvariantCulture, out threshold) && threshold is >= 0 and <= 1))
        {
            throw new DomainException("invalid-request", $"params.score_threshold '{scoreThreshold}' must be a number from 0 to 1.");
        }
        var count = DefaultMaxBoundingBoxCount;
        if (!string.IsNullOrWhiteSpace(maxBoundingBoxCount)
            && !(int.TryParse(maxBoundingBoxCount, NumberStyles.None, CultureInfo.InvariantCulture, out count) && count >= 1))
        {
            throw new DomainException("invalid-request", $"params.max_bounding_box_count '{maxBoundingBoxCount}' must be a whole number of at least 1.");
        }
        return new AutoMlDetectionParams(threshold, count);
    }
}
