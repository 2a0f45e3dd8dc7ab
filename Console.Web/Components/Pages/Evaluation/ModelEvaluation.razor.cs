using Microsoft.AspNetCore.Components;
using MudBlazor;
using VisionConsole.Domain;
using VisionConsole.Domain.Metrics;
using VisionConsole.Domain.Models;
using VisionConsole.Web.Components.Charts;
using VisionConsole.Web.Components.Shared;

namespace VisionConsole.Web.Components.Pages.Evaluation;

/// <summary>
/// A model's evaluation: a 0.01-step threshold slider recomputes the figures, the confusion matrix and the
/// drill-down beside it; a drill-down image opens in a viewer with its true and predicted labels and a label fix.
/// A detector's evaluation is <see cref="DetectionEvaluationPanel"/>.
/// </summary>
public partial class ModelEvaluation
{
    private static readonly System.Globalization.CultureInfo Invariant = System.Globalization.CultureInfo.InvariantCulture;

    private ModelSummary? _model;
    private ThresholdExplorer? _explorer;
    private IReadOnlyList<LineSeries> _curveSeries = [];
    private string? _loadError;
    private DrillDown? _drillDown;
    private long? _loadedModelId;
    private bool _scrollToDrillDown;

    [Inject] private IModelService Models { get; set; } = null!;
    [Inject] private IDialogService Dialogs { get; set; } = null!;
    [Inject] private PageScripts Scripts { get; set; } = null!;

    [Parameter] public long ModelId { get; set; }

    private List<BreadcrumbItem> Breadcrumbs =>
    [
        new("Models", "models"),
        new(_model?.DisplayName ?? "…", $"models/{ModelId}"),
        new("Evaluation", null, disabled: true),
    ];

    protected override async Task OnParametersSetAsync()
    {
        // A parent re-render sets the same parameters again; reloading then would reset the user's threshold.
        if (_loadedModelId == ModelId)
        {
            return;
        }
        _loadedModelId = ModelId;
        try
        {
            _model = await Models.GetAsync(ModelId);
            _loadError = null;
            if (_model.Kind == VisionConsole.Domain.Datasets.DatasetKind.ObjectDetection)
            {
                // A detector's figures are boxes and IoUs: its own panel loads them.
                _explorer = null;
                return;
            }
            _explorer = new ThresholdExplorer(await Models.GetEvaluationAsync(ModelId));
            _curveSeries = [new LineSeries("Precision", "#1e88e5", _explorer.Curve.Select(p => new ChartPoint(p.Recall, p.Precision)).ToList())];
            _drillDown = null;
            _loadError = null;
        }
        catch (DomainException e)
        {
            _loadError = e.Message;
        }
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (_scrollToDrillDown)
        {
            _scrollToDrillDown = false;
            // On narrow screens the list sits under the matrix; bring it into view (a no-op when it already is).
            await Scripts.ScrollIntoViewAsync("drill-down");
        }
    }

    private void OnThresholdChanged(double value) => _explorer?.SetThreshold((float)value);

    private void ResetThreshold() => _explorer?.SetThreshold(_explorer.SuggestedThreshold);

    private void Open(DrillDown drillDown)
    {
        _drillDown = drillDown;
        _scrollToDrillDown = true;
    }

    private async Task OpenImageAsync(EvaluatedImage image)
    {
        if (_explorer is not { } x || _model is null)
        {
            return;
        }
        var (predicted, score) = x.PredictedAtThreshold(image);
        var parameters = new DialogParameters<EvaluationImageDialog>
        {
            { d => d.Image, image },
            { d => d.TrueLabels, TrueLabels(image) },
            { d => d.PredictedLabel, predicted },
            { d => d.Score, score },
            { d => d.Threshold, x.Threshold },
            { d => d.DatasetId, _model.DatasetId },
            { d => d.MultiLabel, _model.Kind == VisionConsole.Domain.Datasets.DatasetKind.MultiLabel },
        };
        await Dialogs.ShowAsync<EvaluationImageDialog>(image.FileName, parameters, new DialogOptions { MaxWidth = MaxWidth.Medium, FullWidth = true, CloseButton = true });
    }

    private string TrueLabels(EvaluatedImage image) =>
        _explorer is { } x ? string.Join(", ", image.TrueLabels.Select(l => x.Labels[l])) : "";

    private static IEnumerable<int?> Columns(int labelCount) => Enumerable.Range(0, labelCount).Select(c => (int?)c).Append(null);

    private static string CellClass(int truth, int? predicted, int count) =>
        count == 0 ? "" : truth == predicted ? "cell-right" : "cell-wrong";

    private static ChartPoint? CurrentPoint(MetricCounts micro) =>
        micro.Precision is { } precision && micro.Recall is { } recall ? new ChartPoint(recall, precision) : null;

    internal static string Format(double? value) => value is { } v ? v.ToString("0.000", Invariant) : "—";
}
