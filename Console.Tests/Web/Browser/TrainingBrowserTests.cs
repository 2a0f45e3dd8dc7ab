using System.IO.Compression;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using VisionConsole.Tests.Trainer.Jobs;
using Xunit.Abstractions;

namespace VisionConsole.Tests.Web.Browser;

/// <summary>
/// Image classification end to end in the browser: real host, SQLite file, libvips, ONNX Runtime, the zoo from the
/// shared mirror, hymenoptera photos and Debian's chromium.
/// </summary>
public sealed class TrainingBrowserTests(ConsoleServerFixture server, ITestOutputHelper output) : IClassFixture<ConsoleServerFixture>
{
    [Fact]
    public async Task TrainWatchEvaluateDownload_TwentyAntsTwentyBees_ChartDrawsSliderChangesFiguresZipHasModelFiles()
    {
        // 20 + 20 TRAIN and 5 + 5 VALIDATION photos, labeled through the services (labeling has its own browser test).
        var datasetId = await TrainingHost.ImportHymenopteraAsync(server.Services, "Ants and bees", trainPerLabel: 20, valPerLabel: 5);
        await using var session = await server.OpenPageAsync(output, 120_000);
        var page = session.Page;
        var consoleErrors = session.ConsoleErrors;

        // The dataset page's Train button opens the form; an empty name is refused in the form.
        await page.GotoAsync($"/datasets/{datasetId}");
        await page.Locator(".console-shell[data-interactive=true]").WaitForAsync();
        await page.Locator("[data-test=train-dataset]").ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex($@"/datasets/{datasetId}/train$"));
        await page.Locator(".console-shell[data-interactive=true]").WaitForAsync();
        await PageScreenshots.TakeLightAndDarkAsync(page, "train-form", output);
        var modelName = page.Locator("input[data-test=model-name], [data-test=model-name] input").First;
        await modelName.FillAsync("");
        await page.Locator("[data-test=start-training]").ClickAsync();
        await Assertions.Expect(page.GetByText("Give the model a name.")).ToBeVisibleAsync();
        Assert.EndsWith($"/datasets/{datasetId}/train", page.Url, StringComparison.Ordinal);

        await modelName.FillAsync("Hymenoptera e2e");
        // A Blazor input re-renders from the server after the click: wait for the state rather than demand it at once.
        var versatile = page.Locator("input[data-test=type-mobile-versatile-1], [data-test=type-mobile-versatile-1] input").First;
        await versatile.CheckAsync();
        await Assertions.Expect(versatile).ToBeCheckedAsync();
        await page.Locator("input[data-test=budget-minutes], [data-test=budget-minutes] input").First.FillAsync("2");
        await Assertions.Expect(page.Locator("[data-test=node-hours]")).ToContainTextAsync("= 33 milli node hours");
        await page.Locator("[data-test=start-training]").ClickAsync();

