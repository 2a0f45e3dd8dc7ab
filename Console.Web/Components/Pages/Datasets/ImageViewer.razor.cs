using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using MudBlazor;
using VisionConsole.Domain;
using VisionConsole.Domain.Accounts;
using VisionConsole.Domain.Datasets;

namespace VisionConsole.Web.Components.Pages.Datasets;

/// <summary>The single-image viewer over the grid's filtered list.</summary>
public partial class ImageViewer
{
    /// <summary>How far ahead (images) the viewer looks for the next unlabeled image.</summary>
    internal const int UnlabeledLookahead = 1000;

    private ElementReference _root;
    private ImageSummary? _image;
    private int _total;
    private string? _error;
    private int _loadedIndex = -1;
    private DatasetChangeFeed? _feed;
    private PresenceSession? _presence;
    private (long ImageId, long[] Add, long[] Remove)? _mine;

    [Inject] private IDatasetService Datasets { get; set; } = null!;
    [Inject] private ICurrentUser CurrentUser { get; set; } = null!;
    [Inject] private IDatasetChangeNotifier Changes { get; set; } = null!;
    [Inject] private TimeProvider Time { get; set; } = null!;
    [Inject] private IDialogService Dialogs { get; set; } = null!;
    [Inject] private CircuitPresence Presence { get; set; } = null!;

    [Parameter, EditorRequired] public long DatasetId { get; set; }
    /// <summary>The browser's filters; paging is ignored (the viewer walks the whole filtered list).</summary>
    [Parameter, EditorRequired] public ImageQuery Query { get; set; } = new();
    [Parameter] public int Index { get; set; }
    [Parameter] public EventCallback<int> IndexChanged { get; set; }
    [Parameter] public IReadOnlyList<LabelSummary> Labels { get; set; } = [];
    [Parameter] public DatasetKind Kind { get; set; }
    [Parameter] public EventCallback OnClose { get; set; }
    /// <summary>Raised after a label change so the grid and counts refresh.</summary>
    [Parameter] public EventCallback OnChanged { get; set; }

    /// <summary>Deletes the image shown (the browser offers the undo); the viewer then shows the next one.</summary>
    [Parameter] public EventCallback<ImageSummary> OnDelete { get; set; }

    /// <summary>The image shown (for tests).</summary>
    public ImageSummary? Image => _image;

