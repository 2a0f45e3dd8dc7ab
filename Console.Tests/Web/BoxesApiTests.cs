using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using VisionConsole.Domain.Datasets;
using VisionConsole.Tests.Domain.Imaging;

namespace VisionConsole.Tests.Web;

/// <summary>The REST side of box labeling over the whole console (real SQLite file, real raccoon photos).</summary>
public sealed class BoxesApiTests : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
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
    public async Task Boxes_AddUpdateListDelete_WithVersionsOverHttp()
    {
        var (dataset, raccoon, image) = await RaccoonAsync();
        var url = $"/api/datasets/{dataset}/images/{image}/boxes";

        var empty = await SendAsync<ImageBoxes>(HttpMethod.Get, url, null);
        var created = await _client.PostAsJsonAsync(url, new { labelId = raccoon, left = 0.1, top = 0.2, width = 0.3, height = 0.4 });
        var afterAdd = (await created.Content.ReadFromJsonAsync<ImageBoxes>(Json))!;
        var boxId = afterAdd.Boxes.Single().Id;
        var moved = await SendAsync<ImageBoxes>(HttpMethod.Patch, $"{url}/{boxId}", new { version = 1, left = 0.2, top = 0.2, width = 0.3, height = 0.4 });
        var staleMove = await _client.PatchAsJsonAsync($"{url}/{boxId}", new { version = 1, labelId = raccoon + 99 });
        var half = await _client.PatchAsJsonAsync($"{url}/{boxId}", new { version = 2, left = 0.5 });
        var listed = await SendAsync<ImageBoxes>(HttpMethod.Get, url, null);
        var noVersion = await _client.DeleteAsync(new Uri($"{url}/{boxId}", UriKind.Relative));
        var deleted = await SendAsync<ImageBoxes>(HttpMethod.Delete, $"{url}/{boxId}?version=2", null);

        Assert.Equal((0L, BoxLabelState.NotLabeled), (empty.Version, empty.State));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal($"{url}/{boxId}", created.Headers.Location?.OriginalString);
        Assert.Equal("\"1\"", created.Headers.ETag?.Tag);
        Assert.Equal((0.2, 2L), (moved.Boxes.Single().Left, moved.Boxes.Single().Version));
        await AssertProblemAsync(staleMove, HttpStatusCode.Conflict, "conflict", "at version 1 (it is at 2)");
        await AssertProblemAsync(half, HttpStatusCode.BadRequest, "invalid-box", "all four");
        Assert.Equal(moved.Boxes.Single(), listed.Boxes.Single());
        Assert.Equal((afterAdd.Width, afterAdd.Height), (listed.Width, listed.Height));
        Assert.True(listed.Width > 0 && listed.Height > 0);
        await AssertProblemAsync(noVersion, HttpStatusCode.BadRequest, "invalid-argument", "If-Match");
        Assert.Equal((BoxLabelState.NotLabeled, 3L), (deleted.State, deleted.Version));
    }

    [Fact]
    public async Task SaveBoxes_StaleVersion_409NamesWhoAndWhenAndKeepsTheFirstSave()
    {
        var (dataset, raccoon, image) = await RaccoonAsync();
        var url = $"/api/datasets/{dataset}/images/{image}/boxes";

        var ann = await PutAsync(url, "ann", new { version = 0, boxes = new[] { new { labelId = raccoon, left = 0.1, top = 0.1, width = 0.5, height = 0.5 } } });
        var bob = await PutAsync(url, "bob", new { version = 0, boxes = new[] { new { labelId = raccoon, left = 0.4, top = 0.4, width = 0.2, height = 0.2 } } });

        Assert.Equal(HttpStatusCode.OK, ann.StatusCode);
        var problem = await AssertProblemAsync(bob, HttpStatusCode.Conflict, "conflict", "by ann");
        Assert.Equal(1, problem.GetProperty("currentVersion").GetInt64());
        Assert.Equal("ann", problem.GetProperty("changedBy").GetString());
        Assert.True(problem.GetProperty("changedAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-5));
        var now = await SendAsync<ImageBoxes>(HttpMethod.Get, url, null);
        Assert.Equal((0.1, "ann"), (now.Boxes.Single().Left, now.ChangedBy));
    }

    [Fact]
    public async Task SaveBoxes_IfMatch_StaleIs412AndCurrentSaves()
    {
        var (dataset, raccoon, image) = await RaccoonAsync();
        var url = $"/api/datasets/{dataset}/images/{image}/boxes";
        var body = new { boxes = new[] { new { labelId = raccoon, left = 0.1, top = 0.1, width = 0.5, height = 0.5 } } };

        var first = await PutAsync(url, "ann", body, ifMatch: "\"0\"");
        var stale = await PutAsync(url, "bob", body, ifMatch: "\"0\"");
        var mismatch = await PutAsync(url, "bob", new { version = 0, boxes = body.boxes }, ifMatch: "\"1\"");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("\"1\"", first.Headers.ETag?.Tag);
        await AssertProblemAsync(stale, HttpStatusCode.PreconditionFailed, "conflict", "Reload its boxes");
        await AssertProblemAsync(mismatch, HttpStatusCode.BadRequest, "invalid-argument", "send one");
    }

    [Fact]
    public async Task NoObjects_SetOnEmptyImage_RefusedWithBoxes_ClearedByABox()
    {
        var (dataset, raccoon, image) = await RaccoonAsync();
        var url = $"/api/datasets/{dataset}/images/{image}";

        var none = await SendAsync<ImageBoxes>(HttpMethod.Put, $"{url}/no-objects", new { noObjects = true, version = 0 });
        var unlabeled = (await _client.GetFromJsonAsync<ImagePage>($"/api/datasets/{dataset}/images?unlabeled=true", Json))!;
        var boxed = await SendAsync<ImageBoxes>(HttpMethod.Post, $"{url}/boxes", new { labelId = raccoon, left = 0.1, top = 0.1, width = 0.2, height = 0.2, version = none.Version });
        var refused = await _client.PutAsJsonAsync($"{url}/no-objects", new { noObjects = true, version = boxed.Version });

        Assert.Equal(BoxLabelState.NoObjects, none.State);
        Assert.Equal(0, unlabeled.Total);
        Assert.Equal(BoxLabelState.Boxes, boxed.State);
        await AssertProblemAsync(refused, HttpStatusCode.Conflict, "invalid-transition", "removes nothing");
        Assert.Single((await SendAsync<ImageBoxes>(HttpMethod.Get, $"{url}/boxes", null)).Boxes);
    }

    [Fact]
    public async Task SaveBoxes_ClassificationDataset_400()
    {
        var created = await SendAsync<DatasetSummary>(HttpMethod.Post, "/api/datasets", new { displayName = "pets", kind = "SingleLabel" });
        var label = await SendAsync<LabelSummary>(HttpMethod.Post, $"/api/datasets/{created.Id}/labels", new { name = "raccoon" });
        var image = await UploadAsync(created.Id, "raccoon-1.jpg");

        var response = await _client.PutAsJsonAsync($"/api/datasets/{created.Id}/images/{image}/boxes", new { version = 0, boxes = new[] { new { labelId = label.Id, left = 0.1, top = 0.1, width = 0.2, height = 0.2 } } });

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid-argument", "is for classification");
    }

    private async Task<HttpResponseMessage> PutAsync(string url, string user, object body, string? ifMatch = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, url) { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await _factory.Accounts.KeyAsync(user));
        if (ifMatch is not null)
        {
            request.Headers.IfMatch.Add(EntityTagHeaderValue.Parse(ifMatch));
        }
        return await _client.SendAsync(request);
    }

    private static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code, string detail)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonSerializer.Deserialize<JsonElement>(text);
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.Contains(detail, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        return problem;
    }

    private async Task<(long Dataset, long Raccoon, long Image)> RaccoonAsync()
    {
        var dataset = await SendAsync<DatasetSummary>(HttpMethod.Post, "/api/datasets", new { displayName = "raccoons", kind = "ObjectDetection" });
        var label = await SendAsync<LabelSummary>(HttpMethod.Post, $"/api/datasets/{dataset.Id}/labels", new { name = "raccoon" });
        return (dataset.Id, label.Id, await UploadAsync(dataset.Id, "raccoon-1.jpg"));
    }

    private async Task<long> UploadAsync(long dataset, string file)
    {
        using var form = new MultipartFormDataContent();
        form.Add(new StreamContent(File.OpenRead(TestImages.Raccoon($"images/{file}"))), "files", file);
        (await _client.PostAsync(new Uri($"/api/datasets/{dataset}/images", UriKind.Relative), form)).EnsureSuccessStatusCode();
        return (await _client.GetFromJsonAsync<ImagePage>($"/api/datasets/{dataset}/images", Json))!.Items.Single().Id;
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string url, object? body)
    {
        using var request = new HttpRequestMessage(method, url) { Content = body is null ? null : JsonContent.Create(body) };
        var response = await _client.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"{method} {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<T>(Json))!;
    }
}
