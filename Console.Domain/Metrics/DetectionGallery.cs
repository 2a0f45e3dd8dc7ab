using VisionConsole.Domain.Datasets;

namespace VisionConsole.Domain.Metrics;

/// <summary>The three lists of an evaluation's error gallery.</summary>
public enum DetectionErrorKind
{
    /// <summary>A box that matched nothing and is not near an object of its label (<see cref="FalsePositiveKind.Background"/> or <see cref="FalsePositiveKind.Duplicate"/>).</summary>
    FalsePositive,

    /// <summary>An object no box at or above the confidence threshold matched.</summary>
    Missed,

    /// <summary>A box near an object but too poorly placed, or well placed with the wrong label (<see cref="FalsePositiveKind.Mislocalized"/> or <see cref="FalsePositiveKind.WrongLabel"/>).</summary>
    Mislocalized,
}

/// <summary>
/// One tile of the error gallery: the wrong (or missing) box on its image, and the box that explains it, both
/// normalized so a page draws them over a thumbnail of any size.
/// </summary>
/// <param name="ImageId">The image.</param>
/// <param name="Kind">Which list it belongs to.</param>
/// <param name="Label">The predicted label (a box) or the object's label (missed).</param>
/// <param name="Box">The predicted box, or for a missed object the object's box.</param>
/// <param name="Score">The box's confidence; for a missed object the score of <paramref name="Reference"/>, when there is one.</param>
/// <param name="Reason">Why a box is wrong; null for a missed object.</param>
/// <param name="ReferenceLabel">The label of <paramref name="Reference"/>.</param>
/// <param name="Reference">
/// For a duplicate, mislocalized or wrong-label box: the object it refers to. For a missed object: the box, at or above
/// the confidence threshold and of any label, that overlaps it most, when any overlaps it at all. Null otherwise.
/// </param>
/// <param name="Iou">IoU between <paramref name="Box"/> and <paramref name="Reference"/> (for a background box, its best IoU with any object; 0 when none).</param>
public sealed record DetectionGalleryItem(
    long ImageId, DetectionErrorKind Kind, int Label, BoxRect Box, float? Score, FalsePositiveKind? Reason, int? ReferenceLabel, BoxRect? Reference, double Iou);

/// <summary>Turns the error lists of <see cref="DetectionThresholdMetrics"/> into gallery tiles, each with the box that explains it.</summary>
public static class DetectionGallery
{
    /// <summary>
    /// The tiles of one list at the thresholds <paramref name="metrics"/> was computed at, in that list's order
    /// (boxes by descending score, missed objects by image then object).
    /// </summary>
    /// <param name="evaluation">The evaluation <paramref name="metrics"/> came from (its images give the reference boxes).</param>
    /// <param name="metrics">The result of <see cref="DetectionEvaluation.AtThreshold"/>.</param>
    /// <param name="kind">Which list.</param>
    /// <exception cref="ArgumentException"><paramref name="metrics"/> names an image or box that <paramref name="evaluation"/> does not have.</exception>
    public static IReadOnlyList<DetectionGalleryItem> Items(DetectionEvaluation evaluation, DetectionThresholdMetrics metrics, DetectionErrorKind kind)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        ArgumentNullException.ThrowIfNull(metrics);
        var images = evaluation.Images.ToDictionary(i => i.ImageId);
        DetectionImage ImageOf(long id) => images.TryGetValue(id, out var image)
            ? image
            : throw new ArgumentException($"Image {id} is not in the evaluation.", nameof(metrics));

        return kind switch
        {
            DetectionErrorKind.FalsePositive => metrics.FalsePositives.Select(e => FromBox(ImageOf(e.ImageId), e, DetectionErrorKind.FalsePositive)).ToArray(),
            DetectionErrorKind.Mislocalized => metrics.Mislocalized.Select(e => FromBox(ImageOf(e.ImageId), e, DetectionErrorKind.Mislocalized)).ToArray(),
            DetectionErrorKind.Missed => metrics.Missed.Select(m => FromMissed(ImageOf(m.ImageId), m, metrics.ConfidenceThreshold)).ToArray(),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a gallery list."),
        };
    }

    private static DetectionGalleryItem FromBox(DetectionImage image, DetectionFalsePositive error, DetectionErrorKind kind)
    {
        GroundTruthBox? reference = null;
        if (error.GroundTruthIndex is { } g)
        {
            reference = g >= 0 && g < image.GroundTruth.Count
                ? image.GroundTruth[g]
                : throw new ArgumentException($"Image {image.ImageId} has no object {g}.", nameof(error));
        }
        return new DetectionGalleryItem(error.ImageId, kind, error.Label, error.Box, error.Score, error.Kind, reference?.Label, reference?.Box, error.Iou);
    }

    private static DetectionGalleryItem FromMissed(DetectionImage image, MissedObject missed, float confidenceThreshold)
    {
        PredictedBox? nearest = null;
        double best = 0;
        foreach (var box in image.Predictions)
        {
            if (box.Score < confidenceThreshold)
                continue;
            var iou = DetectionEvaluation.IntersectionOverUnion(box.Box, missed.Box);
            // Strictly greater: a box that does not overlap at all explains nothing; ties keep the higher score, then the lower index.
            if (iou > best || (iou == best && iou > 0 && nearest is not null && box.Score > nearest.Score))
            {
                best = iou;
                nearest = box;
            }
        }
        return new DetectionGalleryItem(missed.ImageId, DetectionErrorKind.Missed, missed.Label, missed.Box, nearest?.Score, null, nearest?.Label, nearest?.Box, best);
    }
}
