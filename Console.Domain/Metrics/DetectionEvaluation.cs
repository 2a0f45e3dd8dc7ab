using System.Collections.Concurrent;
using VisionConsole.Domain.Datasets;

namespace VisionConsole.Domain.Metrics;

/// <summary>An object truly present in an evaluation image.</summary>
/// <param name="Label">Index into the evaluation's label list.</param>
/// <param name="Box">Where it is, normalized (0-1, origin top-left), the same rectangle the dataset stores.</param>
public sealed record GroundTruthBox(int Label, BoxRect Box);

/// <summary>A box the model predicted for an evaluation image.</summary>
/// <param name="Label">Index into the evaluation's label list.</param>
/// <param name="Box">Where, normalized like <see cref="GroundTruthBox.Box"/>.</param>
/// <param name="Score">The model's confidence (typically in [0, 1]).</param>
public sealed record PredictedBox(int Label, BoxRect Box, float Score);

/// <summary>
/// One evaluation image: the objects it truly holds and the model's boxes. An image with no ground truth is an
/// image with no objects: it counts, and every box predicted on it is a false positive.
/// </summary>
/// <param name="ImageId">The image's id (unique within an evaluation).</param>
/// <param name="GroundTruth">Its objects; indices into this list identify them in reports.</param>
/// <param name="Predictions">The model's boxes, in any order; indices into this list identify them in reports.</param>
public sealed record DetectionImage(long ImageId, IReadOnlyList<GroundTruthBox> GroundTruth, IReadOnlyList<PredictedBox> Predictions);

/// <summary>
/// Why a predicted box that matched nothing is wrong, decided from its IoU with the image's objects at the IoU
/// threshold <c>u</c>, in this order: let <c>b</c> be its best IoU with an object of its own label and <c>o</c> its
/// best IoU with an object of another label.
/// </summary>
public enum FalsePositiveKind
{
    /// <summary>Overlaps nothing that explains it: <c>b &lt; 0.1</c> and <c>o &lt; u</c> (includes every box on an image with no objects).</summary>
    Background,

    /// <summary><c>b &gt;= u</c>: the object is well covered, but a higher-scored box already claimed it (a duplicate detection).</summary>
    Duplicate,

    /// <summary><c>0.1 &lt;= b &lt; u</c> and <c>o &lt; u</c>: the right label near an object, but placed too poorly to count.</summary>
    Mislocalized,

    /// <summary><c>b &lt; u</c> and <c>o &gt;= u</c>: well placed on an object of another label (the label is wrong).</summary>
    WrongLabel,
}

/// <summary>A predicted box, at or above the confidence threshold, that matched no object.</summary>
/// <param name="ImageId">The image.</param>
/// <param name="PredictionIndex">Index in the image's <see cref="DetectionImage.Predictions"/>.</param>
/// <param name="Label">The predicted label.</param>
/// <param name="Box">The predicted box.</param>
/// <param name="Score">Its confidence.</param>
/// <param name="Kind">Why it is wrong.</param>
/// <param name="GroundTruthIndex">
/// The object the kind refers to (index in <see cref="DetectionImage.GroundTruth"/>): the best-overlapping
/// object of the same label for <see cref="FalsePositiveKind.Duplicate"/> and <see cref="FalsePositiveKind.Mislocalized"/>,
/// of another label for <see cref="FalsePositiveKind.WrongLabel"/>; null for <see cref="FalsePositiveKind.Background"/>.
/// </param>
/// <param name="Iou">The IoU with that object; for a background box its highest IoU with any object (0 when none).</param>
public sealed record DetectionFalsePositive(
    long ImageId, int PredictionIndex, int Label, BoxRect Box, float Score, FalsePositiveKind Kind, int? GroundTruthIndex, double Iou);

/// <summary>An object that no box at or above the confidence threshold matched (a false negative).</summary>
/// <param name="ImageId">The image.</param>
/// <param name="GroundTruthIndex">Index in the image's <see cref="DetectionImage.GroundTruth"/>.</param>
/// <param name="Label">The object's label.</param>
/// <param name="Box">The object's box.</param>
public sealed record MissedObject(long ImageId, int GroundTruthIndex, int Label, BoxRect Box);

