using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.JSInterop;
using MudBlazor;
using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;

namespace VisionConsole.Web.Components.Pages.Labeling;

/// <summary>
/// Draws boxes on a detection dataset's images, one image at a time, over the <c>wwwroot/js/boxes.js</c> canvas. The
/// <see cref="BoxEditor"/> holds the boxes and their history; every change is saved at once (one save in flight, based on
/// the version last stored), and moving to another image waits for it. A save refused because someone else saved the image
/// first reloads the image's boxes and says so.
/// </summary>
public partial class BoxLabelingPage
{
    private readonly BoxEditor _editor = new();
    private DatasetSummary? _dataset;
    private IReadOnlyList<long> _ids = [];
    private IReadOnlyList<LabelSummary> _labels = [];
    private ImageBoxes? _image;
    private long? _currentLabel;
    private bool _hidden;
    private string? _loadError;
    private string? _conflict;
    private string? _saveError;
    private string? _newLabel;
    private Task _saving = Task.CompletedTask;
    private bool _savingNow;
    private ElementReference _canvas;
    private IJSObjectReference? _module;
    private IJSObjectReference? _view;
    private DotNetObjectReference<BoxLabelingPage>? _self;
    private long _shownImage;
    private Task? _creating;
    private IDisposable? _subscription;
    private VisionConsole.Web.Components.Pages.Datasets.PresenceSession? _presence;
    private string? _changedElsewhere;
    private long? _loadedDataset;

    [Inject] private IBoxLabeling Boxes { get; set; } = null!;
    [Inject] private IDatasetService Datasets { get; set; } = null!;
    [Inject] private ICurrentUser CurrentUser { get; set; } = null!;
    [Inject] private ISnackbar Snackbar { get; set; } = null!;
    [Inject] private IDialogService Dialogs { get; set; } = null!;
    [Inject] private NavigationManager Navigation { get; set; } = null!;
    [Inject] private IJSRuntime JS { get; set; } = null!;
    [Inject] private IDatasetChangeNotifier Changes { get; set; } = null!;
    [Inject] private VisionConsole.Web.Components.Pages.Datasets.CircuitPresence Presence { get; set; } = null!;

    [Parameter] public long DatasetId { get; set; }

    [Parameter] public long? ImageId { get; set; }

    /// <summary>The shown image's place in the dataset (oldest first).</summary>
    private int Position => _image is null ? -1 : IndexOf(_image.ImageId);

    private long? CurrentLabelId => _currentLabel ?? _labels.FirstOrDefault()?.Id;

    private string StateText => _editor.Boxes.Count > 0 ? $"{_editor.Boxes.Count} box{(_editor.Boxes.Count == 1 ? "" : "es")}"
        : _editor.NoObjects ? "No objects" : "Not labeled";

    private string SaveText => _saveError is not null ? $"Not saved: {_saveError}" : _editor.Dirty || _savingNow ? "Saving…" : "Saved";

    private IReadOnlyList<BreadcrumbItem> Breadcrumbs =>
    [
        new("Datasets", href: "datasets"),
        new(_dataset?.DisplayName ?? "…", href: $"datasets/{DatasetId}"),
        new("Label boxes", href: null, disabled: true),
    ];

    protected override void OnInitialized() =>
        // Someone else saving the shown image's boxes is said at once (this page's own next save would be refused anyway).
        _subscription = Changes.Subscribe(change =>
        {
            if (change.DatasetId == DatasetId && change.Kind == DatasetChangeKind.Boxes && _image is { } shown && change.Affects(shown.ImageId))
            {
                _ = InvokeAsync(() => CheckChangedElsewhereAsync(shown.ImageId));
            }
        });

    /// <summary>After a box change of <paramref name="imageId"/>: unless it is this page's own save, offers to reload.</summary>
    private async Task CheckChangedElsewhereAsync(long imageId)
    {
        if (_savingNow || _editor.ImageId != imageId)
        {
            // This page's own save (its result moves the base version on), or another image by now.
            return;
        }
        var stored = await Boxes.GetBoxesAsync(DatasetId, imageId);
        if (!_savingNow && _editor.ImageId == imageId && stored.Version > _editor.BaseVersion)
        {
            var when = stored.ChangedAt is { } at ? $" at {at.ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture)}" : "";
            _changedElsewhere = $"{stored.ChangedBy ?? "Someone"} saved this image's boxes{when}.";
            StateHasChanged();
        }
    }

