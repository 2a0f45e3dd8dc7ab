using Microsoft.AspNetCore.Builder;
using Microsoft.Playwright;
using VisionConsole.Web;

namespace VisionConsole.Tests.Web.Browser;

/// <summary>
/// The real console on a real Kestrel port (127.0.0.1, port chosen by the OS) with a fresh data folder,
/// and Debian's chromium driven by Playwright. Playwright's own browser download cannot work here.
/// </summary>
public sealed class ConsoleServerFixture : IAsyncLifetime
{
    private WebApplication? _app;
    private IPlaywright? _playwright;

    public string DataFolder { get; } = Path.Combine(Path.GetTempPath(), "vision-console-browser-" + Guid.NewGuid().ToString("N")[..8]);

    public Uri BaseAddress { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>The running host's services, for seeding data the UI has no form for yet.</summary>
    public IServiceProvider Services => _app?.Services ?? throw new InvalidOperationException("The server has not started.");

    /// <summary><c>VISIONCONSOLE_ZOO_MIRROR</c>, else the shared zoo next to the datasets.</summary>
    public static string ZooMirror =>
        Environment.GetEnvironmentVariable(VisionConsole.Trainer.Zoo.ModelZooServiceCollectionExtensions.MirrorEnvironmentVariable) is { Length: > 0 } mirror
            ? mirror
            : SharedData.Zoo;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(DataFolder);
        // Backbones come from the shared mirror only (never the internet), as every test's do.
        var builder = ConsoleHost.CreateBuilder(
        [
            "--urls", "http://127.0.0.1:0", "--data", DataFolder, "--environment", "Development", "--Logging:LogLevel:Default=Warning",
            "--zoo-mirror", ZooMirror, "--Zoo:AllowDownloads", "false",
        ]);
        _app = ConsoleHost.Build(builder);
        await _app.StartAsync();
        BaseAddress = new Uri(_app.Urls.Single());

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }
        _playwright?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        if (Directory.Exists(DataFolder))
        {
            Directory.Delete(DataFolder, recursive: true);
        }
    }

    /// <summary>
    /// A fresh browser context on this server (1400 x 1000, downloads accepted, <paramref name="timeoutMs"/> for
    /// actions and expectations) with one page whose console errors are collected.
    /// </summary>
    public async Task<BrowserSession> OpenPageAsync(float timeoutMs = 60_000)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1400, Height = 1000 },
            AcceptDownloads = true,
        });
        context.SetDefaultTimeout(timeoutMs);
        Assertions.SetDefaultExpectTimeout(timeoutMs);
        var page = await context.NewPageAsync();
        var session = new BrowserSession(context, page);
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                session.ConsoleErrors.Add($"{message.Text} ({message.Location})");
            }
        };
        return session;
    }
}

/// <summary>A browser context and its page; disposing closes the context.</summary>
public sealed class BrowserSession(IBrowserContext context, IPage page) : IAsyncDisposable
{
    public IPage Page { get; } = page;

    /// <summary>Errors the page wrote to the browser console.</summary>
    public List<string> ConsoleErrors { get; } = [];

    public ValueTask DisposeAsync() => context.DisposeAsync();
}
