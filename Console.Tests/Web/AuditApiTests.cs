using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using VisionConsole.Domain.Accounts;
using VisionConsole.Domain.Auditing;
using VisionConsole.Domain.Datasets;

namespace VisionConsole.Tests.Web;

/// <summary><c>GET /api/datasets/{id}/audit</c> and the per-image history, read by a viewer's key.</summary>
public sealed class AuditApiTests : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };
    private readonly ConsoleWebFactory _factory = new();
    private HttpClient _owner = null!;

    public Task InitializeAsync()
    {
        _owner = _factory.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _owner.Dispose();
        await _factory.DisposeAsync();
    }

    [Fact]
    public async Task Audit_ViewerKey_ReadsWhoCreatedTheDatasetAndItsLabelAnd404ForAnUnknownImage()
    {
        var dataset = await (await _owner.PostAsJsonAsync("/api/datasets", new { displayName = "insects", kind = "SingleLabel" })).Content.ReadFromJsonAsync<DatasetSummary>(Json);
        (await _owner.PostAsJsonAsync($"/api/datasets/{dataset!.Id}/labels", new { name = "ants" })).EnsureSuccessStatusCode();
        using var viewer = await _factory.CreateClientAsAsync("vera", ProjectRole.Viewer);

        var page = await viewer.GetFromJsonAsync<AuditPage>($"/api/datasets/{dataset.Id}/audit?take=10", Json);
        var unknown = await viewer.GetAsync($"/api/datasets/{dataset.Id}/images/999/audit");
        var badPage = await viewer.GetAsync($"/api/datasets/{dataset.Id}/audit?take=0");

        Assert.Equal(2, page!.Total);
        Assert.Equal([("label", "created", TestAccounts.AdministratorName), ("dataset", "created", TestAccounts.AdministratorName)], page.Items.Select(e => (e.EntityType, e.Action, e.User)));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badPage.StatusCode);
        Assert.Contains("invalid-query", await badPage.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
