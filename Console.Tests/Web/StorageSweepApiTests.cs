using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Imaging;
using VisionConsole.Domain.Storage;
using VisionConsole.Tests.Domain.Imaging;

namespace VisionConsole.Tests.Web;

/// <summary>Deleting a dataset over HTTP gives its disk space back: the whole console, real blob store, real photos.</summary>
public sealed class StorageSweepApiTests : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
    private readonly ConsoleWebFactory _factory = new() { Settings = { ["sweep-grace"] = "00:00:00" } };
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
    public async Task DeleteDataset_ImagesNoOtherDatasetHolds_TheirBlobsAndThumbnailsAreSweptAndTheSharedOneStays()
    {
        var signal = _factory.Services.GetRequiredService<StorageSweepSignal>();
        var store = (ImageStore)_factory.Services.GetRequiredService<IImageStore>();
        // The start-up sweep is done before anything is uploaded (with no grace period it would race the uploads).
        await signal.WhenSweptAsync();
        string[] files = ["train/ants/0013035.jpg", "train/ants/formica.jpeg", "val/bees/10870992_eebeeb3a12.jpg"];
        var deleted = await CreateDatasetAsync("deleted");
        var kept = await CreateDatasetAsync("kept");
        await UploadAsync(deleted.Id, files[0], files[1], files[2]);
        await UploadAsync(kept.Id, files[2]);
        var shas = files.Select(f => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(TestImages.Hymenoptera(f))))).ToList();
        Assert.All(shas, sha => Assert.True(File.Exists(store.OriginalPath(sha)) && File.Exists(store.ThumbnailPath(sha)), sha));

        var response = await _client.DeleteAsync(new Uri($"/api/datasets/{deleted.Id}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        await signal.WhenSweptAsync();

        foreach (var sha in shas[..2])
        {
            Assert.False(File.Exists(store.OriginalPath(sha)), $"original of {sha} should be removed");
            Assert.False(File.Exists(store.ThumbnailPath(sha)), $"thumbnail of {sha} should be removed");
        }
        Assert.True(File.Exists(store.OriginalPath(shas[2])) && File.Exists(store.ThumbnailPath(shas[2])));
        var page = (await _client.GetFromJsonAsync<ImagePage>($"/api/datasets/{kept.Id}/images", Json))!;
        Assert.Equal(shas[2], page.Items.Single().Sha256);
        var thumbnail = await _client.GetAsync(new Uri($"/api/blobs/{shas[2]}/thumbnail", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, thumbnail.StatusCode);
        var gone = await _client.GetAsync(new Uri($"/api/blobs/{shas[0]}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    private async Task<DatasetSummary> CreateDatasetAsync(string name)
    {
        var response = await _client.PostAsJsonAsync("/api/datasets", new { displayName = name, kind = "SingleLabel" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<DatasetSummary>(Json))!;
    }

    private async Task UploadAsync(long datasetId, params string[] files)
    {
        using var form = new MultipartFormDataContent();
        foreach (var file in files)
        {
            form.Add(new ByteArrayContent(File.ReadAllBytes(TestImages.Hymenoptera(file))), "files", Path.GetFileName(file));
        }
        var response = await _client.PostAsync(new Uri($"/api/datasets/{datasetId}/images", UriKind.Relative), form);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var results = (await response.Content.ReadFromJsonAsync<IntakeResult[]>(Json))!;
        Assert.All(results, r => Assert.True(r.Accepted, r.Error));
    }
}
