using Microsoft.AspNetCore.Components;
using MudBlazor;
using VisionConsole.Domain;
using VisionConsole.Domain.Accounts;
using VisionConsole.Domain.Datasets;
using VisionConsole.Web.Components.Shared;

namespace VisionConsole.Web.Components.Pages.Datasets;

/// <summary>The datasets list: a data grid that pages and sorts in the database, create and delete through dialogs.</summary>
public partial class DatasetList
{
    private MudDataGrid<DatasetSummary>? _grid;
    private string? _loadError;
    private bool _empty;

    /// <summary>The grid's request as a domain query: the sorted column's tag names the field.</summary>
    internal static DatasetListQuery ToQuery(GridState<DatasetSummary> state, string project = VisionConsole.Domain.Projects.Project.DefaultName)
    {
        var sort = state.SortDefinitions.FirstOrDefault();
        var field = sort is null ? DatasetSortField.Created : SortFieldOf(sort.SortBy);
        return new DatasetListQuery(field, sort?.Descending ?? true, state.Page * state.PageSize, state.PageSize, project);
    }

    private static DatasetSortField SortFieldOf(string column) => column switch
    {
        "Name" or nameof(DatasetSummary.DisplayName) => DatasetSortField.Name,
        "Kind" or nameof(DatasetSummary.Kind) => DatasetSortField.Kind,
        "Images" or nameof(DatasetSummary.ImageCount) => DatasetSortField.Images,
        "Labels" or nameof(DatasetSummary.LabelCount) => DatasetSortField.Labels,
        _ => DatasetSortField.Created,
    };

    private async Task<GridData<DatasetSummary>> LoadPageAsync(GridState<DatasetSummary> state, CancellationToken cancellationToken)
    {
        try
        {
            var page = await Datasets.ListPageAsync(ToQuery(state, Access.Project), cancellationToken);
            _loadError = null;
            SetEmpty(page.Total == 0);
            return new GridData<DatasetSummary> { Items = page.Items, TotalItems = page.Total };
        }
        catch (DomainException e)
        {
            _loadError = e.Message;
            return new GridData<DatasetSummary> { Items = [], TotalItems = 0 };
        }
    }

    private void SetEmpty(bool empty)
    {
        if (_empty != empty)
        {
            _empty = empty;
            StateHasChanged();
        }
    }

    private async Task CreateAsync()
    {
        Access.Require(ProjectPermission.Edit);
        var dialog = await Dialogs.ShowAsync<CreateDatasetDialog>("Create dataset", new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true });
        if (await dialog.Result is { Canceled: false, Data: DatasetSummary dataset })
        {
            Snackbar.Add($"Created dataset “{dataset.DisplayName}”.", Severity.Success);
            Navigation.NavigateTo($"datasets/{dataset.Id}");
        }
    }

    private async Task DeleteAsync(DatasetSummary dataset)
    {
        Access.Require(ProjectPermission.Edit);
        var confirmed = await ConfirmActionDialog.AskAsync(Dialogs, "Delete dataset",
            $"Delete the dataset {dataset.DisplayName} with its {dataset.ImageCount:N0} images and {dataset.LabelCount:N0} labels? This cannot be undone.",
            "Delete", () => Datasets.DeleteAsync(dataset.Id, CurrentUser.Name));
        if (confirmed)
        {
            Snackbar.Add($"Deleted dataset “{dataset.DisplayName}”.", Severity.Success);
            if (_grid is not null)
            {
                await _grid.ReloadServerData();
            }
        }
    }
}
