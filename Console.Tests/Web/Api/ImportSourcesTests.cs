using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using VisionConsole.Domain;
using VisionConsole.Web.Api;

namespace VisionConsole.Tests.Web.Api;

/// <summary>
/// <c>:importData</c> with AutoML's <c>inputConfig.gcsSource.inputUris</c>: server folders under <c>Import:AllowedRoots</c>
/// are imported, everything else is refused saying why.
/// </summary>
public sealed class ImportSourcesTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("vc-import-root-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData("gs://bucket/train.csv", "not a path on this server")]
    [InlineData("https://example.com/train.zip", "not a path on this server")]
    [InlineData("relative/train.zip", "not a path on this server")]
    [InlineData("/etc/passwd", "outside the folders")]
    [InlineData("ROOT/../escape", "outside the folders")]
    [InlineData("ROOT/missing.zip", "no such file or folder")]
    public void Resolve_NotAnAllowedServerPath_RefusedSayingWhy(string uri, string reason)
    {
        var refused = Assert.Throws<DomainException>(() => ImportSources.Resolve([uri.Replace("ROOT", _root, StringComparison.Ordinal)], [_root]));

        Assert.Equal("invalid-argument", refused.Code);
        Assert.Contains(reason, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_NoRootsConfigured_RefusedNamingTheSetting()
    {
        var refused = Assert.Throws<DomainException>(() => ImportSources.Resolve([_root], []));

        Assert.Contains("Import:AllowedRoots is not set", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_FileUriAndPathUnderTheRoot_TheirFullPaths()
    {
        var photos = Directory.CreateDirectory(Path.Combine(_root, "photos")).FullName;

        var paths = ImportSources.Resolve([$"file://{photos}", photos + "/"], [_root]);

        Assert.Equal([photos, photos], paths);
    }

    [Fact]
    public async Task ImportData_InputUrisNameAFolderTree_ImagesImportedWithLabelsAndTheOriginalsKept()
    {
        var tree = Path.Combine(_root, "hymenoptera", "train");
        foreach (var label in new[] { "ants", "bees" })
        {
            Directory.CreateDirectory(Path.Combine(tree, label));
            foreach (var file in Directory.GetFiles(Path.Combine(SharedData.Hymenoptera, "train", label), "*.jpg").Order(StringComparer.Ordinal).Take(2))
            {
                File.Copy(file, Path.Combine(tree, label, Path.GetFileName(file)));
            }
        }
        await using var factory = new ConsoleWebFactory { Settings = { ["Import:AllowedRoots"] = _root } };
        using var client = factory.CreateClient();
        const string Root = "/v1/projects/default/locations/us-central1";
        var dataset = await (await client.PostAsJsonAsync("/api/datasets", new { displayName = "from the server", kind = "SingleLabel" })).Content.ReadFromJsonAsync<JsonElement>();
        var id = dataset.GetProperty("id").GetInt64();

        var started = await client.PostAsJsonAsync($"{Root}/datasets/{id}:importData", new { inputConfig = new { gcsSource = new { inputUris = new[] { $"file://{tree}" } } } });
        Assert.Equal(HttpStatusCode.OK, started.StatusCode);
        var name = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("name").GetString();
        var done = await (await client.PostAsJsonAsync($"/v1/{name}:wait", new { timeout = "60s" })).Content.ReadFromJsonAsync<JsonElement>();
        var refused = await client.PostAsJsonAsync($"{Root}/datasets/{id}:importData", new { inputConfig = new { gcsSource = new { inputUris = new[] { "gs://bucket/train.csv" } } } });

        Assert.True(done.GetProperty("done").GetBoolean());
        Assert.False(done.TryGetProperty("error", out _), done.ToString());
        var page = await client.GetFromJsonAsync<JsonElement>($"/api/datasets/{id}/images?split=TRAIN");
        Assert.Equal(4, page.GetProperty("total").GetInt32());
        Assert.Equal(["ants", "ants", "bees", "bees"], page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("labels")[0].GetString()).Order(StringComparer.Ordinal));
        Assert.Equal(4, Directory.GetFiles(tree, "*.jpg", SearchOption.AllDirectories).Length);
        Assert.Contains("Cloud Storage", GoogleErrorAssert.Message(await GoogleErrorAssert.ReadAsync(refused, HttpStatusCode.BadRequest, "INVALID_ARGUMENT")), StringComparison.Ordinal);
    }
}
