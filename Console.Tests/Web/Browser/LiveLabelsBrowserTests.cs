using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using VisionConsole.Domain.Datasets;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace VisionConsole.Tests.Web.Browser;

/// <summary>Two people on one dataset, two browser sessions on one real host: each sees the other's labels without a reload.</summary>
public sealed partial class LiveLabelsBrowserTests(ConsoleServerFixture server, ITestOutputHelper output) : IClassFixture<ConsoleServerFixture>
{
    [Fact]
    public async Task Label_AnnLabelsWhileBoHasTheDatasetOpen_BoSeesTheChipsInGridAndViewerWithoutReload()
    {
        var datasetId = await SeedAsync();
        // Two labelers, each signed in in a browser context of their own.
        await using var bo = await server.OpenPageAsync(output, storageState: await server.SignInAsync("bo", VisionConsole.Domain.Accounts.ProjectRole.Labeler));
        await using var ann = await server.OpenPageAsync(output, storageState: await server.SignInAsync("ann", VisionConsole.Domain.Accounts.ProjectRole.Labeler));
        try
        {
            await LabelLiveAsync(datasetId, bo.Page, ann.Page);
        }
        catch
        {
            foreach (var (name, session) in new[] { ("bo", bo), ("ann", ann) })
            {
                var failure = Path.Combine(Path.GetTempPath(), $"vision-console-live-labels-{name}-{Guid.NewGuid():N}.png");
                await session.Page.ScreenshotAsync(new PageScreenshotOptions { Path = failure, FullPage = true });
                output.WriteLine($"{name}: failure screenshot {failure}; browser console errors: {string.Join(" | ", session.ConsoleErrors)}");
            }
            throw;
        }
        Assert.Empty(bo.ConsoleErrors);
        Assert.Empty(ann.ConsoleErrors);
    }

    /// <summary>A single-label dataset with the label "ants" and three real photos, none labeled.</summary>
    private async Task<long> SeedAsync()
    {
        var datasets = server.Services.GetRequiredService<IDatasetService>();
        var intake = server.Services.GetRequiredService<IImageIntake>();
        var dataset = await datasets.CreateAsync("Shared insects", DatasetKind.SingleLabel, "ann");
        await datasets.AddLabelAsync(dataset.Id, "ants", "ann");
        foreach (var file in Directory.GetFiles(Path.Combine(SharedData.Hymenoptera, "train", "ants"), "*.jpg").Order(StringComparer.Ordinal).Take(3))
        {
            await using var stream = File.OpenRead(file);
            Assert.True((await intake.AddAsync(dataset.Id, Path.GetFileName(file), stream, "ann")).Accepted);
        }
        return dataset.Id;
    }

    private static async Task LabelLiveAsync(long datasetId, IPage bo, IPage ann)
    {
        await OpenAsAsync(bo, "bo", datasetId);
        var boTiles = bo.Locator(".image-tile");
        await Expect(boTiles).ToHaveCountAsync(3);
        await Expect(boTiles.Locator(".image-label")).ToHaveCountAsync(0);
        // Bo has an image selected: a reload caused by someone else keeps it.
        await boTiles.Nth(1).ClickAsync();
        await Expect(bo.Locator("[data-test=selection-count]")).ToHaveTextAsync("1 image selected");

        await OpenAsAsync(ann, "ann", datasetId);
        var annTiles = ann.Locator(".image-tile");
        await annTiles.Nth(0).ClickAsync();
        await Expect(ann.Locator("[data-test=selection-count]")).ToHaveTextAsync("1 image selected");
        await ann.Keyboard.PressAsync("1");
        await Expect(annTiles.Nth(0).Locator(".image-label")).ToHaveTextAsync(["ants"]);

        // Bo's grid and label counts follow, with no reload; the selection stays.
        await Expect(boTiles.Nth(0).Locator(".image-label")).ToHaveTextAsync(["ants"]);
        await Expect(bo.Locator(".label-bar .label-button[title*=' ants '] .label-count")).ToHaveTextAsync("1");
        await Expect(boTiles.Nth(1)).ToHaveClassAsync(SelectedTile());
        await Expect(bo.Locator("[data-test=selection-count]")).ToHaveTextAsync("1 image selected");

        // Bo looks at the third image in the viewer while Ann labels it there in the grid.
        var viewer = bo.Locator("[data-test=image-viewer]");
        await boTiles.Nth(2).Locator("[data-test=open-image]").ClickAsync();
        await Expect(viewer.Locator("[data-test=viewer-position]")).ToHaveTextAsync("3 of 3");
        await Expect(viewer.Locator("[data-test=viewer-labels] .image-label")).ToHaveCountAsync(0);
        // Ann's number key moved her selection on to the next image (keyboard labeling advances): unselect it, pick the third.
        await Expect(annTiles.Nth(1)).ToHaveClassAsync(SelectedTile());
        await annTiles.Nth(1).ClickAsync();
        await annTiles.Nth(2).ClickAsync();
        await Expect(annTiles.Nth(2)).ToHaveClassAsync(SelectedTile());
        await Expect(ann.Locator("[data-test=selection-count]")).ToHaveTextAsync("1 image selected");
        await ann.Keyboard.PressAsync("1");
        await Expect(annTiles.Nth(2).Locator(".image-label")).ToHaveTextAsync(["ants"]);

        await Expect(viewer.Locator("[data-test=viewer-labels] .image-label")).ToHaveTextAsync(["ants"]);
        await Expect(bo.Locator(".label-bar .label-button[title*=' ants '] .label-count")).ToHaveTextAsync("2");
    }

    /// <summary>Checks who the session is signed in as (the top bar), then opens the dataset once the circuit is live.</summary>
    private static async Task OpenAsAsync(IPage page, string user, long datasetId)
    {
        await page.GotoAsync("/");
        await page.Locator(".console-shell[data-interactive=true]").WaitForAsync();
        await Expect(page.Locator("[data-test=user-name]")).ToHaveTextAsync(user);
        await page.GotoAsync($"/datasets/{datasetId}");
        await page.Locator(".console-shell[data-interactive=true]").WaitForAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Shared insects");
    }

    [GeneratedRegex(@"\bimage-tile-selected\b")]
    private static partial Regex SelectedTile();
}
