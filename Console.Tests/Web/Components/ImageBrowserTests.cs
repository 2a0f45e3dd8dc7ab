using Bunit;
using Microsoft.AspNetCore.Components.Web;
using MudBlazor;
using VisionConsole.Domain.Datasets;
using VisionConsole.Web.Components.Pages.Datasets;

namespace VisionConsole.Tests.Web.Components;

public sealed class ImageBrowserTests
{
    private static async Task<(InMemoryDatasetService Service, DatasetSummary Dataset)> SeedAsync(int count, Func<int, ImageSummary>? image = null)
    {
        var service = new InMemoryDatasetService();
        var dataset = service.AddDataset("insects", images: Enumerable.Range(1, count).Select(i => image?.Invoke(i) ?? InMemoryDatasetService.Image(i, DataSplit.Train, i % 2 == 0 ? "bees" : "ants")));
        await Task.CompletedTask;
        return (service, dataset);
    }

    private static IRenderedComponent<ImageBrowser> RenderBrowser(ConsoleTestContext context, InMemoryDatasetService service, DatasetSummary dataset, ImageFilter? filter = null, List<ImageFilter>? urls = null, int pageSize = 100) =>
        context.Render<ImageBrowser>(p => p
            .Add(x => x.DatasetId, dataset.Id)
            .Add(x => x.Labels, service.ListLabelsAsync(dataset.Id).Result)
            .Add(x => x.Kind, dataset.Kind)
            .Add(x => x.PageSize, pageSize)
            .Add(x => x.Filter, filter ?? new ImageFilter())
            .Add(x => x.FilterChanged, f => urls?.Add(f)));

    [Fact]
    public async Task Render_TenThousandImages_LoadsOnlyFirstPageAndPagerShowsCounts()
    {
        var (service, dataset) = await SeedAsync(10_000);
        await using var context = new ConsoleTestContext(service);

        var cut = RenderBrowser(context, service, dataset);

        var query = Assert.Single(service.Queries);
        Assert.Equal((0, 100), (query.Skip, query.Take));
        Assert.Equal(100, cut.FindAll(".image-tile").Count);
        Assert.Equal("photo-00001.jpg", cut.Find(".image-tile .image-tile-name").Text());
        Assert.All(cut.FindAll(".pager-summary"), s => Assert.Equal("1–100 of 10,000 images", s.Text()));
        Assert.Equal("100", cut.FindAll(".mud-pagination button[aria-label^='Page']").Last().Text());
    }

    [Fact]
    public async Task Render_DatasetWithoutImages_ShowsUploadEmptyStateAndNoGrid()
    {
        var service = new InMemoryDatasetService();
        var dataset = service.AddDataset("Empty");
        await using var context = new ConsoleTestContext(service);

        var cut = RenderBrowser(context, service, dataset);

        Assert.Equal("No images yet", cut.Find(".empty-state h2").Text());
        Assert.Empty(cut.FindAll(".image-grid"));
    }

    [Fact]
    public async Task Render_UnknownDataset_ShowsTheServiceError()
    {
        await using var context = new ConsoleTestContext(new InMemoryDatasetService());

        var cut = context.Render<ImageBrowser>(p => p.Add(x => x.DatasetId, 42L));

        Assert.Equal("Dataset 42 was not found.", cut.Find(".mud-alert").Text());
    }

    [Fact]
    public async Task FilterChange_AfterSelectingTwoTiles_SelectionEmptyAndUrlFilterRaised()
    {
        var (service, dataset) = await SeedAsync(6);
        await using var context = new ConsoleTestContext(service);
        var urls = new List<ImageFilter>();
        var cut = RenderBrowser(context, service, dataset, urls: urls);
        cut.FindAll(".image-tile")[0].Click();
        cut.FindAll(".image-tile")[1].Click(new MouseEventArgs { CtrlKey = true });
        Assert.Equal("2 images selected", cut.Find("[data-test=selection-count]").Text());

        var split = cut.FindComponent<MudSelect<DataSplit?>>();
        await cut.InvokeAsync(() => split.Instance.ValueChanged.InvokeAsync(DataSplit.Train));

        Assert.Equal(0, cut.Instance.Selection.Count);
        Assert.Equal("No images selected", cut.Find("[data-test=selection-count]").Text());
        Assert.Equal(DataSplit.Train, Assert.Single(urls).Split);
        Assert.Equal(DataSplit.Train, service.Queries.Last().Split);
    }

