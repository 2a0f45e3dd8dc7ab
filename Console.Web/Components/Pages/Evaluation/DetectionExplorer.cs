using VisionConsole.Domain.Metrics;
using VisionConsole.Domain.Models;

namespace VisionConsole.Web.Components.Pages.Evaluation;

/// <summary>
/// What a detector's evaluation sliders move (the detection counterpart of <see cref="ThresholdExplorer"/>): the
/// metrics engine is built once from the stored boxes, and each confidence or IoU change recomputes the counts, the
/// curve and the gallery from it in the circuit (no inference, no database read).
/// </summary>
public sealed class DetectionExplorer
{
    /// <summary>The IoU slider's first position: the report's (and Pascal VOC's) 0.5.</summary>
    public const double DefaultIou = 0.5;

    private readonly Dictionary<long, DetectionEvaluatedImage> _images;

    public DetectionExplorer(DetectionEvaluationView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        View = view;
        Evaluation = view.ToEvaluation();
        _images = view.Images.ToDictionary(i => i.ImageId);
        SuggestedConfidence = view.Report.SuggestedThreshold.Threshold;
        Confidence = SuggestedConfidence;
        SetIou(DefaultIou);
    }

    public DetectionEvaluationView View { get; }

    public DetectionEvaluation Evaluation { get; }

    public IReadOnlyList<string> Labels => View.Labels;

    /// <summary>The confidence with the best micro F1 at IoU 0.5, from the stored report: the confidence slider's first position.</summary>
    public float SuggestedConfidence { get; }

    public float Confidence { get; private set; }

    public double Iou { get; private set; }

    /// <summary>Counts and error lists at <see cref="Confidence"/> and <see cref="Iou"/>.</summary>
    public DetectionThresholdMetrics Metrics { get; private set; } = null!;

    /// <summary>The pooled precision-recall curve at <see cref="Iou"/>.</summary>
    public IReadOnlyList<PrecisionRecallPoint> Curve { get; private set; } = [];

    /// <summary>mAP at <see cref="Iou"/> (the four reported IoUs are in <see cref="DetectionEvaluationView.Report"/>).</summary>
    public double? MeanAveragePrecisionAtIou { get; private set; }

    /// <summary>Per-label AP at <see cref="Iou"/>, in label order.</summary>
    public IReadOnlyList<double?> LabelAveragePrecisionAtIou { get; private set; } = [];

    /// <summary>Moves the confidence threshold (clamped to [0, 1]) and recomputes the counts and the gallery.</summary>
    public void SetConfidence(float confidence)
    {
        Confidence = float.IsFinite(confidence) ? Math.Clamp(confidence, 0f, 1f) : SuggestedConfidence;
        Metrics = Evaluation.AtThreshold(Confidence, Iou);
    }

    /// <summary>Moves the IoU threshold (clamped to [0.05, 1]) and recomputes everything that depends on it.</summary>
    public void SetIou(double iou)
    {
        Iou = double.IsFinite(iou) ? Math.Clamp(Math.Round(iou, 2), 0.05, 1) : DefaultIou;
        Curve = Evaluation.PrecisionRecallCurve(null, Iou);
        MeanAveragePrecisionAtIou = Evaluation.MeanAveragePrecision(Iou);
        LabelAveragePrecisionAtIou = Enumerable.Range(0, Labels.Count).Select(c => Evaluation.AveragePrecision(c, Iou)).ToArray();
        Metrics = Evaluation.AtThreshold(Confidence, Iou);
    }

    /// <summary>One gallery list at the current thresholds.</summary>
    public IReadOnlyList<DetectionGalleryItem> Gallery(DetectionErrorKind kind) => DetectionGallery.Items(Evaluation, Metrics, kind);

    /// <summary>How many tiles a gallery list has at the current thresholds.</summary>
    public int Count(DetectionErrorKind kind) => kind switch
    {
        DetectionErrorKind.FalsePositive => Metrics.FalsePositives.Count,
        DetectionErrorKind.Mislocalized => Metrics.Mislocalized.Count,
        _ => Metrics.Missed.Count,
    };

    /// <summary>The evaluation image with this id.</summary>
    public DetectionEvaluatedImage? Image(long imageId) => _images.GetValueOrDefault(imageId);
}
