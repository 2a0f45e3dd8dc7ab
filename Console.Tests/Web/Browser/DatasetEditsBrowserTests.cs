using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using VisionConsole.Domain.Datasets;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace VisionConsole.Tests.Web.Browser;

/// <summary>
/// The dead ends a new user hit in the datasets area, tried in a real browser: rename a label and delete an image from
/// the grid, change a split, label five unlabeled images with the keyboard only, and the phone width (390 x 844).
/// Each test also writes screenshots (light and dark) of the pages it passes for a reviewer.
/// </summary>
public sealed class DatasetEditsBrowserTests(ConsoleServerFixture server, ITestOutputHelper output) : IClassFixture<ConsoleServerFixture>
{
    /// <summary>A single-label dataset with the labels ants and bees and <paramref name="count"/> real photos, none labeled.</summary>
    private async Task<long> SeedAsync(string name, int count)
    {
        var datasets = server.Services.GetRequiredService<IDatasetService>();
        var intake = server.Services.GetRequiredService<IImageIntake>();
        var dataset = await datasets.CreateAsync(name, DatasetKind.SingleLabel, "ann");
        await datasets.AddLabelAsync(dataset.Id, "ants", "ann");
        await datasets.AddLabelAsync(dataset.Id, "bees", "ann");
        var folder = Path.Combine(SharedData.Hymenoptera, "train");
        var files = Directory.GetFiles(Path.Combine(folder, "ants"), "*.jpg").Order(StringComparer.Ordinal).Take((count + 1) / 2)
            .Concat(Directory.GetFiles(Path.Combine(folder, "bees"), "*.jpg").Order(StringComparer.Ordinal).Take(count / 2));
        foreach (var file in files)
        {
            await using var stream = File.OpenRead(file);
            Assert.True((await intake.AddAsync(dataset.Id, Path.GetFileName(file), stream, "ann")).Accepted);
        }
        return dataset.Id;
    }

    private async Task RunAsync(BrowserSession session, string name, Func<IPage, Task> steps)
    {
        try
        {
            await steps(session.Page);
        }
        catch
        {
            var failure = Path.Combine(Path.GetTempPath(), $"vision-console-{name}-failure-{Guid.NewGuid():N}.png");
            await session.Page.ScreenshotAsync(new PageScreenshotOptions { Path = failure, FullPage = true });
            output.WriteLine($"failure screenshot: {failure}; browser console errors: {string.Join(" | ", session.ConsoleErrors)}");
            throw;
        }
        Assert.True(session.ConsoleErrors.Count == 0, "Browser console errors: " + string.Join(" | ", session.ConsoleErrors));
    }

    private static async Task OpenAsync(IPage page, string path)
    {
        await page.GotoAsync(path);
        await page.Locator(".console-shell[data-interactive=true]").WaitForAsync();
    }

