using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Imaging;
using VisionConsole.Tests.Domain.Imaging;

namespace VisionConsole.Tests.Web;

public sealed class DatasetsApiTests : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
    private readonly ConsoleWebFactory _factory = new();
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _client = await _factory.CreateClientAsAsync("ann");
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
    }

    [Fact]
    public async Task Healthz_FreshDataFolder_HealthyWithDatabaseInDataFolderAndInferenceOnCpu()
    {
        var response = await _client.GetAsync(new Uri("/healthz", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var health = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Healthy", health.RootElement.GetProperty("status").GetString());
        Assert.Equal("Healthy", health.RootElement.GetProperty("entries").GetProperty("database").GetProperty("status").GetString());
        var inference = health.RootElement.GetProperty("entries").GetProperty("inference").GetProperty("data");
        Assert.Equal("CPU", inference.GetProperty("provider").GetString());
        Assert.Equal("Cpu", inference.GetProperty("flavor").GetString());
        Assert.Equal("1.31.1", inference.GetProperty("version").GetString());
        Assert.False(inference.TryGetProperty("fallbackReason", out _));
        Assert.True(File.Exists(Path.Combine(_factory.DataFolder, "console.db")));
    }

    [Fact]
    public async Task Datasets_CreateListGetDelete_RoundTrip()
    {
        var create = await _client.PostAsJsonAsync("/api/datasets", new { displayName = "Insects", kind = "SingleLabel" });
        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        var created = (await create.Content.ReadFromJsonAsync<DatasetSummary>(Json))!;
        Assert.Equal($"/api/datasets/{created.Id}", create.Headers.Location!.OriginalString);
        Assert.Equal(("Insects", DatasetKind.SingleLabel, "ann"), (created.DisplayName, created.Kind, created.CreatedBy));

        var list = await _client.GetFromJsonAsync<DatasetSummary[]>("/api/datasets", Json);
        Assert.Equal([created.Id], list!.Select(d => d.Id));
        var got = await _client.GetFromJsonAsync<DatasetSummary>($"/api/datasets/{created.Id}", Json);
        Assert.Equal(created, got);

        var delete = await _client.DeleteAsync(new Uri($"/api/datasets/{created.Id}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.Empty((await _client.GetFromJsonAsync<DatasetSummary[]>("/api/datasets", Json))!);
    }

    [Fact]
    public async Task GetDataset_UnknownId_Is404ProblemWithCode()
    {
        var response = await _client.GetAsync(new Uri("/api/datasets/4242", UriKind.Relative));

        var problem = await ReadProblemAsync(response, HttpStatusCode.NotFound);
        Assert.Equal("not-found", problem.GetProperty("code").GetString());
        Assert.Contains("4242", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddLabel_BadName_Is400ProblemWithSuggestion_DuplicateIs409()
    {
        var dataset = await CreateDatasetAsync("insects");

        var bad = await _client.PostAsJsonAsync($"/api/datasets/{dataset.Id}/labels", new { name = "honey bee" });
        var problem = await ReadProblemAsync(bad, HttpStatusCode.BadRequest);
        Assert.Equal("invalid-label", problem.GetProperty("code").GetString());
        Assert.Contains("honey_bee", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var good = await _client.PostAsJsonAsync($"/api/datasets/{dataset.Id}/labels", new { name = "Bees" });
        Assert.Equal(HttpStatusCode.Created, good.StatusCode);
        var duplicate = await _client.PostAsJsonAsync($"/api/datasets/{dataset.Id}/labels", new { name = "bees" });
        Assert.Equal("duplicate-label", (await ReadProblemAsync(duplicate, HttpStatusCode.Conflict)).GetProperty("code").GetString());

        var labels = await _client.GetFromJsonAsync<LabelSummary[]>($"/api/datasets/{dataset.Id}/labels", Json);
        Assert.Equal(["Bees"], labels!.Select(l => l.Name));
    }

    [Fact]
    public async Task QueryImages_BadSplit_Is400Problem()
    {
        var dataset = await CreateDatasetAsync("insects");

        var response = await _client.GetAsync(new Uri($"/api/datasets/{dataset.Id}/images?split=SOMETIMES", UriKind.Relative));

        var problem = await ReadProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("invalid-split", problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task UploadImages_RealHymenopteraFiles_StoredListedAndServedWithThumbnails()
    {
        var dataset = await CreateDatasetAsync("hymenoptera");
        string[] files = ["train/ants/0013035.jpg", "train/ants/formica.jpeg", "train/bees/16838648_415acd9e3f.jpg", "val/bees/10870992_eebeeb3a12.jpg"];
        var truncated = File.ReadAllBytes(TestImages.Hymenoptera(files[0]));
        truncated = truncated[..(truncated.Length / 2)];

        using var form = new MultipartFormDataContent();
        foreach (var file in files)
        {
            form.Add(new StreamContent(File.OpenRead(TestImages.Hymenoptera(file))), "files", Path.GetFileName(file));
        }
        form.Add(new StreamContent(File.OpenRead(TestImages.Hymenoptera(files[0]))), "files", "again.jpg");
        form.Add(new ByteArrayContent("not an image"u8.ToArray()), "files", "notes.txt");
        form.Add(new ByteArrayContent(truncated), "files", "truncated.jpg");
        var upload = await _client.PostAsync(new Uri($"/api/datasets/{dataset.Id}/images", UriKind.Relative), form);

        Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        var results = (await upload.Content.ReadFromJsonAsync<IntakeResult[]>(Json))!;
        Assert.Equal(["0013035.jpg", "formica.jpeg", "16838648_415acd9e3f.jpg", "10870992_eebeeb3a12.jpg", "again.jpg", "notes.txt", "truncated.jpg"], results.Select(r => r.FileName));
        Assert.All(results[..4], r => Assert.True(r.Accepted && !r.Duplicate && r.Error is null, r.Error));
        Assert.True(results[4].Accepted && results[4].Duplicate);
        Assert.Equal(results[0].ImageId, results[4].ImageId);
        Assert.False(results[5].Accepted);
        Assert.Contains("notes.txt", results[5].Error, StringComparison.Ordinal);
        Assert.False(results[6].Accepted);
        Assert.Contains("truncated.jpg", results[6].Error, StringComparison.Ordinal);

        var page = (await _client.GetFromJsonAsync<ImagePage>($"/api/datasets/{dataset.Id}/images?take=2&skip=1", Json))!;
        Assert.Equal(4, page.Total);
        Assert.Equal(["formica.jpeg", "16838648_415acd9e3f.jpg"], page.Items.Select(i => i.FileName));
        var searched = (await _client.GetFromJsonAsync<ImagePage>($"/api/datasets/{dataset.Id}/images?search=FORMICA&unlabeled=true&split=unassigned", Json))!;
        var formica = Assert.Single(searched.Items);
        Assert.Equal(("Jpeg", "ann"), (formica.Format, formica.AddedBy));

        var originalBytes = File.ReadAllBytes(TestImages.Hymenoptera(files[1]));
        var original = await _client.GetAsync(new Uri($"/api/blobs/{formica.Sha256}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, original.StatusCode);
        Assert.Equal("image/jpeg", original.Content.Headers.ContentType!.MediaType);
        Assert.Equal($"\"{formica.Sha256}\"", original.Headers.ETag!.Tag);
        Assert.Contains("immutable", original.Headers.CacheControl!.ToString(), StringComparison.Ordinal);
        Assert.Equal(originalBytes, await original.Content.ReadAsByteArrayAsync());

        using var conditional = new HttpRequestMessage(HttpMethod.Get, $"/api/blobs/{formica.Sha256}");
        conditional.Headers.IfNoneMatch.Add(new EntityTagHeaderValue($"\"{formica.Sha256}\""));
        Assert.Equal(HttpStatusCode.NotModified, (await _client.SendAsync(conditional)).StatusCode);

        var codec = _factory.Services.GetRequiredService<IImageCodec>();
        foreach (var image in (await _client.GetFromJsonAsync<ImagePage>($"/api/datasets/{dataset.Id}/images", Json))!.Items)
        {
            var thumbnail = await _client.GetAsync(new Uri($"/api/blobs/{image.Sha256}/thumbnail", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, thumbnail.StatusCode);
            Assert.Equal("image/jpeg", thumbnail.Content.Headers.ContentType!.MediaType);
            var header = codec.ReadHeader(await thumbnail.Content.ReadAsByteArrayAsync());
            Assert.Equal(ImageFormat.Jpeg, header.Format);
            // About 256 px on the longer side, never enlarged.
            Assert.Equal(Math.Min(256, Math.Max(image.Width, image.Height)), Math.Max(header.Width, header.Height));
            // The thumbnail keeps the original's shape.
            Assert.Equal((double)image.Width / image.Height, (double)header.Width / header.Height, 1);
        }
    }

    [Fact]
    public async Task Blobs_BadOrUnknownHash_Are400And404Problems()
    {
        var bad = await _client.GetAsync(new Uri("/api/blobs/not-a-hash", UriKind.Relative));
        Assert.Equal("invalid-sha256", (await ReadProblemAsync(bad, HttpStatusCode.BadRequest)).GetProperty("code").GetString());

        var unknown = await _client.GetAsync(new Uri($"/api/blobs/{new string('a', 64)}/thumbnail", UriKind.Relative));
        Assert.Equal("not-found", (await ReadProblemAsync(unknown, HttpStatusCode.NotFound)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task UploadImages_NotMultipart_Is415Problem()
    {
        var dataset = await CreateDatasetAsync("insects");

        var response = await _client.PostAsJsonAsync($"/api/datasets/{dataset.Id}/images", new { file = "x" });

        await ReadProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task UploadImages_MultipartWithoutParts_Is400Problem()
    {
        var dataset = await CreateDatasetAsync("insects");
        using var empty = new ByteArrayContent("--b--\r\n"u8.ToArray());
        empty.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=b");

        var response = await _client.PostAsync(new Uri($"/api/datasets/{dataset.Id}/images", UriKind.Relative), empty);

        Assert.Equal("invalid-upload", (await ReadProblemAsync(response, HttpStatusCode.BadRequest)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task UploadImages_UnknownDataset_Is404Problem()
    {
        using var form = new MultipartFormDataContent { { new ByteArrayContent(File.ReadAllBytes(TestImages.Hymenoptera("train/ants/formica.jpeg"))), "files", "formica.jpeg" } };

        var response = await _client.PostAsync(new Uri("/api/datasets/777/images", UriKind.Relative), form);

        Assert.Equal("not-found", (await ReadProblemAsync(response, HttpStatusCode.NotFound)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task OpenApi_Document_DescribesTheDatasetsApi()
    {
        var document = await _client.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative));

        Assert.Contains("\"/api/datasets/{id}/images\"", document, StringComparison.Ordinal);
        Assert.Contains("\"/api/blobs/{sha256}/thumbnail\"", document, StringComparison.Ordinal);
    }

    private async Task<DatasetSummary> CreateDatasetAsync(string name)
    {
        var response = await _client.PostAsJsonAsync("/api/datasets", new { displayName = name, kind = "SingleLabel" });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<DatasetSummary>(Json))!;
    }

    private static async Task<JsonElement> ReadProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)expected, problem.GetProperty("status").GetInt32());
        return problem;
    }
}
