using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using MudBlazor;
using VisionConsole.Domain;
using VisionConsole.Domain.Accounts;
using VisionConsole.Domain.Datasets;
using VisionConsole.Web.Components.Shared;

namespace VisionConsole.Web.Components.Pages.Datasets;

/// <summary>
/// The dataset's image grid: filters (mirrored to the URL by the page), pager, selection that only holds what is shown,
/// keyboard labeling with a cursor that stays in the grid, and the single-image viewer.
/// </summary>
public partial class ImageBrowser
{
    private static readonly DataSplit[] SplitOrder = [DataSplit.Train, DataSplit.Validation, DataSplit.Test, DataSplit.Unassigned];

    private readonly ImageSelection _selection = new();
    private ImagePage? _page;
    private string? _error;
    private string? _labelError;
    private int? _viewerIndex;
    private int _cursor = -1;
    private bool _refocus;
    private bool _preventKey;
    private bool _selectMode;
    private bool _rangeMode;
    private ElementReference _area;
    private CancellationTokenSource? _loading;
    private ImageFilter? _appliedFilter;

    [Inject] private IDatasetService Datasets { get; set; } = null!;
    [Inject] private ICurrentUser CurrentUser { get; set; } = null!;
    [Inject] private IDialogService Dialogs { get; set; } = null!;
    [Inject] private IDatasetEdits Edits { get; set; } = null!;
    [Inject] private ISnackbar Snackbar { get; set; } = null!;
    [Inject] private CircuitUser Access { get; set; } = null!;

    [Parameter, EditorRequired] public long DatasetId { get; set; }
    [Parameter] public IReadOnlyList<LabelSummary> Labels { get; set; } = [];
    [Parameter] public int PageSize { get; set; } = 100;
    [Parameter] public DatasetKind Kind { get; set; }

    /// <summary>The filters and page shown; the page keeps them in the URL.</summary>
    [Parameter] public ImageFilter Filter { get; set; } = new();

    /// <summary>Raised when the user changes a filter or the page.</summary>
    [Parameter] public EventCallback<ImageFilter> FilterChanged { get; set; }

    /// <summary>Raised after labels were created or assigned, so the page can refresh its counts and label list.</summary>
    [Parameter] public EventCallback OnLabelsChanged { get; set; }

    /// <summary>Who is on the dataset: tiles show the others who have an image open.</summary>
    [Parameter] public PresenceSnapshot? Presence { get; set; }

    private ILookup<long, string>? Viewers => Presence?.People.Where(p => p.ImageId is not null && p.User != CurrentUser.Name)
        .ToLookup(p => p.ImageId!.Value, p => p.User);

    /// <summary>The selection, for tests and the page.</summary>
    public ImageSelection Selection => _selection;

    /// <summary>Whole-image labeling applies to classification datasets (detection labels are boxes), for labelers and up.</summary>
    private bool Labeling => Kind != DatasetKind.ObjectDetection && Access.Can(ProjectPermission.Label);

    private IReadOnlyList<long> VisibleIds => _page is null ? [] : [.. _page.Items.Select(i => i.Id)];

    private int HiddenSelected => _selection.HiddenCount(VisibleIds);

    private long? CursorId => _page is { } page && _cursor >= 0 && _cursor < page.Items.Count ? page.Items[_cursor].Id : null;

    protected override async Task OnParametersSetAsync()
    {
        // The URL mirrors our own changes; only a different filter (back button, a shared link) reloads.
        if (_appliedFilter != Filter)
        {
            if (_appliedFilter is not null && !SameFilters(_appliedFilter, Filter))
            {
                _selection.Clear();
                _cursor = -1;
            }
            _appliedFilter = Filter;
            await ReloadAsync();
        }
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (_refocus && _viewerIndex is null && _page is { Total: > 0 })
        {
            _refocus = false;
            try
            {
                await _area.FocusAsync();
            }
            catch (InvalidOperationException)
            {
                // The area is not rendered yet (loading): the next render focuses it.
                _refocus = true;
            }
        }
    }

    private static bool SameFilters(ImageFilter a, ImageFilter b) => a with { Page = 0 } == b with { Page = 0 };

    private string LabelText(long? id) =>
        id is { } value ? Labels.FirstOrDefault(l => l.Id == value)?.Name ?? "All labels" : "All labels";

