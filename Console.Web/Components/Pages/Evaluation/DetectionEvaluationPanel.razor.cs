using System.Globalization;
using Microsoft.AspNetCore.Components;
using VisionConsole.Domain;
using VisionConsole.Domain.Metrics;
using VisionConsole.Domain.Models;
using VisionConsole.Web.Components.Charts;
using VisionConsole.Web.Components.Shared;

namespace VisionConsole.Web.Components.Pages.Evaluation;

/// <summary>
/// A detector's evaluation inside the model evaluation page: mAP at the reported IoUs, live precision and recall at a
/// confidence and an IoU threshold, the PR curve, per-label AP, and a gallery of wrong boxes and missed objects drawn
/// over their thumbnails, each linking to the box labeling page.
/// </summary>
public partial class DetectionEvaluationPanel
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Tiles drawn per list: enough to browse, bounded so a poor model does not render thousands.</summary>
    internal const int MaxTiles = 60;

    private static readonly DetectionErrorKind[] Kinds = [DetectionErrorKind.FalsePositive, DetectionErrorKind.Missed, DetectionErrorKind.Mislocalized];

    private DetectionExplorer? _explorer;
    private string? _loadError;
    private long? _loadedModelId;
    private DetectionErrorKind _gallery = DetectionErrorKind.FalsePositive;

    [Inject] private IModelService Models { get; set; } = null!;

    /// <summary>The detector (its evaluation is loaded by id).</summary>
    [Parameter, EditorRequired] public ModelSummary Model { get; set; } = null!;

    private IReadOnlyList<LineSeries> CurveSeries =>
        _explorer is { } x ? [new LineSeries("Precision", "#1e88e5", x.Curve.Select(p => new ChartPoint(p.Recall, p.Precision)).ToList())] : [];

    protected override async Task OnParametersSetAsync()
    {
        // A parent re-render sets the same parameters again; reloading then would reset the sliders.
        if (_loadedModelId == Model.Id)
        {
            return;
        }
        _loadedModelId = Model.Id;
        try
        {
            _explorer = new DetectionExplorer(await Models.GetDetectionEvaluationAsync(Model.Id));
            _loadError = null;
            // Open on the first list with something in it, not on an empty one.
            _gallery = Kinds.FirstOrDefault(k => _explorer.Count(k) > 0, DetectionErrorKind.FalsePositive);
        }
        catch (DomainException e)
        {
            _loadError = e.Message;
        }
    }

    private void OnConfidenceChanged(double value) => _explorer?.SetConfidence((float)value);

    private void OnIouChanged(double value) => _explorer?.SetIou(value);

    private void ResetConfidence() => _explorer?.SetConfidence(_explorer.SuggestedConfidence);

    private string? LabelingHref(long imageId) =>
        _explorer?.View.DatasetId is { } dataset ? $"datasets/{dataset}/boxes/{imageId}" : null;

    /// <summary>The tile's boxes: the error in red (a missed object in green, dashed) and what explains it.</summary>
    private IReadOnlyList<OverlayBox> Overlay(DetectionGalleryItem item)
    {
        var labels = _explorer!.Labels;
        var boxes = new List<OverlayBox>();
        if (item.Kind == DetectionErrorKind.Missed)
        {
            boxes.Add(new OverlayBox(item.Box, "box-truth", labels[item.Label], "tile-truth"));
            if (item.Reference is { } near)
            {
                boxes.Add(new OverlayBox(near, "box-near", $"{labels[item.ReferenceLabel!.Value]} {item.Score?.ToString("0.00", Invariant)}", "tile-near"));
            }
        }
        else
        {
            if (item.Reference is { } truth)
            {
                boxes.Add(new OverlayBox(truth, "box-truth", labels[item.ReferenceLabel!.Value], "tile-truth"));
            }
            boxes.Add(new OverlayBox(item.Box, "box-error", $"{labels[item.Label]} {item.Score?.ToString("0.00", Invariant)}", "tile-error"));
        }
        return boxes;
    }

    private string TileText(DetectionGalleryItem item, DetectionEvaluatedImage? image)
    {
        var labels = _explorer!.Labels;
        var name = image?.FileName ?? $"image {item.ImageId}";
        var what = item.Kind == DetectionErrorKind.Missed
            ? $"missed {labels[item.Label]}"
            : item.Reason switch
            {
                FalsePositiveKind.Duplicate => $"duplicate {labels[item.Label]}",
                FalsePositiveKind.WrongLabel => $"{labels[item.Label]} on a {labels[item.ReferenceLabel!.Value]}",
                FalsePositiveKind.Mislocalized => $"{labels[item.Label]}, IoU {item.Iou.ToString("0.00", Invariant)}",
                _ => $"{labels[item.Label]} on background",
            };
        return $"{name}: {what}";
    }

    private static string KindName(DetectionErrorKind kind) => kind switch
    {
        DetectionErrorKind.FalsePositive => "false-positives",
        DetectionErrorKind.Missed => "missed",
        _ => "mislocalized",
    };

    private static string KindTitle(DetectionErrorKind kind) => kind switch
    {
        DetectionErrorKind.FalsePositive => "False positives",
        DetectionErrorKind.Missed => "Missed objects",
        _ => "Mislocalized",
    };

    private static string KindHelp(DetectionErrorKind kind) => kind switch
    {
        DetectionErrorKind.FalsePositive => "Boxes on background or duplicating a found object (red; dashed green: the object a duplicate repeats).",
        DetectionErrorKind.Missed => "Objects no box found (dashed green; dotted orange: the nearest box at this confidence).",
        _ => "Boxes near an object but placed too poorly, or on an object of another label (red; dashed green: that object).",
    };

    private static ChartPoint? CurrentPoint(MetricCounts micro) =>
        micro.Precision is { } precision && micro.Recall is { } recall ? new ChartPoint(recall, precision) : null;

    private static string Format(double? value) => ModelEvaluation.Format(value);
}
