using VisionConsole.Web.Components.Ui;

namespace VisionConsole.Tests.Web.Components;

public sealed class PagerTests
{
    [Fact]
    public async Task Render_MiddlePage_ShowsRangeActivePageAndGaps()
    {
        await using var harness = new ConsoleTestContext();

        var document = await harness.RenderAsync<Pager>(new Dictionary<string, object?>
        {
            [nameof(Pager.Page)] = 50,
            [nameof(Pager.PageSize)] = 100,
            [nameof(Pager.Total)] = 10_000,
            [nameof(Pager.ItemName)] = "images",
        });

        Assert.Equal("5,001–5,100 of 10,000 images", document.QuerySelector(".pager-summary")!.Text());
        Assert.Equal("51", document.QuerySelector(".page-item.active")!.Text());
        var pages = document.QuerySelectorAll(".page-link").Select(l => l.Text()).Where(t => t.Length > 0);
        Assert.Equal(["1", "…", "49", "50", "51", "52", "53", "…", "100"], pages);
    }

    [Fact]
    public async Task Render_LastPartialPage_EndsAtTotalAndDisablesNext()
    {
        await using var harness = new ConsoleTestContext();

        var document = await harness.RenderAsync<Pager>(new Dictionary<string, object?>
        {
            [nameof(Pager.Page)] = 2,
            [nameof(Pager.PageSize)] = 100,
            [nameof(Pager.Total)] = 245,
            [nameof(Pager.ItemName)] = "images",
        });

        Assert.Equal("201–245 of 245 images", document.QuerySelector(".pager-summary")!.Text());
        var items = document.QuerySelectorAll(".page-item");
        Assert.DoesNotContain("disabled", items[0].ClassList);
        Assert.Contains("disabled", items[^1].ClassList);
    }

    [Fact]
    public async Task Render_SinglePage_ShowsSummaryWithoutPageLinks()
    {
        await using var harness = new ConsoleTestContext();

        var document = await harness.RenderAsync<Pager>(new Dictionary<string, object?> { [nameof(Pager.Total)] = 6, [nameof(Pager.ItemName)] = "images" });

        Assert.Equal("1–6 of 6 images", document.QuerySelector(".pager-summary")!.Text());
        Assert.Null(document.QuerySelector(".pagination"));
    }
}
