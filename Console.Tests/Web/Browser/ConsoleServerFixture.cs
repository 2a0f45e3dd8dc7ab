using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using VisionConsole.Web;
using Xunit.Abstractions;

namespace VisionConsole.Tests.Web.Browser;

/// <summary>
/// The real console on a real Kestrel port (127.0.0.1, port chosen by the OS) with a fresh data folder,
/// and Debian's chromium driven by Playwright. Playwright's own browser download cannot work here.
/// </summary>
public sealed class ConsoleServerFixture : IAsyncLifetime
{
    private WebApplication? _app;
    private IPlaywright? _playwright;
    private string? _signedIn;

    /// <summary>The administrator's sign-in (Playwright storage state) for contexts a test opens itself.</summary>
    public string SignedInState => _signedIn ?? throw new InvalidOperationException("The server has not started.");

    public string DataFolder { get; } = Path.Combine(Path.GetTempPath(), "vision-console-browser-" + Guid.NewGuid().ToString("N")[..8]);

    public Uri BaseAddress { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>The server's warnings and errors, oldest first, each stamped with its time.</summary>
    public ConcurrentQueue<string> ServerLog { get; } = new();

    /// <summary>The console's accounts and keys (the administrator signs in every browser context).</summary>
    public TestAccounts Accounts { get; private set; } = null!;

    /// <summary>The running host's services, for seeding data the UI has no form for yet.</summary>
    public IServiceProvider Services => _app?.Services ?? throw new InvalidOperationException("The server has not started.");

    /// <summary>
    /// A single-label dataset with <paramref name="labels"/> and the first <paramref name="count"/> ant photos of
    /// hymenoptera's train split, through the real intake and unlabeled; answers its id.
    /// </summary>
    public async Task<long> SeedAntPhotosAsync(string name, int count, params string[] labels)
    {
        var datasets = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<VisionConsole.Domain.Datasets.IDatasetService>(Services);
        var intake = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<VisionConsole.Domain.Datasets.IImageIntake>(Services);
        var dataset = await datasets.CreateAsync(name, VisionConsole.Domain.Datasets.DatasetKind.SingleLabel, "ann");
        foreach (var label in labels)
        {
            await datasets.AddLabelAsync(dataset.Id, label, "ann");
        }
        foreach (var file in Directory.GetFiles(Path.Combine(SharedData.Hymenoptera, "train", "ants"), "*.jpg").Order(StringComparer.Ordinal).Take(count))
        {
            await using var stream = File.OpenRead(file);
            Assert.True((await intake.AddAsync(dataset.Id, Path.GetFileName(file), stream, "ann")).Accepted);
        }
        return dataset.Id;
    }

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
        builder.Logging.AddProvider(new CapturingLoggerProvider(ServerLog));
        _app = ConsoleHost.Build(builder);
        await _app.StartAsync();
        BaseAddress = new Uri(_app.Urls.Single());
        Accounts = new TestAccounts(_app.Services);
        await Accounts.AccountAsync(TestAccounts.AdministratorName);

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        _signedIn = await SignInAsync(TestAccounts.AdministratorName);
    }

