using VisionConsole.Web.Components.Pages.Settings;

namespace VisionConsole.Tests.Web.Components;

public sealed class SettingsPageTests
{
    [Fact]
    public async Task Render_GivenEnvironment_ShowsPathsAndVersions()
    {
        await using var harness = new ConsoleTestContext();

        var document = await harness.RenderAsync<SettingsPage>();

        Assert.Equal("/srv/vision", document.QuerySelector("[data-test=data-folder]")!.Text());
        Assert.Equal("/srv/vision/console.db", document.QuerySelector("[data-test=database-path]")!.Text());
        var versions = document.QuerySelectorAll(".settings-list").Last().QuerySelectorAll("dt").Select(d => d.Text()).ToList();
        Assert.Equal(["Vision Console", ".NET", "Operating system", "libvips"], versions);
        Assert.Contains(document.QuerySelectorAll("dd"), d => d.Text() == "8.14.1");
    }
}
