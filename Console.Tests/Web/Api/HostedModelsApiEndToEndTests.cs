using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using VisionConsole.Tests.Trainer.Export;
using VisionConsole.Tests.Trainer.Jobs;
using Xunit.Abstractions;

namespace VisionConsole.Tests.Web.Api;

/// <summary>
/// Firebase ML-style hosting through the REST API only, on two real trained classifiers: host one, publish, download as
/// an app does (ETag, then 304 with If-None-Match), replace the file with the other model (version 2), roll back to
/// version 1 and get its hash again; list filters, a stale etag and deletion.
/// </summary>
public sealed class HostedModelsApiEndToEndTests(ITestOutputHelper output)
{
    private const string Models = "/v1beta2/projects/default/models";

    [Fact]
    public async Task HostPublishReplaceRollBack_TwoTrainedModels_AppDownloadFollowsActiveVersionWithEtags()
    {
        await using var host = TrainingHost.Start();
        var datasetId = await TrainingHost.ImportHymenopteraAsync(host.Services, "hymenoptera small", trainPerLabel: 20, valPerLabel: 10);
        var first = await TrainAsync(host, datasetId, "mobile-versatile-1");
        var second = await TrainAsync(host, datasetId, "mobile-low-latency-1");

        var created = await ReadAsync(await host.Client.PostAsJsonAsync(Models, new
        {
            displayName = "bugs",
            tags = new[] { "insects", "demo" },
            tfliteModel = new { automlModel = $"projects/default/locations/local/models/{first}" },
        }));
        Assert.True(created["done"]!.GetValue<bool>());
        var model = created["response"]!;
        var id = model["name"]!.GetValue<string>().Split('/')[^1];
        var firstHash = model["modelHash"]!.GetValue<string>();
        Assert.False(model["state"]!["published"]!.GetValue<bool>());
        Assert.Equal(1, model["activeVersion"]!.GetValue<int>());

        // Unpublished: apps cannot download it.
        Assert.Equal(HttpStatusCode.NotFound, (await host.Client.GetAsync($"{Models}/bugs:download")).StatusCode);
        await ReadAsync(await host.Client.PatchAsJsonAsync($"{Models}/{id}?updateMask=state.published", new { state = new { published = true } }));

        // An app: the download info with the hash as ETag, the file, then 304 while nothing changed.
        var (info, etag) = await DownloadInfoAsync(host, null);
        Assert.Equal(firstHash, info!["modelHash"]!.GetValue<string>());
        Assert.Equal($"\"{firstHash}\"", etag);
        var file = await host.Client.GetByteArrayAsync(info["downloadUri"]!.GetValue<string>());
        Assert.Equal(firstHash, Convert.ToHexStringLower(SHA256.HashData(file)));
        Assert.Equal(info["sizeBytes"]!.GetValue<string>(), file.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using (var interpreter = new TfliteInterpreter(file))
        {
            Assert.Equal([1, 2], interpreter.Shape(input: false, 0));
        }
        Assert.Null((await DownloadInfoAsync(host, etag)).Info);

        // A new file: version 2 becomes active (with the etag read last; a stale one is refused).
        var current = await ReadAsync(await host.Client.GetAsync($"{Models}/{id}"));
        var replaced = (await ReadAsync(await host.Client.PatchAsJsonAsync($"{Models}/{id}?updateMask=tfliteModel", new
        {
            tfliteModel = new { automlModel = second },
            etag = current["etag"]!.GetValue<string>(),
        })))["response"]!;
        Assert.Equal(2, replaced["activeVersion"]!.GetValue<int>());
        var secondHash = replaced["modelHash"]!.GetValue<string>();
        Assert.NotEqual(firstHash, secondHash);
        var stale = await host.Client.PatchAsJsonAsync($"{Models}/{id}?updateMask=tags", new { tags = new[] { "x" }, etag = current["etag"]!.GetValue<string>() });
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        var (changed, changedEtag) = await DownloadInfoAsync(host, etag);
        Assert.Equal(secondHash, changed!["modelHash"]!.GetValue<string>());

        // Roll back: version 1 is what apps get again, and their old ETag matches once more.
        var rolledBack = await ReadAsync(await host.Client.PostAsJsonAsync($"{Models}/{id}:rollback", new { version = 1 }));
        Assert.Equal(1, rolledBack["activeVersion"]!.GetValue<int>());
        var (back, _) = await DownloadInfoAsync(host, changedEtag);
        Assert.Equal(firstHash, back!["modelHash"]!.GetValue<string>());
        Assert.Null((await DownloadInfoAsync(host, etag)).Info);
        output.WriteLine($"hosted 'bugs': v1 {firstHash[..12]}…, v2 {secondHash[..12]}…, rolled back to v1; 304 for an unchanged ETag");

        // Firebase's list filters.
        async Task<int> CountAsync(string filter) =>
            (await ReadAsync(await host.Client.GetAsync($"{Models}?filter={Uri.EscapeDataString(filter)}")))["models"]!.AsArray().Count;
        Assert.Equal(1, await CountAsync("display_name = bugs"));
        Assert.Equal(1, await CountAsync("display_name : bu* AND tags: insects"));
        Assert.Equal(0, await CountAsync("tags: birds"));
        var badFilter = await host.Client.GetAsync($"{Models}?filter={Uri.EscapeDataString("size > 3")}");
        Assert.Equal(HttpStatusCode.BadRequest, badFilter.StatusCode);
        Assert.Contains("size > 3", await badFilter.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // A second model cannot take the name; deleting frees it.
        var taken = await host.Client.PostAsJsonAsync(Models, new { displayName = "bugs", tfliteModel = new { automlModel = first } });
        Assert.Equal(HttpStatusCode.BadRequest, taken.StatusCode);
        Assert.Contains("name-taken", await taken.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True((await host.Client.DeleteAsync($"{Models}/{id}")).IsSuccessStatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await host.Client.GetAsync($"{Models}/{id}")).StatusCode);
        Assert.False(Directory.Exists(Path.Combine(host.Folder, "hosted", id)));
    }

    private static async Task<string> TrainAsync(TrainingHost host, long datasetId, string modelType)
    {
        var operationId = await host.StartTrainingAsync(datasetId, modelType, displayName: $"hymenoptera {modelType}");
        var operation = await host.WaitDoneAsync(operationId, TimeSpan.FromMinutes(8));
        Assert.False(operation.TryGetProperty("error", out var error), $"{modelType} failed: {error}");
        return TrainingHost.ModelIdOf(operation);
    }

    /// <summary>GET <c>bugs:download</c> as an app does, with <paramref name="ifNoneMatch"/>; null info for a 304.</summary>
    private static async Task<(JsonNode? Info, string? Etag)> DownloadInfoAsync(TrainingHost host, string? ifNoneMatch)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{Models}/bugs:download");
        if (ifNoneMatch is not null) request.Headers.IfNoneMatch.Add(EntityTagHeaderValue.Parse(ifNoneMatch));
        var response = await host.Client.SendAsync(request);
        var etag = response.Headers.ETag?.ToString();
        if (response.StatusCode == HttpStatusCode.NotModified) return (null, etag);
        return (await ReadAsync(response), etag);
    }

    private static async Task<JsonNode> ReadAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!;
    }
}
