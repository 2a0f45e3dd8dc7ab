using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using MudBlazor;
using VisionConsole.Domain;
using VisionConsole.Domain.Import;
using VisionConsole.Domain.Operations;
using VisionConsole.Domain.Training;

namespace VisionConsole.Web.Components.Pages.Datasets;

/// <summary>The import dialog: wires <see cref="ImportFlow"/> to import.js, the operation notifier and the operation service.</summary>
public partial class ImportDialog
{
    private static readonly TimeSpan RenderEvery = TimeSpan.FromMilliseconds(150);

    private ElementReference _input;
    private IJSObjectReference? _module;
    private IJSObjectReference? _importer;
    private DotNetObjectReference<ImportDialog>? _self;
    private IDisposable? _subscription;
    private ImportFormat _format = ImportFormat.Auto;
    private OperationSummary? _latest;
    private int _renderPending;
    private bool _finishedRaised;
    private bool _cancelling;
    private bool _disposed;

    [Inject] private IJSRuntime JS { get; set; } = null!;
    [Inject] private IOperationService AllOperations { get; set; } = null!;
    [Inject] private IOperationNotifier Notifier { get; set; } = null!;
    [Inject] private ICurrentUser CurrentUser { get; set; } = null!;
    [Inject] private CircuitUser Access { get; set; } = null!;

    [CascadingParameter] private IMudDialogInstance? Dialog { get; set; }

    [Parameter, EditorRequired] public long DatasetId { get; set; }

    /// <summary>Raised once when the started import ends (succeeded, failed or cancelled), so the page can refresh.</summary>
    [Parameter] public EventCallback<OperationSummary> OnImportFinished { get; set; }

    /// <summary>The dialog's state (for tests).</summary>
    public ImportFlow Flow { get; } = new();

    /// <summary>The report download of an import operation.</summary>
    public static string ReportUrl(long operationId) => $"api/imports/{operationId}/report";

    /// <summary>The <c>?format=</c> value of the import endpoint for a format.</summary>
    public static string FormatParameter(ImportFormat format) => format switch
    {
        ImportFormat.FolderTree => "FOLDER_TREE",
        ImportFormat.Csv => "CSV",
        ImportFormat.Coco => "COCO",
        ImportFormat.PascalVoc => "PASCAL_VOC",
        ImportFormat.CvatXml => "CVAT_XML",
        _ => "AUTO",
    };

    private static string Describe(ImportFormat format) => format switch
    {
        ImportFormat.Auto => "Auto (detect from the files)",
        ImportFormat.FolderTree => "Folder per label (zip)",
        ImportFormat.Csv => "AutoML CSV",
        ImportFormat.Coco => "COCO JSON",
        ImportFormat.PascalVoc => "Pascal VOC XML",
        ImportFormat.CvatXml => "CVAT XML",
        _ => format.ToString(),
    };

    private static Color StateColor(OperationState state) => state switch
    {
        OperationState.Succeeded => Color.Success,
        OperationState.Failed => Color.Error,
        OperationState.Cancelled or OperationState.Cancelling => Color.Warning,
        _ => Color.Info,
    };

