using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;
using Xunit.Abstractions;

namespace VisionConsole.Tests.Web.Browser;

/// <summary>The console as a person uses it: real host, real SQLite file, real images, real chromium.</summary>
public sealed class DatasetBrowserTests(ConsoleServerFixture server, ITestOutputHelper output) : IClassFixture<ConsoleServerFixture>
{
    private static readonly string Hymenoptera = Path.Combine(SharedData.Hymenoptera, "train");

    [Fact]
    public async Task CreateUploadBrowseDelete_SixHymenopteraPhotos_AllAddedAndThumbnailsLoaded()
    {
        string[] files =
        [
            .. Directory.GetFiles(Path.Combine(Hymenoptera, "bees"), "*.jpg").Order(StringComparer.Ordinal).Take(3),
            .. Directory.GetFiles(Path.Combine(Hymenoptera, "ants"), "*.jpg").Order(StringComparer.Ordinal).Take(2),
            Path.Combine(Hymenoptera, "ants", "formica.jpeg"),
        ];
        await using var session = await server.OpenPageAsync(output);
        var page = session.Page;
        var consoleErrors = session.ConsoleErrors;
        try
        {
            await CreateUploadBrowseDeleteAsync(page, files);
        }
        catch
        {
            var failure = Path.Combine(Path.GetTempPath(), $"vision-console-failure-{Guid.NewGuid():N}.png");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = failure, FullPage = true });
            output.WriteLine($"failure screenshot: {failure}; browser console errors: {string.Join(" | ", consoleErrors)}");
            throw;
        }
        Assert.True(consoleErrors.Count == 0, "Browser console errors: " + string.Join(" | ", consoleErrors));
    }

    private async Task CreateUploadBrowseDeleteAsync(IPage page, string[] files)
    {

        // The datasets list, once the circuit is live.
        await page.GotoAsync("/");
        await page.Locator(".console-shell[data-interactive=true]").WaitForAsync();
        await Expect(page.Locator(".empty-state h2")).ToHaveTextAsync("No datasets yet");

        // Create: an empty name is refused with a message, then a named dataset opens its page.
        await page.Locator("[data-test=create-dataset]").ClickAsync();
        await page.Locator("[data-test=create-dataset-submit]").ClickAsync();
        await Expect(page.Locator(".mud-dialog .mud-input-helper-text").First).ToHaveTextAsync("Give the dataset a name.");
        await page.Locator("#dataset-name").FillAsync("Ants and bees");
        // A Blazor input re-renders from the server after the click: wait for the state rather than demand it at once.
        await page.Locator("#kind-SingleLabel").ClickAsync();
        await Expect(page.Locator("#kind-SingleLabel")).ToBeCheckedAsync();
        await page.Locator("[data-test=create-dataset-submit]").ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/datasets/[0-9]+$"));
        await Expect(page.Locator("h1")).ToHaveTextAsync("Ants and bees");
        await Expect(page.Locator(".empty-state h2")).ToHaveTextAsync("No images yet");

        // Upload through the file input; each file gets its own row and outcome.
        await page.Locator("[data-test=upload-zone][data-upload-ready]").WaitForAsync();
        await page.Locator("[data-test=upload-zone] input[type=file], .image-uploader input.upload-input").First.SetInputFilesAsync(files);
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
        await Expect(page.Locator("[data-test=image-count]")).ToHaveTextAsync("6 images");
        Assert.All(await page.Locator(".image-tile .image-split").AllInnerTextsAsync(), split => Assert.Equal("Unassigned", split));
        await Expect(page.Locator(".pager-summary").First).ToHaveTextAsync("1–6 of 6 images");

        // A second batch: the same photo again is a duplicate, a text file is refused with its name and reason.
        var readme = Path.Combine(Path.GetDirectoryName(Hymenoptera)!, "README.md");
        await page.Locator("[data-test=upload-zone] input[type=file], .image-uploader input.upload-input").First.SetInputFilesAsync([files[^1], readme]);
        await page.WaitForFunctionAsync(
            "n => { const rows = [...document.querySelectorAll('.upload-row')]; return rows.length === n && rows.every(r => ['added', 'duplicate', 'failed'].includes(r.dataset.status)); }",
            files.Length + 2);
        Assert.Equal("duplicate", await rows.Nth(files.Length).GetAttributeAsync("data-status"));
        Assert.Equal("failed", await rows.Nth(files.Length + 1).GetAttributeAsync("data-status"));
        await Expect(rows.Nth(files.Length + 1).Locator(".upload-error")).ToContainTextAsync("README.md");
        await Expect(page.Locator("[data-test=upload-summary]")).ToContainTextAsync("8 of 8 files done 6 added 1 duplicate 1 failed");
        await Expect(page.Locator("[data-test=image-count]")).ToHaveTextAsync("6 images");
        await Expect(page.Locator(".image-tile")).ToHaveCountAsync(6);
        var screenshot = Path.Combine(Path.GetTempPath(), $"vision-console-dataset-{Guid.NewGuid():N}.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        output.WriteLine($"screenshot: {screenshot}");

        // Search narrows the grid to matching file names.
        await page.Locator("#filter-search").FillAsync("formica");
        await Expect(page.Locator(".image-tile .image-tile-name")).ToHaveTextAsync(["formica.jpeg"]);
        await page.Locator("#filter-search").FillAsync("");
        await Expect(page.Locator(".image-tile")).ToHaveCountAsync(6);

        // New images are unassigned until training splits them: the Train filter shows none, Unassigned all six.
        await MudUi.SelectAsync(page, "filter-split", "Train");
        await Expect(page.Locator(".empty-state h2")).ToHaveTextAsync("No images match these filters");
        await MudUi.SelectAsync(page, "filter-split", "Unassigned");
        await Expect(page.Locator(".image-tile")).ToHaveCountAsync(6);
        await page.Locator("input[data-test=filter-unlabeled]").ClickAsync();
        await Expect(page.Locator("input[data-test=filter-unlabeled]")).ToBeCheckedAsync();
        await Expect(page.Locator(".image-tile")).ToHaveCountAsync(6);

        // Delete from the list, through a confirmation that names the dataset.
        await page.Locator("nav.console-nav a[href=datasets]").ClickAsync();
        await Expect(page.Locator(".dataset-table tbody tr td").Nth(2)).ToHaveTextAsync("6");
        await page.Locator(".dataset-table tbody tr button[title='Delete Ants and bees']").ClickAsync();
        await Expect(page.Locator("[data-test=confirm-message]")).ToContainTextAsync("Delete the dataset Ants and bees with its 6 images");
        await page.Locator("[data-test=confirm]").ClickAsync();
        await Expect(page.Locator(".empty-state h2")).ToHaveTextAsync("No datasets yet");
        await Expect(page.Locator(".mud-dialog")).ToHaveCountAsync(0);

        // Settings shows where this console keeps its data.
        await page.Locator("nav.console-nav a[href=settings]").ClickAsync();
        await Expect(page.Locator("[data-test=data-folder]")).ToHaveTextAsync(server.DataFolder);
        await Expect(page.Locator("[data-test=database-path]")).ToHaveTextAsync(Path.Combine(server.DataFolder, "console.db"));
    }

    [Fact]
    public async Task Upload_WholeHymenopteraTrainFolder_EveryFileGetsAnOutcomeAndGridPages()
    {
        var files = Directory.GetFiles(Hymenoptera, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        var hashes = files.ToDictionary(f => Path.GetFileName(f), f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))));
        await using var session = await server.OpenPageAsync(output);
        var page = session.Page;

        await page.GotoAsync("/");
        await page.Locator(".console-shell[data-interactive=true]").WaitForAsync();
        await page.Locator("[data-test=create-dataset]").ClickAsync();
        await page.Locator("#dataset-name").FillAsync("Hymenoptera train");
        await page.Locator("#kind-SingleLabel").ClickAsync();
        await Expect(page.Locator("#kind-SingleLabel")).ToBeCheckedAsync();
        await page.Locator("[data-test=create-dataset-submit]").ClickAsync();
        await page.Locator("[data-test=upload-zone][data-upload-ready]").WaitForAsync();

        await page.Locator("[data-test=upload-zone] input[type=file], .image-uploader input.upload-input").First.SetInputFilesAsync(files);
        // However long the machine takes, every one of the files must end with an outcome.
        await page.WaitForFunctionAsync(
            "n => { const rows = [...document.querySelectorAll('.upload-row')]; return rows.length === n && rows.every(r => ['added', 'duplicate', 'failed'].includes(r.dataset.status)); }",
            files.Length, new PageWaitForFunctionOptions { Timeout = 600_000, PollingInterval = 500 });

        var rows = await page.Locator(".upload-row").EvaluateAllAsync<UploadRow[]>(
            "rows => rows.map(r => ({ name: r.querySelector('.upload-name').textContent, status: r.dataset.status, error: r.querySelector('.upload-error')?.textContent ?? null }))");
        Assert.Equal(files.Select(Path.GetFileName), rows.Select(r => r.Name));
        var failed = rows.Where(r => r.Status == "failed").ToList();
        Assert.All(failed, r => Assert.Contains(r.Name, r.Error ?? "", StringComparison.Ordinal));
        var accepted = rows.Where(r => r.Status != "failed").ToList();
        var distinct = accepted.Select(r => hashes[r.Name]).Distinct(StringComparer.Ordinal).Count();
        Assert.Equal(distinct, accepted.Count(r => r.Status == "added"));
        Assert.Equal(accepted.Count - distinct, accepted.Count(r => r.Status == "duplicate"));
        output.WriteLine($"{files.Length} files: {distinct} added, {accepted.Count - distinct} duplicates, {failed.Count} failed ({string.Join("; ", failed.Select(f => f.Error))})");

        await Expect(page.Locator("[data-test=image-count]")).ToHaveTextAsync($"{distinct} images");
        await Expect(page.Locator(".pager-summary").First).ToHaveTextAsync($"1–100 of {distinct} images");
        await Expect(page.Locator(".image-tile")).ToHaveCountAsync(100);
        var screenshot = Path.Combine(Path.GetTempPath(), $"vision-console-upload-{Guid.NewGuid():N}.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot });
        output.WriteLine($"screenshot: {screenshot}");
        await page.Locator(".mud-pagination button[aria-label='Next page']").First.ClickAsync();
        await Expect(page.Locator(".pager-summary").First).ToHaveTextAsync($"101–200 of {distinct} images");
        await page.WaitForFunctionAsync(
            "() => [...document.querySelectorAll('.image-tile img')].slice(0, 12).every(i => i.complete && i.naturalWidth > 0)");
    }

    private sealed class UploadRow
    {
        public string Name { get; set; } = "";
        public string Status { get; set; } = "";
        public string? Error { get; set; }
    }

}
