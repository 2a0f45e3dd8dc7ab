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