    protected override async Task OnParametersSetAsync()
    {
        if (Index != _loadedIndex)
        {
            await LoadAsync();
        }
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender)
        {
            // Someone else labeling the image shown: show its new labels (and version, so the next edit is not refused).
            _feed = new DatasetChangeFeed(Changes, Time, () => DatasetId, changes => InvokeAsync(() => OnDatasetChangedAsync(changes)));
            await _root.FocusAsync();
        }
    }

    private async Task OnDatasetChangedAsync(IReadOnlyList<DatasetChange> changes)
    {
        if (_image is { } shown && changes.Any(c => c.Affects(shown.Id)))
        {
            await LoadAsync();
            StateHasChanged();
        }
    }

    private async Task LoadAsync()
    {
        try
        {
            var page = await Datasets.QueryImagesAsync(DatasetId, Query with { Skip = Math.Max(0, Index), Take = 1 });
            _total = page.Total;
            if (page.Items.Count == 0 && page.Total > 0 && Index >= page.Total)
            {
                // The image shown left the filter (it got a label under "Unlabeled only") and it was the last one.
                await GoToAsync(page.Total - 1);
                return;
            }
            _image = page.Items.FirstOrDefault();
            _loadedIndex = Index;
            if (_presence is null)
            {
                _presence = Presence.Open(CurrentUser.Name, DatasetId, _image?.Id, () => _ = InvokeAsync(StateHasChanged));
            }
            else
            {
                _presence.MoveTo(DatasetId, _image?.Id);
            }
        }
        catch (DomainException e)
        {
            _error = e.Message;
        }
    }

    private async Task GoToAsync(int index)
    {
        Index = index;
        await LoadAsync();
        await IndexChanged.InvokeAsync(index);
    }

    private async Task MoveAsync(int step)
    {
        var next = Index + step;
        if (next < 0 || next >= _total)
        {
            return;
        }
        _error = null;
        await GoToAsync(next);
    }

    private async Task OnKeyDownAsync(KeyboardEventArgs e)
    {
        switch (e.Key)
        {
            case "ArrowRight":
                await MoveAsync(1);
                return;
            case "ArrowLeft":
                await MoveAsync(-1);
                return;
            case "Escape":
                await OnClose.InvokeAsync();
                return;
            case "0" or "Backspace" or "Delete":
                await RemoveAllAsync();
                return;
        }
        if (LabelKeys.Number(e) is { } n && n <= Labels.Count)
        {
            var label = Labels[n - 1];
            await (e.ShiftKey ? ChangeAsync([], [label.Id]) : ChangeAsync([label.Id], []));
        }
    }

    private Task ToggleAsync(LabelSummary label) =>
        _image?.Labels.Contains(label.Name) == true ? ChangeAsync([], [label.Id]) : ChangeAsync([label.Id], []);

    private Task RemoveAllAsync() => ChangeAsync([], [.. Labels.Select(l => l.Id)]);

    /// <summary>The change a stale write refused, offered again on the image as it is now.</summary>
    private string? MineText => _mine is { } m && m.ImageId == _image?.Id
        ? string.Join(", ", m.Add.Select(id => "+" + LabelName(id)).Concat(m.Remove.Select(id => "−" + LabelName(id))))
        : null;

    private string LabelName(long id) => Labels.FirstOrDefault(l => l.Id == id)?.Name ?? $"#{id}";

    private Task ReapplyAsync()
    {
        var (_, add, remove) = _mine ?? (0, [], []);
        _mine = null;
        return ChangeAsync(add, remove);
    }

    private async Task ChangeAsync(long[] add, long[] remove)
    {
        if (_image is not { } image || (add.Length == 0 && remove.Length == 0))
        {
            return;
        }
        var labeled = false;
        try
        {
            Access.Require(ProjectPermission.Label);
            await Datasets.ChangeLabelsAsync(DatasetId, new LabelChange([image.Id], add, remove, new Dictionary<long, long> { [image.Id] = image.Version }), CurrentUser.Name);
            _error = null;
            labeled = add.Length > 0;
        }
        catch (ConcurrencyConflictException)
        {
            // Someone else's labels are shown after the reload below; this person's change waits for one click.
            _error = "Someone else changed this image's labels while you were on it; it now shows theirs.";
            _mine = (image.Id, add, remove);
        }
        catch (DomainException e)
        {
            _error = e.Message;
        }
        if (labeled)
        {
            await AdvanceToNextUnlabeledAsync();
        }
        else
        {
            await LoadAsync();
        }
        await OnChanged.InvokeAsync();
    }

    /// <summary>
    /// After labeling, shows the next image without labels: under "Unlabeled only" the labeled image left the list, so the
    /// same position holds the next one; otherwise the images after this one are searched (a bounded look-ahead), and
    /// when none is unlabeled the viewer simply steps to the next image.
    /// </summary>
    private async Task AdvanceToNextUnlabeledAsync()
    {
        if (Query.UnlabeledOnly)
        {
            await LoadAsync();
            if (_image is not null && _loadedIndex != Index)
            {
                await IndexChanged.InvokeAsync(Index);
            }
            return;
        }
        const int batch = 100;
        for (var skip = Index + 1; skip < Index + 1 + UnlabeledLookahead; skip += batch)
        {
            var page = await Datasets.QueryImagesAsync(DatasetId, Query with { Skip = skip, Take = batch });
            _total = page.Total;
            var found = page.Items.Select((image, offset) => (image, offset)).FirstOrDefault(p => p.image.Labels.Count == 0);
            if (found.image is not null)
            {
                await GoToAsync(skip + found.offset);
                return;
            }
            if (page.Items.Count < batch)
            {
                break;
            }
        }
        if (Index + 1 < _total)
        {
            await GoToAsync(Index + 1);
        }
        else
        {
            await LoadAsync();
        }
    }

    private async Task SetSplitAsync(DataSplit split)
    {
        if (_image is not { } image)
        {
            return;
        }
        try
        {
            Access.Require(ProjectPermission.Edit);
            await Datasets.SetSplitAsync(DatasetId, image.Id, split, image.Version, CurrentUser.Name);
            _error = null;
        }
        catch (DomainException e)
        {
            _error = e.Message;
        }
        await LoadAsync();
        await OnChanged.InvokeAsync();
    }

    private async Task ShowHistoryAsync()
    {
        if (_image is { } image)
        {
            var parameters = new DialogParameters<ImageHistoryDialog> { { d => d.DatasetId, DatasetId }, { d => d.ImageId, image.Id } };
            await Dialogs.ShowAsync<ImageHistoryDialog>($"History of {image.FileName}", parameters, new DialogOptions { MaxWidth = MaxWidth.Large, FullWidth = true, CloseButton = true });
        }
    }

    private async Task DeleteAsync()
    {
        if (_image is { } image)
        {
            await OnDelete.InvokeAsync(image);
            await LoadAsync();
            if (_total == 0)
            {
                await OnClose.InvokeAsync();
            }
        }
    }

    public void Dispose()
    {
        _feed?.Dispose();
        _presence?.Dispose();
    }
}
