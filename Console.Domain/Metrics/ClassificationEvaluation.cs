namespace VisionConsole.Domain.Metrics;

/// <summary>How an image's scores become predicted labels at a confidence threshold.</summary>
public enum PredictionRule
{
    /// <summary>
    /// Single-label: the image is predicted as its top-scoring label (lowest index on ties) when that score is
    /// at least the threshold, otherwise as "none". Other labels are never predicted for it.
    /// </summary>
    TopOne,
    /// <summary>Multi-label: every label whose score is at least the threshold is predicted.</summary>
    Independent,
}

/// <summary>The model's scores for one evaluation image and the labels it truly carries.</summary>
/// <param name="ImageId">The image's id (unique within an evaluation).</param>
/// <param name="TrueLabels">Indices into the evaluation's label list (exactly one under <see cref="PredictionRule.TopOne"/>).</param>
/// <param name="Scores">One score per label, in label-list order (typically in [0, 1]).</param>
public sealed record ScoredImage(long ImageId, IReadOnlyList<int> TrueLabels, IReadOnlyList<float> Scores);

/// <summary>
/// Counts at one threshold and the ratios they give. A ratio with a zero denominator is null
/// (precision with no predictions, recall with no positives, F1 with neither).
/// </summary>
public sealed record MetricCounts(int TruePositives, int FalsePositives, int FalseNegatives)
{
    /// <summary><c>TP / (TP + FP)</c>, null when nothing was predicted.</summary>
    public double? Precision => TruePositives + FalsePositives == 0 ? null : (double)TruePositives / (TruePositives + FalsePositives);

    /// <summary><c>TP / (TP + FN)</c>, null when there is nothing to find.</summary>
    public double? Recall => TruePositives + FalseNegatives == 0 ? null : (double)TruePositives / (TruePositives + FalseNegatives);

    /// <summary><c>2 TP / (2 TP + FP + FN)</c> (the harmonic mean of precision and recall), null when all counts are zero.</summary>
    public double? F1 => TruePositives + FalsePositives + FalseNegatives == 0
        ? null
        : 2.0 * TruePositives / (2.0 * TruePositives + FalsePositives + FalseNegatives);
}

/// <summary>One label's results at a threshold, with the images behind each count (ascending ids).</summary>
public sealed record LabelThresholdMetrics(
    int LabelIndex,
    string Label,
    MetricCounts Counts,
    IReadOnlyList<long> TruePositiveImageIds,
    IReadOnlyList<long> FalsePositiveImageIds,
    IReadOnlyList<long> FalseNegativeImageIds);

/// <summary>Results at one threshold: micro-averaged (counts pooled over labels) and per label.</summary>
public sealed record ThresholdMetrics(float Threshold, MetricCounts Micro, IReadOnlyList<LabelThresholdMetrics> PerLabel);

/// <summary>
/// One point of a precision-recall curve: what predicting every candidate scoring at least
/// <see cref="Threshold"/> gives. Points come in descending threshold order (ascending recall).
/// </summary>
public sealed record PrecisionRecallPoint(float Threshold, double Precision, double Recall, double F1, int TruePositives, int FalsePositives);

/// <summary>A confusion-matrix cell: how many images of <see cref="TrueLabel"/> were predicted as <see cref="PredictedLabel"/>, and which.</summary>
/// <param name="TrueLabel">Row: the true label's index.</param>
/// <param name="PredictedLabel">Column: the predicted label's index, or null for "none" (top score below the threshold).</param>
/// <param name="ImageIds">The images in the cell, ascending.</param>
public sealed record ConfusionCell(int TrueLabel, int? PredictedLabel, IReadOnlyList<long> ImageIds)
{
    /// <summary>Number of images in the cell.</summary>
    public int Count => ImageIds.Count;
}

