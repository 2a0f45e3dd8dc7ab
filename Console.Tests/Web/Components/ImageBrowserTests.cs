using VisionConsole.Domain.Datasets;
using VisionConsole.Web.Components.Pages.Datasets;

namespace VisionConsole.Tests.Web.Components;

public sealed class ImageBrowserTests
{
    [Fact]
    public async Task Render_TenThousandImages_LoadsOnlyFirstPageAndPagerShowsCounts()
    {
        var service = new InMemoryDatasetService();
        var dataset = service.AddDataset("Big", images: Enumerable.Range(1, 10_000).Select(i => InMemoryDatasetService.Image(i, DataSplit.Train, "ants")));
        await using var harness = new ConsoleTestContext(service);

        var document = await harness.RenderAsync<ImageBrowser>(new Dictionary<string, object?>
        {
            [nameof(ImageBrowser.DatasetId)] = dataset.Id,
            [nameof(ImageBrowser.Labels)] = await service.ListLabelsAsync(dataset.Id),
        });

        var query = Assert.Single(service.Queries);
        Assert.Equal(0, query.Skip);
        Assert.Equal(100, query.Take);
        Assert.Equal(100, document.QuerySelectorAll(".image-tile").Length);
        Assert.Equal("photo-00001.jpg", document.QuerySelector(".image-tile .image-tile-name")!.Text());
        var summaries = document.QuerySelectorAll(".pager-summary").Select(s => s.Text()).ToList();
        Assert.Equal(2, summaries.Count);
        Assert.All(summaries, s => Assert.Equal("1–100 of 10,000 images", s));
        var pages = document.QuerySelector(".pagination")!.QuerySelectorAll(".page-link").Select(l => l.Text()).ToList();
        Assert.Equal(["", "1", "2", "3", "…", "100", ""], pages);
        Assert.Contains("ants (10,000)", document.QuerySelectorAll("#filter-label option").Select(o => o.Text()));
    }

    [Fact]
    public async Task Render_DatasetWithoutImages_ShowsUploadEmptyStateAndNoGrid()
    {
        var service = new InMemoryDatasetService();
        var dataset = service.AddDataset("Empty");
        await using var harness = new ConsoleTestContext(service);

        var document = await harness.RenderAsync<ImageBrowser>(new Dictionary<string, object?> { [nameof(ImageBrowser.DatasetId)] = dataset.Id });

        Assert.Equal("No images yet", document.QuerySelector(".empty-state h2")!.Text());
        Assert.Null(document.QuerySelector(".image-grid"));
        Assert.Null(document.QuerySelector(".pagination"));
    }

    [Fact]
    public async Task Render_UnknownDataset_ShowsTheServiceError()
    {
        await using var harness = new ConsoleTestContext(new InMemoryDatasetService());

        var document = await harness.RenderAsync<ImageBrowser>(new Dictionary<string, object?> { [nameof(ImageBrowser.DatasetId)] = 42L });

        Assert.Equal("Dataset 42 was not found.", document.QuerySelector(".alert-danger")!.Text());
    }
}
