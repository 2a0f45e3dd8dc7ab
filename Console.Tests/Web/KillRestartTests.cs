using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using VisionConsole.Tests.Domain;
using VisionConsole.Tests.Trainer.Jobs;
using Xunit.Abstractions;

namespace VisionConsole.Tests.Web;

/// <summary>
/// The console as a separate process (the built <c>Console.Web.dll</c>) killed with SIGKILL at a random moment while it
/// imports a zip of real photos and while labelers write, then started again on the same data folder: it must come up,
/// its start-up integrity check must be clean, the killed import must have ended (failed as interrupted, or succeeded), and
/// every label write it acknowledged must be there. <see cref="DefaultRounds"/> rounds by default;
/// <c>VISIONCONSOLE_KILL_ROUNDS</c> sets another count (the long mode: 20).
/// </summary>
public sealed class KillRestartTests(ITestOutputHelper output)
{
    private const int DefaultRounds = 2;

    private static int Rounds =>
        int.TryParse(Environment.GetEnvironmentVariable("VISIONCONSOLE_KILL_ROUNDS"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : DefaultRounds;

    [Fact]
    public async Task Kill_DuringImportAndLabeling_RestartsWholeWithEveryAcknowledgedWrite()
    {
        var data = TestDatabase.NewFolder();
        try
        {
            var zip = Path.Combine(data, "..", $"hymenoptera-{Guid.NewGuid():N}.zip");
            using (var archive = ZipFile.Open(zip, ZipArchiveMode.Create))
            {
                foreach (var folder in Directory.GetDirectories(Path.Combine(SharedData.Datasets, "hymenoptera", "train")))
                    foreach (var file in Directory.GetFiles(folder))
                        archive.CreateEntryFromFile(file, $"{Path.GetFileName(folder)}/{Path.GetFileName(file)}", CompressionLevel.NoCompression);
            }
            var random = new Random(20261203);
            long datasetId = 0;
            long antsId = 0;
            var acknowledged = new ConcurrentDictionary<long, bool>();
            for (var round = 1; round <= Rounds; round++)
            {
                await using var console = await ConsoleProcess.StartAsync(data);
                if (round == 1)
                {
                    var dataset = await Read(await console.Client.PostAsJsonAsync("/api/datasets", new { displayName = "insects", kind = "SingleLabel" }));
                    datasetId = dataset.GetProperty("id").GetInt64();
                    antsId = (await Read(await console.Client.PostAsJsonAsync($"/api/datasets/{datasetId}/labels", new { name = "ants" }))).GetProperty("id").GetInt64();
                }
                else
                {
                    await AssertRestartedWholeAsync(console, datasetId, antsId, acknowledged);
                }

                // An import of the whole training split, and a labeler labeling what has arrived, until the kill.
                using var content = new MultipartFormDataContent();
                var part = new StreamContent(File.OpenRead(zip));
                part.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
                content.Add(part, "file", "train.zip");
                var import = await Read(await console.Client.PostAsync(new Uri($"{TrainingHost.Api}/datasets/{datasetId}:importData", UriKind.Relative), content));
                using var stop = new CancellationTokenSource();
                var labeler = LabelAsync(console.Client, datasetId, antsId, acknowledged, stop.Token);
                var delay = TimeSpan.FromMilliseconds(random.Next(1000, 15000));
                await Task.Delay(delay);
                console.Kill();
                await stop.CancelAsync();
                await labeler;
                output.WriteLine($"round {round}: killed {delay.TotalMilliseconds:0} ms into import {import.GetProperty("name").GetString()}; {acknowledged.Count} label writes acknowledged so far");
            }
            await using var last = await ConsoleProcess.StartAsync(data);
            await AssertRestartedWholeAsync(last, datasetId, antsId, acknowledged);
            File.Delete(zip);
        }
        finally
        {
            TestDatabase.DeleteFolder(data);
        }
    }

    /// <summary>Up again: integrity clean, no operation left queued or running, every acknowledged label there.</summary>
    private async Task AssertRestartedWholeAsync(ConsoleProcess console, long datasetId, long antsId, ConcurrentDictionary<long, bool> acknowledged)
    {
        JsonElement report;
        var response = await console.Client.GetAsync(new Uri("/api/integrity", UriKind.Relative));
        for (var wait = 0; response.StatusCode == HttpStatusCode.Accepted && wait < 300; wait++)
        {
            await Task.Delay(100);
            response = await console.Client.GetAsync(new Uri("/api/integrity", UriKind.Relative));
        }
        report = await Read(response);
        Assert.True(report.GetProperty("clean").GetBoolean(), $"the integrity check after the kill: {report}");
        // Nothing forgotten: an import that was running is failed as interrupted, one still queued runs now; wait for them.
        JsonElement[] operations = [];
        for (var wait = 0; wait < 1200; wait++)
        {
            operations = [.. (await Read(await console.Client.GetAsync(new Uri($"{TrainingHost.Api}/operations", UriKind.Relative)))).GetProperty("operations").EnumerateArray()];
            if (operations.All(o => o.TryGetProperty("done", out var done) && done.GetBoolean()))
                break;
            await Task.Delay(100);
        }
        foreach (var operation in operations)
        {
            var state = operation.GetProperty("metadata").GetProperty("state").GetString();
            Assert.True(state is "SUCCEEDED" or "FAILED", $"an operation ended {state} after the restart: {operation}");
            if (state == "FAILED")
                Assert.Contains("interrupted", operation.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        }
        var images = await Read(await console.Client.GetAsync(new Uri($"/api/datasets/{datasetId}/images?take=1000", UriKind.Relative)));
        var labeled = images.GetProperty("items").EnumerateArray()
            .Where(i => i.GetProperty("labels").EnumerateArray().Any(l => l.GetString() == "ants"))
            .Select(i => i.GetProperty("id").GetInt64()).ToHashSet();
        Assert.All(acknowledged.Keys, id => Assert.Contains(id, labeled));
        output.WriteLine($"restarted: integrity clean ({report.GetProperty("images").GetInt32()} images); operations {string.Join(", ", operations.Select(o => o.GetProperty("metadata").GetProperty("state").GetString()))}; {acknowledged.Count} acknowledged labels all present");
    }

    /// <summary>Labels images as they arrive, one write at a time; records the ones the console answered 200 to.</summary>
    private static async Task LabelAsync(HttpClient client, long datasetId, long antsId, ConcurrentDictionary<long, bool> acknowledged, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var page = await client.GetFromJsonAsync<JsonElement>($"/api/datasets/{datasetId}/images?take=1000", stop);
                foreach (var id in page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetInt64()).Where(id => !acknowledged.ContainsKey(id)).Take(5))
                {
                    var response = await client.PostAsJsonAsync($"/api/datasets/{datasetId}/images:labels", new { imageIds = new[] { id }, add = new[] { antsId } }, stop);
                    if (response.StatusCode == HttpStatusCode.OK)
                        acknowledged[id] = true;
                }
                await Task.Delay(50, stop);
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
            {
                // The console was killed under the request: an unanswered write was never acknowledged.
                return;
            }
        }
    }

    private static async Task<JsonElement> Read(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>The console binary in its own process on a free loopback port.</summary>
    private sealed class ConsoleProcess : IAsyncDisposable
    {
        private readonly Process _process;

        private ConsoleProcess(Process process, HttpClient client)
        {
            _process = process;
            Client = client;
        }

        public HttpClient Client { get; }

        public static async Task<ConsoleProcess> StartAsync(string data)
        {
            // Before the console starts, as a script would: the account and its key, from the console's command line.
            var key = await TestAccounts.CommandLineKeyAsync(data, "labeler");
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            var start = new ProcessStartInfo("dotnet") { WorkingDirectory = AppContext.BaseDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in new[]
            {
                Path.Combine(AppContext.BaseDirectory, "Console.Web.dll"), "--urls", $"http://127.0.0.1:{port}", "--data", data,
                "--zoo-mirror", SharedData.Zoo, "--Zoo:AllowDownloads", "false", "--Logging:LogLevel:Default", "Warning",
            })
            {
                start.ArgumentList.Add(arg);
            }
            var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
            // Drained so that a full pipe never blocks the console.
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
            for (var attempt = 0; attempt < 600; attempt++)
            {
                try
                {
                    if ((await client.GetAsync(new Uri("/healthz", UriKind.Relative))).StatusCode == HttpStatusCode.OK)
                        return new ConsoleProcess(process, client);
                }
                catch (HttpRequestException)
                {
                }
                if (process.HasExited)
                    throw new InvalidOperationException($"the console exited with {process.ExitCode} before it answered /healthz");
                await Task.Delay(100);
            }
            process.Kill();
            throw new TimeoutException("the console did not answer /healthz within a minute");
        }

        /// <summary>SIGKILL: no shutdown code runs.</summary>
        public void Kill()
        {
            _process.Kill();
            _process.WaitForExit();
        }

        public ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
                Kill();
            _process.Dispose();
            Client.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