/// <summary>One label's counts at a confidence and IoU threshold (TP and FP count predicted boxes, FN objects).</summary>
public sealed record LabelDetectionThresholdMetrics(int LabelIndex, string Label, MetricCounts Counts);

/// <summary>
/// Results at one confidence and IoU threshold: counts micro-averaged and per label, and the gallery's lists.
/// Every unmatched box is in exactly one of <see cref="FalsePositives"/> and <see cref="Mislocalized"/>, so
/// <c>Micro.FalsePositives == FalsePositives.Count + Mislocalized.Count</c>; an object a mislocalized box points at
/// is also in <see cref="Missed"/> unless another box matched it.
/// </summary>
/// <param name="ConfidenceThreshold">Boxes scoring at least this count as predicted.</param>
/// <param name="IouThreshold">A box matches an object when their IoU is at least this.</param>
/// <param name="Micro">Counts pooled over labels.</param>
/// <param name="PerLabel">Counts per label, in label order.</param>
/// <param name="FalsePositives">Unmatched boxes of kind <see cref="FalsePositiveKind.Background"/> or <see cref="FalsePositiveKind.Duplicate"/>, highest score first.</param>
/// <param name="Mislocalized">Unmatched boxes of kind <see cref="FalsePositiveKind.Mislocalized"/> or <see cref="FalsePositiveKind.WrongLabel"/>, highest score first.</param>
/// <param name="Missed">Unmatched objects, by image id then object index.</param>
public sealed record DetectionThresholdMetrics(
    float ConfidenceThreshold,
    double IouThreshold,
    MetricCounts Micro,
    IReadOnlyList<LabelDetectionThresholdMetrics> PerLabel,
    IReadOnlyList<DetectionFalsePositive> FalsePositives,
    IReadOnlyList<DetectionFalsePositive> Mislocalized,
    IReadOnlyList<MissedObject> Missed);

/// <summary>
/// Average precision at the IoU thresholds the hosted services report: 0.30, 0.50 and 0.75 (Azure Custom
/// Vision) and COCO's mean over 0.50, 0.55, ..., 0.95. Null where there is nothing to find.
/// </summary>
public sealed record AveragePrecisionSet(double? Iou30, double? Iou50, double? Iou75, double? Iou50To95);

/// <summary>Per-label summary: object and box counts, AP at the reported IoU thresholds, and the PR curve at the report's IoU threshold.</summary>
public sealed record LabelDetectionEvaluation(
    int LabelIndex, string Label, int GroundTruths, int Predictions, AveragePrecisionSet AveragePrecision, IReadOnlyList<PrecisionRecallPoint> Curve);

/// <summary>
/// Everything a detection evaluation page shows, computed once on the server; serializable with System.Text.Json
/// (camelCase, enums as strings, as the classification <see cref="EvaluationReport"/>) into <c>Evaluation.MetricsJson</c>.
/// </summary>
/// <param name="ImageCount">Evaluation images, those with no objects included.</param>
/// <param name="GroundTruthCount">Objects over all images.</param>
/// <param name="PredictionCount">Predicted boxes over all images, at any score.</param>
/// <param name="MeanAveragePrecision">Per-label AP averaged over the labels that have objects.</param>
/// <param name="SuggestedThreshold">The confidence threshold with the best micro F1 at <see cref="DetectionThresholdMetrics.IouThreshold"/>.</param>
/// <param name="AtThreshold">Counts and gallery lists at the report's confidence and IoU threshold.</param>
/// <param name="PerLabel">One entry per label, in label order.</param>
public sealed record DetectionEvaluationReport(
    int ImageCount,
    int GroundTruthCount,
    int PredictionCount,
    AveragePrecisionSet MeanAveragePrecision,
    ThresholdSuggestion SuggestedThreshold,
    DetectionThresholdMetrics AtThreshold,
    IReadOnlyList<LabelDetectionEvaluation> PerLabel);

