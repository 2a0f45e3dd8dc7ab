using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using VisionConsole.Domain.Accounts;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Projects;
using VisionConsole.Tests.Web.Api;
using VisionConsole.Web.Accounts;

namespace VisionConsole.Tests.Web;

/// <summary>Who may call what: anonymous callers, each role's API key, revoked keys, other projects, the first-run gate, single-user mode.</summary>
public sealed partial class AuthorizationTests : IAsyncLifetime
{
    private const string Root = "/v1/projects/default/locations/us-central1";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };
    private readonly ConsoleWebFactory _factory = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task EveryApiEndpoint_NoCredentials_Is401WithAnErrorBodyAndNoData()
    {
        using var owner = _factory.CreateClient();
        var dataset = await CreateDatasetAsync(owner, "secret-name");
        using var anonymous = _factory.CreateAnonymousClient();
        var endpoints = _factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => ApiPaths.IsApi("/" + e.RoutePattern.RawText!.TrimStart('/')))
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (Method: m, Path: Fill(e.RoutePattern.RawText!, dataset.Id))))
            .Distinct().ToList();
        Assert.True(endpoints.Count > 60, $"only {endpoints.Count} endpoints found");

        foreach (var (method, path) in endpoints)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (method is "POST" or "PUT" or "PATCH")
            {
                request.Content = JsonContent.Create(new { displayName = "x" });
            }
            var response = await anonymous.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();

            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path}: {(int)response.StatusCode} {body}");
            Assert.DoesNotContain("secret-name", body, StringComparison.Ordinal);
            Assert.Contains("unauthenticated", body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task EveryApiWrite_ViewerKey_Is403SayingTheRoleNeededExceptTheReadsThatPost()
    {
        using var owner = _factory.CreateClient();
        var dataset = await CreateDatasetAsync(owner, "insects");
        using var viewer = await _factory.CreateClientAsAsync("vera", VisionConsole.Domain.Accounts.ProjectRole.Viewer);
        // POSTs that only read: scoring an image or a batch, and waiting on an operation.
        string[] reads = [":predict", ":batchPredict", ":wait"];
        var writes = _factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => ApiPaths.IsApi("/" + e.RoutePattern.RawText!.TrimStart('/')) && !e.RoutePattern.RawText!.StartsWith("/hubs", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Where(m => m is "POST" or "PUT" or "PATCH" or "DELETE")
                .Select(m => (Method: m, Path: Fill(e.RoutePattern.RawText!, dataset.Id))))
            .Where(w => !reads.Any(r => w.Path.EndsWith(r, StringComparison.Ordinal)))
            .Distinct().ToList();
        Assert.True(writes.Count > 40, $"only {writes.Count} write endpoints found");

        foreach (var (method, path) in writes)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (method is "POST" or "PUT" or "PATCH")
            {
                request.Content = JsonContent.Create(new { displayName = "x" });
            }
            var response = await viewer.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();

            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{method} {path}: {(int)response.StatusCode} {body}");
            Assert.Contains("you have the viewer role", body.Replace("this API key has the viewer role", "you have the viewer role", StringComparison.Ordinal), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Healthz_NoCredentials_Is200()
    {
        using var anonymous = _factory.CreateAnonymousClient();

        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/healthz")).StatusCode);
    }

    [Theory]
    [InlineData(ProjectRole.Viewer, HttpStatusCode.OK, HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.Forbidden)]
    // A label change that passes authorization reaches the endpoint, which refuses its empty image list (400).
    [InlineData(ProjectRole.Labeler, HttpStatusCode.OK, HttpStatusCode.BadRequest, HttpStatusCode.Forbidden, HttpStatusCode.Forbidden)]
    [InlineData(ProjectRole.Reviewer, HttpStatusCode.OK, HttpStatusCode.BadRequest, HttpStatusCode.Forbidden, HttpStatusCode.Forbidden)]
    [InlineData(ProjectRole.Editor, HttpStatusCode.OK, HttpStatusCode.BadRequest, HttpStatusCode.Created, HttpStatusCode.Forbidden)]
    [InlineData(ProjectRole.Owner, HttpStatusCode.OK, HttpStatusCode.BadRequest, HttpStatusCode.Created, HttpStatusCode.OK)]
    public async Task ApiKeyOfEachRole_ReadLabelCreateManage_AllowedExactlyAsTheRoleSays(
        ProjectRole role, HttpStatusCode read, HttpStatusCode label, HttpStatusCode create, HttpStatusCode manage)
    {
        using var owner = _factory.CreateClient();
        var dataset = await CreateDatasetAsync(owner, "insects");
        using var client = await _factory.CreateClientAsAsync("member-" + role.ToString().ToLowerInvariant(), role);

        var got = await client.GetAsync($"/api/datasets/{dataset.Id}");
        var labeled = await client.PostAsJsonAsync($"/api/datasets/{dataset.Id}/images:labels", new { imageIds = Array.Empty<long>(), add = Array.Empty<long>() });
        var created = await client.PostAsJsonAsync("/api/datasets", new { displayName = "mine", kind = "SingleLabel" });
        var keys = await client.GetAsync("/api/projects/default/api-keys");

        Assert.Equal((read, label, create, manage), (got.StatusCode, labeled.StatusCode, created.StatusCode, keys.StatusCode));
        if (created.StatusCode == HttpStatusCode.Forbidden)
        {
            var problem = await created.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("permission-denied", problem.GetProperty("code").GetString());
            Assert.Equal($"This needs the editor role in project 'default'; this API key has the {role.ToString().ToLowerInvariant()} role.", problem.GetProperty("detail").GetString());
        }
    }

    [Fact]
    public async Task ViewerKey_PredictRoute_PassesAuthorization()
    {
        using var viewer = await _factory.CreateClientAsAsync("vera", ProjectRole.Viewer);

        // No model 1 exists: a 404 from the endpoint itself, not a 403 from authorization.
        var response = await viewer.PostAsJsonAsync($"{Root}/models/1:predict", new { payload = new { image = new { imageBytes = "" } } });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain("permission-denied", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RevokedKey_NextRequest_Is401SayingSo()
    {
        using var owner = _factory.CreateClient();
        var created = await (await owner.PostAsJsonAsync("/api/projects/default/api-keys", new { name = "laptop", role = "editor" })).Content.ReadFromJsonAsync<JsonElement>();
        using var client = _factory.CreateAnonymousClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created.GetProperty("secret").GetString());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/datasets")).StatusCode);

        var revoke = await owner.DeleteAsync($"/api/projects/default/api-keys/{created.GetProperty("key").GetProperty("id").GetInt64()}");
        var after = await client.GetAsync("/api/datasets");

        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Contains("not valid or was revoked", await after.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var listed = await owner.GetFromJsonAsync<JsonElement>("/api/projects/default/api-keys");
        Assert.DoesNotContain(created.GetProperty("secret").GetString()!, listed.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnotherProject_ByNameWithADefaultKeyOrUnknown_IsGoogle404WithNothingLeaked()
    {
        await using (var db = _factory.Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<VisionConsole.Domain.Storage.ConsoleDbContext>>().CreateDbContext())
        {
            db.Projects.Add(new Project("other", DateTimeOffset.UtcNow));
            await db.SaveChangesAsync();
        }
        using var owner = await _factory.CreateClientAsAsync("olga");

        foreach (var project in new[] { "other", "nowhere" })
        {
            var response = await owner.GetAsync($"/v1/projects/{project}/locations/us-central1/datasets");
            var error = await GoogleErrorAssert.ReadAsync(response, HttpStatusCode.NotFound, "NOT_FOUND");
            Assert.Equal(("not-found", $"Project '{project}' was not found."), (GoogleErrorAssert.Reason(error), GoogleErrorAssert.Message(error)));
        }
    }

    [Fact]
    public async Task FirstRun_NoAccountYet_OnlySetupHealthzAndStaticFilesAreServed()
    {
        using var raw = _factory.Server.CreateClient();

        var api = await raw.GetAsync("/api/datasets");
        var page = await raw.GetAsync("/datasets");
        var setup = await raw.GetAsync("/account/setup");
        var login = await raw.GetAsync("/account/login");
        var health = await raw.GetAsync("/healthz");
        var css = await raw.GetAsync("/css/console.css");

        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        Assert.Contains("no-account", await api.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal((HttpStatusCode.Redirect, "/account/setup"), (page.StatusCode, page.Headers.Location?.OriginalString));
        Assert.Equal((HttpStatusCode.Redirect, "/account/setup"), (login.StatusCode, login.Headers.Location?.OriginalString));
        Assert.True(setup.StatusCode == HttpStatusCode.OK, $"{setup.StatusCode} {setup.Headers.Location}");
        Assert.Contains("Create the administrator", await setup.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, css.StatusCode);
    }

    [Fact]
    public async Task SetupForm_FirstAdministrator_SignsInAndASecondSetupIsRefused()
    {
        using var browser = _factory.Server.CreateClient();
        var form = await FormAsync(browser, "/account/setup");

        var tooShort = await PostFormAsync(browser, "/account/setup", form, ("userName", "root"), ("password", "short"), ("confirmPassword", "short"));
        var created = await PostFormAsync(browser, "/account/setup", form, ("userName", "root"), ("password", "a long password"), ("confirmPassword", "a long password"));
        var datasets = await WithCookieAsync(browser, created, "/api/datasets");
        var again = await PostFormAsync(browser, "/account/setup", form, ("userName", "mallory"), ("password", "a long password"), ("confirmPassword", "a long password"));

        Assert.Contains("Passwords must be at least 10 characters", Uri.UnescapeDataString(tooShort.Headers.Location!.OriginalString), StringComparison.Ordinal);
        Assert.Equal("/", created.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.OK, datasets.StatusCode);
        Assert.Equal("/account/login?error=setup-done", again.Headers.Location?.OriginalString);
        await using var scope = _factory.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<ConsoleUser>>();
        Assert.True((await users.FindByNameAsync("root"))!.IsAdministrator);
        Assert.Null(await users.FindByNameAsync("mallory"));
    }

    [Fact]
    public async Task LoginForm_FiveWrongPasswords_LocksTheAccountEvenForTheRightOne()
    {
        await _factory.Accounts.AccountAsync("lena", ProjectRole.Labeler);
        using var browser = _factory.Server.CreateClient();
        var form = await FormAsync(browser, "/account/login");

        var wrong = new List<string>();
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var response = await PostFormAsync(browser, "/account/login", form, ("userName", "lena"), ("password", "not the password"));
            wrong.Add(response.Headers.Location?.OriginalString ?? $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        var right = await PostFormAsync(browser, "/account/login", form, ("userName", "lena"), ("password", TestAccounts.Password));

        Assert.True(wrong.Take(4).All(l => l.StartsWith("/account/login?error=wrong", StringComparison.Ordinal)), string.Join(Environment.NewLine, wrong));
        Assert.StartsWith("/account/login?error=locked", wrong[4], StringComparison.Ordinal);
        Assert.StartsWith("/account/login?error=locked", right.Headers.Location!.OriginalString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoginForm_RightPassword_CookieOpensPagesAndApiAsThatAccount()
    {
        await _factory.Accounts.AccountAsync("ed", ProjectRole.Editor);
        using var browser = _factory.Server.CreateClient();
        var form = await FormAsync(browser, "/account/login");

        var signedIn = await PostFormAsync(browser, "/account/login", form, ("userName", "ed"), ("password", TestAccounts.Password), ("returnUrl", "/datasets"));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/datasets") { Content = JsonContent.Create(new { displayName = "eds", kind = "SingleLabel" }) };
        request.Headers.Add("Cookie", Cookies(signedIn));
        var created = await (await browser.SendAsync(request)).Content.ReadFromJsonAsync<DatasetSummary>(Json);
        var keys = await WithCookieAsync(browser, signedIn, "/api/projects/default/api-keys");

        Assert.Equal("/datasets", signedIn.Headers.Location?.OriginalString);
        Assert.Equal("ed", created!.CreatedBy);
        Assert.Equal(HttpStatusCode.Forbidden, keys.StatusCode);
    }

    [Fact]
    public async Task LoginForm_WithoutAntiforgeryToken_IsRefused()
    {
        await _factory.Accounts.AccountAsync("ed", ProjectRole.Editor);
        using var browser = _factory.Server.CreateClient();

        var response = await browser.PostAsync("/account/login", new FormUrlEncodedContent([new("userName", "ed"), new("password", TestAccounts.Password)]));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.DoesNotContain(response.Headers, h => h.Key == "Set-Cookie" && h.Value.Any(v => v.StartsWith(ConsoleAuthentication.CookieName, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task SingleUserMode_NoCredentials_EveryoneIsTheLocalAdministrator()
    {
        await using var factory = new ConsoleWebFactory { Settings = { ["single-user"] = "true" } };
        using var anonymous = factory.CreateAnonymousClient();

        var created = await (await anonymous.PostAsJsonAsync("/api/datasets", new { displayName = "laptop", kind = "SingleLabel" })).Content.ReadFromJsonAsync<DatasetSummary>(Json);
        var page = await anonymous.GetAsync("/datasets");

        Assert.Equal(LocalUserAuthenticationHandler.UserName, created!.CreatedBy);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }

    [Fact]
    public async Task AnyAnswer_SecurityHeaders_Present()
    {
        using var client = _factory.CreateClient();

        var response = await client.GetAsync("/api/datasets");

        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("SAMEORIGIN", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("same-origin", response.Headers.GetValues("Referrer-Policy").Single());
    }

    private static async Task<DatasetSummary> CreateDatasetAsync(HttpClient client, string name)
    {
        var response = await client.PostAsJsonAsync("/api/datasets", new { displayName = name, kind = "SingleLabel" });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<DatasetSummary>(Json))!;
    }

    /// <summary>A route pattern with its parameters filled: ids with the dataset's, names with plausible values.</summary>
    private static string Fill(string pattern, long datasetId) =>
        "/" + RouteParameter().Replace(pattern.TrimStart('/'), m => m.Groups[1].Value switch
        {
            "project" => Project.DefaultName,
            "location" => "us-central1",
            "sha256" => new string('a', 64),
            "name" or "modelName" or "displayName" or "tag" or "batch" => "x",
            _ => datasetId.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });

    [GeneratedRegex(@"\{\*?([A-Za-z0-9]+)(:[^}]*)?\}")]
    private static partial Regex RouteParameter();

    private sealed record Form(string Token, string Cookie);

    private static async Task<Form> FormAsync(HttpClient client, string path)
    {
        var page = await client.GetAsync(path);
        var html = await page.Content.ReadAsStringAsync();
        var token = Regex.Match(html, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(token), $"{path} has no antiforgery token: {html[..Math.Min(400, html.Length)]}");
        return new Form(token, string.Join("; ", page.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0])));
    }

    private static async Task<HttpResponseMessage> PostFormAsync(HttpClient client, string path, Form form, params (string Name, string Value)[] fields)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new FormUrlEncodedContent([new("__RequestVerificationToken", form.Token), .. fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value))]),
        };
        request.Headers.Add("Cookie", form.Cookie);
        return await client.SendAsync(request);
    }

    private static string Cookies(HttpResponseMessage response) =>
        string.Join("; ", response.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));

    private static async Task<HttpResponseMessage> WithCookieAsync(HttpClient client, HttpResponseMessage signedIn, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Cookie", Cookies(signedIn));
        return await client.SendAsync(request);
    }
}