/// <summary>
/// Single-label confusion matrix at a threshold. Rows are true labels, columns the predicted labels plus a
/// last "none" column; <see cref="Cells"/> holds only the non-empty cells, row-major.
/// </summary>
public sealed record ConfusionMatrix(float Threshold, IReadOnlyList<string> Labels, IReadOnlyList<ConfusionCell> Cells)
{
    /// <summary>The number of images with true label <paramref name="trueLabel"/> predicted as <paramref name="predictedLabel"/> (null: none).</summary>
    public int Count(int trueLabel, int? predictedLabel) =>
        Cells.FirstOrDefault(c => c.TrueLabel == trueLabel && c.PredictedLabel == predictedLabel)?.Count ?? 0;
}

/// <summary>The threshold with the best micro F1 on this evaluation, and that F1.</summary>
public sealed record ThresholdSuggestion(float Threshold, double F1);

/// <summary>Per-label summary for reports: AP and the curve.</summary>
public sealed record LabelEvaluation(int LabelIndex, string Label, int Positives, double? AveragePrecision, IReadOnlyList<PrecisionRecallPoint> Curve);

/// <summary>Everything the evaluation page shows, computed once on the server.</summary>
public sealed record EvaluationReport(
    PredictionRule Rule,
    int ImageCount,
    double? MeanAveragePrecision,
    double? MicroAveragePrecision,
    double? Top1Accuracy,
    double? Top5Accuracy,
    ThresholdSuggestion SuggestedThreshold,
    ThresholdMetrics AtThreshold,
    ConfusionMatrix? ConfusionMatrix,
    IReadOnlyList<PrecisionRecallPoint> MicroCurve,
    IReadOnlyList<LabelEvaluation> PerLabel);

/// <summary>
/// Classification metrics over scored images: pure and immutable, so one instance backs both the server's
/// report and a threshold slider (every threshold query is answered from the pre-sorted candidates).
/// </summary>
/// <remarks>
/// <para>
/// Candidates: under <see cref="PredictionRule.Independent"/> every (image, label) pair is a candidate with
/// that label's score; under <see cref="PredictionRule.TopOne"/> each image is one candidate for its top label
/// with the top score. A candidate is predicted when its score is at least the threshold; it is a true
/// positive when the image truly carries the candidate's label. A label's positives are the images that truly
/// carry it, so under TopOne recall can stay below 1 at every threshold (the top label was wrong).
/// Micro figures pool the candidates and positives of every label.
/// </para>
/// <para>
/// Average precision is the all-point interpolated area under the precision-recall curve, the Pascal VOC
/// 2010+ definition: precision is replaced by its running maximum from the right (the best precision at
/// any recall at least as high), then summed over each recall step, <c>AP = sum (r_i - r_{i-1}) p_interp(r_i)</c>.
/// (COCO samples the same interpolated curve at 101 recall points instead; that is not used here.) Candidates
/// with equal scores enter the curve together as one point. Recall never reached contributes nothing.
/// </para>
/// </remarks>
public sealed class ClassificationEvaluation
{
    private readonly Candidate[][] _candidatesByLabel; // each sorted by score descending, then image index
    private readonly Candidate[] _pooled;
    private readonly int[] _positives;
    private readonly int _totalPositives;

    private readonly record struct Candidate(float Score, int ImageIndex, int Label, bool Positive);

    /// <summary>Checks and indexes the scored images.</summary>
    /// <param name="labels">Label names; indices in <see cref="ScoredImage"/> refer to this list.</param>
    /// <param name="images">One entry per evaluation image.</param>
    /// <param name="rule">Single-label (<see cref="PredictionRule.TopOne"/>) or multi-label.</param>
    /// <exception cref="ArgumentException">An image has the wrong score count, a non-finite score, a label out of range or listed twice, a repeated id, or (TopOne) not exactly one true label; the message names the image.</exception>
    public ClassificationEvaluation(IReadOnlyList<string> labels, IReadOnlyList<ScoredImage> images, PredictionRule rule)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(images);
        if (labels.Count == 0)
            throw new ArgumentException("An evaluation needs at least one label.", nameof(labels));
        Labels = labels.ToArray();
        Images = images.ToArray();
        Rule = rule;