/// <summary>
/// Object-detection metrics over images with ground-truth boxes and scored predicted boxes: pure and immutable,
/// so one instance backs both the server's report and the page's confidence and IoU sliders.
/// </summary>
/// <remarks>
/// <para>
/// Matching (COCO's rule), per image and IoU threshold <c>u</c>: boxes are taken in descending score (ties: lower
/// index first); each is matched to the not-yet-matched object of its own label with which it has the highest
/// IoU, provided that IoU is at least <c>u</c> (ties: lower object index). A matched box is a true positive; so each
/// object is matched at most once, and a second box on a matched object is a false positive (a duplicate) even
/// when it would fit another object worse. Matching does not depend on the confidence threshold: taking boxes
/// in descending score, the boxes at or above a threshold match exactly as if the others did not exist.
/// </para>
/// <para>
/// Average precision is the all-point interpolated area under a label's precision-recall curve (Pascal VOC
/// 2010+), <see cref="ClassificationEvaluation.AveragePrecision(IReadOnlyList{PrecisionRecallPoint})"/>, chosen
/// so that classification and detection AP in this console are one definition, exact rather than sampled (COCO
/// samples the same interpolated curve at 101 recall points, which differs slightly, most for labels with few
/// objects; the COCO-style figures here are this AP averaged over COCO's IoU thresholds). The curve has a point at every
/// distinct score (equal scores enter together); recall never reached contributes nothing, so an object no box
/// overlaps lowers AP. Labels without objects have no AP and do not enter mAP (as in COCO); their boxes still
/// count as false positives in <see cref="AtThreshold"/>. No per-image detection limit is applied (the decoder's
/// top-K already bounds it), and there are no crowd or area ranges.
/// </para>
/// </remarks>
public sealed class DetectionEvaluation
{
    /// <summary>The lowest same-label IoU at which an unmatched box counts as <see cref="FalsePositiveKind.Mislocalized"/> rather than background.</summary>
    public const double MislocalizedMinimumIou = 0.1;

    /// <summary>COCO's ten IoU thresholds, 0.50 to 0.95 in steps of 0.05.</summary>
    public static IReadOnlyList<double> CocoIouThresholds { get; } = [0.50, 0.55, 0.60, 0.65, 0.70, 0.75, 0.80, 0.85, 0.90, 0.95];

    private readonly double[][,] _iou; // per image: [prediction, ground truth]
    private readonly int[][] _predictionOrder; // per image: prediction indices by descending score, then index
    private readonly int[] _groundTruths;
    private readonly int[] _predictions;
    private const int MaxCachedMatchings = 64;

    private readonly ConcurrentDictionary<double, Matching> _matchings = new();

    private readonly record struct Candidate(float Score, int ImageIndex, int PredictionIndex, int Label, bool TruePositive);

    /// <summary>The outcome of matching at one IoU threshold, at every score.</summary>
    /// <param name="ObjectOf">Per image and prediction: the matched object's index, or -1.</param>
    /// <param name="MatchedBy">Per image and object: the matching prediction's index, or -1.</param>
    /// <param name="ByLabel">Per label: every box as a candidate, by descending score, then image and prediction index.</param>
    /// <param name="Pooled">All labels' candidates in the same order (then label).</param>
    private sealed record Matching(int[][] ObjectOf, int[][] MatchedBy, Candidate[][] ByLabel, Candidate[] Pooled);

    /// <summary>Checks and indexes the images.</summary>
    /// <param name="labels">Label names; label indices in boxes refer to this list.</param>
    /// <param name="images">One entry per evaluation image, those with no objects included.</param>
    /// <exception cref="ArgumentException">
    /// No labels; or an image is null, repeats an id, or has a box with a label out of range, a non-finite
    /// coordinate or score, a negative size, or (ground truth) no area; the message names the image and box.
    /// </exception>
    public DetectionEvaluation(IReadOnlyList<string> labels, IReadOnlyList<DetectionImage> images)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(images);
        if (labels.Count == 0)
            throw new ArgumentException("An evaluation needs at least one label.", nameof(labels));
        Labels = labels.ToArray();
        Images = images.ToArray();
        _groundTruths = new int[labels.Count];
        _predictions = new int[labels.Count];
        _iou = new double[Images.Count][,];
        _predictionOrder = new int[Images.Count][];

