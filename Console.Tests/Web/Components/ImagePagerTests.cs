using Bunit;
using VisionConsole.Web.Components.Pages.Datasets;

namespace VisionConsole.Tests.Web.Components;

public sealed class ImagePagerTests
{
    [Fact]
    public async Task ClickNextPage_MiddlePage_ShowsRangeAndRaisesTheNextPage()
    {
        await using var context = new ConsoleTestContext();
        var asked = new List<int>();

        var cut = context.Render<ImagePager>(p => p
            .Add(x => x.Page, 50).Add(x => x.PageSize, 100).Add(x => x.Total, 10_000).Add(x => x.ItemName, "images")
            .Add(x => x.PageChanged, page => asked.Add(page)));

        Assert.Equal("5,001–5,100 of 10,000 images", cut.Find(".pager-summary").Text());
        Assert.Equal("51", cut.Find(".mud-pagination-item-selected").Text());
        cut.Find("button[aria-label='Next page']").Click();
        cut.Find("button[aria-label='Page 100']").Click();
        Assert.Equal([51, 99], asked);
    }

    [Fact]
    public async Task Render_SinglePage_ShowsSummaryWithoutPagination()
    {
        await using var context = new ConsoleTestContext();

        var cut = context.Render<ImagePager>(p => p.Add(x => x.Total, 6).Add(x => x.ItemName, "images"));

        Assert.Equal("1–6 of 6 images", cut.Find(".pager-summary").Text());
        Assert.Empty(cut.FindAll(".mud-pagination"));
    }
}