    /// <summary>
    /// Signs <paramref name="userName"/> (made with <paramref name="role"/> in the default project if new) in through the sign-in page once, in a context of its own, and answers that
    /// context's cookies (Playwright's storage state) for the contexts the tests open.
    /// </summary>
    public async Task<string> SignInAsync(string userName, VisionConsole.Domain.Accounts.ProjectRole role = VisionConsole.Domain.Accounts.ProjectRole.Owner)
    {
        await Accounts.AccountAsync(userName, role);
        await using var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = BaseAddress.ToString() });
        var page = await context.NewPageAsync();
        await page.GotoAsync("account/login");
        await page.FillAsync("[data-test=login-user]", userName);
        await page.FillAsync("[data-test=login-password]", TestAccounts.Password);
        await page.ClickAsync("[data-test=login-submit]");
        await page.WaitForURLAsync(url => !url.Contains("/account/", StringComparison.Ordinal));
        return await context.StorageStateAsync();
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
    /// A fresh browser context on this server, signed in as the administrator or with <paramref name="storageState"/>
    /// (1400 x 1000, downloads accepted, <paramref name="timeoutMs"/> for
    /// actions and expectations) with one page whose console errors are collected. Closing the session writes
    /// what a failure needs to <paramref name="output"/>: the page's last URL and state, its console, and the
    /// server's warnings while it was open.
    /// </summary>
    public async Task<BrowserSession> OpenPageAsync(ITestOutputHelper output, float timeoutMs = 60_000, string? storageState = null)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseAddress.ToString(),
            // Signed in as the administrator unless the test brings another sign-in ("{}" for none).
            StorageState = storageState ?? _signedIn,
            ViewportSize = new ViewportSize { Width = 1400, Height = 1000 },
            AcceptDownloads = true,
        });
        context.SetDefaultTimeout(timeoutMs);
        Assertions.SetDefaultExpectTimeout(timeoutMs);
        var page = await context.NewPageAsync();
        var session = new BrowserSession(context, page, output, ServerLog);
        page.Console += (_, message) =>
        {
            session.Console.Enqueue($"{Stamp()} {message.Type}: {message.Text} ({message.Location})");
            if (message.Type == "error")
            {
                session.ConsoleErrors.Add($"{message.Text} ({message.Location})");
            }
        };
        page.FrameNavigated += (_, frame) =>
        {
            if (frame.ParentFrame is null)
            {
                session.Console.Enqueue($"{Stamp()} navigated: {frame.Url}");
            }
        };
        return session;
    }

    internal static string Stamp() => DateTime.UtcNow.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture);

    private sealed class CapturingLoggerProvider(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new CapturingLogger(categoryName, lines);

        public void Dispose()
        {
        }
    }

    private sealed class CapturingLogger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                lines.Enqueue($"{Stamp()} {logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : Environment.NewLine + exception)}");
            }
        }
    }
}

/// <summary>A browser context and its page; disposing writes the session's report and closes the context.</summary>
public sealed class BrowserSession(IBrowserContext context, IPage page, ITestOutputHelper output, ConcurrentQueue<string> serverLog) : IAsyncDisposable
{
    private readonly int _serverLogStart = serverLog.Count;

    public IPage Page { get; } = page;

    /// <summary>Errors the page wrote to the browser console.</summary>
    public List<string> ConsoleErrors { get; } = [];

    /// <summary>Everything the page wrote to its console and every top-level navigation, stamped.</summary>
    public ConcurrentQueue<string> Console { get; } = new();

    public async ValueTask DisposeAsync()
    {
        output.WriteLine($"{ConsoleServerFixture.Stamp()} session closing at {Page.Url}");
        try
        {
            // Blazor's error bar and reconnect dialog explain most "nothing happened after a click" failures.
            var state = await Page.EvaluateAsync<string>(
                "() => `blazor-error-ui visible: ${getComputedStyle(document.getElementById('blazor-error-ui') ?? document.body).display !== 'none' && !!document.getElementById('blazor-error-ui')}; "
                + "reconnect modal: ${document.getElementById('components-reconnect-modal')?.className ?? 'none'}; "
                + "alerts: ${[...document.querySelectorAll('.alert')].map(a => a.innerText.trim()).join(' | ')}`");
            output.WriteLine(state);
        }
        catch (PlaywrightException ex)
        {
            output.WriteLine($"page state unavailable: {ex.Message}");
        }
        foreach (var line in Console)
        {
            output.WriteLine("page " + line);
        }
        foreach (var line in serverLog.Skip(_serverLogStart))
        {
            output.WriteLine("server " + line);
        }
        await context.DisposeAsync();
    }
}
