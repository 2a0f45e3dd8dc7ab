using Bunit;
using Microsoft.Extensions.DependencyInjection;
using VisionConsole.Domain.Datasets;
using VisionConsole.Web.Components.Pages.Datasets;
using VisionConsole.Web.Components.Pages.Models;
using VisionConsole.Web.Components.Pages.Operations;
using VisionConsole.Web.Components.Shared;

namespace VisionConsole.Tests.Web.Components;

public sealed class DatasetListTests
{
    [Fact]
    public async Task Render_TwoDatasets_GridRowsShowNameKindCountsAndCreated()
    {
        var service = new InMemoryDatasetService();
        service.AddDataset("Ants and bees", DatasetKind.SingleLabel, [InMemoryDatasetService.Image(1, DataSplit.Train, "ants"), InMemoryDatasetService.Image(2, DataSplit.Train, "bees")]);
        service.AddDataset("Raccoons", DatasetKind.ObjectDetection);
        await using var context = new ConsoleTestContext(service);

        var cut = context.Render<DatasetList>();

        var rows = cut.WaitForElements(".dataset-table tbody tr", 2);
        var cells = rows[1].QuerySelectorAll("td").Select(c => c.Text()).ToList();
        Assert.Equal("Ants and bees", cells[0]);
        Assert.Equal("Single-label classification", cells[1]);
        Assert.Equal(["2", "2"], cells[2..4]);
        Assert.EndsWith("by tester", cells[4], StringComparison.Ordinal);
        Assert.Equal("datasets/1", rows[1].QuerySelector("a")!.GetAttribute("href"));
        Assert.Equal("Object detection", rows[0].QuerySelectorAll("td")[1].Text());
        // The grid asked the service for one sorted page, newest first.
        Assert.Equal(new DatasetListQuery(DatasetSortField.Created, true, 0, 25, "default"), service.ListQueries.Last());
    }

    [Fact]
    public async Task ClickSortHeader_Images_AsksTheServiceForThatOrder()
    {
        var service = new InMemoryDatasetService();
        service.AddDataset("small", images: [InMemoryDatasetService.Image(1)]);
        service.AddDataset("big", images: [InMemoryDatasetService.Image(2), InMemoryDatasetService.Image(3)]);
        await using var context = new ConsoleTestContext(service);
        var cut = context.Render<DatasetList>();
        cut.WaitForElements(".dataset-table tbody tr", 2);

        cut.FindAll(".sortable-column-header").Single(h => h.Text() == "Images").Click();

        cut.WaitForAssertion(() => Assert.Equal(DatasetSortField.Images, service.ListQueries.Last().SortBy));
        cut.WaitForAssertion(() => Assert.Equal(["small", "big"], cut.FindAll(".dataset-table tbody tr .dataset-link").Select(a => a.Text())));
    }

    [Fact]
    public async Task Render_NoDatasets_ShowsEmptyStateWithCreateAction()
    {
        await using var context = new ConsoleTestContext(new InMemoryDatasetService());

        var cut = context.Render<DatasetList>();

        cut.WaitForAssertion(() => Assert.Equal("No datasets yet", cut.Find(".empty-state h2").Text()));
        Assert.Contains("Create dataset", cut.Find(".empty-state button").Text(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_ConfirmInTheDialog_DatasetGoneAndGridReloaded()
    {
        var service = new InMemoryDatasetService();
        service.AddDataset("Raccoons", DatasetKind.ObjectDetection, [InMemoryDatasetService.Image(1)]);
        await using var context = new ConsoleTestContext(service);
        var providers = context.RenderProviders();
        var cut = context.Render<DatasetList>();
        cut.WaitForElement("[data-test=delete-dataset]").Click();

        var message = providers.WaitForElement("[data-test=confirm-message]");
        Assert.Equal("Delete the dataset Raccoons with its 1 images and 0 labels? This cannot be undone.", message.Text());
        providers.Find("[data-test=confirm]").Click();

        cut.WaitForAssertion(() => Assert.Equal("No datasets yet", cut.Find(".empty-state h2").Text()));
        Assert.Empty(await service.ListAsync());
        providers.WaitForAssertion(() => Assert.Empty(providers.FindAll("[data-test=confirm-message]")));
    }

    [Fact]
    public async Task Create_SubmitEmptyThenNamed_ValidationMessagesThenDatasetCreated()
    {
        var service = new InMemoryDatasetService();
        await using var context = new ConsoleTestContext(service);
        var providers = context.RenderProviders();
        var cut = context.Render<DatasetList>();

        cut.Find("[data-test=create-dataset]").Click();
        // bUnit runs no browser default actions: the submit button (form="...") stands for a form submit.
        Assert.Equal(providers.WaitForElement("form").Id, providers.Find("[data-test=create-dataset-submit]").GetAttribute("form"));
        providers.Find("form").Submit();
        providers.WaitForAssertion(() => Assert.Contains("Give the dataset a name.", providers.Markup, StringComparison.Ordinal));
        Assert.Contains("Choose what the dataset is labeled for.", providers.Markup, StringComparison.Ordinal);
        providers.Find("#dataset-name").Input("Wasps");
        providers.Find("#kind-MultiLabel").Click();
        providers.Find("form").Submit();

        providers.WaitForAssertion(() => Assert.Equal("Wasps", Assert.Single(service.ListAsync().Result).DisplayName));
        Assert.Equal(DatasetKind.MultiLabel, (await service.ListAsync())[0].Kind);
        Assert.EndsWith("datasets/1", context.Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>().Uri, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfirmActionDialog_Confirm_RunsTheActionAndCloses()
    {
        await using var context = new ConsoleTestContext();
        var providers = context.RenderProviders();
        var dialogs = context.Services.GetRequiredService<MudBlazor.IDialogService>();
        var ran = 0;

        var asked = providers.InvokeAsync(() => ConfirmActionDialog.AskAsync(dialogs, "Delete dataset", "Delete the dataset Raccoons?", "Delete", () => { ran++; return Task.CompletedTask; }));
        providers.WaitForAssertion(() => Assert.Equal("Delete the dataset Raccoons?", providers.Find("[data-test=confirm-message]").Text()));
        Assert.Equal(("Cancel", "Delete"), (providers.Find("[data-test=confirm-cancel]").Text(), providers.Find("[data-test=confirm]").Text()));
        providers.Find("[data-test=confirm]").Click();

        Assert.True(await asked);
        Assert.Equal(1, ran);
        providers.WaitForAssertion(() => Assert.Empty(providers.FindAll("[data-test=confirm-dialog]")));
    }

    [Fact]
    public async Task ConfirmActionDialog_ActionRefused_KeepsTheDialogOpenWithTheReason()
    {
        await using var context = new ConsoleTestContext();
        var providers = context.RenderProviders();
        var dialogs = context.Services.GetRequiredService<MudBlazor.IDialogService>();

        var result = providers.InvokeAsync(() => ConfirmActionDialog.AskAsync(dialogs, "Delete label", "Delete wasps?", "Delete",
            () => throw new VisionConsole.Domain.DomainException("invalid-label", "Label 'wasps' is in use by a running training.")));
        providers.WaitForAssertion(() => providers.Find("[data-test=confirm]"));
        providers.Find("[data-test=confirm]").Click();

        providers.WaitForAssertion(() => Assert.Equal("Label 'wasps' is in use by a running training.", providers.Find("[data-test=confirm-error]").Text()));
        providers.Find("[data-test=confirm-cancel]").Click();
        Assert.False(await result);
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
