using Microsoft.Playwright;
using Xunit.Abstractions;

namespace VisionConsole.Tests.Web.Browser;

/// <summary>The console as a person uses it: real host, real SQLite file, real images, real chromium.</summary>
public sealed class DatasetBrowserTests(ConsoleServerFixture server, ITestOutputHelper output) : IClassFixture<ConsoleServerFixture>
{
    private static readonly string Hymenoptera = Path.Combine(FindShared(), "datasets", "hymenoptera", "train");

    [Fact]
    public async Task CreateUploadBrowseDelete_SixHymenopteraPhotos_AllAddedAndThumbnailsLoaded()
    {
        string[] files =
        [
            .. Directory.GetFiles(Path.Combine(Hymenoptera, "bees"), "*.jpg").Order(StringComparer.Ordinal).Take(3),
            .. Directory.GetFiles(Path.Combine(Hymenoptera, "ants"), "*.jpg").Order(StringComparer.Ordinal).Take(2),
            Path.Combine(Hymenoptera, "ants", "formica.jpeg"),
        ];
        await using var context = await server.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = server.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1400, Height = 1000 },
        });
        context.SetDefaultTimeout(60_000);
        var page = await context.NewPageAsync();
        var consoleErrors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                consoleErrors.Add(message.Text);
            }
        };

        // The datasets list, once the circuit is live.
        await page.GotoAsync("/");
        await page.Locator(".console-shell[data-interactive=true]").WaitForAsync();
        Assert.Equal("No datasets yet", await page.Locator(".empty-state h2").InnerTextAsync());

        // Create: an empty name is refused with a message, then a named dataset opens its page.
        await page.Locator("[data-test=create-dataset]").ClickAsync();
        await page.Locator("[data-test=create-dataset-submit]").ClickAsync();
        Assert.Equal("Give the dataset a name.", (await page.Locator(".modal .validation-message").First.InnerTextAsync()).Trim());
        await page.Locator("#dataset-name").FillAsync("Ants and bees");
        await page.Locator("#kind-SingleLabel").CheckAsync();
        await page.Locator("[data-test=create-dataset-submit]").ClickAsync();
        await page.WaitForURLAsync("**/datasets/*");
        Assert.Equal("Ants and bees", await page.Locator("h1").InnerTextAsync());
        Assert.Equal("No images yet", await page.Locator(".empty-state h2").InnerTextAsync());

        // Upload through the file input; each file gets its own row and outcome.
        await page.Locator("[data-test=upload-zone][data-upload-ready]").WaitForAsync();
        await page.Locator("[data-test=upload-input]").SetInputFilesAsync(files);
        await page.WaitForFunctionAsync(
            "n => { const rows = [...document.querySelectorAll('.upload-row')]; return rows.length === n && rows.every(r => ['added', 'duplicate', 'failed'].includes(r.dataset.status)); }",
            files.Length);
        var rows = page.Locator(".upload-row");
        for (var i = 0; i < files.Length; i++)
        {
            var row = rows.Nth(i);
            Assert.Equal(Path.GetFileName(files[i]), await row.Locator(".upload-name").InnerTextAsync());
            Assert.Equal("added", await row.GetAttributeAsync("data-status"));
        }

        // The grid refreshes when the batch ends: six tiles whose thumbnails really decoded.
        await page.WaitForFunctionAsync(
            "n => { const imgs = [...document.querySelectorAll('.image-tile img')]; return imgs.length === n && imgs.every(i => i.complete && i.naturalWidth > 0); }",
            files.Length);
        var names = await page.Locator(".image-tile .image-tile-name").AllInnerTextsAsync();
        Assert.Equal(files.Select(Path.GetFileName).Order(StringComparer.Ordinal), names.Order(StringComparer.Ordinal));
        Assert.Equal("6 images", (await page.Locator("[data-test=image-count]").InnerTextAsync()).Trim());
        Assert.All(await page.Locator(".image-tile .image-split").AllInnerTextsAsync(), split => Assert.Equal("Unassigned", split));
        Assert.Equal("1–6 of 6 images", await page.Locator(".pager-summary").First.InnerTextAsync());

        var screenshot = Path.Combine(Path.GetTempPath(), $"vision-console-dataset-{Guid.NewGuid():N}.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        output.WriteLine($"screenshot: {screenshot}");

        // Search narrows the grid to matching file names.
        await page.Locator("#filter-search").FillAsync("formica");
        await page.WaitForFunctionAsync("() => document.querySelectorAll('.image-tile').length === 1");
        Assert.Equal("formica.jpeg", await page.Locator(".image-tile .image-tile-name").InnerTextAsync());

        // Delete from the list, through a confirmation that names the dataset.
        await page.Locator("nav.console-nav a[href=datasets]").ClickAsync();
        await page.Locator(".dataset-table").WaitForAsync();
        Assert.Equal("6", await page.Locator(".dataset-table tbody tr td").Nth(2).InnerTextAsync());
        await page.Locator(".dataset-table tbody tr button[title='Delete Ants and bees']").ClickAsync();
        StringAssert(await page.Locator(".modal-body").InnerTextAsync(), "Ants and bees");
        await page.Locator(".modal [data-test=confirm]").ClickAsync();
        await page.Locator(".empty-state h2").WaitForAsync();
        Assert.Equal("No datasets yet", await page.Locator(".empty-state h2").InnerTextAsync());

        Assert.Empty(consoleErrors);
    }

    private static void StringAssert(string text, string expected) => Assert.Contains(expected, text, StringComparison.Ordinal);

    private static string FindShared()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared");
            if (Directory.Exists(Path.Combine(candidate, "datasets")))
            {
                return candidate;
            }
        }
        throw new DirectoryNotFoundException($"No shared/datasets folder above {AppContext.BaseDirectory}.");
    }
}
