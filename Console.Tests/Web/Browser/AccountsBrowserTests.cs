using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using VisionConsole.Domain.Accounts;
using VisionConsole.Domain.Datasets;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace VisionConsole.Tests.Web.Browser;

/// <summary>
/// Signing in and out in chromium, a role that does not open a page, the controls a viewer's and a labeler's pages show,
/// and the API keys page: create, use, revoke.
/// </summary>
public sealed class AccountsBrowserTests(ConsoleServerFixture server, ITestOutputHelper output) : IClassFixture<ConsoleServerFixture>
{
    private const string NotSignedIn = """{"cookies":[],"origins":[]}""";

    [Fact]
    public async Task SignIn_NotSignedInOnADeepLink_SignInPageThenBackThereThenSignOut()
    {
        await server.Accounts.AccountAsync("ella", ProjectRole.Editor);
        await using var session = await server.OpenPageAsync(output, storageState: NotSignedIn);
        var page = session.Page;

        await page.GotoAsync("/operations");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/account/login\\?ReturnUrl=%2Foperations$"));
        await page.FillAsync("[data-test=login-user]", "ella");
        await page.FillAsync("[data-test=login-password]", "wrong password!");
        await page.ClickAsync("[data-test=login-submit]");
        await Expect(page.Locator("[data-test=login-error]")).ToContainTextAsync("Wrong user name or password.");
        await page.FillAsync("[data-test=login-user]", "ella");
        await page.FillAsync("[data-test=login-password]", TestAccounts.Password);
        await page.ClickAsync("[data-test=login-submit]");

        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/operations$"));
        await page.Locator(".console-shell[data-interactive=true]").WaitForAsync();
        await Expect(page.Locator("[data-test=user-name]")).ToHaveTextAsync("ella");
        // An editor's role does not open Settings (owners only): the page says so instead of showing it.
        await page.GotoAsync("/settings");
        await Expect(page.Locator("[data-test=not-authorized]")).ToBeVisibleAsync();

        await page.GotoAsync("/datasets");
        await page.Locator(".console-shell[data-interactive=true]").WaitForAsync();
        await page.ClickAsync("[data-test=sign-out]");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/account/login$"));
        await page.GotoAsync("/datasets");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/account/login"));
        Assert.True(session.ConsoleErrors.Count == 0, "Browser console errors: " + string.Join(" | ", session.ConsoleErrors));
    }

    [Fact]
    public async Task ApiKeysPage_CreateAViewerKey_ShownOnceWorksForReadsThenRevokedIsRefused()
    {
        await using var session = await server.OpenPageAsync(output);
        var page = session.Page;
        await page.GotoAsync("/admin/api-keys");
        await page.Locator(".console-shell[data-interactive=true]").WaitForAsync();

        await page.Locator("input[data-test=key-name], [data-test=key-name] input").First.FillAsync("phone app");
        await MudUi.SelectAsync(page, "key-role", "viewer");
        await page.ClickAsync("[data-test=key-create]");
        var secret = (await page.Locator("[data-test=key-secret]").InnerTextAsync()).Trim();
        await Expect(page.Locator("[data-test=keys] tr").Filter(new() { HasText = "phone app" })).ToContainTextAsync("viewer");

        using var client = new HttpClient { BaseAddress = server.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", secret);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await client.GetAsync("api/datasets")).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await client.PostAsync("api/datasets", System.Net.Http.Json.JsonContent.Create(new { displayName = "x", kind = "SingleLabel" }))).StatusCode);

        // Shown once: a reload lists the key by its prefix only.
        await page.ReloadAsync();
        await page.Locator(".console-shell[data-interactive=true]").WaitForAsync();
        Assert.DoesNotContain(secret, await page.ContentAsync(), StringComparison.Ordinal);
        var row = page.Locator("[data-test=keys] tr").Filter(new() { HasText = "phone app" });
        await row.Locator("[data-test=key-revoke]").ClickAsync();
        await page.Locator(".mud-dialog .mud-button").Filter(new() { HasText = "Revoke" }).ClickAsync();
        await Expect(row.Locator("[data-test=key-state]")).ToContainTextAsync("revoked");

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await client.GetAsync("api/datasets")).StatusCode);
        Assert.True(session.ConsoleErrors.Count == 0, "Browser console errors: " + string.Join(" | ", session.ConsoleErrors));
    }

    [Fact]
    public async Task DatasetPage_ViewerThenLabeler_ViewerSeesNoWriteControlsLabelerLabelsButCannotDelete()
    {
        var datasetId = await server.SeedAntPhotosAsync("Roles", 2, "ants");

        var viewer = await server.SignInAsync("vera", ProjectRole.Viewer);
        await using (var session = await server.OpenPageAsync(output, storageState: viewer))
        {
            var page = session.Page;
            await page.GotoAsync($"/datasets/{datasetId}");
            await page.Locator(".console-shell[data-interactive=true]").WaitForAsync();
            await Expect(page.Locator(".image-tile")).ToHaveCountAsync(2);
            foreach (var control in new[] { "open-import", "open-export", "resplit", "train-dataset", "label-bar", "delete-images" })
            {
                await Expect(page.Locator($"[data-test={control}]")).ToHaveCountAsync(0);
            }
            await Expect(page.Locator("nav a[href='settings']")).ToHaveCountAsync(0);
            await page.GotoAsync("/datasets");
            await page.Locator(".console-shell[data-interactive=true]").WaitForAsync();
            await Expect(page.Locator(".dataset-link").Filter(new() { HasText = "Roles" })).ToBeVisibleAsync();
            await Expect(page.Locator("[data-test=create-dataset], [data-test=delete-dataset]")).ToHaveCountAsync(0);
            Assert.True(session.ConsoleErrors.Count == 0, "Browser console errors: " + string.Join(" | ", session.ConsoleErrors));
        }

        var labeler = await server.SignInAsync("lars", ProjectRole.Labeler);
        await using (var session = await server.OpenPageAsync(output, storageState: labeler))
        {
            var page = session.Page;
            await page.GotoAsync($"/datasets/{datasetId}");
            await page.Locator(".console-shell[data-interactive=true]").WaitForAsync();
            await Expect(page.Locator("[data-test=label-bar]")).ToBeVisibleAsync();
            await Expect(page.Locator("[data-test=delete-images], [data-test=split-menu], [data-test=open-import]")).ToHaveCountAsync(0);
            await page.Locator(".image-tile .image-tile-name").First.ClickAsync();
            await page.Locator("[data-test=label-bar] button[data-label-id]").First.ClickAsync();
            await Expect(page.Locator(".image-tile .image-label").First).ToHaveTextAsync("ants");
            Assert.True(session.ConsoleErrors.Count == 0, "Browser console errors: " + string.Join(" | ", session.ConsoleErrors));
        }
        var labeled = await server.Services.GetRequiredService<IDatasetService>().QueryImagesAsync(datasetId, new ImageQuery(Take: 10));
        Assert.Single(labeled.Items, i => i.Labels.Contains("ants"));
    }
}