        var ids = new HashSet<long>();
        for (var i = 0; i < Images.Count; i++)
        {
            var image = Images[i] ?? throw new ArgumentException($"Entry {i} is null.", nameof(images));
            if (!ids.Add(image.ImageId))
                throw new ArgumentException($"Image {image.ImageId} appears more than once.", nameof(images));
            var truth = image.GroundTruth ?? throw new ArgumentException($"Image {image.ImageId} has no ground-truth list.", nameof(images));
            var predicted = image.Predictions ?? throw new ArgumentException($"Image {image.ImageId} has no prediction list.", nameof(images));
            for (var g = 0; g < truth.Count; g++)
            {
                var box = truth[g] ?? throw new ArgumentException($"Image {image.ImageId} has a null ground-truth box at {g}.", nameof(images));
                CheckBox(image.ImageId, $"ground-truth box {g}", box.Label, box.Box, labels.Count, needsArea: true);
                _groundTruths[box.Label]++;
            }
            for (var p = 0; p < predicted.Count; p++)
            {
                var box = predicted[p] ?? throw new ArgumentException($"Image {image.ImageId} has a null predicted box at {p}.", nameof(images));
                CheckBox(image.ImageId, $"predicted box {p}", box.Label, box.Box, labels.Count, needsArea: false);
                if (!float.IsFinite(box.Score))
                    throw new ArgumentException($"Image {image.ImageId}: predicted box {p} has a non-finite score.", nameof(images));
                _predictions[box.Label]++;
            }

            var iou = new double[predicted.Count, truth.Count];
            for (var p = 0; p < predicted.Count; p++)
            {
                for (var g = 0; g < truth.Count; g++)
                    iou[p, g] = IntersectionOverUnion(predicted[p].Box, truth[g].Box);
            }
            _iou[i] = iou;
            _predictionOrder[i] = Enumerable.Range(0, predicted.Count).OrderByDescending(p => predicted[p].Score).ThenBy(p => p).ToArray();
        }
    }

    /// <summary>The label names, in index order.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>The images, in the order given.</summary>
    public IReadOnlyList<DetectionImage> Images { get; }

    /// <summary>How many objects of label <paramref name="labelIndex"/> the images hold.</summary>
    public int GroundTruths(int labelIndex) => _groundTruths[CheckLabel(labelIndex)];

    /// <summary>
    /// Intersection over union of two normalized rectangles: the area they share over the area they cover together;
    /// 0 when they do not overlap or both have no area.
    /// </summary>
    public static double IntersectionOverUnion(BoxRect a, BoxRect b)
    {
        var width = Math.Min(a.Left + a.Width, b.Left + b.Width) - Math.Max(a.Left, b.Left);
        var height = Math.Min(a.Top + a.Height, b.Top + b.Height) - Math.Max(a.Top, b.Top);
        if (width <= 0 || height <= 0)
            return 0;
        var intersection = width * height;
        var union = a.Width * a.Height + b.Width * b.Height - intersection;
        return union <= 0 ? 0 : intersection / union;
    }

    /// <summary>
    /// Counts and the gallery's lists at a confidence threshold (boxes scoring at least it are predicted) and an
    /// IoU threshold (a box matches an object at IoU at least it); see <see cref="FalsePositiveKind"/> for how
    /// unmatched boxes are sorted into <see cref="DetectionThresholdMetrics.FalsePositives"/> and <see cref="DetectionThresholdMetrics.Mislocalized"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The IoU threshold is not in (0, 1], or the confidence threshold is not finite.</exception>
    public DetectionThresholdMetrics AtThreshold(float confidenceThreshold, double iouThreshold)
    {
        if (!float.IsFinite(confidenceThreshold))
            throw new ArgumentOutOfRangeException(nameof(confidenceThreshold), confidenceThreshold, "The confidence threshold must be a finite number.");
        var matching = Match(iouThreshold);
        var tp = new int[Labels.Count];
        var fp = new int[Labels.Count];
        var fn = new int[Labels.Count];
        var falsePositives = new List<DetectionFalsePositive>();
        var mislocalized = new List<DetectionFalsePositive>();
        var missed = new List<MissedObject>();
        for (var i = 0; i < Images.Count; i++)
        {
            var image = Images[i];
            for (var p = 0; p < image.Predictions.Count; p++)
            {
                var box = image.Predictions[p];
                if (box.Score < confidenceThreshold)
                    continue;
                if (matching.ObjectOf[i][p] >= 0)
                {
                    tp[box.Label]++;
                    continue;
                }
                fp[box.Label]++;
                var error = Classify(i, p, iouThreshold);
                (error.Kind is FalsePositiveKind.Background or FalsePositiveKind.Duplicate ? falsePositives : mislocalized).Add(error);
            }
            for (var g = 0; g < image.GroundTruth.Count; g++)
            {
                var by = matching.MatchedBy[i][g];
                if (by >= 0 && image.Predictions[by].Score >= confidenceThreshold)
                    continue;
                fn[image.GroundTruth[g].Label]++;
                missed.Add(new MissedObject(image.ImageId, g, image.GroundTruth[g].Label, image.GroundTruth[g].Box));
            }
        }
        var perLabel = Enumerable.Range(0, Labels.Count)
            .Select(c => new LabelDetectionThresholdMetrics(c, Labels[c], new MetricCounts(tp[c], fp[c], fn[c])))
            .ToArray();
        return new DetectionThresholdMetrics(
            confidenceThreshold,
            iouThreshold,
            new MetricCounts(tp.Sum(), fp.Sum(), fn.Sum()),
            perLabel,
            SortErrors(falsePositives),
            SortErrors(mislocalized),
            missed.OrderBy(m => m.ImageId).ThenBy(m => m.GroundTruthIndex).ToArray());
    }

    /// <summary>
    /// The precision-recall curve at <paramref name="iouThreshold"/> with a point at every distinct box score,
    /// highest first; for one label, or pooled over all labels when <paramref name="labelIndex"/> is null.
    /// Empty when there are no objects to find.
    /// </summary>
    public IReadOnlyList<PrecisionRecallPoint> PrecisionRecallCurve(int? labelIndex, double iouThreshold)
    {
        var matching = Match(iouThreshold);
        var (candidates, positives) = labelIndex is { } c
            ? (matching.ByLabel[CheckLabel(c)], _groundTruths[c])
            : (matching.Pooled, _groundTruths.Sum());
        var points = new List<PrecisionRecallPoint>();
        if (positives == 0)
            return points;
        int tp = 0, fp = 0;
        for (var k = 0; k < candidates.Length; k++)
        {
            if (candidates[k].TruePositive)
                tp++;
            else
                fp++;
            if (k + 1 < candidates.Length && candidates[k + 1].Score == candidates[k].Score)
                continue; // ties enter together
            var f1 = 2.0 * tp / (2.0 * tp + fp + (positives - tp));
            points.Add(new PrecisionRecallPoint(candidates[k].Score, (double)tp / (tp + fp), (double)tp / positives, f1, tp, fp));
        }
        return points;
    }

    /// <summary>All-point interpolated AP (see remarks) of one label at <paramref name="iouThreshold"/>; null when the label has no objects.</summary>
    public double? AveragePrecision(int labelIndex, double iouThreshold) =>
        _groundTruths[CheckLabel(labelIndex)] == 0 ? null : ClassificationEvaluation.AveragePrecision(PrecisionRecallCurve(labelIndex, iouThreshold));

    /// <summary>
    /// The non-interpolated (step-wise) AP of one label, <c>sum (r_k - r_{k-1}) p_k</c> over the curve's points: the
    /// definition of scikit-learn's <c>average_precision_score</c>, kept to cross-check against it; never above
    /// <see cref="AveragePrecision(int, double)"/>. Null when the label has no objects.
    /// </summary>
    public double? NonInterpolatedAveragePrecision(int labelIndex, double iouThreshold) =>
        _groundTruths[CheckLabel(labelIndex)] == 0 ? null : NonInterpolatedAveragePrecision(PrecisionRecallCurve(labelIndex, iouThreshold));

    /// <summary>Step-wise AP, <c>sum (r_k - r_{k-1}) p_k</c>, of a curve given in ascending recall order.</summary>
    public static double NonInterpolatedAveragePrecision(IReadOnlyList<PrecisionRecallPoint> curve)
    {
        ArgumentNullException.ThrowIfNull(curve);
        double area = 0;
        for (var k = 0; k < curve.Count; k++)
            area += (curve[k].Recall - (k == 0 ? 0 : curve[k - 1].Recall)) * curve[k].Precision;
        return area;
    }

    /// <summary>COCO-style AP of one label: its AP averaged over <see cref="CocoIouThresholds"/>; null when the label has no objects.</summary>
    public double? CocoAveragePrecision(int labelIndex) =>
        _groundTruths[CheckLabel(labelIndex)] == 0 ? null : CocoIouThresholds.Average(u => AveragePrecision(labelIndex, u)!.Value);

    /// <summary>The mean of per-label APs at <paramref name="iouThreshold"/> over labels that have objects; null when none has.</summary>
    public double? MeanAveragePrecision(double iouThreshold) =>
        MeanOverLabels(c => AveragePrecision(c, iouThreshold));

    /// <summary>COCO's mAP@[0.50:0.95]: the mean of <see cref="CocoAveragePrecision"/> over labels that have objects; null when none has.</summary>
    public double? CocoMeanAveragePrecision() => MeanOverLabels(CocoAveragePrecision);

    /// <summary>AP of one label at 0.30, 0.50, 0.75 and COCO's 0.50:0.95.</summary>
    public AveragePrecisionSet AveragePrecisions(int labelIndex) => new(
        AveragePrecision(labelIndex, 0.30), AveragePrecision(labelIndex, 0.50), AveragePrecision(labelIndex, 0.75), CocoAveragePrecision(labelIndex));

    /// <summary>mAP at 0.30, 0.50, 0.75 and COCO's 0.50:0.95.</summary>
    public AveragePrecisionSet MeanAveragePrecisions() => new(
        MeanAveragePrecision(0.30), MeanAveragePrecision(0.50), MeanAveragePrecision(0.75), CocoMeanAveragePrecision());

    /// <summary>
    /// The confidence threshold (one of the box scores) with the highest micro F1 at <paramref name="iouThreshold"/>;
    /// among equal F1 the highest threshold. 0.5 with F1 0 when there are no objects.
    /// </summary>
    public ThresholdSuggestion SuggestThreshold(double iouThreshold)
    {
        var best = new ThresholdSuggestion(0.5f, 0);
        var found = false;
        foreach (var point in PrecisionRecallCurve(null, iouThreshold))
        {
            // Descending threshold order: a strict improvement keeps the highest threshold on ties.
            if (!found || point.F1 > best.F1)
            {
                best = new ThresholdSuggestion(point.Threshold, point.F1);
                found = true;
            }
        }
        return best;
    }

    /// <summary>
    /// Everything at once: mAP and per-label AP at the reported IoU thresholds, per-label curves, the suggested
    /// threshold, and counts and gallery lists at <paramref name="confidenceThreshold"/> (default: the suggested
    /// one) and <paramref name="iouThreshold"/> (default 0.5, which also sets the curves and the suggestion).
    /// </summary>
    public DetectionEvaluationReport Report(float? confidenceThreshold = null, double iouThreshold = 0.5)
    {
        var suggestion = SuggestThreshold(iouThreshold);
        var perLabel = Enumerable.Range(0, Labels.Count)
            .Select(c => new LabelDetectionEvaluation(c, Labels[c], _groundTruths[c], _predictions[c], AveragePrecisions(c), PrecisionRecallCurve(c, iouThreshold)))
            .ToArray();
        return new DetectionEvaluationReport(
            Images.Count,
            _groundTruths.Sum(),
            _predictions.Sum(),
            MeanAveragePrecisions(),
            suggestion,
            AtThreshold(confidenceThreshold ?? suggestion.Threshold, iouThreshold),
            perLabel);
    }

    private Matching Match(double iouThreshold)
    {
        if (!(iouThreshold > 0 && iouThreshold <= 1))
            throw new ArgumentOutOfRangeException(nameof(iouThreshold), iouThreshold, "The IoU threshold must be in (0, 1].");
        if (_matchings.TryGetValue(iouThreshold, out var cached))
            return cached;
        var matching = ComputeMatching(iouThreshold);
        // A slider visits a handful of thresholds; an API caller could send any number, so the cache stays bounded.
        if (_matchings.Count < MaxCachedMatchings)
            _matchings.TryAdd(iouThreshold, matching);
        return matching;
    }

    private Matching ComputeMatching(double iouThreshold)
    {
        var objectOf = new int[Images.Count][];
        var matchedBy = new int[Images.Count][];
        var byLabel = Enumerable.Range(0, Labels.Count).Select(_ => new List<Candidate>()).ToArray();
        for (var i = 0; i < Images.Count; i++)
        {
            var image = Images[i];
            var iou = _iou[i];
            objectOf[i] = Enumerable.Repeat(-1, image.Predictions.Count).ToArray();
            matchedBy[i] = Enumerable.Repeat(-1, image.GroundTruth.Count).ToArray();
            foreach (var p in _predictionOrder[i])
            {
                var box = image.Predictions[p];
                var best = -1;
                for (var g = 0; g < image.GroundTruth.Count; g++)
                {
                    if (image.GroundTruth[g].Label != box.Label || matchedBy[i][g] >= 0 || iou[p, g] < iouThreshold)
                        continue;
                    if (best < 0 || iou[p, g] > iou[p, best])
                        best = g;
                }
                if (best >= 0)
                {
                    objectOf[i][p] = best;
                    matchedBy[i][best] = p;
                }
                byLabel[box.Label].Add(new Candidate(box.Score, i, p, box.Label, best >= 0));
            }
        }
        var sorted = byLabel.Select(list => list
            .OrderByDescending(c => c.Score).ThenBy(c => c.ImageIndex).ThenBy(c => c.PredictionIndex).ToArray()).ToArray();
        var pooled = sorted.SelectMany(c => c)
            .OrderByDescending(c => c.Score).ThenBy(c => c.ImageIndex).ThenBy(c => c.PredictionIndex).ThenBy(c => c.Label).ToArray();
        return new Matching(objectOf, matchedBy, sorted, pooled);
    }

    private DetectionFalsePositive Classify(int imageIndex, int predictionIndex, double iouThreshold)
    {
        var image = Images[imageIndex];
        var box = image.Predictions[predictionIndex];
        var iou = _iou[imageIndex];
        int same = -1, other = -1, any = -1;
        for (var g = 0; g < image.GroundTruth.Count; g++)
        {
            var v = iou[predictionIndex, g];
            if (image.GroundTruth[g].Label == box.Label)
            {
                if (same < 0 || v > iou[predictionIndex, same])
                    same = g;
            }
            else if (other < 0 || v > iou[predictionIndex, other])
            {
                other = g;
            }
            if (any < 0 || v > iou[predictionIndex, any])
                any = g;
        }
        var sameIou = same < 0 ? 0 : iou[predictionIndex, same];
        var otherIou = other < 0 ? 0 : iou[predictionIndex, other];
        var (kind, refersTo, value) = sameIou >= iouThreshold ? (FalsePositiveKind.Duplicate, (int?)same, sameIou)
            : otherIou >= iouThreshold ? (FalsePositiveKind.WrongLabel, other, otherIou)
            : sameIou >= MislocalizedMinimumIou ? (FalsePositiveKind.Mislocalized, same, sameIou)
            : (FalsePositiveKind.Background, null, any < 0 ? 0 : iou[predictionIndex, any]);
        return new DetectionFalsePositive(image.ImageId, predictionIndex, box.Label, box.Box, box.Score, kind, refersTo, value);
    }

    private static DetectionFalsePositive[] SortErrors(List<DetectionFalsePositive> errors) =>
        errors.OrderByDescending(e => e.Score).ThenBy(e => e.ImageId).ThenBy(e => e.PredictionIndex).ToArray();

    private double? MeanOverLabels(Func<int, double?> value)
    {
        var values = Enumerable.Range(0, Labels.Count).Select(value).OfType<double>().ToArray();
        return values.Length == 0 ? null : values.Average();
    }

    private static void CheckBox(long imageId, string what, int label, BoxRect box, int labelCount, bool needsArea)
    {
        if (label < 0 || label >= labelCount)
            throw new ArgumentException($"Image {imageId}: {what} has label index {label}, outside [0, {labelCount}).", "images");
        if (!double.IsFinite(box.Left) || !double.IsFinite(box.Top) || !double.IsFinite(box.Width) || !double.IsFinite(box.Height))
            throw new ArgumentException($"Image {imageId}: {what} has a coordinate that is not a finite number.", "images");
        if (box.Width < 0 || box.Height < 0)
            throw new ArgumentException($"Image {imageId}: {what} has a negative width or height.", "images");
        if (needsArea && (box.Width == 0 || box.Height == 0))
            throw new ArgumentException($"Image {imageId}: {what} has no area (an object needs a positive width and height).", "images");
    }

    private int CheckLabel(int labelIndex)
    {
        if (labelIndex < 0 || labelIndex >= Labels.Count)
            throw new ArgumentOutOfRangeException(nameof(labelIndex), labelIndex, $"There are {Labels.Count} labels.");
        return labelIndex;
    }
}