    private async Task ReloadAsync()
    {
        await FlushAsync();
        if (_image is { } shown && _editor.ImageId == shown.ImageId)
        {
            _image = await Boxes.GetBoxesAsync(DatasetId, shown.ImageId);
            _editor.Load(_image);
            _changedElsewhere = null;
            await PushBoxesAsync();
        }
    }

    protected override async Task OnParametersSetAsync()
    {
        try
        {
            if (_loadedDataset != DatasetId)
            {
                _dataset = await Datasets.GetAsync(DatasetId);
                if (_dataset.Kind != DatasetKind.ObjectDetection)
                {
                    _loadError = $"Dataset '{_dataset.DisplayName}' is for classification: label its images on the dataset page, boxes are for object detection datasets.";
                    return;
                }
                _labels = await Datasets.ListLabelsAsync(DatasetId);
                _ids = await Datasets.QueryImageIdsAsync(DatasetId, new ImageQuery());
                _loadedDataset = DatasetId;
            }
            var target = ImageId is { } id && IndexOf(id) >= 0 ? id : _ids.FirstOrDefault();
            if (target != 0 && target != ImageId)
            {
                // The URL names the image, so a reload (or a link) opens this one.
                Navigation.NavigateTo($"datasets/{DatasetId}/boxes/{target}", replace: true);
                return;
            }
            if (target != 0 && target != _image?.ImageId)
            {
                await ShowImageAsync(target);
            }
        }
        catch (NotFoundException ex)
        {
            _loadError = ex.Message;
        }
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (_image is null || _loadError is not null)
        {
            return;
        }
        // Renders overlap while the script loads: create the one canvas controller once (two would draw every box twice).
        _creating ??= CreateViewAsync();
        await _creating;
        if (_view is not null && _shownImage != _image.ImageId)
        {
            _shownImage = _image.ImageId;
            await PushBoxesAsync();
            await _view.InvokeVoidAsync("load", $"api/blobs/{_image.Sha256}", _image.Width, _image.Height);
        }
    }

    private async Task CreateViewAsync()
    {
        _self = DotNetObjectReference.Create(this);
        _module = await JS.InvokeAsync<IJSObjectReference>("import", "./js/boxes.js");
        _view = await _module.InvokeAsync<IJSObjectReference>("create", _canvas, _self);
    }

    [JSInvokable]
    public async Task OnDrawn(BoxRect rect)
    {
        if (CurrentLabelId is not { } label)
        {
            Snackbar.Add("Add a label first (type its name next to the labels): every box needs one.", Severity.Warning);
            await PushBoxesAsync();
            return;
        }
        await ApplyAsync(_editor.Add(label, rect));
    }

    [JSInvokable]
    public Task OnRectChanged(int index, BoxRect rect) => ApplyAsync(_editor.SetRect(index, rect), always: true);

    [JSInvokable]
    public Task OnSelected(int index) => SelectAsync(index);

    [JSInvokable]
    public async Task OnKey(string key, bool shift, bool ctrl)
    {
        ArgumentNullException.ThrowIfNull(key);
        var step = shift ? 10 : 1;
        switch (key)
        {
            case "z" or "Z" when ctrl && shift:
            case "y" or "Y" when ctrl:
                await ApplyAsync(_editor.Redo());
                break;
            case "z" or "Z" when ctrl:
                await ApplyAsync(_editor.Undo());
                break;
            case "ArrowLeft" when _editor.Selected is not null:
                await ApplyAsync(_editor.Nudge(-step, 0));
                break;
            case "ArrowRight" when _editor.Selected is not null:
                await ApplyAsync(_editor.Nudge(step, 0));
                break;
            case "ArrowUp":
                await ApplyAsync(_editor.Nudge(0, -step));
                break;
            case "ArrowDown":
                await ApplyAsync(_editor.Nudge(0, step));
                break;
            case "ArrowLeft" or "d" or "D":
                await PreviousAsync();
                break;
            case "ArrowRight" or "f" or "F":
                await NextAsync();
                break;
            case "Delete" or "Backspace" when _editor.Selected is { } selected:
                await ApplyAsync(_editor.Delete(selected));
                break;
            case "Escape":
                await SelectAsync(-1);
                break;
            case "h" or "H":
                await ToggleHiddenAsync();
                break;
            case "c" or "C":
                await CopyPreviousAsync();
                break;
            case "n" or "N":
                await ToggleNoObjectsAsync();
                break;
            case "?":
                await ShowShortcutsAsync();
                break;
            case [>= '1' and <= '9'] when key[0] - '1' < _labels.Count:
                await ChooseLabelAsync(_labels[key[0] - '1'].Id);
                break;
        }
    }