    [Fact]
    public async Task RenameLabelDeleteImageChangeSplit_FromTheGrid_AllShownAndStored()
    {
        var datasetId = await SeedAsync("Edits", 4);
        var datasets = server.Services.GetRequiredService<IDatasetService>();
        var labels = await datasets.ListLabelsAsync(datasetId);
        var page1 = await datasets.QueryImagesAsync(datasetId, new ImageQuery());
        await datasets.ChangeLabelsAsync(datasetId, new LabelChange([page1.Items[0].Id, page1.Items[1].Id], [labels.Single(l => l.Name == "ants").Id], []), "ann");
        await using var session = await server.OpenPageAsync(output);
        await RunAsync(session, "edits", async page =>
        {
            await OpenAsync(page, $"/datasets/{datasetId}");
            var tiles = page.Locator(".image-tile");
            await Expect(tiles).ToHaveCountAsync(4);

            // Rename "ants" to "formica": the dialog says how many images it touches, then the chips follow.
            await page.Locator("[data-test=manage-labels]").ClickAsync();
            var row = page.Locator("[data-test=labels-table] tr[data-label=ants]");
            await row.Locator("input[data-test=rename-input]").FillAsync("formica");
            await row.Locator("[data-test=rename-label]").ClickAsync();
            await Expect(page.Locator("[data-test=confirm-message]")).ToHaveTextAsync("Rename “ants” to “formica” on 2 image(s)?");
            await page.Locator("[data-test=confirm]").ClickAsync();
            await Expect(page.Locator("[data-test=labels-table] tr[data-label=formica]")).ToHaveCountAsync(1);
            await page.Locator("[data-test=labels-close]").ClickAsync();
            await Expect(page.Locator(".image-tile .image-label")).ToHaveTextAsync(["formica", "formica"]);

            // Change a split: select the third tile, Split > Test.
            await tiles.Nth(2).ClickAsync();
            await page.Locator("[data-test=split-menu] button").ClickAsync();
            await page.Locator(".mud-popover-open .mud-menu-item[data-split=Test]").ClickAsync();
            await Expect(tiles.Nth(2).Locator(".image-split")).ToHaveTextAsync("Test");

            // Delete one image from the grid, confirmed; then undo from the notice and delete it for good.
            var doomed = await tiles.Nth(3).Locator(".image-tile-name").InnerTextAsync();
            await tiles.Nth(2).ClickAsync();
            await Expect(page.Locator("[data-test=selection-count]")).ToHaveTextAsync("No images selected");
            await tiles.Nth(3).ClickAsync();
            await page.Locator("[data-test=delete-images]").ClickAsync();
            await Expect(page.Locator("[data-test=confirm-message]")).ToContainTextAsync("Delete this image");
            await page.Locator("[data-test=confirm]").ClickAsync();
            await Expect(tiles).ToHaveCountAsync(3);
            await Expect(page.Locator("[data-test=image-count]")).ToHaveTextAsync("3 images");
            await page.Locator(".mud-snackbar button", new PageLocatorOptions { HasText = "Undo" }).ClickAsync();
            await Expect(tiles).ToHaveCountAsync(4);
            await Expect(page.Locator(".image-tile .image-tile-name", new PageLocatorOptions { HasText = doomed })).ToHaveCountAsync(1);
            await MudUi.ScreenshotsAsync(page, "dataset");
        });

        var stored = await datasets.QueryImagesAsync(datasetId, new ImageQuery());
        Assert.Equal(4, stored.Total);
        Assert.Equal(2, stored.Items.Count(i => i.Labels.SequenceEqual(["formica"])));
        Assert.Single(stored.Items, i => i.Split == DataSplit.Test);
        Assert.DoesNotContain(await datasets.ListLabelsAsync(datasetId), l => l.Name == "ants");
    }

    [Fact]
    public async Task KeyboardLabeling_FiveUnlabeledInARow_NoMouseFocusStaysInTheGrid()
    {
        var datasetId = await SeedAsync("Keyboard", 6);
        await using var session = await server.OpenPageAsync(output);
        await RunAsync(session, "keyboard", async page =>
        {
            await OpenAsync(page, $"/datasets/{datasetId}?unlabeled=true");
            await Expect(page.Locator("input[data-test=filter-unlabeled]")).ToBeCheckedAsync();
            var tiles = page.Locator(".image-tile");
            await Expect(tiles).ToHaveCountAsync(6);

            // Into the grid with the keyboard (the area is a tab stop), then arrow to the first image and label five.
            await page.Locator("[data-test=labeling-area]").FocusAsync();
            await page.Keyboard.PressAsync("ArrowRight");
            await Expect(page.Locator(".image-tile-cursor.image-tile-selected")).ToHaveCountAsync(1);
            // The label bar has the selection too (its buttons are enabled), so a number key now labels the image.
            await Expect(page.Locator("[data-label-id]").First).ToBeEnabledAsync();
            string[] keys = ["1", "2", "1", "2", "1"];
            for (var i = 0; i < keys.Length; i++)
            {
                await page.Keyboard.PressAsync(keys[i]);
                await Expect(tiles).ToHaveCountAsync(5 - i);
                // Focus stayed in the grid (not on <body>) and the next image is already selected.
                await page.WaitForFunctionAsync("() => document.activeElement?.closest('[data-test=labeling-area]') !== null");
                await Expect(page.Locator(".image-tile-selected")).ToHaveCountAsync(1);
            }
            await Expect(page.Locator("[data-test=label-count]")).ToHaveTextAsync("2 labels");

            // "?" opens the shortcuts sheet.
            await page.Keyboard.PressAsync("?");
            await Expect(page.Locator("[data-test=shortcuts]")).ToBeVisibleAsync();
            await page.Locator("[data-test=shortcuts-close]").ClickAsync();
        });

        var labeled = await server.Services.GetRequiredService<IDatasetService>().QueryImagesAsync(datasetId, new ImageQuery());
        Assert.Equal(5, labeled.Items.Count(i => i.Labels.Count == 1));
        Assert.Equal(3, labeled.Items.Count(i => i.Labels.SequenceEqual(["ants"])));
    }

