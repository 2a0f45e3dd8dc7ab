using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using MudBlazor;
using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Imaging;
using VisionConsole.Domain.Models;
using VisionConsole.Web.Components.Pages.Evaluation;
using VisionConsole.Web.Components.Shared;

namespace VisionConsole.Web.Components.Pages.Models;

/// <summary>
/// Scores one image with a chosen version; the threshold (starting at the version's suggested one) decides which
/// labels count as predicted, and moving it re-reads the same scores without scoring again. A detector's boxes are
/// drawn over the image, those reaching the threshold shown.
/// </summary>
public partial class PredictPage
{
    private static readonly System.Globalization.CultureInfo Invariant = System.Globalization.CultureInfo.InvariantCulture;

    /// <summary>As large an image as the prediction API takes.</summary>
    private const long MaxImageBytes = 30L * 1024 * 1024;
    /// <summary>Larger images are scored but not echoed back as a data URL.</summary>
    private const long MaxPreviewBytes = 4L * 1024 * 1024;
    /// <summary>The threshold when a version has no evaluation to suggest one.</summary>
    internal const double DefaultThreshold = 0.5;

    private ModelSummary? _model;
    private IReadOnlyList<ModelVersionSummary> _versions = [];
    private int _versionNumber;
    private int _scoredVersion;
    private double _threshold = DefaultThreshold;
    private bool _thresholdSuggested;
    private ClassificationPrediction? _prediction;
    private DetectionPrediction? _detection;
    private byte[]? _image;
    private string? _loadError;
    private string? _error;
    private string? _preview;
    private string? _fileName;
    private bool _busy;
    // True once the file input has rendered and its script is wired (a file picked earlier would be ignored).
    private bool _inputReady;
    private long? _loadedModelId;

    [Inject] private IModelService Models { get; set; } = null!;
    [Inject] private IModelPublishing Publishing { get; set; } = null!;
    [Inject] private IDetectionPredictionService Detections { get; set; } = null!;

    private bool IsDetector => _model?.Kind == DatasetKind.ObjectDetection;

    [Parameter] public long ModelId { get; set; }

    private List<BreadcrumbItem> Breadcrumbs =>
    [
        new("Models", "models"),
        new(_model?.DisplayName ?? "…", $"models/{ModelId}"),
        new("Test prediction", null, disabled: true),
    ];

    private string ThresholdHelp => _thresholdSuggested
        ? $"Starts at version {_versionNumber}'s suggested threshold (best F1 on its evaluation images)."
        : $"Version {_versionNumber} has no evaluation to suggest a threshold; {DefaultThreshold.ToString("0.00", Invariant)} to start.";

    protected override void OnAfterRender(bool firstRender)
    {
        // The InputFile's script runs in its own first after-render, so the input is wired after the render that showed it.
        if (!_inputReady && _model is not null)
        {
            _inputReady = true;
            StateHasChanged();
        }
    }

    protected override async Task OnParametersSetAsync()
    {
        if (_loadedModelId == ModelId)
        {
            return;
        }
        _loadedModelId = ModelId;
        try
        {
            _model = await Models.GetAsync(ModelId);
            _versions = (await Publishing.ListVersionsAsync(ModelId)).OrderByDescending(v => v.Number).ToList();
            _versionNumber = _model.LatestVersionNumber;
            await SuggestThresholdAsync();
            _loadError = null;
        }
        catch (DomainException e)
        {
            _loadError = e.Message;
        }
    }

    /// <summary>The labels that count as predicted at the threshold: the best one (single-label) or every one (multi-label) that reaches it.</summary>
    internal IReadOnlyList<LabelScore> Predicted(ClassificationPrediction prediction)
    {
        var reaching = prediction.Scores.Where(s => s.Score >= _threshold);
        return (_model?.Kind == DatasetKind.MultiLabel ? reaching : reaching.Take(1)).ToList();
    }

    /// <summary>A detector's boxes that reach the threshold, best first.</summary>
    internal IReadOnlyList<DetectedBox> Shown(DetectionPrediction prediction) =>
        prediction.Boxes.Where(b => b.Score >= _threshold).OrderByDescending(b => b.Score).ToList();

    private static IReadOnlyList<OverlayBox> Overlay(IReadOnlyList<DetectedBox> boxes) =>
        boxes.Select(b => new OverlayBox(b.Box, "box-predicted", $"{b.Label} {b.Score.ToString("0.00", Invariant)}", "predict-box")).ToList();

    private static string BoxText(BoxRect box) => string.Create(Invariant,
        $"({box.Left:0.00}, {box.Top:0.00}) – ({box.Left + box.Width:0.00}, {box.Top + box.Height:0.00})");

    private async Task SuggestThresholdAsync()
    {
        var version = _versions.FirstOrDefault(v => v.Number == _versionNumber);
        try
        {
            _threshold = IsDetector
                ? Math.Round((await Models.GetDetectionEvaluationAsync(ModelId, version?.Id)).Report.SuggestedThreshold.Threshold, 2)
                : Math.Round(new ThresholdExplorer(await Models.GetEvaluationAsync(ModelId, version?.Id)).SuggestedThreshold, 2);
            _thresholdSuggested = true;
        }
        catch (NotFoundException)
        {
            _threshold = DefaultThreshold;
            _thresholdSuggested = false;
        }
    }

    private async Task OnVersionChangedAsync(int number)
    {
        _versionNumber = number;
        await SuggestThresholdAsync();
        if (_image is not null)
        {
            await ScoreAsync();
        }
    }

    private async Task OnFileAsync(InputFileChangeEventArgs e)
    {
        var file = e.File;
        _fileName = file.Name;
        _prediction = null;
        _detection = null;
        _preview = null;
        _image = null;
        _error = null;
        if (file.Size > MaxImageBytes)
        {
            _error = $"{file.Name} is {file.Size / 1024 / 1024} MB; the largest image is {MaxImageBytes / 1024 / 1024} MB.";
            return;
        }
        _busy = true;
        try
        {
            using var buffer = new MemoryStream();
            await using (var stream = file.OpenReadStream(MaxImageBytes))
            {
                await stream.CopyToAsync(buffer);
            }
            _image = buffer.ToArray();
            if (_image.Length <= MaxPreviewBytes)
            {
                _preview = $"data:{(string.IsNullOrEmpty(file.ContentType) ? "image/jpeg" : file.ContentType)};base64,{Convert.ToBase64String(_image)}";
            }
        }
        finally
        {
            _busy = false;
        }
        await ScoreAsync();
    }

    private async Task ScoreAsync()
    {
        if (_image is null)
        {
            return;
        }
        _busy = true;
        _error = null;
        try
        {
            if (IsDetector)
            {
                _detection = await Detections.DetectAsync(ModelId, _image, _versionNumber);
            }
            else
            {
                _prediction = await Models.PredictAsync(ModelId, _image, _versionNumber);
            }
            _scoredVersion = _versionNumber;
        }
        catch (ImageRejectedException ex)
        {
            _prediction = null;
            _detection = null;
            _error = $"{_fileName}: {ex.Message}";
        }
        catch (DomainException ex)
        {
            _prediction = null;
            _detection = null;
            _error = $"{_fileName}: {ex.Message}";
        }
        finally
        {
            _busy = false;
        }
    }
}