        // The operation page follows the training live (no reload): the chart draws its first epoch, then the model link appears.
        // Blazor navigates within the document; a one-shot navigation wait can miss an event that lands as it
        // subscribes (seen on a loaded machine), so the URL is polled.
        await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"/operations/\d+$"));
        await page.Locator(".console-shell[data-interactive=true]").WaitForAsync();
        var trainLoss = page.Locator("[data-test=training-chart] path[data-series='Train loss']");
        await trainLoss.WaitForAsync();
        var path = await trainLoss.GetAttributeAsync("d");
        Assert.Matches(@"^M[\d.]+ [\d.]+", path!);
        await page.Locator("[data-test=model-link]").WaitForAsync();
        Assert.Equal("Succeeded", (await page.Locator(".operation-state").InnerTextAsync()).Trim());
        var finalPath = await trainLoss.GetAttributeAsync("d");
        var epochs = finalPath!.Split(' ').Count(part => part.StartsWith('M') || part.StartsWith('L'));
        output.WriteLine($"operation {page.Url}: {await page.Locator("[data-test=progress-message]").InnerTextAsync()}; train-loss line through {epochs} epochs");
        Assert.True(epochs >= 1, "The chart shows at least one epoch point.");
        Assert.Equal(epochs.ToString(System.Globalization.CultureInfo.InvariantCulture), (await page.Locator("[data-test=epoch]").InnerTextAsync()).Split(' ')[0]);
        Assert.Equal("Training", await page.Locator("[data-test=kind]").InnerTextAsync());
        Assert.Equal("Ants and bees", await page.Locator("[data-test=dataset-link]").InnerTextAsync());
        await PageScreenshots.TakeLightAndDarkAsync(page, "operation", output);

        // Evaluation: moving the slider recomputes the figures in place.
        await page.Locator("[data-test=evaluation-link]").ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"/models/\d+/evaluation$"));
        await page.Locator(".console-shell[data-interactive=true]").WaitForAsync();
        var threshold = page.Locator("[data-test=threshold-value]");
        var suggested = await threshold.InnerTextAsync();
        var before = await FiguresAsync(page);
        var noneBefore = await NoneColumnAsync(page);
        Assert.Equal(await page.Locator("[data-test=suggested-threshold]").InnerTextAsync(), suggested);
        output.WriteLine($"at suggested {suggested}: P/R/F1 {before}, none column {noneBefore}");
        Assert.NotNull(await page.Locator("[data-test=pr-curve] path.line-chart-series").GetAttributeAsync("d"));

        var slider = page.Locator("[data-test=threshold]");
        await slider.FocusAsync();
        await slider.PressAsync("End");
        await Assertions.Expect(threshold).ToHaveTextAsync("1.00");
        var after = await FiguresAsync(page);
        var noneAfter = await NoneColumnAsync(page);
        output.WriteLine($"at 1.00: P/R/F1 {after}, none column {noneAfter}");
        Assert.NotEqual(before, after);
        Assert.True(noneAfter > noneBefore, $"More images fall below a threshold of 1 ({noneAfter}) than below {suggested} ({noneBefore}).");

        // The images behind a confusion-matrix cell, one click away, thumbnails served.
        await page.Locator(".confusion-matrix td button").First.ClickAsync();
        var thumbnail = page.Locator("[data-test=drill-down] img").First;
        await thumbnail.WaitForAsync();
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('[data-test=drill-down] img')].every(i => i.complete && i.naturalWidth > 0)");
        await PageScreenshots.TakeLightAndDarkAsync(page, "evaluation", output);
        // The image opens in the viewer with its true and predicted label.
        await page.Locator("[data-test=drill-down] .drill-tile").First.ClickAsync();
        await Assertions.Expect(page.Locator("[data-test=viewer-true]")).Not.ToBeEmptyAsync();
        await Assertions.Expect(page.Locator("[data-test=viewer-predicted]")).Not.ToBeEmptyAsync();
        await page.Locator("[data-test=viewer-close]").ClickAsync();

        // The model page: download the zip, then publish and fetch the stable URL.
        await page.Locator(".mud-breadcrumbs a[href^='models/']").ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"/models/\d+$"));
        await page.Locator(".console-shell[data-interactive=true]").WaitForAsync();
        Assert.Equal("Hymenoptera e2e", await page.Locator("[data-test=model-name]").InnerTextAsync());
        // The download menu offers each format with its size; the Firebase layout is model.tflite, dict.txt and a manifest naming it.
        await page.Locator("[data-test=versions][data-ready=true]").WaitForAsync();
        await page.Locator("[data-test=download-1] button").ClickAsync();
        await Assertions.Expect(page.Locator("[data-test=download-1-Tflite]")).ToContainTextAsync(new Regex(@"TFLite, quantized[\s\S]*\d\.\d MB"));
        await Assertions.Expect(page.Locator("[data-test=download-1-TfliteFloat32]")).ToContainTextAsync("made on request");
        var firebase = await page.RunAndWaitForDownloadAsync(() => page.Locator("[data-test=download-1-Firebase]").ClickAsync());
        Assert.Equal("Hymenoptera-e2e-v1-firebase.zip", firebase.SuggestedFilename);
        var firebasePath = Path.Combine(server.DataFolder, "downloaded-firebase.zip");
        await firebase.SaveAsAsync(firebasePath);
        using (var zip = ZipFile.OpenRead(firebasePath))
        {
            Assert.Equal(["dict.txt", "manifest.json", "model.tflite"], zip.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal));
            using var manifest = JsonDocument.Parse(Read(zip, "manifest.json"));
            Assert.Equal("model.tflite", manifest.RootElement.GetProperty("modelFile").GetString());
        }
        await page.Locator("[data-test=download-1] button").ClickAsync();
        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("[data-test=download-1-Package]").ClickAsync());
        Assert.Equal("Hymenoptera-e2e-v1.zip", download.SuggestedFilename);
        var zipPath = Path.Combine(server.DataFolder, "downloaded.zip");
        await download.SaveAsAsync(zipPath);
        using (var zip = ZipFile.OpenRead(zipPath))
        {
            var names = zip.Entries.Select(e => e.FullName).ToList();
            output.WriteLine(string.Join(", ", names));
            Assert.Contains("model.onnx", names);
            Assert.Contains("model.tflite", names);
            Assert.Contains("tfjs/model.json", names);
            Assert.Contains(names, n => n.StartsWith("tfjs/group1-shard", StringComparison.Ordinal));
            Assert.Equal("ants\nbees\n", Read(zip, "dict.txt"));
            using var manifest = JsonDocument.Parse(Read(zip, "manifest.json"));
            Assert.Equal("IMAGE_LABELING", manifest.RootElement.GetProperty("modelType").GetString());
            Assert.Equal("model.onnx", manifest.RootElement.GetProperty("modelFile").GetString());
            Assert.True(zip.GetEntry("model.onnx")!.Length > 1_000_000, "model.onnx holds the backbone.");
        }

        await page.Locator("[data-test=publish-1]").ClickAsync();
        await page.Locator("input[data-test=publish-tags], [data-test=publish-tags] input").First.FillAsync("published, production");
        await page.Locator("[data-test=publish-submit]").ClickAsync();
        await page.Locator("[data-test=stable-url]").WaitForAsync();
        // Publishing kept the name; the stable URL is absolute.
        Assert.Equal("Hymenoptera e2e", await page.Locator("[data-test=model-name]").InnerTextAsync());
        Assert.StartsWith("http", await page.Locator("input[data-test=stable-url], [data-test=stable-url] input").First.InputValueAsync(), StringComparison.Ordinal);
        await PageScreenshots.TakeLightAndDarkAsync(page, "model", output);
        Assert.Equal(["published", "production"], (await page.Locator("tr[data-version='1'] .version-tag").AllInnerTextsAsync()).Select(t => t.Trim()));
        var latest = await page.APIRequest.GetAsync("/api/published/Hymenoptera%20e2e/latest/manifest.json");
        Assert.Equal(200, latest.Status);
        Assert.Equal("1", latest.Headers["x-model-version"]);
        Assert.Contains("\"modelType\":\"IMAGE_LABELING\"", await latest.TextAsync(), StringComparison.Ordinal);
        // The stable model.tflite carries its SHA-256 as ETag: an app that sends it back gets 304 while nothing changed.
        var tflite = await page.APIRequest.GetAsync("/api/published/Hymenoptera%20e2e/latest/model.tflite");
        Assert.Equal(200, tflite.Status);
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await tflite.BodyAsync()));
        Assert.Equal($"\"{hash}\"", tflite.Headers["etag"]);
        Assert.Equal(hash, tflite.Headers["x-model-hash"]);
        var unchanged = await page.APIRequest.GetAsync("/api/published/Hymenoptera%20e2e/latest/model.tflite",
            new() { Headers = new Dictionary<string, string> { ["If-None-Match"] = tflite.Headers["etag"] } });
        Assert.Equal(304, unchanged.Status);

        // Hosting for apps from the page: the Firebase ML download info names the file and its hash.
        await page.Locator("input[data-test=hosted-name], [data-test=hosted-name] input").First.FillAsync("hymenoptera-e2e");
        await page.Locator("[data-test=hosted-create]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-hosted=hymenoptera-e2e] [data-test=hosted-active]")).ToContainTextAsync("v1 active");
        var hosted = await page.APIRequest.GetAsync("/v1beta2/projects/default/models/hymenoptera-e2e:download");
        Assert.Equal(200, hosted.Status);
        Assert.Contains($"\"modelHash\":\"{hash}\"", await hosted.TextAsync(), StringComparison.Ordinal);

        // The prediction test page scores a photo with the chosen version and says what counts as predicted.
        await page.Locator("[data-test=open-predict]").ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"/models/\d+/predict$"));
        await page.Locator(".console-shell[data-interactive=true]").WaitForAsync();
        var photo = Directory.EnumerateFiles(Path.Combine(Domain.Import.ImportTestData.Hymenoptera, "val", "bees"), "*.jpg").Order(StringComparer.Ordinal).Last();
        // The layout was already interactive before this navigation: wait for the page's own file input to be wired.
        await page.Locator("[data-test=predict-zone][data-ready=true]").WaitForAsync();
        await page.Locator("input[type=file][data-test=predict-input]").SetInputFilesAsync(photo);
        await Assertions.Expect(page.Locator("[data-test=predict-verdict]")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator(".predictions li")).ToHaveCountAsync(2);
        await PageScreenshots.TakeLightAndDarkAsync(page, "predict", output);

        // Settings: disk usage per area, the execution provider and the zoo's cache.
        await page.GotoAsync("/settings");
        await page.Locator(".console-shell[data-interactive=true]").WaitForAsync();
        await page.Locator("tr[data-area=Images]").WaitForAsync();
        Assert.NotEqual("0 B", await page.Locator("tr[data-area=Images] [data-test=bytes]").InnerTextAsync());
        await Assertions.Expect(page.Locator("[data-test=ort-provider]")).ToContainTextAsync("ONNX Runtime");
        await Assertions.Expect(page.Locator("tr[data-backbone] [data-test=cache]", new() { HasTextString = "cached," })).Not.ToHaveCountAsync(0);
        await PageScreenshots.TakeLightAndDarkAsync(page, "settings", output);

        Assert.Empty(consoleErrors);
    }

    private static async Task<string> FiguresAsync(IPage page) =>
        string.Join(" / ", await Task.WhenAll(
            page.Locator("[data-test=precision]").InnerTextAsync(),
            page.Locator("[data-test=recall]").InnerTextAsync(),
            page.Locator("[data-test=f1]").InnerTextAsync()));

    private static async Task<int> NoneColumnAsync(IPage page)
    {
        var counts = await page.Locator(".confusion-matrix td[data-test$='-none']").EvaluateAllAsync<int[]>("cells => cells.map(c => Number(c.dataset.count))");
        return counts.Sum();
    }

    private static string Read(ZipArchive zip, string name)
    {
        using var reader = new StreamReader(zip.GetEntry(name)!.Open());
        return reader.ReadToEnd();
    }
}
