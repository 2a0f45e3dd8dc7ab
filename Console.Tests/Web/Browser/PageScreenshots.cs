using Microsoft.Playwright;
using Xunit.Abstractions;

namespace VisionConsole.Tests.Web.Browser;

/// <summary>
/// Screenshots of a page in the light and the dark theme for reviewers (never asserted), written to
/// <c>Console.Tests/TestResults/screenshots</c> (or <c>VISIONCONSOLE_SCREENSHOTS</c>).
/// </summary>
internal static class PageScreenshots
{
    public static string Folder { get; } = FindFolder();

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

    private static string FindFolder()
    {
        if (Environment.GetEnvironmentVariable("VISIONCONSOLE_SCREENSHOTS") is { Length: > 0 } configured)
        {
            return configured;
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Console.Tests.csproj")))
            {
                return Path.Combine(dir.FullName, "TestResults", "screenshots");
            }
        }
        return Path.Combine(Path.GetTempPath(), "vision-console-screenshots");
    }
}
