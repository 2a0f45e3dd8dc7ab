using VisionConsole.Domain.Datasets;
using VisionConsole.Web.Components.Pages.Datasets;

namespace VisionConsole.Tests.Web.Components;

public sealed class ImageGridTests
{
    [Fact]
    public async Task Render_ThreeImages_OneTileEachWithLazyThumbnailSplitBadgeAndLabels()
    {
        ImageSummary[] images =
        [
            InMemoryDatasetService.Image(1, DataSplit.Train, "ants"),
            InMemoryDatasetService.Image(2, DataSplit.Validation, "bees", "flowers"),
            InMemoryDatasetService.Image(3),
        ];
        await using var harness = new ConsoleTestContext();

        var document = await harness.RenderAsync<ImageGrid>(new Dictionary<string, object?> { [nameof(ImageGrid.Images)] = images });

        var tiles = document.QuerySelectorAll(".image-tile");
        Assert.Equal(3, tiles.Length);
        for (var i = 0; i < images.Length; i++)
        {
            var tile = tiles[i];
            var image = images[i];
            var img = tile.QuerySelector("img")!;
            Assert.Equal($"/api/blobs/{image.Sha256}/thumbnail", img.GetAttribute("src"));
            Assert.Equal("lazy", img.GetAttribute("loading"));
            Assert.Equal(image.FileName, img.GetAttribute("alt"));
            Assert.StartsWith(image.FileName, tile.GetAttribute("title"), StringComparison.Ordinal);
            Assert.Equal(image.Split.Describe(), tile.QuerySelector(".image-split")!.Text());
            Assert.Equal(image.Labels, tile.QuerySelectorAll(".image-label").Select(l => l.Text()));
        }
        Assert.Equal("Validation", tiles[1].QuerySelector(".image-split")!.Text());
        Assert.Contains("text-bg-warning", tiles[1].QuerySelector(".image-split")!.ClassList);
        Assert.Empty(tiles[2].QuerySelectorAll(".image-label"));
    }
}
