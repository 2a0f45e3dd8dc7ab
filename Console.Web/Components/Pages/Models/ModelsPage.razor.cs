using Microsoft.AspNetCore.Components;
using MudBlazor;
using VisionConsole.Domain;
using VisionConsole.Domain.Models;

namespace VisionConsole.Web.Components.Pages.Models;

/// <summary>The models list: a grid that pages and sorts in the database, with each model's headline figures.</summary>
public partial class ModelsPage
{
    private string? _error;

    [Inject] private IModelService Models { get; set; } = null!;
    [Inject] private CircuitUser Access { get; set; } = null!;

    /// <summary>A model with its latest evaluation's headline figures (null without an evaluation).</summary>
    public sealed record ModelRow(ModelSummary Model, double? Top1, double? AveragePrecision);

    /// <summary>The grid's request as a domain query: the sorted column's title names the field.</summary>
    internal static ModelListQuery ToQuery(GridState<ModelRow> state, string project = VisionConsole.Domain.Projects.Project.DefaultName)
    {
        var sort = state.SortDefinitions.FirstOrDefault();
        var field = sort?.SortBy is "Name" or nameof(ModelSummary.DisplayName) ? ModelSortField.Name : ModelSortField.Created;
        return new ModelListQuery(field, sort?.Descending ?? true, state.Page * state.PageSize, state.PageSize, project);
    }

    private async Task<GridData<ModelRow>> LoadPageAsync(GridState<ModelRow> state, CancellationToken cancellationToken)
    {
        try
        {
            var page = await Models.ListPageAsync(ToQuery(state, Access.Project), cancellationToken);
            var rows = new List<ModelRow>();
            foreach (var model in page.Items)
            {
                if (model.Kind == VisionConsole.Domain.Datasets.DatasetKind.ObjectDetection)
                {
                    // A detector's AP column is its mAP at IoU 0.5; it has no top-1 accuracy.
                    rows.Add(new ModelRow(model, null, await TryDetectorMapAsync(model.Id, cancellationToken)));
                    continue;
                }
                var report = await TryReportAsync(model.Id, cancellationToken);
                rows.Add(new ModelRow(model, report?.Top1Accuracy, report?.MicroAveragePrecision));
            }
            return new GridData<ModelRow> { Items = rows, TotalItems = page.Total };
        }
        catch (DomainException e)
        {
            _error = e.Message;
            return new GridData<ModelRow> { Items = [], TotalItems = 0 };
        }
    }

    private async Task<VisionConsole.Domain.Metrics.EvaluationReport?> TryReportAsync(long modelId, CancellationToken cancellationToken)
    {
        try
        {
            return (await Models.GetEvaluationAsync(modelId, cancellationToken: cancellationToken)).Report;
        }
        catch (NotFoundException)
        {
            return null;
        }
    }

    private async Task<double?> TryDetectorMapAsync(long modelId, CancellationToken cancellationToken)
    {
        try
        {
            return (await Models.GetDetectionEvaluationAsync(modelId, cancellationToken: cancellationToken)).Report.MeanAveragePrecision.Iou50;
        }
        catch (NotFoundException)
        {
            return null;
        }
    }

    /// <summary>Rows carry their model's id as a class (the grid has no row attributes): <c>model-7</c>.</summary>
    private static string RowClass(ModelRow row, int index) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"model-row model-{row.Model.Id}");
}
