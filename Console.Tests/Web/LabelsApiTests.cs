using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Storage;
using VisionConsole.Tests.Domain.Imaging;

namespace VisionConsole.Tests.Web;

/// <summary><c>POST /api/datasets/{id}/images:labels</c> and who the API says made the change.</summary>
public sealed class LabelsApiTests : IAsyncLifetime
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
    public async Task ChangeLabels_TwoRealImages_LabeledAuditedAsCookieUserAndStaleVersionIs409()
    {
        var dataset = await PostAsync<DatasetSummary>("/api/datasets", new { displayName = "insects", kind = "SingleLabel" });
        var ants = await PostAsync<LabelSummary>($"/api/datasets/{dataset.Id}/labels", new { name = "ants" });
        var bees = await PostAsync<LabelSummary>($"/api/datasets/{dataset.Id}/labels", new { name = "bees" });
        using var form = new MultipartFormDataContent();
        foreach (var file in new[] { "train/ants/0013035.jpg", "train/bees/16838648_415acd9e3f.jpg" })
        {
            form.Add(new StreamContent(File.OpenRead(TestImages.Hymenoptera(file))), "files", Path.GetFileName(file));
        }
        (await _client.PostAsync(new Uri($"/api/datasets/{dataset.Id}/images", UriKind.Relative), form)).EnsureSuccessStatusCode();
        var images = (await _client.GetFromJsonAsync<ImagePage>($"/api/datasets/{dataset.Id}/images", Json))!.Items;
        var ids = images.Select(i => i.Id).ToArray();

        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/datasets/{dataset.Id}/images:labels")
        {
            Content = JsonContent.Create(new { imageIds = ids, add = new[] { ants.Id } }),
        };
        // A labeler may label (and the audit names her).
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await _factory.Accounts.KeyAsync("carol", VisionConsole.Domain.Accounts.ProjectRole.Labeler));
        var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var states = (await response.Content.ReadFromJsonAsync<ImageLabelState[]>(Json))!;
        Assert.All(states, s => Assert.Equal(["ants"], s.Labels));
        var page = (await _client.GetFromJsonAsync<ImagePage>($"/api/datasets/{dataset.Id}/images?label={ants.Id}", Json))!;
        Assert.Equal(2, page.Total);
        await using (var db = await _factory.Services.GetRequiredService<IDbContextFactory<ConsoleDbContext>>().CreateDbContextAsync())
        {
            var users = await db.AuditEvents.Where(a => a.Action == "labels-changed").Select(a => a.User).ToListAsync();
            Assert.Equal(["carol", "carol"], users);
        }

        var stale = await _client.PostAsJsonAsync($"/api/datasets/{dataset.Id}/images:labels",
            new { imageIds = new[] { ids[0] }, add = new[] { bees.Id }, versions = new Dictionary<string, long> { [ids[0].ToString(System.Globalization.CultureInfo.InvariantCulture)] = images[0].Version } });

        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        var problem = await stale.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("conflict", problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task ChangeLabels_TwoLabelsOnSingleLabelDataset_Is400Problem()
    {
        var dataset = await PostAsync<DatasetSummary>("/api/datasets", new { displayName = "insects", kind = "SingleLabel" });
        var ants = await PostAsync<LabelSummary>($"/api/datasets/{dataset.Id}/labels", new { name = "ants" });
        var bees = await PostAsync<LabelSummary>($"/api/datasets/{dataset.Id}/labels", new { name = "bees" });

        var response = await _client.PostAsJsonAsync($"/api/datasets/{dataset.Id}/images:labels", new { imageIds = new[] { 1 }, add = new[] { ants.Id, bees.Id } });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("invalid-label-change", problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task CreateDataset_AnnsKeyAndAnotherNameInTheOldHeaderAndCookie_RecordsAnn()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/datasets") { Content = JsonContent.Create(new { displayName = "d", kind = "SingleLabel" }) };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await _factory.Accounts.KeyAsync("ann"));
        // What named the user before accounts existed: neither may speak for anyone now.
        request.Headers.Add("X-User", "mallory");
        request.Headers.Add("Cookie", "vc_user=mallory");

        var created = (await (await _client.SendAsync(request)).Content.ReadFromJsonAsync<DatasetSummary>(Json))!;

        Assert.Equal("ann", created.CreatedBy);
    }

    private async Task<T> PostAsync<T>(string url, object body)
    {
        var response = await _client.PostAsJsonAsync(url, body);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<T>(Json))!;
    }
}