        var ids = new HashSet<long>();
        _positives = new int[labels.Count];
        var byLabel = Enumerable.Range(0, labels.Count).Select(_ => new List<Candidate>()).ToArray();
        for (var i = 0; i < Images.Count; i++)
        {
            var image = Images[i] ?? throw new ArgumentException($"Entry {i} is null.", nameof(images));
            if (!ids.Add(image.ImageId))
                throw new ArgumentException($"Image {image.ImageId} appears more than once.", nameof(images));
            if (image.Scores is null || image.Scores.Count != labels.Count)
                throw new ArgumentException($"Image {image.ImageId} has {image.Scores?.Count ?? 0} scores; there are {labels.Count} labels.", nameof(images));
            for (var c = 0; c < labels.Count; c++)
            {
                if (!float.IsFinite(image.Scores[c]))
                    throw new ArgumentException($"Image {image.ImageId} has a non-finite score for label '{labels[c]}'.", nameof(images));
            }
            var truth = image.TrueLabels ?? throw new ArgumentException($"Image {image.ImageId} has no true-label list.", nameof(images));
            for (var k = 0; k < truth.Count; k++)
            {
                if (truth[k] < 0 || truth[k] >= labels.Count)
                    throw new ArgumentException($"Image {image.ImageId} has true label index {truth[k]}, outside [0, {labels.Count}).", nameof(images));
                for (var m = 0; m < k; m++)
                {
                    if (truth[m] == truth[k])
                        throw new ArgumentException($"Image {image.ImageId} lists true label '{labels[truth[k]]}' twice.", nameof(images));
                }
                _positives[truth[k]]++;
            }
            if (rule == PredictionRule.TopOne)
            {
                if (truth.Count != 1)
                    throw new ArgumentException($"Image {image.ImageId} has {truth.Count} true labels; single-label evaluation needs exactly one.", nameof(images));
                var top = TopLabel(image.Scores);
                byLabel[top].Add(new Candidate(image.Scores[top], i, top, truth[0] == top));
            }
            else
            {
                for (var c = 0; c < labels.Count; c++)
                    byLabel[c].Add(new Candidate(image.Scores[c], i, c, Contains(truth, c)));
            }
        }

