using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace VisionConsole.Tests.Web;

/// <summary>
/// Runs the console's unpublished build output in Production, the way <c>./run.sh</c> does, as its own process,
/// and checks that Blazor's script and MudBlazor's files come from the SDK's static web assets.
/// </summary>
public sealed class StaticAssetsProductionTests
{
    [Fact]
    public async Task BuildOutputInProduction_ServesBlazorScriptAndMudBlazorAssets()
    {
        var (repository, console) = LocateBuildOutput();
        var data = Path.Combine(Path.GetTempPath(), "vc-assets-" + Guid.NewGuid().ToString("N")[..8]);
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { console, "--contentRoot", Path.Combine(repository, "Console.Web"), "--urls", $"http://127.0.0.1:{port}", "--data", data },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        using var process = Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };
            await WaitUntilUpAsync(client, process, output);

            var script = await client.GetAsync("_framework/blazor.web.js");
            var page = await client.GetStringAsync("datasets");
            var css = await client.GetAsync("_content/MudBlazor/MudBlazor.min.css");

            Assert.Equal(HttpStatusCode.OK, script.StatusCode);
            Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
            var body = await script.Content.ReadAsStringAsync();
            // The .NET 10 script (the server's own circuit protocol), not an empty or error body.
            Assert.True(body.Length > 50_000, $"blazor.web.js is only {body.Length} characters");
            Assert.Contains("Blazor", body, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, css.StatusCode);
            Assert.Matches("<script src=\"_framework/blazor\\.web\\.[a-z0-9]+\\.js\"", page);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            if (Directory.Exists(data))
            {
                Directory.Delete(data, recursive: true);
            }
        }
    }

    private static async Task WaitUntilUpAsync(HttpClient client, Process process, System.Text.StringBuilder output)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                Assert.Fail($"The console exited with {process.ExitCode}:\n{output}");
            }
            try
            {
                if ((await client.GetAsync("healthz")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(250);
        }
        Assert.Fail($"The console did not answer /healthz within a minute:\n{output}");
    }

    /// <summary>The repository and <c>Console.Web/bin/&lt;configuration&gt;/net10.0/Console.Web.dll</c> built with these tests.</summary>
    private static (string Repository, string Console) LocateBuildOutput()
    {
        // bin/<configuration>/net10.0 of the test project.
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = testOutput.Parent!.Name;
        for (var dir = testOutput; dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Console.sln")))
            {
                var console = Path.Combine(dir.FullName, "Console.Web", "bin", configuration, testOutput.Name, "Console.Web.dll");
                Assert.True(File.Exists(console), $"{console} is missing; build Console.Web first.");
                return (dir.FullName, console);
            }
        }
        throw new InvalidOperationException("The repository (Console.sln) is not above " + AppContext.BaseDirectory);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
