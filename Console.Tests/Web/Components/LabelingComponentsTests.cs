using Microsoft.AspNetCore.Components.Web;
using VisionConsole.Domain.Datasets;
using VisionConsole.Web.Components.Pages.Datasets;

namespace VisionConsole.Tests.Web.Components;

public sealed class LabelingComponentsTests
{
    private static readonly long[] Page = [10, 11, 12, 13, 14];

    [Fact]
    public void Click_PlainThenCtrlThenShift_TogglesAddsAndSelectsRange()
    {
        var selection = new ImageSelection();

        selection.Click(11, Page, add: false, range: false);
        selection.Click(11, Page, add: false, range: false);
        Assert.Equal(0, selection.Count);

        selection.Click(11, Page, add: false, range: false);
        selection.Click(13, Page, add: true, range: false);
        selection.Click(13, Page, add: true, range: false);
        Assert.Equal([11L, 13L], selection.Ids.Order());

        selection.Click(10, Page, add: false, range: true);
        Assert.Equal([10L, 11L, 12L, 13L], selection.Ids.Order());
    }

    [Fact]
    public void SelectAll_IdsFromEveryPage_ReplacesSelection()
    {
        var selection = new ImageSelection();
        selection.Click(11, Page, add: false, range: false);

        selection.SelectAll(Enumerable.Range(1, 250).Select(i => (long)i));

        Assert.Equal(250, selection.Count);
        Assert.False(selection.Contains(11) && selection.Count != 250);
    }

    [Fact]
    public void Number_DigitShiftAndKeypad_ReadAsLabelNumbers()
    {
        Assert.Equal(1, LabelKeys.Number(new KeyboardEventArgs { Key = "1", Code = "Digit1" }));
        Assert.Equal(2, LabelKeys.Number(new KeyboardEventArgs { Key = "\"", Code = "Digit2", ShiftKey = true }));
        Assert.Equal(9, LabelKeys.Number(new KeyboardEventArgs { Key = "9", Code = "Numpad9" }));
        Assert.Null(LabelKeys.Number(new KeyboardEventArgs { Key = "0", Code = "Digit0" }));
        Assert.Null(LabelKeys.Number(new KeyboardEventArgs { Key = "1", Code = "Digit1", CtrlKey = true }));
    }

    [Fact]
    public async Task LabelBar_TwoSelectedElevenLabels_NumbersFirstNineAndEnablesButtons()
    {
        await using var harness = new ConsoleTestContext();
        var labels = Enumerable.Range(1, 11).Select(i => new LabelSummary(i, $"label{i:D2}", 0)).ToList();

        var document = await harness.RenderAsync<LabelBar>(new Dictionary<string, object?>
        {
            [nameof(LabelBar.Labels)] = labels,
            [nameof(LabelBar.SelectedCount)] = 2,
            [nameof(LabelBar.FilteredTotal)] = 1234,
            [nameof(LabelBar.Kind)] = DatasetKind.SingleLabel,
        });

        var buttons = document.QuerySelectorAll(".label-button");
        Assert.Equal(11, buttons.Length);
        Assert.Equal(labels.Select(l => l.Name), buttons.Select(b => b.QuerySelector(".label-name")!.Text()));
        Assert.Equal(["1", "2", "3", "4", "5", "6", "7", "8", "9"], buttons.Select(b => b.QuerySelector("kbd")?.Text()).OfType<string>());
        Assert.Null(buttons[9].QuerySelector("kbd"));
        Assert.All(buttons, b => Assert.False(b.HasAttribute("disabled")));
        Assert.Equal("2 images selected", document.QuerySelector("[data-test=selection-count]")!.Text());
        Assert.Equal("Select all 1,234 filtered", document.QuerySelector("[data-test=select-all-filtered]")!.Text());
        Assert.NotNull(document.QuerySelector("[data-test=clear-selection]"));
    }

    [Fact]
    public async Task LabelBar_NothingSelected_LabelButtonsDisabledAndNoClear()
    {
        await using var harness = new ConsoleTestContext();

        var document = await harness.RenderAsync<LabelBar>(new Dictionary<string, object?>
        {
            [nameof(LabelBar.Labels)] = new List<LabelSummary> { new(1, "ants", 3) },
            [nameof(LabelBar.SelectedCount)] = 0,
        });

        Assert.Equal("No images selected", document.QuerySelector("[data-test=selection-count]")!.Text());
        Assert.True(document.QuerySelector(".label-button")!.HasAttribute("disabled"));
        Assert.True(document.QuerySelector("[data-test=remove-labels]")!.HasAttribute("disabled"));
        Assert.Null(document.QuerySelector("[data-test=clear-selection]"));
    }

    [Fact]
    public async Task ImageGrid_TwoSelected_TilesMarkedSelectedOthersNot()
    {
        await using var harness = new ConsoleTestContext();
        var selection = new ImageSelection();
        long[] ids = [1, 2, 3];
        selection.Click(1, ids, add: true, range: false);
        selection.Click(3, ids, add: true, range: false);

        var document = await harness.RenderAsync<ImageGrid>(new Dictionary<string, object?>
        {
            [nameof(ImageGrid.Images)] = ids.Select(i => InMemoryDatasetService.Image(i, DataSplit.Train, "ants")).ToList(),
            [nameof(ImageGrid.Selection)] = selection,
        });

        var tiles = document.QuerySelectorAll(".image-tile");
        Assert.Equal(["true", "false", "true"], tiles.Select(t => t.GetAttribute("aria-selected")));
        Assert.Equal(["1", "3"], document.QuerySelectorAll(".image-tile-selected").Select(t => t.GetAttribute("data-image-id")));
    }

    [Fact]
    public async Task ImageBrowser_SingleLabelDataset_ShowsLabelBarWithDatasetLabels()
    {
        var service = new InMemoryDatasetService();
        var dataset = service.AddDataset("insects", images: [InMemoryDatasetService.Image(1, DataSplit.Train, "ants"), InMemoryDatasetService.Image(2, DataSplit.Train, "bees")]);
        await using var harness = new ConsoleTestContext(service);

        var document = await harness.RenderAsync<ImageBrowser>(new Dictionary<string, object?>
        {
            [nameof(ImageBrowser.DatasetId)] = dataset.Id,
            [nameof(ImageBrowser.Labels)] = await service.ListLabelsAsync(dataset.Id),
            [nameof(ImageBrowser.Kind)] = DatasetKind.SingleLabel,
        });

        Assert.Equal(["ants", "bees"], document.QuerySelectorAll(".label-bar .label-button .label-name").Select(b => b.Text()));
        Assert.Equal(["1", "2"], document.QuerySelectorAll(".label-bar .label-button kbd").Select(b => b.Text()));
        Assert.Equal(2, document.QuerySelectorAll(".labeling-area .image-tile [data-test=open-image]").Length);
    }

    [Fact]
    public async Task ImageBrowser_DetectionDataset_NoWholeImageLabelBar()
    {
        var service = new InMemoryDatasetService();
        var dataset = service.AddDataset("boxes", DatasetKind.ObjectDetection, [InMemoryDatasetService.Image(1, DataSplit.Train, "raccoon")]);
        await using var harness = new ConsoleTestContext(service);

        var document = await harness.RenderAsync<ImageBrowser>(new Dictionary<string, object?>
        {
            [nameof(ImageBrowser.DatasetId)] = dataset.Id,
            [nameof(ImageBrowser.Kind)] = DatasetKind.ObjectDetection,
        });

        Assert.Null(document.QuerySelector(".label-bar"));
        Assert.Single(document.QuerySelectorAll(".image-tile"));
    }
}
