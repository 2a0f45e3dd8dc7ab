using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using VisionConsole.Tests.Domain.Imaging;

namespace VisionConsole.Tests.Web.Api;

/// <summary>google.longrunning's DeleteOperation on the AutoML path: a finished export is forgotten, with its zip.</summary>
public sealed class OperationsDeleteApiTests : IAsyncLifetime
{
    private const string Operations = "/v1/projects/default/locations/us-central1/operations";
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
    public async Task Delete_FinishedExport_EmptyAnswerThenNotFoundAndTheZipGone()
    {
        var dataset = await (await _client.PostAsJsonAsync("/api/datasets", new { displayName = "to export", kind = "SingleLabel" })).Content.ReadFromJsonAsync<JsonElement>();
        var datasetId = dataset.GetProperty("id").GetInt64();
        using (var form = new MultipartFormDataContent())
        {
            form.Add(new StreamContent(File.OpenRead(TestImages.Hymenoptera("train/ants/0013035.jpg"))), "files", "0013035.jpg");
            (await _client.PostAsync(new Uri($"/api/datasets/{datasetId}/images", UriKind.Relative), form)).EnsureSuccessStatusCode();
        }
        var export = await (await _client.PostAsJsonAsync($"/v1/projects/default/locations/us-central1/datasets/{datasetId}:exportData", new { outputConfig = new { format = "AUTOML_CSV" } })).Content.ReadFromJsonAsync<JsonElement>();
        var id = export.GetProperty("name").GetString()!.Split('/')[^1];
        var done = await (await _client.PostAsJsonAsync($"{Operations}/{id}:wait", new { timeout = "60s" })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(done.GetProperty("done").GetBoolean());
        var zip = Path.Combine(_factory.DataFolder, "exports", $"{id}.zip");
        Assert.True(File.Exists(zip));

        var deleted = await _client.DeleteAsync($"{Operations}/{id}");
        var again = await _client.DeleteAsync($"{Operations}/{id}");
        var get = await _client.GetAsync($"{Operations}/{id}");

        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.Equal("{}", await deleted.Content.ReadAsStringAsync());
        Assert.False(File.Exists(zip));
        await GoogleErrorAssert.ReadAsync(again, HttpStatusCode.NotFound, "NOT_FOUND");
        await GoogleErrorAssert.ReadAsync(get, HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task Delete_ViewerKey_RefusedPermissionDenied()
    {
        using var viewer = await _factory.CreateClientAsAsync("vera", VisionConsole.Domain.Accounts.ProjectRole.Viewer);

        var refused = await viewer.DeleteAsync($"{Operations}/1");

        await GoogleErrorAssert.ReadAsync(refused, HttpStatusCode.Forbidden, "PERMISSION_DENIED");
    }
}
