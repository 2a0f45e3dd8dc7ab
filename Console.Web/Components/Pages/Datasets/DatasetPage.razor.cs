using Microsoft.AspNetCore.Components;
using MudBlazor;
using VisionConsole.Domain;
using VisionConsole.Domain.Accounts;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Operations;

namespace VisionConsole.Web.Components.Pages.Datasets;

/// <summary>
/// One dataset: header, import/export/health, upload, and the image grid whose filters and page live in the URL's
/// query (<see cref="ImageFilter"/>), so a view can be shared and survives a reload. Live changes by anyone refresh it.
/// </summary>
public partial class DatasetPage
{
    private DatasetSummary? _dataset;
    private IReadOnlyList<LabelSummary> _labels = [];
    private string? _loadError;
    private ImageBrowser? _browser;
    private LabelingProgressPanel? _progress;
    private PresenceSession? _presence;
    private DatasetChangeFeed? _feed;
    private long? _loadedId;

    [Inject] private IDatasetService Datasets { get; set; } = null!;
    [Inject] private IDatasetChangeNotifier Changes { get; set; } = null!;
    [Inject] private TimeProvider Time { get; set; } = null!;
    [Inject] private ICurrentUser CurrentUser { get; set; } = null!;
    [Inject] private ISnackbar Snackbar { get; set; } = null!;
    [Inject] private IDialogService Dialogs { get; set; } = null!;
    [Inject] private NavigationManager Navigation { get; set; } = null!;
    [Inject] private IDatasetEdits Edits { get; set; } = null!;
    [Inject] private CircuitUser Access { get; set; } = null!;
    [Inject] private CircuitPresence Presence { get; set; } = null!;

    [Parameter] public long DatasetId { get; set; }

    [SupplyParameterFromQuery(Name = "split")] public string? Split { get; set; }
    [SupplyParameterFromQuery(Name = "label")] public long? Label { get; set; }
    [SupplyParameterFromQuery(Name = "unlabeled")] public bool? Unlabeled { get; set; }
    [SupplyParameterFromQuery(Name = "q")] public string? Search { get; set; }
    [SupplyParameterFromQuery(Name = "page")] public int? PageNumber { get; set; }

    private ImageFilter CurrentFilter => ImageFilter.FromQuery(Split, Label, Unlabeled, Search, PageNumber);

    private IReadOnlyList<BreadcrumbItem> Breadcrumbs =>
    [
        new("Datasets", href: "datasets"),
        new(_dataset?.DisplayName ?? "…", href: null, disabled: true),
    ];

    protected override async Task OnParametersSetAsync()
    {
        // A filter change only rewrites the query string: the dataset itself is loaded once per id.
        if (_loadedId != DatasetId)
        {
            _loadedId = DatasetId;
            _dataset = null;
            if (_presence is null)
            {
                _presence = Presence.Open(CurrentUser.Name, DatasetId, null, () => _ = InvokeAsync(StateHasChanged));
            }
            else
            {
                _presence.MoveTo(DatasetId, null);
            }
            await LoadAsync();
        }
    }

    private async Task LoadAsync()
    {
        try
        {
            _dataset = await Datasets.GetAsync(DatasetId);
            _labels = await Datasets.ListLabelsAsync(DatasetId);
            _loadError = null;
        }
        catch (DomainException e)
        {
            _loadError = e.Message;
        }
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender)
        {
            // Anyone's change to this dataset (another person, another tab, an import) reloads the counts and the grid page.
            _feed = new DatasetChangeFeed(Changes, Time, () => DatasetId, changes => InvokeAsync(() => OnDatasetChangedAsync(changes)));
            // Anything that changed between the first load and the subscription.
            await RefreshAsync();
            StateHasChanged();
        }
    }

    private void OnFilterChanged(ImageFilter filter) =>
        Navigation.NavigateTo(Navigation.GetUriWithQueryParameters(filter.ToQueryParameters()), new NavigationOptions { ReplaceHistoryEntry = true });

    private async Task OnDatasetChangedAsync(IReadOnlyList<DatasetChange> changes)
    {
        await RefreshAsync();
        StateHasChanged();
        if (DatasetChangeFeed.Describe(changes, CurrentUser.Name) is { } note)
        {
            Snackbar.Add(note, Severity.Info);
        }
    }

    private async Task RefreshAsync()
    {
        await LoadAsync();
        if (_browser is not null)
        {
            await _browser.ReloadAsync();
        }
        if (_progress is not null)
        {
            await _progress.RefreshAsync();
        }
    }

    private async Task OpenImportAsync()
    {
        Access.Require(ProjectPermission.Edit);
        var parameters = new DialogParameters<ImportDialog> { { d => d.DatasetId, DatasetId }, { d => d.OnImportFinished, EventCallback.Factory.Create<OperationSummary>(this, RefreshAsync) } };
        var dialog = await Dialogs.ShowAsync<ImportDialog>("Import data", parameters,
            new DialogOptions { MaxWidth = MaxWidth.Medium, FullWidth = true, BackdropClick = false, CloseOnEscapeKey = false });
        await dialog.Result;
        await RefreshAsync();
    }

    private async Task OpenSuggestionsAsync()
    {
        Access.Require(ProjectPermission.Label);
        var parameters = new DialogParameters<SuggestLabelsDialog> { { d => d.DatasetId, DatasetId } };
        var dialog = await Dialogs.ShowAsync<SuggestLabelsDialog>("Suggest labels with a model", parameters, new DialogOptions { MaxWidth = MaxWidth.Large, FullWidth = true, CloseButton = true });
        if (await dialog.Result is { Canceled: false })
        {
            await RefreshAsync();
        }
    }

    private async Task OpenExportAsync()
    {
        Access.Require(ProjectPermission.Edit);
        var parameters = new DialogParameters<ExportDialog> { { d => d.DatasetId, DatasetId }, { d => d.Kind, _dataset?.Kind ?? DatasetKind.SingleLabel } };
        await Dialogs.ShowAsync<ExportDialog>("Export dataset", parameters, new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true });
    }

    private async Task ResplitAsync()
    {
        Access.Require(ProjectPermission.Edit);
        ResplitResult? result = null;
        var done = await Shared.ConfirmActionDialog.AskAsync(Dialogs, "Re-split 80/10/10",
            "Split every image again: 80% train, 10% validation, 10% test, per label, the same on every machine. Splits chosen by hand are replaced.",
            "Re-split", async () => result = await Edits.ResplitAsync(DatasetId, onlyUnassigned: false, CurrentUser.Name));
        if (done && result is not null)
        {
            Snackbar.Add($"Split {result.Train:N0} / {result.Validation:N0} / {result.Test:N0}; {result.Changed:N0} image(s) moved.", Severity.Success);
            await RefreshAsync();
        }
    }

    public void Dispose()
    {
        _feed?.Dispose();
        _presence?.Dispose();
    }
}
