using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using VisionConsole.Domain;
using VisionConsole.Domain.Accounts;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Projects;

namespace VisionConsole.Tests.Web;

/// <summary>Projects beyond <c>default</c>: each project's datasets are its own, and another project's ids are not found.</summary>
public sealed class ProjectScopeApiTests : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };
    private readonly ConsoleWebFactory _factory = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task DatasetsApi_KeysOfTwoProjects_EachSeesOnlyItsOwnAndTheOthersIdsAreNotFound()
    {
        using var home = await _factory.CreateClientAsAsync("ann");
        var secret = await CreateAsync(home, "/api/datasets", "default-secret");
        using var other = await ProjectClientAsync("b", "bert");

        var own = await CreateAsync(other, "/api/datasets?project=b", "b-insects");
        var listed = await other.GetFromJsonAsync<List<DatasetSummary>>("/api/datasets?project=b", Json);
        Assert.Equal([own.Id], listed!.Select(d => d.Id));
        var automl = await other.GetStringAsync("/v1/projects/b/locations/local/datasets");
        Assert.Contains("b-insects", automl, StringComparison.Ordinal);
        Assert.DoesNotContain("default-secret", automl, StringComparison.Ordinal);

        // The key of project b guessing the default project's ids: not found, like an id that does not exist.
        foreach (var (method, path) in new[]
        {
            ("GET", $"/api/datasets/{secret.Id}"),
            ("GET", $"/api/datasets/{secret.Id}/images"),
            ("DELETE", $"/api/datasets/{secret.Id}"),
            ("GET", $"/v1/projects/b/locations/local/datasets/{secret.Id}"),
            ("GET", $"/v1/projects/default/locations/local/datasets/{secret.Id}"),
            ("GET", "/api/datasets"),
        })
        {
            using var response = await other.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{method} {path}: {(int)response.StatusCode} {body}");
            Assert.DoesNotContain("default-secret", body, StringComparison.Ordinal);
        }

        // Training under project b on the default project's dataset is refused the same way.
        using var train = await other.PostAsJsonAsync("/v1/projects/b/locations/local/models",
            new { displayName = "m", datasetId = secret.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), imageClassificationModelMetadata = new { modelType = "mobile-versatile-1" } });
        Assert.Equal(HttpStatusCode.NotFound, train.StatusCode);

        // And the default project's key sees none of project b.
        var homeList = await home.GetFromJsonAsync<List<DatasetSummary>>("/api/datasets", Json);
        Assert.DoesNotContain(homeList!, d => d.Id == own.Id);
        using var guessed = await home.GetAsync($"/api/datasets/{own.Id}");
        Assert.Equal(HttpStatusCode.NotFound, guessed.StatusCode);
        Assert.DoesNotContain("b-insects", await guessed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProjectMembers_LastOwnerOrTakenName_AreRefusedWithTheirCodes()
    {
        var access = _factory.Services.GetRequiredService<ProjectAccessService>();
        var owner = await _factory.Accounts.AccountAsync("olga", ProjectRole.Viewer);
        await access.RemoveMemberAsync(Project.DefaultName, "olga", "admin");
        await access.CreateProjectAsync("c", owner.Id, "admin");

        var taken = await Assert.ThrowsAsync<DomainException>(() => access.CreateProjectAsync("c", owner.Id, "admin"));
        var last = await Assert.ThrowsAsync<DomainException>(() => access.RemoveMemberAsync("c", "olga", "admin"));
        var demoted = await Assert.ThrowsAsync<DomainException>(() => access.SetMemberAsync("c", "olga", ProjectRole.Editor, "admin"));

        Assert.Equal(["name-taken", "last-owner", "last-owner"], new[] { taken.Code, last.Code, demoted.Code });
        Assert.Equal([new ProjectMembership("c", ProjectRole.Owner, (await access.ProjectsOfUserAsync(owner.Id, administrator: false))[0].CreatedAt)],
            await access.ProjectsOfUserAsync(owner.Id, administrator: false));
    }

    // An account that is a member of project <paramref name="project"/> only (its owner), calling with a key of it.
    private async Task<HttpClient> ProjectClientAsync(string project, string userName)
    {
        var access = _factory.Services.GetRequiredService<ProjectAccessService>();
        var user = await _factory.Accounts.AccountAsync(userName, ProjectRole.Viewer);
        await access.RemoveMemberAsync(Project.DefaultName, userName, "admin");
        await access.CreateProjectAsync(project, user.Id, "admin");
        var key = await _factory.Services.GetRequiredService<ApiKeyService>().CreateAsync(project, "tests", ProjectRole.Owner, user.Id);
        var client = _factory.CreateAnonymousClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.Secret);
        return client;
    }

    private static async Task<DatasetSummary> CreateAsync(HttpClient client, string path, string name)
    {
        using var response = await client.PostAsJsonAsync(path, new { displayName = name, kind = "SingleLabel" });
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<DatasetSummary>(Json))!;
    }
}