    /// <summary>Relabels the selected box, or makes the label the one the next box gets.</summary>
    private async Task ChooseLabelAsync(long labelId)
    {
        _currentLabel = labelId;
        if (_editor.Selected is { } selected)
        {
            await ApplyAsync(_editor.Relabel(selected, labelId));
            return;
        }
        StateHasChanged();
    }

    private async Task SelectAsync(int index)
    {
        _editor.Select(index < 0 ? null : index);
        await PushBoxesAsync();
        StateHasChanged();
    }

    private async Task CopyPreviousAsync()
    {
        if (Position <= 0)
        {
            return;
        }
        var previous = await Boxes.GetBoxesAsync(DatasetId, _ids[Position - 1]);
        var copied = _editor.CopyFrom(previous.Boxes);
        Snackbar.Add(copied == 0 ? $"'{previous.FileName}' has no boxes this image lacks." : $"Copied {copied} box{(copied == 1 ? "" : "es")} from '{previous.FileName}'.", Severity.Info);
        await ApplyAsync(copied > 0);
    }

    private Task ToggleNoObjectsAsync() => ApplyAsync(_editor.SetNoObjects(!_editor.NoObjects));

    private async Task ToggleHiddenAsync()
    {
        _hidden = !_hidden;
        await PushBoxesAsync();
        StateHasChanged();
    }

    private async Task ShowShortcutsAsync() =>
        await Dialogs.ShowAsync<BoxShortcutsDialog>("Keyboard shortcuts", new DialogOptions { CloseOnEscapeKey = true, MaxWidth = MaxWidth.Small });

    private Task PreviousAsync() => Position > 0 ? GoToAsync(_ids[Position - 1]) : Task.CompletedTask;

    private Task NextAsync() => Position >= 0 && Position < _ids.Count - 1 ? GoToAsync(_ids[Position + 1]) : Task.CompletedTask;

    /// <summary>Moves to another image once this one's edits are saved; an edit that could not be saved keeps the page here.</summary>
    private async Task GoToAsync(long imageId)
    {
        await FlushAsync();
        if (_editor.Dirty)
        {
            Snackbar.Add($"This image's last edit is not saved ({_saveError ?? "still saving"}); staying here so it is not lost.", Severity.Error);
            return;
        }
        Navigation.NavigateTo($"datasets/{DatasetId}/boxes/{imageId}");
    }

    private async Task ShowImageAsync(long imageId)
    {
        await FlushAsync();
        _image = await Boxes.GetBoxesAsync(DatasetId, imageId);
        _editor.Load(_image);
        if (_presence is null)
        {
            _presence = Presence.Open(CurrentUser.Name, DatasetId, imageId, () => _ = InvokeAsync(StateHasChanged));
        }
        else
        {
            _presence.MoveTo(DatasetId, imageId);
        }
        _saveError = null;
        _conflict = null;
        _changedElsewhere = null;
    }

    /// <summary>After an edit: sends the boxes to the canvas and saves (when <paramref name="changed"/>; a refused gesture still redraws).</summary>
    private async Task ApplyAsync(bool changed, bool always = false)
    {
        if (changed || always)
        {
            await PushBoxesAsync();
        }
        if (changed)
        {
            if (_saving.IsCompleted)
            {
                _saving = SaveLoopAsync();
            }
        }
        StateHasChanged();
    }

    private async Task FlushAsync()
    {
        if (_editor.Dirty && _saving.IsCompleted)
        {
            _saving = SaveLoopAsync();
        }
        await _saving;
    }

