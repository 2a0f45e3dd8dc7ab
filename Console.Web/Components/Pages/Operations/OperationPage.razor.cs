using Microsoft.AspNetCore.Components;
using MudBlazor;
using VisionConsole.Domain;
using VisionConsole.Domain.Accounts;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Models;
using VisionConsole.Domain.Operations;
using VisionConsole.Domain.Training;

namespace VisionConsole.Web.Components.Pages.Operations;

/// <summary>
/// One operation, live: the notifier's updates re-render it at most every <see cref="RenderEvery"/>, so the
/// feature bar moves and each finished epoch is plotted as it arrives.
/// </summary>
public partial class OperationPage
{
    private static readonly TimeSpan RenderEvery = TimeSpan.FromMilliseconds(150);

    private OperationSummary? _operation;
    private OperationSummary? _latest;
    private string? _datasetName;
    private VisionConsole.Domain.Import.ImportReportPage? _importReport;
    private double? _top1;
    private double? _map50;
    private int _evaluatedImages;
    private string? _loadError;
    private string? _actionError;
    private bool _cancelling;
    private IDisposable? _subscription;
    private int _renderPending;
    private long? _loadedOperationId;

    [Inject] private IOperationService Operations { get; set; } = null!;
    [Inject] private IModelService Models { get; set; } = null!;
    [Inject] private IDatasetService Datasets { get; set; } = null!;
    [Inject] private IOperationNotifier Notifier { get; set; } = null!;
    [Inject] private ICurrentUser CurrentUser { get; set; } = null!;
    [Inject] private CircuitUser Access { get; set; } = null!;

    [Parameter] public long OperationId { get; set; }

    private List<BreadcrumbItem> Breadcrumbs =>
    [
        new("Operations", "operations"),
        new(_operation?.Title(_datasetName) ?? OperationId.ToString(System.Globalization.CultureInfo.InvariantCulture), null, disabled: true),
    ];

    protected override async Task OnParametersSetAsync()
    {
        // Only a new operation id reloads: the live updates keep this one current.
        if (_loadedOperationId == OperationId)
        {
            return;
        }
        _loadedOperationId = OperationId;
        _operation = null;
        _datasetName = null;
        _top1 = null;
        _map50 = null;
        _importReport = null;
        await LoadAsync();
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender)
        {
            _subscription = Notifier.Subscribe(OnUpdate);
            // Anything that changed between the first load and the subscription.
            await LoadAsync();
            StateHasChanged();
        }
    }

    private async Task LoadAsync()
    {
        try
        {
            var loaded = await Operations.GetAsync(OperationId);
            if (_operation is null || loaded.Done || !_operation.Done)
            {
                _operation = loaded;
            }
            _loadError = null;
            await LoadNamesAsync(loaded);
        }
        catch (DomainException e)
        {
            _loadError = e.Message;
        }
    }

    /// <summary>The dataset's display name and, once a training succeeded, its model's top-1 accuracy.</summary>
    private async Task LoadNamesAsync(OperationSummary operation)
    {
        // A finished import's first findings, so nobody has to open the CSV to learn what went wrong.
        if (_importReport is null && operation.Done && operation.ImportResult is { } import && import.Errors + import.Warnings > 0)
        {
            _importReport = await Operations.ReadImportReportAsync(operation.Id, take: 100);
        }
        if (_datasetName is null && operation.DatasetId is { } datasetId)
        {
            try
            {
                _datasetName = (await Datasets.GetAsync(datasetId)).DisplayName;
            }
            catch (NotFoundException)
            {
                _datasetName = null;
            }
        }
        if (_top1 is null && _map50 is null && operation.State == OperationState.Succeeded && operation.ResultModelId is { } modelId)
        {
            try
            {
                if (operation.Kind == DetectorTrainingRequest.DetectionKind)
                {
                    // A detector has no top-1 accuracy; its headline figure is mAP at IoU 0.5.
                    var detection = await Models.GetDetectionEvaluationAsync(modelId, operation.ResultModelVersionId);
                    _map50 = detection.Report.MeanAveragePrecision.Iou50;
                    _evaluatedImages = detection.Images.Count;
                }
                else
                {
                    var evaluation = await Models.GetEvaluationAsync(modelId, operation.ResultModelVersionId);
                    _top1 = evaluation.Report.Top1Accuracy;
                    _evaluatedImages = evaluation.Images.Count;
                }
            }
            catch (NotFoundException)
            {
                _top1 = null;
            }
        }
    }

    /// <summary>Runs on the trainer's thread: keep the newest update and render at most every <see cref="RenderEvery"/>.</summary>
    private void OnUpdate(OperationUpdate update)
    {
        if (update.Operation.Id != OperationId)
        {
            return;
        }
        Volatile.Write(ref _latest, update.Operation);
        if (Interlocked.Exchange(ref _renderPending, 1) == 0)
        {
            _ = InvokeAsync(async () =>
            {
                await Task.Delay(RenderEvery);
                Interlocked.Exchange(ref _renderPending, 0);
                if (Volatile.Read(ref _latest) is not { } latest || (_operation?.Done ?? false))
                {
                    return;
                }
                if (latest.Done || latest.TrainingProgress?.Phase == TrainingPhase.Done)
                {
                    // Progress updates carry the operation as it was when the job started; the stored row has the result.
                    await LoadAsync();
                }
                else
                {
                    _operation = latest;
                }
                StateHasChanged();
            });
        }
    }

    private async Task CancelAsync()
    {
        _cancelling = true;
        try
        {
            Access.Require(ProjectPermission.Edit);
            _operation = await Operations.CancelAsync(OperationId, CurrentUser.Name);
            _actionError = null;
        }
        catch (DomainException e)
        {
            _actionError = e.Message;
        }
        finally
        {
            _cancelling = false;
        }
    }

    public void Dispose() => _subscription?.Dispose();
}
