using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using VisionConsole.Domain.Storage;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace VisionConsole.Tests.Web.Browser;

/// <summary>Labeling as a person does it: real host, SQLite file, hymenoptera photos, chromium, keyboard.</summary>
public sealed class LabelingBrowserTests(ConsoleServerFixture server, ITestOutputHelper output) : IClassFixture<ConsoleServerFixture>
{
    [Fact]
    public async Task Label_CtrlClickTwoPressOneThenViewerPressTwo_LabelsShownViewerAdvancesAndAuditedAsUser()
    {
        var folder = Path.Combine(VisionConsole.Tests.Domain.Import.ImportTestData.DatasetsRoot, "hymenoptera", "train");
        string[] files =
        [
            .. Directory.GetFiles(Path.Combine(folder, "ants"), "*.jpg").Order(StringComparer.Ordinal).Take(2),
            .. Directory.GetFiles(Path.Combine(folder, "bees"), "*.jpg").Order(StringComparer.Ordinal).Take(2),
        ];
        await using var session = await server.OpenPageAsync(output, storageState: await server.SignInAsync("Dana", VisionConsole.Domain.Accounts.ProjectRole.Editor));
        var page = session.Page;
        var consoleErrors = session.ConsoleErrors;
        try
        {
            await LabelAsync(page, files);
        }
        catch
        {
            var failure = Path.Combine(Path.GetTempPath(), $"vision-console-labeling-failure-{Guid.NewGuid():N}.png");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = failure, FullPage = true });
            output.WriteLine($"failure screenshot: {failure}; browser console errors: {string.Join(" | ", consoleErrors)}");
            throw;
        }
        Assert.True(consoleErrors.Count == 0, "Browser console errors: " + string.Join(" | ", consoleErrors));

        // Everything done from the UI is recorded under the name set in the top bar, with before and after.
        await using var db = await server.Services.GetRequiredService<IDbContextFactory<ConsoleDbContext>>().CreateDbContextAsync();
        var events = await db.AuditEvents.Where(a => a.Action == "labels-changed").OrderBy(a => a.Id).ToListAsync();
        Assert.Equal(3, events.Count);
        Assert.All(events, e => Assert.Equal("Dana", e.User));
        Assert.All(events, e => Assert.Equal("{\"labels\":[]}", e.BeforeJson));
        Assert.Equal(["{\"labels\":[\"ants\"]}", "{\"labels\":[\"ants\"]}", "{\"labels\":[\"bees\"]}"], events.Select(e => e.AfterJson));
        Assert.Equal(["Dana", "Dana", "Dana"], await db.AuditEvents.Where(a => a.EntityType == "label" || a.EntityType == "dataset").Select(a => a.User).ToListAsync());
    }

    private async Task LabelAsync(IPage page, string[] files)
    {
        // Who I am: the account the session signed in as, shown in the top bar and carried by the circuit.
        await page.GotoAsync("/");
        await page.Locator(".console-shell[data-interactive=true]").WaitForAsync();
        await Expect(page.Locator("[data-test=user-name]")).ToHaveTextAsync("Dana");

        await page.Locator("[data-test=create-dataset]").ClickAsync();
        await page.Locator("#dataset-name").FillAsync("Insects to label");
        // A Blazor input re-renders from the server after the click: wait for the state rather than demand it at once.
        await page.Locator("#kind-SingleLabel").ClickAsync();
        await Expect(page.Locator("#kind-SingleLabel")).ToBeCheckedAsync();
        await page.Locator("[data-test=create-dataset-submit]").ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Insects to label");
        await page.Locator("[data-test=upload-zone][data-upload-ready]").WaitForAsync();
        await page.Locator("[data-test=upload-zone] input[type=file], .image-uploader input.upload-input").First.SetInputFilesAsync(files);
        await Expect(page.Locator(".image-tile")).ToHaveCountAsync(files.Length);

        // Two labels, created inline; the bar numbers them.
        string[] names = ["ants", "bees"];
        for (var i = 0; i < names.Length; i++)
        {
            await page.Locator("[data-test=new-label]").FillAsync(names[i]);
            await page.Locator("[data-test=add-label]").ClickAsync();
            // The server clears the field when it re-renders: type the next name only after that.
            await Expect(page.Locator(".label-bar .label-button .label-name")).ToHaveCountAsync(i + 1);
            await Expect(page.Locator("[data-test=new-label]")).ToHaveValueAsync("");
        }
        await Expect(page.Locator(".label-bar .label-button .label-name")).ToHaveTextAsync(["ants", "bees"]);
        await Expect(page.Locator(".label-bar .label-button kbd")).ToHaveTextAsync(["1", "2"]);

        // Ctrl-click two tiles, press 1: both get "ants" at once, the others nothing.
        var tiles = page.Locator(".image-tile");
        await tiles.Nth(0).ClickAsync(new LocatorClickOptions { Modifiers = [KeyboardModifier.Control] });
        await tiles.Nth(1).ClickAsync(new LocatorClickOptions { Modifiers = [KeyboardModifier.Control] });
        await Expect(page.Locator("[data-test=selection-count]")).ToHaveTextAsync("2 images selected");
        await Expect(page.Locator(".image-tile-selected")).ToHaveCountAsync(2);
        await page.Keyboard.PressAsync("1");
        await Expect(tiles.Nth(0).Locator(".image-label")).ToHaveTextAsync(["ants"]);
        await Expect(tiles.Nth(1).Locator(".image-label")).ToHaveTextAsync(["ants"]);
        await Expect(tiles.Nth(2).Locator(".image-label")).ToHaveCountAsync(0);
        await Expect(tiles.Nth(3).Locator(".image-label")).ToHaveCountAsync(0);
        await Expect(page.Locator(".label-bar .label-button[title*=' ants '] .label-count")).ToHaveTextAsync("2");

        // The single-image view on the third tile: 2 labels it "bees", ArrowRight moves to the fourth.
        var thirdName = await tiles.Nth(2).Locator(".image-tile-name").InnerTextAsync();
        var fourthName = await tiles.Nth(3).Locator(".image-tile-name").InnerTextAsync();
        await tiles.Nth(2).Locator("[data-test=open-image]").ClickAsync();
        var viewer = page.Locator("[data-test=image-viewer]");
        await Expect(viewer.Locator("[data-test=viewer-position]")).ToHaveTextAsync("3 of 4");
        await Expect(viewer.Locator("[data-test=viewer-name]")).ToHaveTextAsync(thirdName);
        await page.WaitForFunctionAsync("() => document.activeElement?.matches('[data-test=image-viewer]') === true");
        await page.WaitForFunctionAsync("() => { const i = document.querySelector('.image-viewer-stage img'); return i && i.complete && i.naturalWidth > 0; }");
        // 2 labels it "bees" and the viewer goes on to the next unlabeled image by itself; ArrowLeft goes back.
        await page.Keyboard.PressAsync("2");
        await Expect(viewer.Locator("[data-test=viewer-position]")).ToHaveTextAsync("4 of 4");
        await Expect(viewer.Locator("[data-test=viewer-name]")).ToHaveTextAsync(fourthName);
        await Expect(viewer.Locator("[data-test=viewer-labels] .image-label")).ToHaveCountAsync(0);
        await page.Keyboard.PressAsync("ArrowLeft");
        await Expect(viewer.Locator("[data-test=viewer-position]")).ToHaveTextAsync("3 of 4");
        await Expect(viewer.Locator("[data-test=viewer-labels] .image-label")).ToHaveTextAsync(["bees"]);
        var screenshot = Path.Combine(Path.GetTempPath(), $"vision-console-viewer-{Guid.NewGuid():N}.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot });
        output.WriteLine($"screenshot: {screenshot}");

        await page.Keyboard.PressAsync("Escape");
        await Expect(viewer).ToHaveCountAsync(0);
        await Expect(tiles.Nth(2).Locator(".image-label")).ToHaveTextAsync(["bees"]);
    }
}
