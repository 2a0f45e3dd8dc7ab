using System.IO.Compression;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace VisionConsole.Tests.Web.Browser;

/// <summary>The import dialog as a person uses it: a real zip of real photos, one upload, the live operation, the report.</summary>
public sealed class ImportBrowserTests(ConsoleServerFixture server, ITestOutputHelper output) : IClassFixture<ConsoleServerFixture>, IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("vision-console-import-ui-").FullName;

    [Fact]
    public async Task ImportDialog_FolderPerLabelZipWithOneTextFile_TenImportedOneRefusedReportNamesItGridAndHealthShowLabels()
    {
        var train = Path.Combine(SharedData.Hymenoptera, "train");
        var zipPath = Path.Combine(_scratch, "ants-and-bees.zip");
        const string badName = "not-a-photo.jpg";
        using (var zip = ZipFile.Open(zipPath, ZipArchiveMode.Create))
        {
            foreach (var label in new[] { "ants", "bees" })
            {
                foreach (var photo in Directory.GetFiles(Path.Combine(train, label), "*.jpg").Order(StringComparer.Ordinal).Take(5))
                {
                    zip.CreateEntryFromFile(photo, $"{label}/{Path.GetFileName(photo)}");
                }
            }
            // A text file that claims to be a photo: intake refuses it, the rest must still import.
            zip.CreateEntryFromFile(Path.Combine(SharedData.Hymenoptera, "README.md"), $"ants/{badName}");
        }

        await using var session = await server.OpenPageAsync(output);
        var page = session.Page;
        var consoleErrors = session.ConsoleErrors;
        try
        {
            await ImportAsync(page, zipPath, badName);
        }
        catch
        {
            var failure = Path.Combine(Path.GetTempPath(), $"vision-console-import-failure-{Guid.NewGuid():N}.png");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = failure, FullPage = true });
            output.WriteLine($"failure screenshot: {failure}; browser console errors: {string.Join(" | ", consoleErrors)}");
            throw;
        }
        Assert.True(consoleErrors.Count == 0, "Browser console errors: " + string.Join(" | ", consoleErrors));
    }

    private async Task ImportAsync(IPage page, string zipPath, string badName)
    {
        await page.GotoAsync("/");
        await page.Locator(".console-shell[data-interactive=true]").WaitForAsync();
        await page.Locator("[data-test=create-dataset]").ClickAsync();
        await page.Locator("#dataset-name").FillAsync("Imported ants and bees");
        await page.Locator("#kind-SingleLabel").CheckAsync();
        await page.Locator("[data-test=create-dataset-submit]").ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/datasets/[0-9]+$"));
        await Expect(page.Locator(".empty-state h2")).ToHaveTextAsync("No images yet");

        // Open the dialog, choose the zip (format left on Auto) and import it.
        await page.Locator("[data-test=open-import]").ClickAsync();
        await Expect(page.Locator("[data-test=import-format]")).ToHaveValueAsync("Auto");
        await page.Locator("[data-test=import-input][data-import-ready]").WaitForAsync();
        await page.Locator("[data-test=import-input]").SetInputFilesAsync(zipPath);
        await Expect(page.Locator("[data-test=import-chosen]")).ToContainTextAsync("1 file(s)");
        // Records every stage the dialog shows, however briefly.
        await page.EvaluateAsync("""
            () => {
                const dialog = document.querySelector('[data-test=import-dialog]');
                window.importStages = [dialog.dataset.stage];
                new MutationObserver(() => window.importStages.push(dialog.dataset.stage)).observe(dialog, { attributes: true, attributeFilter: ['data-stage'] });
            }
            """);
        await page.Locator("[data-test=import-start]").ClickAsync();

        // The live operation reaches its end: every image handled, the counts final.
        await Expect(page.Locator("[data-test=import-dialog]")).ToHaveAttributeAsync("data-stage", "finished", new() { Timeout = 300_000 });
        await Expect(page.Locator("[data-test=import-phase]")).ToHaveTextAsync("Done");
        var stages = await page.EvaluateAsync<string[]>("() => window.importStages");
        output.WriteLine("dialog stages: " + string.Join(" > ", stages));
        Assert.Equal("choosing", stages[0]);
        Assert.Equal("uploading", stages[1]);
        Assert.Equal("finished", stages[^1]);
        await Expect(page.Locator("[data-test=import-done]")).ToHaveTextAsync("11 / 11");
        await Expect(page.Locator("[data-test=import-imported]")).ToHaveTextAsync("10");
        await Expect(page.Locator("[data-test=import-duplicates]")).ToHaveTextAsync("0");
        await Expect(page.Locator("[data-test=import-refused]")).ToHaveTextAsync("1");
        await Expect(page.Locator(".import-dialog .operation-state, .import-dialog .badge").First).ToHaveTextAsync(new Regex("Succeeded", RegexOptions.IgnoreCase));

        // The report link downloads the CSV, which names the refused file.
        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("[data-test=import-report]").ClickAsync());
        var reportPath = Path.Combine(_scratch, "report.csv");
        await download.SaveAsAsync(reportPath);
        var report = await File.ReadAllLinesAsync(reportPath);
        output.WriteLine(string.Join(Environment.NewLine, report));
        var badRows = report.Where(line => line.Contains(badName, StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(badRows);
        Assert.Contains(badRows, row => row.Contains("error", StringComparison.OrdinalIgnoreCase));

        // Closing shows the refreshed page: ten tiles with their labels, and the label filter's counts.
        await page.Locator("[data-test=import-close]").ClickAsync();
        await Expect(page.Locator(".modal")).ToHaveCountAsync(0);
        await Expect(page.Locator("[data-test=image-count]")).ToHaveTextAsync("10 images");
        await Expect(page.Locator(".image-tile")).ToHaveCountAsync(10);
        var tileLabels = await page.Locator(".image-tile .image-label").AllInnerTextsAsync();
        Assert.Equal(5, tileLabels.Count(l => l.Trim() == "ants"));
        Assert.Equal(5, tileLabels.Count(l => l.Trim() == "bees"));
        Assert.DoesNotContain(badName, await page.Locator(".image-tile .image-tile-name").AllInnerTextsAsync());
        var options = await page.Locator("#filter-label option").AllInnerTextsAsync();
        Assert.Contains("ants (5)", options);
        Assert.Contains("bees (5)", options);
        await page.Locator("#filter-label").SelectOptionAsync(new SelectOptionValue { Label = "bees (5)" });
        await Expect(page.Locator(".image-tile")).ToHaveCountAsync(5);
        Assert.All(await page.Locator(".image-tile .image-label").AllInnerTextsAsync(), l => Assert.Equal("bees", l.Trim()));

        // The health page, computed by the real service on the real SQLite file: ten images, five per label, all unassigned.
        await page.Locator("[data-test=dataset-health]").ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/datasets/[0-9]+/health$"));
        await Expect(page.Locator("[data-test=health-images]")).ToHaveTextAsync("10");
        await Expect(page.Locator("[data-test=health-unlabeled]")).ToHaveTextAsync("0");
        await Expect(page.Locator(".health-labels tr[data-label=ants] .health-count")).ToHaveTextAsync("5");
        await Expect(page.Locator(".health-labels tr[data-label=bees] .health-count")).ToHaveTextAsync("5");
        await Expect(page.Locator(".health-splits tr[data-split=Unassigned] .health-stored")).ToHaveTextAsync("10");
        // Five images per label is below the minimum of ten: both labels are warned about.
        await Expect(page.Locator(".health-warning[data-code=few-images]")).ToHaveCountAsync(2);
        var screenshot = Path.Combine(Path.GetTempPath(), $"vision-console-import-{Guid.NewGuid():N}.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        output.WriteLine($"screenshot: {screenshot}");
    }

    public void Dispose() => Directory.Delete(_scratch, recursive: true);
}
