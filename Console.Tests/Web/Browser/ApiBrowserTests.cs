using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using VisionConsole.Domain.Datasets;
using VisionConsole.Web.Components.Pages.Api;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;
using static VisionConsole.Tests.Domain.Import.ImportTestData;

namespace VisionConsole.Tests.Web.Browser;

/// <summary>The API page in chromium, and its curl calls run by bash and curl against the same real server.</summary>
public sealed class ApiBrowserTests(ConsoleServerFixture server, ITestOutputHelper output) : IClassFixture<ConsoleServerFixture>
{
    [Fact]
    public async Task ApiPage_WithADataset_CurlFilledWithItsIdAndSwaggerUiListsTheRoutes()
    {
        var dataset = await server.Services.GetRequiredService<IDatasetService>().CreateAsync("api page insects", DatasetKind.SingleLabel, "ann");
        await using var session = await server.OpenPageAsync(output);
        var page = session.Page;

        await page.GotoAsync("/api-reference");
        await page.Locator(".console-shell[data-interactive=true]").WaitForAsync();

        await Expect(page.Locator("[data-test=placeholder-hint]")).ToContainTextAsync("api page insects");
        await Expect(page.Locator("[data-test=curl]").Filter(new() { HasText = ":importData" })).ToContainTextAsync($"/datasets/{dataset.Id}:importData");
        await Expect(page.Locator("[data-test=curl]").First).ToContainTextAsync($"{server.BaseAddress.ToString().TrimEnd('/')}/v1/projects/default/locations/us-central1/datasets");
        // Swagger UI, served by the console, renders the console's own document: the AutoML and the console routes.
        var viewer = page.FrameLocator("[data-test=api-viewer]");
        await Expect(viewer.Locator(".opblock-summary-path[data-path='/v1/projects/{project}/locations/{location}/models/{id}:predict']")).ToBeVisibleAsync();
        await Expect(viewer.Locator(".opblock-summary-path[data-path='/api/datasets/{id}/images']").First).ToBeVisibleAsync();
        Assert.True(session.ConsoleErrors.Count == 0, "Browser console errors: " + string.Join(" | ", session.ConsoleErrors));
    }

    [Fact]
    public async Task ApiSnippets_DatasetCalls_RunByCurl_CreateImportFollowAndList()
    {
        using var folder = new TempFolder();
        var photos = Directory.GetFiles(Path.Combine(SharedData.Hymenoptera, "train", "ants")).Order(StringComparer.Ordinal).Take(3)
            .Concat(Directory.GetFiles(Path.Combine(SharedData.Hymenoptera, "train", "bees")).Order(StringComparer.Ordinal).Take(3)).ToList();
        using (var zip = ZipFile.Open(folder.File("photos.zip"), ZipArchiveMode.Create))
            foreach (var photo in photos)
                zip.CreateEntryFromFile(photo, $"{Path.GetFileName(Path.GetDirectoryName(photo))}/{Path.GetFileName(photo)}");
        var empty = ApiSnippets.For(new ApiSnippetContext(server.BaseAddress.ToString(), null, null, null));

        var created = await CurlAsync(Snippet(empty, "Create a dataset"), folder.Path);
        var id = long.Parse(created.GetProperty("response").GetProperty("name").GetString()!.Split('/')[^1], System.Globalization.CultureInfo.InvariantCulture);
        var filled = ApiSnippets.For(new ApiSnippetContext(server.BaseAddress.ToString(), id, DatasetKind.SingleLabel, null));
        var import = await CurlAsync(Snippet(filled, "Import photos"), folder.Path);
        var follow = Snippet(filled, "Follow the operation").Replace("OPERATION_ID", import.GetProperty("name").GetString()!.Split('/')[^1], StringComparison.Ordinal);
        var operation = await CurlAsync(follow, folder.Path);
        for (var wait = 0; !operation.TryGetProperty("done", out var done) || !done.GetBoolean(); wait++)
        {
            Assert.True(wait < 600, $"the import did not finish: {operation}");
            await Task.Delay(100);
            operation = await CurlAsync(follow, folder.Path);
        }

        Assert.Equal("SUCCEEDED", operation.GetProperty("metadata").GetProperty("state").GetString());
        var listed = await CurlAsync(Snippet(filled, "List the datasets"), folder.Path);
        Assert.Contains(listed.GetProperty("datasets").EnumerateArray(), d => d.GetProperty("name").GetString()!.EndsWith($"/datasets/{id}", StringComparison.Ordinal) && d.GetProperty("exampleCount").GetInt32() == 6);
        var images = await CurlAsync(Snippet(filled, "a dataset's images"), folder.Path);
        Assert.Equal(6, images.GetProperty("total").GetInt32());
    }

    private static string Snippet(IReadOnlyList<ApiSnippet> snippets, string title) =>
        snippets.Single(s => s.Title.Contains(title, StringComparison.Ordinal)).Code;

    /// <summary>Runs a snippet with bash in <paramref name="folder"/>; it must exit 0 and print JSON.</summary>
    private async Task<JsonElement> CurlAsync(string command, string folder)
    {
        var start = new ProcessStartInfo("bash") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        // The key the page tells the user to export.
        start.Environment[ApiSnippets.KeyVariable] = await server.Accounts.KeyAsync();
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        output.WriteLine($"$ {command}\n{await stdout}");
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {await stderr}");
        using var document = JsonDocument.Parse(await stdout);
        Assert.False(document.RootElement.TryGetProperty("error", out var error), $"{command} answered {error}");
        return document.RootElement.Clone();
    }
}
