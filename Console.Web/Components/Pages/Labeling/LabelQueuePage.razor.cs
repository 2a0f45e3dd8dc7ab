using Microsoft.AspNetCore.Components;
using MudBlazor;
using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;

namespace VisionConsole.Web.Components.Pages.Labeling;

/// <summary>
/// One image at a time from the dataset's labeling queue, held for this labeler while the page is open (renewed every
/// minute, given back on leaving or skipping): a label click saves it with the version shown and takes the next.
/// </summary>
public partial class LabelQueuePage
{
    private static readonly TimeSpan RenewEvery = TimeSpan.FromMinutes(1);

    private DatasetSummary? _dataset;
    private IReadOnlyList<LabelSummary> _labels = [];
    private readonly HashSet<long> _chosen = [];
    private QueueItem? _item;
    private string? _error;
    private ITimer? _renewal;
    private VisionConsole.Web.Components.Pages.Datasets.PresenceSession? _presence;

    [Inject] private LabelingQueue Queue { get; set; } = null!;
    [Inject] private IDatasetService Datasets { get; set; } = null!;
    [Inject] private ICurrentUser CurrentUser { get; set; } = null!;
    [Inject] private TimeProvider Time { get; set; } = null!;
    [Inject] private VisionConsole.Web.Components.Pages.Datasets.CircuitPresence Presence { get; set; } = null!;

    [Parameter] public long DatasetId { get; set; }

    private IReadOnlyList<BreadcrumbItem> Breadcrumbs =>
    [
        new("Datasets", href: "datasets"),
        new(_dataset?.DisplayName ?? "…", href: $"datasets/{DatasetId}"),
        new("Labeling queue", href: null, disabled: true),
    ];

    protected override async Task OnInitializedAsync()
    {
        try
        {
            _dataset = await Datasets.GetAsync(DatasetId);
            _labels = await Datasets.ListLabelsAsync(DatasetId);
            _item = await Queue.NextAsync(DatasetId, CurrentUser.Name);
            _presence = Presence.Open(CurrentUser.Name, DatasetId, _item?.ImageId, () => _ = InvokeAsync(StateHasChanged));
        }
        catch (DomainException e)
        {
            _error = e.Message;
        }
        _renewal = Time.CreateTimer(_ => _ = InvokeAsync(RenewAsync), null, RenewEvery, RenewEvery);
    }

    private async Task RenewAsync()
    {
        if (_item is not { } item)
        {
            return;
        }
        try
        {
            await Queue.RenewAsync(DatasetId, item.ImageId, CurrentUser.Name);
        }
        catch (DomainException e)
        {
            _error = e.Message;
            _item = null;
            StateHasChanged();
        }
    }

    private bool MultiLabel => _dataset?.Kind == DatasetKind.MultiLabel;

    // Single-label: a click saves and moves on. Multi-label: clicks choose, "Save and next" makes them the image's labels.
    private async Task ClickLabelAsync(LabelSummary label)
    {
        if (MultiLabel)
        {
            _ = _chosen.Remove(label.Id) || _chosen.Add(label.Id);
            return;
        }
        await SaveAsync([label.Id]);
    }

    private async Task SaveAsync(IReadOnlyCollection<long> labelIds)
    {
        if (_item is not { } item || labelIds.Count == 0)
        {
            return;
        }
        try
        {
            // The others come off: a rejected image's wrong label goes, and the image ends with exactly the chosen ones.
            var others = _labels.Select(l => l.Id).Where(id => !labelIds.Contains(id)).ToList();
            await Datasets.ChangeLabelsAsync(DatasetId, new LabelChange([item.ImageId], [.. labelIds], others, new Dictionary<long, long> { [item.ImageId] = item.Version }), CurrentUser.Name);
            _error = null;
        }
        catch (DomainException e)
        {
            _error = e.Message;
            return;
        }
        await NextAsync(skipping: null);
    }

    private async Task NextAsync(long? skipping)
    {
        try
        {
            _chosen.Clear();
            _item = await Queue.NextAsync(DatasetId, CurrentUser.Name, skipping);
            _presence?.MoveTo(DatasetId, _item?.ImageId);
        }
        catch (DomainException e)
        {
            _error = e.Message;
        }
    }

    private Task SkipAsync() => NextAsync(skipping: _item?.ImageId);

    public async ValueTask DisposeAsync()
    {
        if (_renewal is not null)
        {
            await _renewal.DisposeAsync();
        }
        _presence?.Dispose();
        // Leaving the page gives the image back at once instead of when its hold lapses.
        if (_item is { } item)
        {
            await Queue.ReleaseAsync(DatasetId, item.ImageId, CurrentUser.Name);
        }
    }
}