    [Fact]
    public async Task PageChange_TileSelectedOnPageOne_SelectionClearedAndPageInTheUrl()
    {
        var (service, dataset) = await SeedAsync(5);
        await using var context = new ConsoleTestContext(service);
        var urls = new List<ImageFilter>();
        var cut = RenderBrowser(context, service, dataset, urls: urls, pageSize: 2);
        cut.FindAll(".image-tile")[0].Click();

        cut.Find(".mud-pagination button[aria-label='Next page']").Click();

        Assert.Equal(0, cut.Instance.Selection.Count);
        Assert.Equal(1, urls.Last().Page);
        Assert.Equal(["photo-00003.jpg", "photo-00004.jpg"], cut.FindAll(".image-tile-name").Select(n => n.Text()));
    }

    [Fact]
    public async Task UnlabeledOnly_KeyboardLabelsThreeInARow_EachLabeledTileLeavesAndTheNextIsSelected()
    {
        var (service, dataset) = await SeedAsync(5, i => i == 5 ? InMemoryDatasetService.Image(i, DataSplit.Train, "ants") : InMemoryDatasetService.Image(i, DataSplit.Train));
        await service.AddLabelAsync(dataset.Id, "bees", "tester");
        await using var context = new ConsoleTestContext(service);
        var cut = RenderBrowser(context, service, dataset, new ImageFilter(UnlabeledOnly: true));
        var area = cut.Find("[data-test=labeling-area]");
        Assert.Equal(4, cut.FindAll(".image-tile").Count);

        area.KeyDown(new KeyboardEventArgs { Key = "ArrowRight", Code = "ArrowRight" });
        cut.Find("[data-test=labeling-area]").KeyDown(new KeyboardEventArgs { Key = "1", Code = "Digit1" });
        cut.Find("[data-test=labeling-area]").KeyDown(new KeyboardEventArgs { Key = "2", Code = "Digit2" });
        cut.Find("[data-test=labeling-area]").KeyDown(new KeyboardEventArgs { Key = "1", Code = "Digit1" });

        Assert.Equal([[1L], [2L], [3L]], service.LabelChanges.Select(c => c.Change.ImageIds.ToArray()));
        Assert.Equal(["photo-00004.jpg"], cut.FindAll(".image-tile-name").Select(n => n.Text()));
        // The remaining tile is under the cursor and selected: the next key press labels it, no mouse needed.
        Assert.Equal([4L], cut.Instance.Selection.Ids);
        Assert.Single(cut.FindAll(".image-tile-cursor.image-tile-selected"));
        Assert.Contains(context.JSInterop.Invocations, i => i.Identifier == "Blazor._internal.domWrapper.focus");
    }

    [Fact]
    public async Task SelectAllFiltered_MorePagesThanShown_SaysHowManyAreNotShownAndAsksBeforeLabeling()
    {
        var (service, dataset) = await SeedAsync(5);
        await using var context = new ConsoleTestContext(service);
        var providers = context.RenderProviders();
        var cut = RenderBrowser(context, service, dataset, pageSize: 2);

        cut.Find("[data-test=select-all-filtered]").Click();
        Assert.Equal("5 selected, 3 not shown", cut.Find("[data-test=selection-count]").Text());
        cut.Find(".label-button").Click();

        providers.WaitForAssertion(() => Assert.Contains("3 of them are not on this page", providers.Markup, StringComparison.Ordinal));
        Assert.Empty(service.LabelChanges);
        providers.FindAll("button").Single(b => b.Text() == "Label all 5").Click();
        cut.WaitForAssertion(() => Assert.Equal(5, Assert.Single(service.LabelChanges).Change.ImageIds.Count));
        Assert.Equal(0, cut.Instance.Selection.Count);
    }

    [Fact]
    public async Task QuestionMark_InTheGrid_OpensTheShortcutsSheet()
    {
        var (service, dataset) = await SeedAsync(2);
        await using var context = new ConsoleTestContext(service);
        var providers = context.RenderProviders();
        var cut = RenderBrowser(context, service, dataset);

        cut.Find("[data-test=labeling-area]").KeyDown(new KeyboardEventArgs { Key = "?", Code = "Slash", ShiftKey = true });

        var sheet = providers.WaitForElement("[data-test=shortcuts]");
        Assert.Contains("Set that label on the selection, then move to the next image", sheet.Text(), StringComparison.Ordinal);
        Assert.Empty(service.LabelChanges);
    }

    [Fact]
    public async Task SelectMode_TapsWithoutModifiers_AddTilesAndRangeTapFillsBetween()
    {
        var (service, dataset) = await SeedAsync(6);
        await using var context = new ConsoleTestContext(service);
        var cut = RenderBrowser(context, service, dataset);

        cut.Find("[data-test=select-mode]").Click();
        cut.FindAll(".image-tile")[0].Click();
        cut.FindAll(".image-tile")[2].Click();
        cut.Find("[data-test=range-mode]").Click();
        cut.FindAll(".image-tile")[5].Click();

        Assert.Equal([1L, 3L, 4L, 5L, 6L], cut.Instance.Selection.Ids.Order());
        Assert.Equal(6, cut.FindAll(".image-tile-check").Count);
    }