    [Fact]
    public async Task PhoneWidth_DatasetsListAndDatasetPage_NoHorizontalScrollThreeTilesARow()
    {
        var datasetId = await SeedAsync("A dataset with a rather long name for a phone screen", 6);
        var context = await server.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = server.BaseAddress.ToString(),
            StorageState = server.SignedInState,
            ViewportSize = new ViewportSize { Width = 390, Height = 844 },
            IsMobile = true,
            HasTouch = true,
        });
        context.SetDefaultTimeout(60_000);
        await using var _ = context;
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") errors.Add(m.Text); };

        const string noHorizontalScroll = "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth";
        await OpenAsync(page, "/datasets");
        await page.Locator(".dataset-table .dataset-link").First.WaitForAsync();
        Assert.True(await page.EvaluateAsync<bool>(noHorizontalScroll),
            "datasets list: " + await page.EvaluateAsync<string>("() => `${document.documentElement.scrollWidth} > ${document.documentElement.clientWidth}`"));
        await MudUi.ScreenshotsAsync(page, "phone-datasets");

        await OpenAsync(page, $"/datasets/{datasetId}");
        var tiles = page.Locator(".image-tile");
        await Expect(tiles).ToHaveCountAsync(6);
        Assert.True(await page.EvaluateAsync<bool>(noHorizontalScroll),
            "dataset page: " + await page.EvaluateAsync<string>("() => `${document.documentElement.scrollWidth} > ${document.documentElement.clientWidth}`"));
        var tops = await tiles.EvaluateAllAsync<double[]>("tiles => tiles.slice(0, 4).map(t => Math.round(t.getBoundingClientRect().top))");
        Assert.True(tops[0] == tops[1] && tops[1] == tops[2] && tops[3] > tops[2], "tile tops: " + string.Join(", ", tops));

        // Select mode for touch: taps select, no modifier keys.
        await page.Locator("[data-test=select-mode]").TapAsync();
        await tiles.Nth(0).TapAsync();
        await tiles.Nth(1).TapAsync();
        await Expect(page.Locator("[data-test=selection-count]")).ToHaveTextAsync("2 images selected");
        await MudUi.ScreenshotsAsync(page, "phone-dataset");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task Screenshots_DatasetsListAndHealth_LightAndDark()
    {
        var datasetId = await SeedAsync("Screenshots", 4);
        await using var session = await server.OpenPageAsync(output);
        await RunAsync(session, "screenshots", async page =>
        {
            await OpenAsync(page, "/datasets");
            await page.Locator(".dataset-table .dataset-link").First.WaitForAsync();
            await MudUi.ScreenshotsAsync(page, "datasets");
            await OpenAsync(page, $"/datasets/{datasetId}/health");
            await Expect(page.Locator("[data-test=health-images]")).ToHaveTextAsync("4");
            await MudUi.ScreenshotsAsync(page, "health");
        });
        output.WriteLine("screenshots in " + MudUi.ScreenshotFolder);
    }
}
