using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using VisionConsole.Domain.Datasets;
using VisionConsole.Tests.Domain.Imaging;

namespace VisionConsole.Tests.Web;

/// <summary>The REST side of fixing a dataset's mistakes: labels renamed, merged, deleted; images deleted and undone; splits.</summary>
public sealed class DatasetEditsApiTests : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
    private static readonly string[] Files = ["train/ants/0013035.jpg", "train/ants/1030023514_aad5c608f9.jpg", "train/bees/16838648_415acd9e3f.jpg"];
    private readonly ConsoleWebFactory _factory = new();
    private HttpClient _client = null!;

    public Task InitializeAsync()
    {
        _client = _factory.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
    }

    [Fact]
    public async Task LabelEdits_RenameMergeDelete_OverHttpOnRealImages()
    {
        var (dataset, ids) = await UploadAsync();
        var wasps = await PostAsync<LabelSummary>($"/api/datasets/{dataset}/labels", new { name = "wasps" });
        var bees = await PostAsync<LabelSummary>($"/api/datasets/{dataset}/labels", new { name = "bees" });
        await PostAsync<ImageLabelState[]>($"/api/datasets/{dataset}/images:labels", new { imageIds = ids[..2], add = new[] { wasps.Id } });

        var usage = (await _client.GetFromJsonAsync<LabelUsage>($"/api/datasets/{dataset}/labels/{wasps.Id}", Json))!;
        var renamed = await SendAsync<LabelEditResult>(HttpMethod.Patch, $"/api/datasets/{dataset}/labels/{wasps.Id}", new { name = "ants" });
        var refused = await _client.PatchAsJsonAsync($"/api/datasets/{dataset}/labels/{wasps.Id}", new { name = "bad name!" });
        var merged = await PostAsync<LabelEditResult>($"/api/datasets/{dataset}/labels/{wasps.Id}:merge", new { into = bees.Id });
        var deleted = await SendAsync<LabelEditResult>(HttpMethod.Delete, $"/api/datasets/{dataset}/labels/{bees.Id}", null);

        Assert.Equal(2, usage.Images);
        Assert.Equal(("ants", 2), (renamed.Name, renamed.ImagesChanged));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("invalid-label", problem.GetProperty("code").GetString());
        Assert.Contains("Try 'bad_name'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(("bees", 2), (merged.Name, merged.ImagesChanged));
        Assert.Equal(2, deleted.ImagesChanged);
        Assert.Empty((await _client.GetFromJsonAsync<LabelSummary[]>($"/api/datasets/{dataset}/labels", Json))!);
        var page = (await _client.GetFromJsonAsync<ImagePage>($"/api/datasets/{dataset}/images?unlabeled=true", Json))!;
        Assert.Equal(3, page.Total);
    }

    [Fact]
    public async Task DeleteImages_ThenUndoTheLatest_OverHttp()
    {
        var (dataset, ids) = await UploadAsync();

        var single = await SendAsync<ImageDeletion>(HttpMethod.Delete, $"/api/datasets/{dataset}/images/{ids[0]}", null);
        var bulk = await PostAsync<ImageDeletion>($"/api/datasets/{dataset}/images:delete", new { imageIds = ids[1..] });
        var latest = (await _client.GetFromJsonAsync<ImageDeletion>($"/api/datasets/{dataset}/deletions/latest", Json))!;
        var empty = (await _client.GetFromJsonAsync<ImagePage>($"/api/datasets/{dataset}/images", Json))!;
        var staleUndo = await _client.PostAsync(new Uri($"/api/datasets/{dataset}/deletions/{single.Batch}:undo", UriKind.Relative), null);
        var undo = await PostAsync<ImageRestore>($"/api/datasets/{dataset}/deletions/{bulk.Batch}:undo", new { });
        var none = await _client.GetAsync(new Uri($"/api/datasets/{dataset}/deletions/latest", UriKind.Relative));

        Assert.Equal((1, 2), (single.Count, bulk.Count));
        Assert.Equal(bulk.Batch, latest.Batch);
        Assert.Equal(0, empty.Total);
        Assert.Equal(HttpStatusCode.Conflict, staleUndo.StatusCode);
        Assert.Equal(2, undo.Restored);
        Assert.Equal(HttpStatusCode.NoContent, none.StatusCode);
        var page = (await _client.GetFromJsonAsync<ImagePage>($"/api/datasets/{dataset}/images", Json))!;
        Assert.Equal(ids[1..], page.Items.Select(i => i.Id));
        // The blob of an image whose delete can still be undone, and of restored ones, is served.
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync(new Uri($"/api/blobs/{page.Items[0].Sha256}/thumbnail", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task Splits_SelectionAndResplit_OverHttp()
    {
        var (dataset, ids) = await UploadAsync();

        var moved = await PostAsync<DatasetsApiSplits>($"/api/datasets/{dataset}/images:split", new { imageIds = ids[..2], split = "TEST" });
        var bad = await _client.PostAsJsonAsync($"/api/datasets/{dataset}/images:split", new { imageIds = ids, split = "HOLDOUT" });
        var resplit = await PostAsync<ResplitResult>($"/api/datasets/{dataset}:resplit", new { onlyUnassigned = true });

        Assert.Equal(2, moved.Changed);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal(1, resplit.Train + resplit.Validation + resplit.Test);
        var page = (await _client.GetFromJsonAsync<ImagePage>($"/api/datasets/{dataset}/images", Json))!;
        Assert.Equal([DataSplit.Test, DataSplit.Test, DataSplit.Train], page.Items.Select(i => i.Split));
    }

    private sealed record DatasetsApiSplits(int Changed);

    private async Task<(long Dataset, long[] Ids)> UploadAsync()
    {
        var dataset = await PostAsync<DatasetSummary>("/api/datasets", new { displayName = "insects", kind = "SingleLabel" });
        using var form = new MultipartFormDataContent();
        foreach (var file in Files)
        {
            form.Add(new StreamContent(File.OpenRead(TestImages.Hymenoptera(file))), "files", Path.GetFileName(file));
        }
        (await _client.PostAsync(new Uri($"/api/datasets/{dataset.Id}/images", UriKind.Relative), form)).EnsureSuccessStatusCode();
        var images = (await _client.GetFromJsonAsync<ImagePage>($"/api/datasets/{dataset.Id}/images", Json))!.Items;
        return (dataset.Id, images.Select(i => i.Id).ToArray());
    }

    private async Task<T> PostAsync<T>(string url, object body) => await SendAsync<T>(HttpMethod.Post, url, body);

    private async Task<T> SendAsync<T>(HttpMethod method, string url, object? body)
    {
        using var request = new HttpRequestMessage(method, url) { Content = body is null ? null : JsonContent.Create(body) };
        var response = await _client.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"{method} {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<T>(Json))!;
    }
}
