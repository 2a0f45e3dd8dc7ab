using Microsoft.Playwright;
using Xunit.Abstractions;

namespace VisionConsole.Tests.Web.Browser;

/// <summary>
/// Screenshots of a page in the light and the dark theme for reviewers (never asserted), written to the one
/// screenshot folder of the browser tests (<see cref="MudUi.ScreenshotFolder"/>: the repository's <c>TestResults/screenshots</c>).
/// </summary>
internal static class PageScreenshots
{
    public static string Folder => MudUi.ScreenshotFolder;

    /// <summary>Writes <c>{name}-light.png</c> and <c>{name}-dark.png</c> (full page), leaving the page in the theme it was in.</summary>
    public static async Task TakeLightAndDarkAsync(IPage page, string name, ITestOutputHelper output)
    {
        ArgumentNullException.ThrowIfNull(page);
        ArgumentNullException.ThrowIfNull(output);
        Directory.CreateDirectory(Folder);
        var shell = page.Locator(".console-shell");
        var start = await shell.GetAttributeAsync("data-theme") ?? "light";
        foreach (var theme in start == "dark" ? new[] { "dark", "light" } : ["light", "dark"])
        {
            if (await shell.GetAttributeAsync("data-theme") != theme)
            {
                await page.Locator("[data-test=theme-toggle]").ClickAsync();
                await page.Locator($".console-shell[data-theme={theme}]").WaitForAsync();
            }
            var path = Path.Combine(Folder, $"{name}-{theme}.png");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
            output.WriteLine($"screenshot: {path}");
        }
        if (await shell.GetAttributeAsync("data-theme") != start)
        {
            await page.Locator("[data-test=theme-toggle]").ClickAsync();
            await page.Locator($".console-shell[data-theme={start}]").WaitForAsync();
        }
    }
}
