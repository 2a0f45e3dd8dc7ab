using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Hosting;
using VisionConsole.Domain.Accounts;
using VisionConsole.Tests.Domain;

namespace VisionConsole.Tests.Web;

/// <summary>
/// The whole console in memory over a fresh temporary data folder (real SQLite file, real blob store, real libvips), with
/// its administrator account made; every client it creates calls with the administrator's API key unless told otherwise.
/// </summary>
public sealed class ConsoleWebFactory : WebApplicationFactory<Program>
{
    private TestAccounts? _accounts;

    public string DataFolder { get; } = TestDatabase.NewFolder();

    /// <summary>More host settings (command-line names, for example <c>sweep-grace</c>); set before the first client.</summary>
    public Dictionary<string, string> Settings { get; } = [];

    /// <summary>The console's accounts and keys (the host starts on first use).</summary>
    public TestAccounts Accounts => _accounts ??= new TestAccounts(Services);

    /// <summary>A client with no credentials at all.</summary>
    public HttpClient CreateAnonymousClient()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = null;
        return client;
    }

    /// <summary>A client calling with a key of <paramref name="userName"/> (an account with <paramref name="role"/> in the default project).</summary>
    public async Task<HttpClient> CreateClientAsAsync(string userName, ProjectRole role = ProjectRole.Owner) =>
        await Accounts.AuthorizeAsync(CreateClient(), userName, role);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("data", DataFolder);
        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }
    }

    protected override IHost CreateHost(IHostBuilder builder)
    {
        var host = base.CreateHost(builder);
        _accounts = new TestAccounts(host.Services);
        return host;
    }

    protected override void ConfigureClient(HttpClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        base.ConfigureClient(client);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Accounts.KeyAsync().GetAwaiter().GetResult());
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        TestDatabase.DeleteFolder(DataFolder);
    }
}