    [Fact]
    public async Task DeleteSelected_ConfirmThenUndo_ImagesGoneThenBack()
    {
        var (service, dataset) = await SeedAsync(4);
        await using var context = new ConsoleTestContext(service);
        var providers = context.RenderProviders();
        var cut = RenderBrowser(context, service, dataset);
        cut.FindAll(".image-tile")[0].Click();
        cut.FindAll(".image-tile")[2].Click(new MouseEventArgs { CtrlKey = true });

        cut.Find("[data-test=delete-images]").Click();
        Assert.Contains("these 2 images", providers.WaitForElement("[data-test=confirm-message]").Text(), StringComparison.Ordinal);
        providers.Find("[data-test=confirm]").Click();

        cut.WaitForAssertion(() => Assert.Equal(["photo-00002.jpg", "photo-00004.jpg"], cut.FindAll(".image-tile-name").Select(n => n.Text())));
        Assert.Equal("delete images 1,3", service.Edits.Single());
        providers.WaitForElement(".mud-snackbar button").Click();
        cut.WaitForAssertion(() => Assert.Equal(4, cut.FindAll(".image-tile").Count));
        Assert.Equal("undo batch-1", service.Edits.Last());
    }

    [Fact]
    public async Task SetSplit_TwoSelectedFromTheMenu_BothMovedAndShownWithTheirNewSplit()
    {
        var (service, dataset) = await SeedAsync(3);
        await using var context = new ConsoleTestContext(service);
        var providers = context.RenderProviders();
        var cut = RenderBrowser(context, service, dataset);
        cut.FindAll(".image-tile")[0].Click();
        cut.FindAll(".image-tile")[1].Click(new MouseEventArgs { CtrlKey = true });

        cut.Find("[data-test=split-menu] button").Click();
        providers.WaitForElement(".mud-menu-item[data-split=Test]").Click();

        cut.WaitForAssertion(() => Assert.Equal(["Test", "Test", "Train"], cut.FindAll(".image-split").Select(s => s.Text())));
        Assert.Equal("split 1,2->Test", service.Edits.Single());
    }

    [Fact]
    public async Task LabelsDialog_RenameAfterConfirmingTheCount_LabelRenamedOnItsImages()
    {
        var (service, dataset) = await SeedAsync(4);
        await using var context = new ConsoleTestContext(service);
        var providers = context.RenderProviders();
        var cut = RenderBrowser(context, service, dataset);

        cut.Find("[data-test=manage-labels]").Click();
        var row = providers.WaitForElement("[data-test=labels-table] tr[data-label=ants]");
        row.QuerySelector("input[data-test=rename-input]")!.Input("formica");
        providers.Find("[data-test=labels-table] tr[data-label=ants] [data-test=rename-label]").Click();
        Assert.Equal("Rename “ants” to “formica” on 2 image(s)?", providers.WaitForElement("[data-test=confirm-message]").Text());
        providers.Find("[data-test=confirm]").Click();

        providers.WaitForAssertion(() => Assert.NotEmpty(providers.FindAll("[data-test=labels-table] tr[data-label=formica]")));
        Assert.Equal("rename ants->formica", service.Edits.Single());
        providers.Find("[data-test=labels-close]").Click();
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll(".image-label").Count(l => l.Text() == "formica")));
    }

    [Fact]
    public async Task LabelsDialog_DeleteCancelledThenConfirmed_OnlyTheConfirmedDeleteRuns()
    {
        var (service, dataset) = await SeedAsync(4);
        await using var context = new ConsoleTestContext(service);
        var providers = context.RenderProviders();
        var cut = RenderBrowser(context, service, dataset);
        cut.Find("[data-test=manage-labels]").Click();

        providers.WaitForElement("tr[data-label=bees] [data-test=delete-label]").Click();
        Assert.Contains("removed from 2 image(s)", providers.WaitForElement("[data-test=confirm-message]").Text(), StringComparison.Ordinal);
        providers.Find("[data-test=confirm-cancel]").Click();
        providers.WaitForAssertion(() => Assert.Empty(providers.FindAll("[data-test=confirm-message]")));
        Assert.Empty(service.Edits);
        providers.Find("tr[data-label=bees] [data-test=delete-label]").Click();
        providers.WaitForElement("[data-test=confirm]").Click();

        providers.WaitForAssertion(() => Assert.Empty(providers.FindAll("tr[data-label=bees]")));
        Assert.Equal("delete bees", service.Edits.Single());
    }
}
