using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using VisionConsole.Domain.Datasets;
using VisionConsole.Tests.Domain.Imaging;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace VisionConsole.Tests.Web.Browser;

/// <summary>Box labeling as a person does it: real host, SQLite file, raccoon photos, chromium, mouse and keyboard on the canvas.</summary>
public sealed class BoxLabelingBrowserTests(ConsoleServerFixture server, ITestOutputHelper output) : IClassFixture<ConsoleServerFixture>
{
    private static readonly string[] Files = ["raccoon-1.jpg", "raccoon-10.jpg", "raccoon-100.jpg"];
    private readonly Dictionary<long, string> _files = [];
    private readonly Dictionary<long, string> _shas = [];

    [Fact]
    public async Task BoxLabeling_DrawMoveResizeNudgeDeleteUndoRedoCopyLabelNext_AllPersistedAndASecondTabIsRefused()
    {
        var (dataset, images) = await SeedAsync();
        await using var session = await server.OpenPageAsync(output);
        var page = session.Page;
        try
        {
            await LabelAsync(page, dataset, images);
            await TwoTabsAsync(page, dataset, images[2]);
        }
        catch
        {
            var failure = Path.Combine(Path.GetTempPath(), $"vision-console-boxes-failure-{Guid.NewGuid():N}.png");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = failure, FullPage = true });
            output.WriteLine($"failure screenshot: {failure}; browser console errors: {string.Join(" | ", session.ConsoleErrors)}");
            throw;
        }
        Assert.True(session.ConsoleErrors.Count == 0, "Browser console errors: " + string.Join(" | ", session.ConsoleErrors));
    }

    private async Task LabelAsync(IPage page, long dataset, long[] images)
    {
        var boxes = server.Services.GetRequiredService<IBoxLabeling>();
        var first = await boxes.GetBoxesAsync(dataset, images[0]);
        var (w, h) = (first.Width, first.Height);

        // From the dataset page, as a person gets there.
        await page.GotoAsync($"datasets/{dataset}");
        await page.Locator(".console-shell[data-interactive=true]").WaitForAsync();
        await page.Locator("[data-test=label-boxes]").ClickAsync();
        await OpenedAsync(page, images[0]);
        var rows = page.Locator("[data-test=box-row]");

        // Draw (the first label, dog, is current), then label it raccoon with its number key.
        await DragAsync(page, (0.1 * w, 0.1 * h), (0.4 * w, 0.5 * h));
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First).ToHaveAttributeAsync("data-label", "dog");
        await page.Keyboard.PressAsync("2");
        await Expect(rows.First).ToHaveAttributeAsync("data-label", "raccoon");
        var drawn = await RectAsync(rows.First);
        var tolerance = await PixelToleranceAsync(page);
        AssertNear([0.1 * w, 0.1 * h, 0.3 * w, 0.4 * h], drawn, tolerance);

        // Move by dragging its middle, resize by its bottom-right handle.
        await DragAsync(page, (drawn[0] + drawn[2] / 2, drawn[1] + drawn[3] / 2), (drawn[0] + drawn[2] / 2 + 0.1 * w, drawn[1] + drawn[3] / 2 + 0.05 * h));
        var moved = await WaitForRectAsync(rows.First, r => Math.Abs(r[0] - drawn[0] - 0.1 * w) <= tolerance);
        AssertNear([drawn[0] + 0.1 * w, drawn[1] + 0.05 * h, drawn[2], drawn[3]], moved, tolerance);
        await DragAsync(page, (moved[0] + moved[2], moved[1] + moved[3]), (moved[0] + moved[2] + 0.1 * w, moved[1] + moved[3] + 0.1 * h));
        var resized = await WaitForRectAsync(rows.First, r => Math.Abs(r[2] - moved[2] - 0.1 * w) <= tolerance);
        AssertNear([moved[0], moved[1], moved[2] + 0.1 * w, moved[3] + 0.1 * h], resized, tolerance);

        // Nudge: 1 px right, 10 px down (Shift), in the photo's own pixels.
        await page.Keyboard.PressAsync("ArrowRight");
        await WaitForRectAsync(rows.First, r => r[0] == resized[0] + 1);
        await page.Keyboard.PressAsync("Shift+ArrowDown");
        var nudged = await WaitForRectAsync(rows.First, r => r[1] == resized[1] + 10);
        Assert.Equal([resized[0] + 1, resized[1] + 10, resized[2], resized[3]], nudged);

        // A second box, deleted, brought back and deleted again.
        await page.Keyboard.PressAsync("Escape");
        await DragAsync(page, (0.75 * w, 0.75 * h), (0.95 * w, 0.95 * h));
        await Expect(rows).ToHaveCountAsync(2);
        await page.Keyboard.PressAsync("Delete");
        await Expect(rows).ToHaveCountAsync(1);
        await page.Keyboard.PressAsync("Control+z");
        await Expect(rows).ToHaveCountAsync(2);
        await page.Keyboard.PressAsync("Control+Shift+z");
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(page.Locator("[data-test=save-status]")).ToHaveTextAsync("Saved");

        // Next image (F): nothing is lost on the way; copy the previous image's boxes (C).
        await page.Keyboard.PressAsync("f");
        await OpenedAsync(page, images[1]);
        await Expect(page.Locator("[data-test=image-position]")).ToHaveTextAsync("2 / 3");
        await Expect(rows).ToHaveCountAsync(0);
        await page.Keyboard.PressAsync("c");
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First).ToHaveAttributeAsync("data-label", "raccoon");
        await Expect(page.Locator("[data-test=save-status]")).ToHaveTextAsync("Saved");

        // Reload: everything is there, on both images.
        await page.ReloadAsync();
        await OpenedAsync(page, images[1]);
        await Expect(rows).ToHaveCountAsync(1);
        await page.Keyboard.PressAsync("d");
        await OpenedAsync(page, images[0]);
        await Expect(rows).ToHaveCountAsync(1);
        Assert.Equal(nudged, await RectAsync(rows.First));
        var stored = await boxes.GetBoxesAsync(dataset, images[0]);
        var box = Assert.Single(stored.Boxes);
        Assert.Equal("raccoon", box.Label);
        AssertNear(nudged, [box.Left * w, box.Top * h, box.Width * w, box.Height * h], 0.51);
        var copy = Assert.Single((await boxes.GetBoxesAsync(dataset, images[1])).Boxes);
        Assert.Equal((box.LabelId, box.Left, box.Top, box.Width, box.Height), (copy.LabelId, copy.Left, copy.Top, copy.Width, copy.Height));
        await MudUi.ScreenshotsAsync(page, "boxes");
    }

    /// <summary>Two tabs on one image: the first save wins; the second is refused and that tab shows the first one's boxes.</summary>
    private async Task TwoTabsAsync(IPage first, long dataset, long image)
    {
        await using var other = await server.OpenPageAsync(output);
        var second = other.Page;
        await first.GotoAsync($"datasets/{dataset}/boxes/{image}");
        await OpenedAsync(first, image);
        await second.GotoAsync($"datasets/{dataset}/boxes/{image}");
        await OpenedAsync(second, image);
        var stored = await server.Services.GetRequiredService<IBoxLabeling>().GetBoxesAsync(dataset, image);
        var (w, h) = (stored.Width, stored.Height);

        await DragAsync(first, (0.1 * w, 0.1 * h), (0.3 * w, 0.3 * h));
        await Expect(first.Locator("[data-test=save-status]")).ToHaveTextAsync("Saved");
        var firstRect = await RectAsync(first.Locator("[data-test=box-row]").First);
        await DragAsync(second, (0.6 * w, 0.6 * h), (0.9 * w, 0.9 * h));

        await Expect(second.Locator("[data-test=box-conflict]")).ToContainTextAsync("saved this image's boxes");
        await Expect(second.Locator("[data-test=box-row]")).ToHaveCountAsync(1);
        Assert.Equal(firstRect, await RectAsync(second.Locator("[data-test=box-row]").First));
        var after = await server.Services.GetRequiredService<IBoxLabeling>().GetBoxesAsync(dataset, image);
        Assert.Equal(0.1, Assert.Single(after.Boxes).Left, 1);
        Assert.True(other.ConsoleErrors.Count == 0, "Second tab console errors: " + string.Join(" | ", other.ConsoleErrors));
    }

    private async Task<(long Dataset, long[] Images)> SeedAsync()
    {
        var datasets = server.Services.GetRequiredService<IDatasetService>();
        var dataset = await datasets.CreateAsync("raccoons to box", DatasetKind.ObjectDetection, "ann");
        await datasets.AddLabelAsync(dataset.Id, "dog", "ann");
        await datasets.AddLabelAsync(dataset.Id, "raccoon", "ann");
        var ids = new List<long>();
        foreach (var file in Files)
        {
            await using var content = File.OpenRead(TestImages.Raccoon($"images/{file}"));
            var result = await server.Services.GetRequiredService<IImageIntake>().AddAsync(dataset.Id, file, content, "ann");
            Assert.True(result.Accepted, result.Error);
            ids.Add(result.ImageId!.Value);
            _files[result.ImageId.Value] = file;
            _shas[result.ImageId.Value] = result.Sha256!;
        }
        return (dataset.Id, [.. ids]);
    }

    private async Task OpenedAsync(IPage page, long image)
    {
        // Polls the page's URL (Blazor moves it with history.pushState) rather than waiting for a navigation event.
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"/boxes/{image}$"));
        await page.Locator(".console-shell[data-interactive=true]").WaitForAsync();
        // The canvas has drawn this very image (data-loaded is its blob's URL, set once it is fitted), so gestures map to its pixels.
        await Expect(page.Locator("[data-test=image-file]")).ToHaveTextAsync(_files[image]);
        await Expect(page.Locator($"[data-test=box-canvas][data-loaded='api/blobs/{_shas[image]}']")).ToHaveCountAsync(1);
    }

    /// <summary>Drags with the mouse between two points given in the photo's full-resolution pixels.</summary>
    private static async Task DragAsync(IPage page, (double X, double Y) from, (double X, double Y) to)
    {
        var a = await ScreenAsync(page, from);
        var b = await ScreenAsync(page, to);
        await page.Mouse.MoveAsync(a.X, a.Y);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync((a.X + b.X) / 2, (a.Y + b.Y) / 2, new MouseMoveOptions { Steps = 4 });
        await page.Mouse.MoveAsync(b.X, b.Y, new MouseMoveOptions { Steps = 4 });
        await page.Mouse.UpAsync();
    }

    private static async Task<(float X, float Y)> ScreenAsync(IPage page, (double X, double Y) pixel)
    {
        var at = await page.EvaluateAsync<double[]>(
            "([x, y]) => { const c = document.querySelector('[data-test=box-canvas]'); const r = c.getBoundingClientRect(); const s = +c.dataset.scale; return [r.left + +c.dataset.ox + x * s, r.top + +c.dataset.oy + y * s]; }",
            new[] { pixel.X, pixel.Y });
        return ((float)at[0], (float)at[1]);
    }

    /// <summary>How far a point dragged on screen may land from where it was aimed, in photo pixels (a screen pixel or two).</summary>
    private static async Task<double> PixelToleranceAsync(IPage page) =>
        (3 / await page.EvaluateAsync<double>("() => +document.querySelector('[data-test=box-canvas]').dataset.scale")) + 1;

    private static async Task<double[]> RectAsync(ILocator row) =>
        [.. (await row.GetAttributeAsync("data-rect"))!.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture))];

    private static async Task<double[]> WaitForRectAsync(ILocator row, Func<double[], bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var rect = await RectAsync(row);
            if (done(rect) || DateTime.UtcNow > deadline)
            {
                return rect;
            }
            await Task.Delay(100);
        }
    }

    private static void AssertNear(double[] expected, double[] actual, double tolerance)
    {
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"[{string.Join(", ", actual)}] is not within {tolerance:0.##} px of [{string.Join(", ", expected.Select(e => Math.Round(e, 1)))}] at {i}");
        }
    }
}
