using Microsoft.Playwright;

namespace VisionConsole.Tests.Web.Browser;

/// <summary>How the browser tests drive MudBlazor inputs (popover selects) and write the reviewers' screenshots.</summary>
internal static class MudUi
{
    /// <summary>Opens the MudSelect whose root has <paramref name="selectClass"/> and picks the item that reads <paramref name="option"/>.</summary>
    public static async Task SelectAsync(IPage page, string selectClass, string option)
    {
        await page.Locator($".{selectClass}").ClickAsync();
        var item = page.Locator(".mud-popover-open .mud-list-item").Filter(new LocatorFilterOptions { HasText = option }).First;
        await item.ClickAsync();
        await Assertions.Expect(page.Locator(".mud-popover-open .mud-list-item")).ToHaveCountAsync(0);
    }

    /// <summary>The items of a MudSelect as a person reads them (it is opened and closed again).</summary>
    public static async Task<IReadOnlyList<string>> OptionsAsync(IPage page, string selectClass)
    {
        await page.Locator($".{selectClass}").ClickAsync();
        var items = page.Locator(".mud-popover-open .mud-list-item");
        await items.First.WaitForAsync();
        var texts = (await items.AllInnerTextsAsync()).Select(t => t.Trim()).ToList();
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(items).ToHaveCountAsync(0);
        return texts;
    }

    /// <summary>Waits until the MudSelect lists <paramref name="option"/> (its items change as the server re-renders).</summary>
    public static async Task WaitForOptionAsync(IPage page, string selectClass, string option, int timeoutMs = 30_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        IReadOnlyList<string> seen = [];
        while (DateTime.UtcNow < deadline)
        {
            seen = await OptionsAsync(page, selectClass);
            if (seen.Contains(option))
            {
                return;
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"The {selectClass} select never listed '{option}'; it listed: {string.Join(", ", seen)}");
    }

    /// <summary>The repository's <c>TestResults/screenshots</c> folder (ignored by git), else one under the temp folder.</summary>
    public static string ScreenshotFolder
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Console.sln")))
                {
                    return Directory.CreateDirectory(Path.Combine(dir.FullName, "TestResults", "screenshots")).FullName;
                }
            }
            return Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "vision-console-screenshots")).FullName;
        }
    }

    /// <summary>
    /// Writes <c>&lt;name&gt;-light.png</c> and <c>&lt;name&gt;-dark.png</c> (the console follows the OS theme, emulated here);
    /// for a reviewer to look at, not asserted.
    /// </summary>
    public static async Task ScreenshotsAsync(IPage page, string name)
    {
        foreach (var scheme in new[] { ColorScheme.Light, ColorScheme.Dark })
        {
            await page.EmulateMediaAsync(new PageEmulateMediaOptions { ColorScheme = scheme });
            var theme = scheme == ColorScheme.Dark ? "dark" : "light";
            await SwitchThemeAsync(page, theme);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotFolder, $"{name}-{theme}.png"), FullPage = true });
        }
        await page.EmulateMediaAsync(new PageEmulateMediaOptions { ColorScheme = ColorScheme.Light });
        await SwitchThemeAsync(page, "light");
    }

    // The shell follows the OS scheme; should a page have been switched by hand, the toggle brings it to the wanted theme.
    private static async Task SwitchThemeAsync(IPage page, string theme)
    {
        var shell = page.Locator($".console-shell[data-theme={theme}]");
        try
        {
            await shell.WaitForAsync(new LocatorWaitForOptions { Timeout = 5_000 });
        }
        catch (TimeoutException)
        {
            await page.Locator("[data-test=theme-toggle]").ClickAsync();
            await shell.WaitForAsync(new LocatorWaitForOptions { Timeout = 10_000 });
        }
    }
}