    /// <summary>Loads the current page again (after an upload, say), keeping the filters.</summary>
    public async Task ReloadAsync()
    {
        var previous = Interlocked.Exchange(ref _loading, new CancellationTokenSource());
        previous?.Cancel();
        previous?.Dispose();
        var token = _loading!.Token;
        var query = Filter.ToQuery() with { Skip = Filter.Page * PageSize, Take = PageSize };
        try
        {
            var page = await Datasets.QueryImagesAsync(DatasetId, query, token);
            // A newer reload (after a label change, say) may have started while this query ran to completion anyway:
            // its older page must not overwrite the newer one.
            token.ThrowIfCancellationRequested();
            if (page.Items.Count == 0 && page.Total > 0 && Filter.Page > 0)
            {
                // The page we were on no longer exists (images were removed): show the last one.
                await ChangeFilterAsync(Filter with { Page = (page.Total - 1) / PageSize }, clearSelection: false);
                return;
            }
            _page = page;
            _error = null;
            _selection.OnPageShown(VisibleIds);
            if (_cursor >= page.Items.Count)
            {
                _cursor = page.Items.Count - 1;
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            return;
        }
        catch (DomainException e)
        {
            _error = e.Message;
        }
        StateHasChanged();
    }

    private async Task ChangeFilterAsync(ImageFilter filter, bool clearSelection)
    {
        if (clearSelection)
        {
            _selection.Clear();
            _cursor = -1;
        }
        Filter = filter;
        _appliedFilter = filter;
        await FilterChanged.InvokeAsync(filter);
        await ReloadAsync();
    }

    private Task OnSplitChanged(DataSplit? split) => ChangeFilterAsync(Filter with { Split = split, Page = 0 }, clearSelection: true);

    private Task OnLabelChanged(long? labelId) => ChangeFilterAsync(Filter with { LabelId = labelId, Page = 0 }, clearSelection: true);

    private Task OnUnlabeledChanged(bool unlabeled) => ChangeFilterAsync(Filter with { UnlabeledOnly = unlabeled, Page = 0 }, clearSelection: true);

    private Task OnSearchChanged(string? search) =>
        string.Equals(search ?? "", Filter.Search ?? "", StringComparison.Ordinal)
            ? Task.CompletedTask
            : ChangeFilterAsync(Filter with { Search = string.IsNullOrWhiteSpace(search) ? null : search, Page = 0 }, clearSelection: true);

    // A new page shows other tiles: the selection of the old one would be invisible, so it goes (unless "all filtered").
    private Task GoToPageAsync(int page)
    {
        _cursor = -1;
        return ChangeFilterAsync(Filter with { Page = page }, clearSelection: !_selection.SpansPages);
    }

    private void OnTileClick(ImageTileClick click)
    {
        if (!Labeling || _page is null)
        {
            return;
        }
        // A tap toggles one tile (no modifier keys on a phone); select mode adds check marks and a "range" tap for shift.
        var add = !_selectMode && (click.Mouse.CtrlKey || click.Mouse.MetaKey);
        var range = click.Mouse.ShiftKey || (_selectMode && _rangeMode);
        _selection.Click(click.Image.Id, VisibleIds, add, range);
        _rangeMode = false;
        _cursor = _page.Items.ToList().FindIndex(i => i.Id == click.Image.Id);
    }

    private void OnSelectModeChanged(bool selectMode)
    {
        _selectMode = selectMode;
        _rangeMode = false;
    }

    private void ClearSelection() => _selection.Clear();

    private void Open(ImageSummary image)
    {
        if (_page is not null && _page.Items.ToList().FindIndex(i => i.Id == image.Id) is var index and >= 0)
        {
            _viewerIndex = Filter.Page * PageSize + index;
        }
    }

    private async Task CloseViewer()
    {
        _viewerIndex = null;
        _refocus = true;
        await ReloadAsync();
    }

    private async Task OnKeyDownAsync(KeyboardEventArgs e)
    {
        _preventKey = false;
        if (!Labeling || _page is not { Items.Count: > 0 } page)
        {
            return;
        }
        switch (e.Key)
        {
            case "?":
                await ShowShortcutsAsync();
                return;
            case "Escape":
                _selection.Clear();
                return;
            case "ArrowRight" or "ArrowDown" or "ArrowLeft" or "ArrowUp" or "Home" or "End":
                MoveCursor(e.Key, page.Items.Count);
                return;
            case " " when CursorId is { } id:
                _selection.Click(id, VisibleIds, add: false, range: false);
                return;
            case "Enter" when CursorId is not null:
                Open(page.Items[_cursor]);
                return;
            case "0" or "Backspace" or "Delete":
                await RemoveAllAsync();
                return;
        }
        if (LabelKeys.Number(e) is { } n && n <= Labels.Count)
        {
            var label = Labels[n - 1];
            await (e.ShiftKey && Kind == DatasetKind.MultiLabel ? ChangeSelectionAsync([], [label.Id], fromKeyboard: true) : ChangeSelectionAsync([label.Id], [], fromKeyboard: true));
        }
    }

    // Arrows move a cursor that selects the tile under it (like a file browser); the grid has about 6 columns on a desktop.
    private void MoveCursor(string key, int count)
    {
        var columns = 6;
        var next = key switch
        {
            "ArrowRight" => _cursor + 1,
            "ArrowLeft" => _cursor - 1,
            "ArrowDown" => _cursor < 0 ? 0 : _cursor + columns,
            "ArrowUp" => _cursor - columns,
            "Home" => 0,
            _ => count - 1,
        };
        _cursor = Math.Clamp(next, 0, count - 1);
        _selection.SelectOnly(_page!.Items[_cursor].Id);
    }

    private Task AssignAsync(LabelSummary label) => ChangeSelectionAsync([label.Id], [], fromKeyboard: false);

    private Task RemoveAllAsync() => ChangeSelectionAsync([], [.. Labels.Select(l => l.Id)], fromKeyboard: false);

    private async Task ChangeSelectionAsync(long[] add, long[] remove, bool fromKeyboard)
    {
        Access.Require(ProjectPermission.Label);
        if (_selection.Count == 0 || (add.Length == 0 && remove.Length == 0))
        {
            _labelError = _selection.Count == 0 ? "Select images first: click a tile, use the arrow keys, or turn on Select." : null;
            return;
        }
        var hidden = HiddenSelected;
        if (hidden > 0)
        {
            var go = await Dialogs.ShowMessageBoxAsync("Label images that are not shown?",
                $"{_selection.Count:N0} images are selected and {hidden:N0} of them are not on this page. Change the labels of all {_selection.Count:N0}?",
                yesText: $"Label all {_selection.Count:N0}", cancelText: "Cancel");
            if (go != true)
            {
                return;
            }
        }
        var spanning = _selection.SpansPages;
        var single = _selection.Count == 1 ? _selection.Ids.First() : (long?)null;
        try
        {
            await Datasets.ChangeLabelsAsync(DatasetId, new LabelChange([.. _selection.Ids], add, remove), CurrentUser.Name);
            _labelError = null;
        }
        catch (DomainException e)
        {
            _labelError = e.Message;
        }
        if (spanning)
        {
            _selection.Clear();
        }
        await AfterLabelChangeAsync();
        if (fromKeyboard && single is { } labeled && add.Length > 0)
        {
            AdvanceCursorAfter(labeled);
        }
        _refocus = true;
    }

    /// <summary>
    /// After keyboard labeling one image, the cursor goes to the next image: under "Unlabeled only" the labeled tile left
    /// the page, so the tile now at the cursor is the next one; otherwise the cursor steps right.
    /// </summary>
    private void AdvanceCursorAfter(long labeledId)
    {
        if (_page is not { Items.Count: > 0 } page)
        {
            _cursor = -1;
            return;
        }
        var index = page.Items.ToList().FindIndex(i => i.Id == labeledId);
        _cursor = index < 0 ? Math.Min(Math.Max(_cursor, 0), page.Items.Count - 1) : Math.Min(index + 1, page.Items.Count - 1);
        _selection.SelectOnly(page.Items[_cursor].Id);
    }

    private async Task AfterLabelChangeAsync()
    {
        await ReloadAsync();
        await OnLabelsChanged.InvokeAsync();
    }

    private async Task SelectAllFilteredAsync()
    {
        try
        {
            _selection.SelectAll(await Datasets.QueryImageIdsAsync(DatasetId, Filter.ToQuery()));
            _labelError = null;
        }
        catch (DomainException e)
        {
            _labelError = e.Message;
        }
    }

    private async Task<bool> CreateLabelAsync(string name)
    {
        try
        {
            Access.Require(ProjectPermission.Edit);
            await Datasets.AddLabelAsync(DatasetId, name, CurrentUser.Name);
            _labelError = null;
            await OnLabelsChanged.InvokeAsync();
            return true;
        }
        catch (DomainException e)
        {
            _labelError = e.Message;
            return false;
        }
    }

    private async Task ManageLabelsAsync()
    {
        Access.Require(ProjectPermission.Edit);
        var parameters = new DialogParameters<LabelsDialog>
        {
            { d => d.DatasetId, DatasetId },
            { d => d.Labels, Labels },
            { d => d.Reload, () => Datasets.ListLabelsAsync(DatasetId) },
        };
        var dialog = await Dialogs.ShowAsync<LabelsDialog>("Labels", parameters, new DialogOptions { MaxWidth = MaxWidth.Medium, FullWidth = true, CloseButton = true });
        await dialog.Result;
        await AfterLabelChangeAsync();
    }

    private async Task SetSplitAsync(DataSplit split)
    {
        if (_selection.Count == 0)
        {
            return;
        }
        try
        {
            Access.Require(ProjectPermission.Edit);
            var changed = await Edits.SetSplitsAsync(DatasetId, [.. _selection.Ids], split, CurrentUser.Name);
            Snackbar.Add($"{changed:N0} image(s) moved to {split.Describe()}.", Severity.Success);
            _labelError = null;
        }
        catch (DomainException e)
        {
            _labelError = e.Message;
        }
        await AfterLabelChangeAsync();
    }

    private async Task DeleteSelectedAsync()
    {
        Access.Require(ProjectPermission.Edit);
        var ids = _selection.Ids.ToList();
        if (ids.Count == 0)
        {
            return;
        }
        var hidden = HiddenSelected;
        var message = hidden > 0
            ? $"Delete {ids.Count:N0} images, {hidden:N0} of them not on this page? You can undo this until the next delete."
            : $"Delete {(ids.Count == 1 ? "this image" : $"these {ids.Count:N0} images")} with their labels? You can undo this until the next delete.";
        ImageDeletion? deletion = null;
        if (await ConfirmActionDialog.AskAsync(Dialogs, "Delete images", message, "Delete", async () => deletion = await Edits.DeleteImagesAsync(DatasetId, ids, CurrentUser.Name)))
        {
            _selection.Clear();
            OfferUndo(deletion);
            await AfterLabelChangeAsync();
        }
    }

    private async Task DeleteFromViewerAsync(ImageSummary image)
    {
        try
        {
            Access.Require(ProjectPermission.Edit);
            OfferUndo(await Edits.DeleteImagesAsync(DatasetId, [image.Id], CurrentUser.Name));
        }
        catch (DomainException e)
        {
            _labelError = e.Message;
        }
        await AfterLabelChangeAsync();
    }

    private void OfferUndo(ImageDeletion? deletion)
    {
        if (deletion is null)
        {
            return;
        }
        Snackbar.Add($"Deleted {deletion.Count:N0} image(s).", Severity.Normal, options =>
        {
            options.Action = "Undo";
            options.ActionColor = Color.Primary;
            options.RequireInteraction = false;
            options.VisibleStateDuration = 10_000;
            options.OnClick = async _ =>
            {
                try
                {
                    var restored = await Edits.UndoDeleteAsync(DatasetId, deletion.Batch, CurrentUser.Name);
                    Snackbar.Add($"Brought back {restored.Restored:N0} image(s).", Severity.Success);
                }
                catch (DomainException e)
                {
                    Snackbar.Add(e.Message, Severity.Error);
                }
                await InvokeAsync(AfterLabelChangeAsync);
            };
        });
    }

    private async Task ShowShortcutsAsync()
    {
        await Dialogs.ShowAsync<ShortcutsDialog>("Keyboard shortcuts", new DialogParameters<ShortcutsDialog> { { d => d.Kind, Kind } },
            new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true, CloseButton = true });
        _refocus = true;
    }

    public void Dispose()
    {
        _loading?.Cancel();
        _loading?.Dispose();
    }
}
