using Bunit;
using VisionConsole.Domain.Datasets;
using VisionConsole.Web.Components.Pages.Datasets;
using VisionConsole.Web.Components.Pages.Models;
using VisionConsole.Web.Components.Pages.Operations;
using VisionConsole.Web.Components.Ui;

namespace VisionConsole.Tests.Web.Components;

public sealed class DatasetListTests
{
    [Fact]
    public async Task Render_TwoDatasets_TableRowsShowNameKindCountsAndCreated()
    {
        var service = new InMemoryDatasetService();
        service.AddDataset("Ants and bees", DatasetKind.SingleLabel, [InMemoryDatasetService.Image(1, DataSplit.Train, "ants"), InMemoryDatasetService.Image(2, DataSplit.Train, "bees")]);
        service.AddDataset("Raccoons", DatasetKind.ObjectDetection);
        await using var harness = new ConsoleTestContext(service);

        var document = await harness.RenderAsync<DatasetList>();

        var rows = document.QuerySelectorAll(".dataset-table tbody tr");
        Assert.Equal(2, rows.Length);
        var cells = rows[0].QuerySelectorAll("td").Select(c => c.Text()).ToList();
        Assert.Equal("Ants and bees", cells[0]);
        Assert.Equal("Single-label classification", cells[1]);
        Assert.Equal("2", cells[2]);
        Assert.Equal("2", cells[3]);
        Assert.EndsWith("by tester", cells[4], StringComparison.Ordinal);
        Assert.Equal("datasets/1", rows[0].QuerySelector("a")!.GetAttribute("href"));
        Assert.Equal("Object detection", rows[1].QuerySelectorAll("td")[1].Text());
        Assert.Null(document.QuerySelector(".modal"));
    }

    [Fact]
    public async Task Render_NoDatasets_ShowsEmptyStateWithCreateAction()
    {
        await using var harness = new ConsoleTestContext(new InMemoryDatasetService());

        var document = await harness.RenderAsync<DatasetList>();

        Assert.Null(document.QuerySelector(".dataset-table"));
        var empty = document.QuerySelector(".empty-state")!;
        Assert.Equal("No datasets yet", empty.QuerySelector("h2")!.Text());
        Assert.Equal("Create dataset", empty.QuerySelector("button")!.Text());
    }

    [Fact]
    public async Task ConfirmDialog_Visible_ShowsMessageAndBothButtons()
    {
        await using var harness = new ConsoleTestContext();
        Microsoft.AspNetCore.Components.RenderFragment message = b => b.AddContent(0, "Delete the dataset Raccoons?");

        var document = await harness.RenderAsync<ConfirmDialog>(new Dictionary<string, object?>
        {
            [nameof(ConfirmDialog.Visible)] = true,
            [nameof(ConfirmDialog.Title)] = "Delete dataset",
            [nameof(ConfirmDialog.ConfirmText)] = "Delete",
            [nameof(ConfirmDialog.ChildContent)] = message,
        });

        Assert.Equal("Delete dataset", document.QuerySelector(".modal-title")!.Text());
        Assert.Equal("Delete the dataset Raccoons?", document.QuerySelector(".modal-body")!.Text());
        Assert.Equal(["Cancel", "Delete"], document.QuerySelectorAll(".modal-footer button").Select(b => b.Text()));
    }

    [Fact]
    public async Task ConfirmDialog_Hidden_RendersNothing()
    {
        await using var harness = new ConsoleTestContext();

        var document = await harness.RenderAsync<ConfirmDialog>(new Dictionary<string, object?> { [nameof(ConfirmDialog.Visible)] = false });

        Assert.Null(document.QuerySelector(".modal"));
    }

    [Fact]
    public async Task Render_ModelsAndOperationsWithoutData_ShowEmptyStatesPointingToTrain()
    {
        await using var harness = new ConsoleTestContext(configure: new FakeTrainingServices().Register);

        var models = await harness.RenderAsync<ModelsPage>();
        var operations = await harness.RenderAsync<OperationsPage>();

        models.WaitForAssertion(() => Assert.StartsWith("No models yet.", models.Find("[data-test=no-models]").Text(), StringComparison.Ordinal));
        operations.WaitForAssertion(() => Assert.StartsWith("No operations yet.", operations.Find("[data-test=no-operations]").Text(), StringComparison.Ordinal));
        Assert.Contains("with Train", operations.Find("[data-test=no-operations]").Text(), StringComparison.Ordinal);
        Assert.Contains("with Train", models.Find("[data-test=no-models]").Text(), StringComparison.Ordinal);
        Assert.Empty(models.FindAll("tr.model-row"));
    }
}