    protected override void OnInitialized() => _subscription = Notifier.Subscribe(OnUpdate);

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        // The file input exists only at the choosing stage: attach to each new one.
        if (Flow.Stage == ImportStage.Choosing && _importer is null && !_disposed)
        {
            await AttachAsync();
        }
    }

    private async Task AttachAsync()
    {
        try
        {
            _module ??= await JS.InvokeAsync<IJSObjectReference>("import", "./js/import.js");
            _self ??= DotNetObjectReference.Create(this);
            var importer = await _module.InvokeAsync<IJSObjectReference>("attach", _input, _self);
            if (_disposed || importer is null)
            {
                if (importer is not null)
                {
                    await DetachAsync(importer);
                }
                return;
            }
            _importer = importer;
            StateHasChanged();
        }
        catch (JSException e) when (!_disposed)
        {
            Flow.Fail($"The import script could not start: {e.Message}");
            StateHasChanged();
        }
        catch (Exception e) when (_disposed || e is JSDisconnectedException or OperationCanceledException)
        {
            // The component or the circuit went away while starting.
        }
    }

    [JSInvokable]
    public Task FilesChosen(ChosenFile[] files) => InvokeAsync(() =>
    {
        Flow.Choose(files);
        StateHasChanged();
    });

    [JSInvokable]
    public Task UploadProgress(long sent, long total) => InvokeAsync(() =>
    {
        Flow.UploadProgress(sent, total);
        StateHasChanged();
    });

    [JSInvokable]
    public Task UploadFinished(UploadOutcome outcome) => InvokeAsync(async () =>
    {
        Flow.UploadFinished(outcome);
        if (Flow.OperationId is null)
        {
            // The input was removed while uploading; a fresh one is attached on the next render.
            await DetachCurrentAsync();
        }
        else
        {
            // Updates published before the id was known were ignored: the stored row has them.
            await ReloadAsync();
        }
        StateHasChanged();
    });

    private async Task StartAsync()
    {
        if (_importer is null || !Flow.StartUpload())
        {
            return;
        }
        var url = $"v1/projects/{Uri.EscapeDataString(Access.Project)}/locations/local/datasets/{DatasetId}:importData?format={FormatParameter(_format)}";
        if (!await _importer.InvokeAsync<bool>("start", url))
        {
            Flow.UploadFinished(new UploadOutcome(null, "Choose the files to import first."));
        }
    }

    private async Task AbortUploadAsync()
    {
        if (_importer is not null)
        {
            await _importer.InvokeVoidAsync("abort");
        }
    }

    private async Task CancelImportAsync()
    {
        if (Flow.OperationId is not { } id)
        {
            return;
        }
        _cancelling = true;
        try
        {
            Flow.OperationUpdated(await AllOperations.CancelAsync(id, CurrentUser.Name));
            await AfterUpdateAsync();
        }
        catch (DomainException e)
        {
            Flow.Fail(e.Message);
        }
        finally
        {
            _cancelling = false;
        }
    }

    /// <summary>Runs on the runner's thread: keep the newest update of this import and render at most every <see cref="RenderEvery"/>.</summary>
    private void OnUpdate(OperationUpdate update)
    {
        if (Flow.OperationId is not { } id || update.Operation.Id != id)
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
                if (_disposed || Volatile.Read(ref _latest) is not { } latest || latest.Id != Flow.OperationId || Flow.Stage == ImportStage.Finished)
                {
                    return;
                }
                if (latest.Done)
                {
                    // The result is in the stored row.
                    await ReloadAsync();
                }
                else
                {
                    Flow.OperationUpdated(latest);
                }
                StateHasChanged();
            });
        }
    }

    private async Task ReloadAsync()
    {
        if (Flow.OperationId is not { } id)
        {
            return;
        }
        try
        {
            Flow.OperationUpdated(await AllOperations.GetAsync(id));
            await AfterUpdateAsync();
        }
        catch (DomainException e)
        {
            Flow.Fail(e.Message);
        }
    }

    private async Task AfterUpdateAsync()
    {
        if (Flow.Operation is { Done: true } operation && !_finishedRaised)
        {
            _finishedRaised = true;
            // A cancelled upload may end before any report was written.
            if (await AllOperations.ReadImportReportAsync(operation.Id, take: 100) is { } report)
            {
                Flow.ReportRead(report);
            }
            await OnImportFinished.InvokeAsync(operation);
        }
    }

    private void Close() => Dialog?.Close();

    private async Task ResetAsync()
    {
        await DetachCurrentAsync();
        Flow.Reset();
        _finishedRaised = false;
    }

    private async Task DetachCurrentAsync()
    {
        var importer = _importer;
        _importer = null;
        if (importer is not null)
        {
            await DetachAsync(importer);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        _subscription?.Dispose();
        await DetachCurrentAsync();
        if (_module is not null)
        {
            try
            {
                await _module.DisposeAsync();
            }
            catch (JSDisconnectedException)
            {
                // The browser is gone.
            }
            _module = null;
        }
        _self?.Dispose();
        GC.SuppressFinalize(this);
    }

    private static async Task DetachAsync(IJSObjectReference importer)
    {
        try
        {
            await importer.InvokeVoidAsync("dispose");
            await importer.DisposeAsync();
        }
        catch (JSDisconnectedException)
        {
            // The browser is gone; so is its upload.
        }
    }
}
