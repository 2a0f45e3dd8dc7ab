using System.Globalization;
using VisionConsole.Domain.Metrics;
using VisionConsole.Domain.Models;

namespace VisionConsole.Web.Components.Pages.Evaluation;

/// <summary>
/// What the evaluation page's threshold slider moves: the metrics engine is built once from the stored per-image
/// scores, and every threshold change recomputes precision, recall, F1 and the confusion matrix from it in the
/// circuit (no server-side inference, no database read).
/// </summary>
public sealed class ThresholdExplorer
{
    private readonly Dictionary<long, EvaluatedImage> _images;

    public ThresholdExplorer(ModelEvaluationView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        View = view;
        Evaluation = view.ToEvaluation();
        _images = view.Images.ToDictionary(i => i.ImageId);
        Curve = Evaluation.PrecisionRecallCurve();
        AveragePrecision = Evaluation.AveragePrecision();
        MeanAveragePrecision = Evaluation.MeanAveragePrecision();
        Top1Accuracy = Evaluation.TopKAccuracy(1);
        Top5Accuracy = Evaluation.TopKAccuracy(5);
        LabelAveragePrecision = Enumerable.Range(0, view.Labels.Count).Select(c => Evaluation.AveragePrecision(c)).ToArray();
        SuggestedThreshold = Evaluation.SuggestThreshold().Threshold;
        SetThreshold(SuggestedThreshold);
    }

    public ModelEvaluationView View { get; }

    public ClassificationEvaluation Evaluation { get; }

    public IReadOnlyList<string> Labels => View.Labels;

    /// <summary>The micro-averaged precision-recall curve.</summary>
    public IReadOnlyList<PrecisionRecallPoint> Curve { get; }

    public double? AveragePrecision { get; }

    public double? MeanAveragePrecision { get; }

    public double? Top1Accuracy { get; }

    /// <summary>With 5 labels or fewer every image's true label is in its top 5, so this is 1.</summary>
    public double? Top5Accuracy { get; }

    public IReadOnlyList<double?> LabelAveragePrecision { get; }

    /// <summary>The threshold with the best micro F1: the slider's first position.</summary>
    public float SuggestedThreshold { get; }

    public float Threshold { get; private set; }

    public ThresholdMetrics Metrics { get; private set; } = null!;

    /// <summary>The confusion matrix at <see cref="Threshold"/>; null for multi-label models.</summary>
    public ConfusionMatrix? Confusion { get; private set; }

    /// <summary>Moves the threshold (clamped to [0, 1]) and recomputes the metrics and the confusion matrix.</summary>
    public void SetThreshold(float threshold)
    {
        Threshold = float.IsFinite(threshold) ? Math.Clamp(threshold, 0f, 1f) : SuggestedThreshold;
        Metrics = Evaluation.AtThreshold(Threshold);
        Confusion = Evaluation.Rule == PredictionRule.TopOne ? Evaluation.ConfusionMatrix(Threshold) : null;
    }

    /// <summary>Reads a slider value (<c>"0.42"</c>, invariant culture); false when it is not a number.</summary>
    public static bool TryParseThreshold(object? value, out float threshold) =>
        float.TryParse(Convert.ToString(value, CultureInfo.InvariantCulture), NumberStyles.Float, CultureInfo.InvariantCulture, out threshold);

    /// <summary>The evaluation image with this id.</summary>
    public EvaluatedImage? Image(long imageId) => _images.GetValueOrDefault(imageId);

    /// <summary>
    /// The images a drill-down shows at the current <see cref="Threshold"/>: it is read again after every move, so
    /// the list never goes stale.
    /// </summary>
    public IReadOnlyList<long> ImagesOf(DrillDown drillDown)
    {
        ArgumentNullException.ThrowIfNull(drillDown);
        return drillDown.What switch
        {
            DrillDownKind.Cell => Confusion?.Cells.FirstOrDefault(c => c.TrueLabel == drillDown.Label && c.PredictedLabel == drillDown.Predicted)?.ImageIds ?? [],
            DrillDownKind.FalsePositives => Metrics.PerLabel.FirstOrDefault(l => l.LabelIndex == drillDown.Label)?.FalsePositiveImageIds ?? [],
            DrillDownKind.FalseNegatives => Metrics.PerLabel.FirstOrDefault(l => l.LabelIndex == drillDown.Label)?.FalseNegativeImageIds ?? [],
            _ => [],
        };
    }

    /// <summary>A drill-down's heading, in label names: <c>ants predicted as bees</c>, <c>False positives of ants</c>.</summary>
    public string Describe(DrillDown drillDown)
    {
        ArgumentNullException.ThrowIfNull(drillDown);
        var label = Labels[drillDown.Label];
        return drillDown.What switch
        {
            DrillDownKind.Cell => $"{label} predicted as {(drillDown.Predicted is { } p ? Labels[p] : "none (below the threshold)")}",
            DrillDownKind.FalsePositives => $"False positives of {label}",
            _ => $"False negatives of {label}",
        };
    }

    /// <summary>What the model predicts for the image at the current threshold: its best label when that score reaches it, else none.</summary>
    public (string? Label, float Score) PredictedAtThreshold(EvaluatedImage image)
    {
        var (label, score) = TopScore(image);
        return (score >= Threshold ? label : null, score);
    }

    /// <summary>The image's best label and its score.</summary>
    public (string Label, float Score) TopScore(EvaluatedImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var top = 0;
        for (var c = 1; c < image.Scores.Count; c++)
        {
            if (image.Scores[c] > image.Scores[top])
            {
                top = c;
            }
        }
        return (Labels[top], image.Scores[top]);
    }
}

/// <summary>Which images a drill-down lists.</summary>
public enum DrillDownKind { Cell, FalsePositives, FalseNegatives }

/// <summary>
/// A drill-down as the user chose it (a matrix cell or a label's false positives or negatives), not its images:
/// <see cref="ThresholdExplorer.ImagesOf"/> lists them at whatever the threshold is now.
/// </summary>
/// <param name="What">Cell or a label's errors.</param>
/// <param name="Label">The true label of the cell's row, or the label whose errors are shown.</param>
/// <param name="Predicted">The cell's predicted label (null: the "none" column); unused for errors.</param>
public sealed record DrillDown(DrillDownKind What, int Label, int? Predicted = null);
