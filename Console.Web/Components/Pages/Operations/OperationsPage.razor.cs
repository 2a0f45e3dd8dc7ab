using Microsoft.AspNetCore.Components;
using MudBlazor;
using VisionConsole.Domain;
using VisionConsole.Domain.Accounts;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Operations;
using VisionConsole.Domain.Training;
using VisionConsole.Web.Components.Shared;

namespace VisionConsole.Web.Components.Pages.Operations;

/// <summary>Every operation in a grid that pages and sorts in the database; live updates reload the page on screen.</summary>
public partial class OperationsPage
{
    private static readonly TimeSpan RefreshEvery = TimeSpan.FromMilliseconds(500);

    private MudDataGrid<OperationSummary>? _grid;
    private string _filter = "all";
    private string? _error;
    private IReadOnlyDictionary<long, string> _datasetNames = new Dictionary<long, string>();
    private IDisposable? _subscription;
    private int _refreshPending;

    [Inject] private IOperationService Operations { get; set; } = null!;
    [Inject] private IDatasetService Datasets { get; set; } = null!;
    [Inject] private IOperationNotifier Notifier { get; set; } = null!;
    [Inject] private IDialogService Dialogs { get; set; } = null!;
    [Inject] private ISnackbar Snackbar { get; set; } = null!;
    [Inject] private ICurrentUser CurrentUser { get; set; } = null!;
    [Inject] private CircuitUser Access { get; set; } = null!;

    /// <summary>The grid's request as a domain query: filter, sorted column, page.</summary>
    internal static OperationQuery ToQuery(GridState<OperationSummary> state, string filter, string project = VisionConsole.Domain.Projects.Project.DefaultName)
    {
        ArgumentNullException.ThrowIfNull(state);
        var sort = state.SortDefinitions.FirstOrDefault();
        var field = sort?.SortBy switch
        {
            nameof(OperationSummary.Kind) => OperationSortField.Kind,
            nameof(OperationSummary.State) => OperationSortField.State,
            _ => OperationSortField.Created,
        };
        bool? done = filter switch { "running" => false, "done" => true, _ => null };
        return new OperationQuery(done, Take: state.PageSize, Skip: state.Page * state.PageSize, SortBy: field, Descending: sort?.Descending ?? true, Project: project);
    }

    protected override void OnAfterRender(bool firstRender)
    {
        if (firstRender)
        {
            _subscription = Notifier.Subscribe(OnUpdate);
        }
    }

    private async Task<GridData<OperationSummary>> LoadPageAsync(GridState<OperationSummary> state, CancellationToken cancellationToken)
    {
        try
        {
            var page = await Operations.ListPageAsync(ToQuery(state, _filter, Access.Project), cancellationToken);
            if (page.Items.Any(o => o.DatasetId is { } id && !_datasetNames.ContainsKey(id)))
            {
                _datasetNames = (await Datasets.ListAsync(Access.Project, cancellationToken)).ToDictionary(d => d.Id, d => d.DisplayName);
            }
            return new GridData<OperationSummary> { Items = page.Items, TotalItems = page.Total };
        }
        catch (DomainException e)
        {
            _error = e.Message;
            return new GridData<OperationSummary> { Items = [], TotalItems = 0 };
        }
    }

    private string? DatasetName(long? datasetId) => datasetId is { } id ? _datasetNames.GetValueOrDefault(id) : null;

    /// <summary>Rows carry their operation's id as a class (the grid has no row attributes): <c>operation-12</c>.</summary>
    private static string RowClass(OperationSummary operation, int index) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"operation-row operation-{operation.Id}");

    private async Task FilterAsync(string filter)
    {
        _filter = filter ?? "all";
        if (_grid is not null)
        {
            await _grid.ReloadServerData();
        }
    }

    /// <summary>Any operation changed: reload the page on screen, at most every <see cref="RefreshEvery"/>.</summary>
    private void OnUpdate(OperationUpdate update)
    {
        if (Interlocked.Exchange(ref _refreshPending, 1) == 0)
        {
            _ = InvokeAsync(async () =>
            {
                await Task.Delay(RefreshEvery);
                Interlocked.Exchange(ref _refreshPending, 0);
                if (_grid is not null)
                {
                    await _grid.ReloadServerData();
                }
            });
        }
    }

    private async Task CancelAsync(OperationSummary operation)
    {
        Access.Require(ProjectPermission.Edit);
        var confirmed = await ConfirmActionDialog.AskAsync(Dialogs, "Cancel operation",
            $"Stop {operation.Title(DatasetName(operation.DatasetId))}? Work done so far is discarded.", "Stop it",
            () => Operations.CancelAsync(operation.Id, CurrentUser.Name));
        if (confirmed)
        {
            Snackbar.Add($"Asked {operation.Title(DatasetName(operation.DatasetId))} to stop.", Severity.Info);
            if (_grid is not null)
            {
                await _grid.ReloadServerData();
            }
        }
    }

    public void Dispose() => _subscription?.Dispose();
}