    /// <summary>Saves until the stored boxes are the editor's (edits made during a save go in the next one).</summary>
    private async Task SaveLoopAsync()
    {
        _savingNow = true;
        try
        {
            while (_editor.Dirty)
            {
                var revision = _editor.Revision;
                var imageId = _editor.ImageId;
                try
                {
                    var stored = await Boxes.SaveBoxesAsync(DatasetId, imageId, _editor.BaseVersion, _editor.ToEdits(), _editor.NoObjects, CurrentUser.Name);
                    _editor.Saved(revision, stored);
                    _image = stored;
                    _saveError = null;
                }
                catch (ImageChangedException ex)
                {
                    var fresh = await Boxes.GetBoxesAsync(DatasetId, imageId);
                    _editor.Load(fresh);
                    _image = fresh;
                    var who = ex.ChangedBy is null ? "someone else" : ex.ChangedBy;
                    var when = ex.ChangedAt is { } at ? $" at {at.ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture)}" : "";
                    _changedElsewhere = null;
                    _conflict = $"{who} saved this image's boxes{when} before your edit was saved: the boxes were reloaded as they saved them; make your edit again.";
                    Snackbar.Add(_conflict, Severity.Warning);
                    await PushBoxesAsync();
                }
                catch (DomainException ex)
                {
                    // Kept as edited: the next edit (or moving on) tries again; nothing is thrown away.
                    _saveError = ex.Message;
                    Snackbar.Add($"Could not save the boxes: {ex.Message}", Severity.Error);
                    break;
                }
            }
        }
        finally
        {
            _savingNow = false;
            StateHasChanged();
        }
    }

    private async Task PushBoxesAsync()
    {
        if (_view is null)
        {
            return;
        }
        var boxes = _editor.Boxes.Select(b => new
        {
            left = b.Rect.Left,
            top = b.Rect.Top,
            width = b.Rect.Width,
            height = b.Rect.Height,
            label = LabelName(b.LabelId),
            color = Palette.Color(LabelIndex(b.LabelId)),
        }).ToList();
        try
        {
            await _view.InvokeVoidAsync("setBoxes", boxes, _editor.Selected ?? -1, _hidden);
        }
        catch (JSDisconnectedException)
        {
            // The tab is gone; the boxes are saved from the server side regardless.
        }
    }

    private async Task AddLabelAsync()
    {
        if (string.IsNullOrWhiteSpace(_newLabel))
        {
            return;
        }
        try
        {
            var label = await Datasets.AddLabelAsync(DatasetId, _newLabel.Trim(), CurrentUser.Name);
            _labels = await Datasets.ListLabelsAsync(DatasetId);
            _currentLabel = label.Id;
            _newLabel = null;
        }
        catch (DomainException ex)
        {
            Snackbar.Add(ex.Message, Severity.Error);
        }
    }

    private async Task NewLabelKeyAsync(KeyboardEventArgs e)
    {
        if (e.Key == "Enter")
        {
            await AddLabelAsync();
        }
    }

    private int IndexOf(long imageId)
    {
        for (var i = 0; i < _ids.Count; i++)
        {
            if (_ids[i] == imageId)
            {
                return i;
            }
        }
        return -1;
    }

    private int LabelIndex(long labelId)
    {
        for (var i = 0; i < _labels.Count; i++)
        {
            if (_labels[i].Id == labelId)
            {
                return i;
            }
        }
        return -1;
    }

    private string LabelName(long labelId) => _labels.FirstOrDefault(l => l.Id == labelId)?.Name ?? $"label {labelId}";

    /// <summary>The box in full-resolution pixels, as <c>x,y,w,h</c> (what the list shows and tests read).</summary>
    private string Pixels(EditorBox box) => string.Create(CultureInfo.InvariantCulture,
        $"{Px(box.Rect.Left * _editor.Width)},{Px(box.Rect.Top * _editor.Height)},{Px(box.Rect.Width * _editor.Width)},{Px(box.Rect.Height * _editor.Height)}");

    // Halves round up, so a 1 px nudge always shows as 1 px.
    private static double Px(double value) => Math.Round(value, MidpointRounding.AwayFromZero);

    public async ValueTask DisposeAsync()
    {
        _subscription?.Dispose();
        _presence?.Dispose();
        try
        {
            // Moving away from the page never drops the last edit.
            await FlushAsync();
        }
        catch (DomainException)
        {
            // Reported on the page already.
        }
        try
        {
            if (_view is not null)
            {
                await _view.InvokeVoidAsync("dispose");
                await _view.DisposeAsync();
            }
            if (_module is not null)
            {
                await _module.DisposeAsync();
            }
        }
        catch (JSDisconnectedException)
        {
            // The circuit is gone, and the script with it.
        }
        _self?.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>One colour per label (by its place in the label list), told apart on photos.</summary>
internal static class Palette
{
    private static readonly string[] Colors = ["#00e676", "#ff9100", "#2979ff", "#f50057", "#ffea00", "#00e5ff", "#d500f9", "#76ff03", "#ff3d00"];

    public static string Color(int index) => index < 0 ? "#9e9e9e" : Colors[index % Colors.Length];
}