        _candidatesByLabel = byLabel.Select(list => list.OrderByDescending(c => c.Score).ThenBy(c => c.ImageIndex).ToArray()).ToArray();
        _pooled = _candidatesByLabel.SelectMany(c => c)
            .OrderByDescending(c => c.Score).ThenBy(c => c.ImageIndex).ThenBy(c => c.Label).ToArray();
        _totalPositives = _positives.Sum();
    }

    /// <summary>The label names, in index order.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>The scored images, in the order given.</summary>
    public IReadOnlyList<ScoredImage> Images { get; }

    /// <summary>Single-label or multi-label.</summary>
    public PredictionRule Rule { get; }

    /// <summary>How many images truly carry label <paramref name="labelIndex"/>.</summary>
    public int Positives(int labelIndex) => _positives[CheckLabel(labelIndex)];

    /// <summary>Precision, recall and F1 at <paramref name="threshold"/> (score &gt;= threshold is predicted), micro and per label, with image ids.</summary>
    public ThresholdMetrics AtThreshold(float threshold)
    {
        var perLabel = new LabelThresholdMetrics[Labels.Count];
        int tp = 0, fp = 0, fn = 0;
        for (var c = 0; c < Labels.Count; c++)
        {
            var truePositives = new List<long>();
            var falsePositives = new List<long>();
            var found = new HashSet<int>();
            foreach (var candidate in _candidatesByLabel[c])
            {
                if (candidate.Score < threshold)
                    break;
                var id = Images[candidate.ImageIndex].ImageId;
                if (candidate.Positive)
                {
                    truePositives.Add(id);
                    found.Add(candidate.ImageIndex);
                }
                else
                {
                    falsePositives.Add(id);
                }
            }
            var falseNegatives = new List<long>();
            for (var i = 0; i < Images.Count; i++)
            {
                if (Contains(Images[i].TrueLabels, c) && !found.Contains(i))
                    falseNegatives.Add(Images[i].ImageId);
            }
            truePositives.Sort();
            falsePositives.Sort();
            falseNegatives.Sort();
            var counts = new MetricCounts(truePositives.Count, falsePositives.Count, falseNegatives.Count);
            perLabel[c] = new LabelThresholdMetrics(c, Labels[c], counts, truePositives, falsePositives, falseNegatives);
            tp += counts.TruePositives;
            fp += counts.FalsePositives;
            fn += counts.FalseNegatives;
        }
        return new ThresholdMetrics(threshold, new MetricCounts(tp, fp, fn), perLabel);
    }

    /// <summary>
    /// The precision-recall curve with a point at every distinct candidate score, highest first; for one label,
    /// or micro-averaged over all labels when <paramref name="labelIndex"/> is null. Empty when there are no positives.
    /// </summary>
    public IReadOnlyList<PrecisionRecallPoint> PrecisionRecallCurve(int? labelIndex = null)
    {
        var (candidates, positives) = labelIndex is { } c
            ? (_candidatesByLabel[CheckLabel(c)], _positives[c])
            : (_pooled, _totalPositives);
        var points = new List<PrecisionRecallPoint>();
        if (positives == 0)
            return points;
        int tp = 0, fp = 0;
        for (var k = 0; k < candidates.Length; k++)
        {
            if (candidates[k].Positive)
                tp++;
            else
                fp++;
            if (k + 1 < candidates.Length && candidates[k + 1].Score == candidates[k].Score)
                continue; // ties enter together
            var precision = (double)tp / (tp + fp);
            var recall = (double)tp / positives;
            var f1 = 2.0 * tp / (2.0 * tp + fp + (positives - tp));
            points.Add(new PrecisionRecallPoint(candidates[k].Score, precision, recall, f1, tp, fp));
        }
        return points;
    }

    /// <summary>All-point interpolated average precision (see remarks) for one label, or micro when null; null when there are no positives.</summary>
    public double? AveragePrecision(int? labelIndex = null)
    {
        var positives = labelIndex is { } c ? _positives[CheckLabel(c)] : _totalPositives;
        return positives == 0 ? null : AveragePrecision(PrecisionRecallCurve(labelIndex));
    }

    /// <summary>The mean of the per-label average precisions over labels that have positives (macro mAP); null when none has.</summary>
    public double? MeanAveragePrecision()
    {
        var values = Enumerable.Range(0, Labels.Count).Select(c => AveragePrecision(c)).OfType<double>().ToArray();
        return values.Length == 0 ? null : values.Average();
    }

    /// <summary>
    /// The fraction of images (with at least one true label) having a true label among their <paramref name="k"/>
    /// highest-scoring labels (ties: lower index first). Null when no image has a true label.
    /// </summary>
    public double? TopKAccuracy(int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        int counted = 0, hits = 0;
        foreach (var image in Images)
        {
            if (image.TrueLabels.Count == 0)
                continue;
            counted++;
            var ranked = Enumerable.Range(0, Labels.Count)
                .OrderByDescending(c => image.Scores[c]).ThenBy(c => c)
                .Take(k);
            if (ranked.Any(c => Contains(image.TrueLabels, c)))
                hits++;
        }
        return counted == 0 ? null : (double)hits / counted;
    }

    /// <summary>
    /// The single-label confusion matrix at <paramref name="threshold"/>: an image is predicted as its top label
    /// when that score is at least the threshold, else as "none".
    /// </summary>
    /// <exception cref="InvalidOperationException">The evaluation is multi-label.</exception>
    public ConfusionMatrix ConfusionMatrix(float threshold)
    {
        if (Rule != PredictionRule.TopOne)
            throw new InvalidOperationException("A confusion matrix is defined for single-label evaluations only.");
        var cells = new SortedDictionary<(int True, int Predicted), List<long>>();
        foreach (var image in Images)
        {
            var top = TopLabel(image.Scores);
            var predicted = image.Scores[top] >= threshold ? top : Labels.Count; // Labels.Count = "none", sorts last
            var key = (image.TrueLabels[0], predicted);
            if (!cells.TryGetValue(key, out var ids))
                cells.Add(key, ids = []);
            ids.Add(image.ImageId);
        }
        return new ConfusionMatrix(
            threshold,
            Labels,
            cells.Select(kv =>
            {
                kv.Value.Sort();
                return new ConfusionCell(kv.Key.True, kv.Key.Predicted == Labels.Count ? null : kv.Key.Predicted, kv.Value);
            }).ToArray());
    }

    /// <summary>
    /// The threshold (one of the candidate scores) with the highest micro F1; among equal F1 the highest threshold.
    /// 0.5 with F1 0 when there are no positives.
    /// </summary>
    public ThresholdSuggestion SuggestThreshold()
    {
        var best = new ThresholdSuggestion(0.5f, 0);
        var found = false;
        foreach (var point in PrecisionRecallCurve())
        {
            // Points come in descending threshold order, so a strict improvement keeps the highest threshold on ties.
            if (!found || point.F1 > best.F1)
            {
                best = new ThresholdSuggestion(point.Threshold, point.F1);
                found = true;
            }
        }
        return best;
    }

    /// <summary>Everything at once: AP, mAP, top-1/top-5, curves, the suggested threshold, and metrics and confusion matrix at <paramref name="threshold"/> (default: the suggested one).</summary>
    public EvaluationReport Report(float? threshold = null)
    {
        var suggestion = SuggestThreshold();
        var at = threshold ?? suggestion.Threshold;
        var perLabel = Enumerable.Range(0, Labels.Count)
            .Select(c => new LabelEvaluation(c, Labels[c], _positives[c], AveragePrecision(c), PrecisionRecallCurve(c)))
            .ToArray();
        return new EvaluationReport(
            Rule,
            Images.Count,
            MeanAveragePrecision(),
            AveragePrecision(),
            TopKAccuracy(1),
            TopKAccuracy(5),
            suggestion,
            AtThreshold(at),
            Rule == PredictionRule.TopOne ? ConfusionMatrix(at) : null,
            PrecisionRecallCurve(),
            perLabel);
    }

    /// <summary>All-point interpolated AP of a curve given in ascending recall order.</summary>
    public static double AveragePrecision(IReadOnlyList<PrecisionRecallPoint> curve)
    {
        ArgumentNullException.ThrowIfNull(curve);
        double area = 0;
        double envelope = 0;
        for (var k = curve.Count - 1; k >= 0; k--)
        {
            envelope = Math.Max(envelope, curve[k].Precision);
            var previousRecall = k == 0 ? 0 : curve[k - 1].Recall;
            area += (curve[k].Recall - previousRecall) * envelope;
        }
        return area;
    }

    private static int TopLabel(IReadOnlyList<float> scores)
    {
        var top = 0;
        for (var c = 1; c < scores.Count; c++)
        {
            if (scores[c] > scores[top])
                top = c;
        }
        return top;
    }

    private static bool Contains(IReadOnlyList<int> labels, int label)
    {
        for (var k = 0; k < labels.Count; k++)
        {
            if (labels[k] == label)
                return true;
        }
        return false;
    }

    private int CheckLabel(int labelIndex)
    {
        if (labelIndex < 0 || labelIndex >= Labels.Count)
            throw new ArgumentOutOfRangeException(nameof(labelIndex), labelIndex, $"There are {Labels.Count} labels.");
        return labelIndex;
    }
}
