using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using VisionConsole.Domain.Training;
using VisionConsole.Tests.Trainer.Export;
using Xunit.Abstractions;

namespace VisionConsole.Tests.Trainer.Jobs;

/// <summary>
/// The console as a real process killed in the middle of a training (SIGKILL: no shutdown code runs), then started
/// again on the same data folder: the operation is failed as "interrupted", never forgotten, the dataset is intact
/// and the next training runs.
/// </summary>
public sealed class ProcessKillRestartTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task KillDuringTraining_RestartOnSameData_OperationFailedInterruptedAndNextTrainingWorks()
    {
        var folder = Domain.TestDatabase.NewFolder();
        try
        {
            long datasetId;
            await using (var seed = TrainingHost.StartOn(folder))
            {
                datasetId = await TrainingHost.ImportHymenopteraAsync(seed.Services, "killed", 12, 8);
            }

            long operationId;
            using (var first = ConsoleProcess.Start(folder, output))
            {
                await first.WaitHealthyAsync();
                operationId = await StartTrainingAsync(first.Client, datasetId);
                var running = await first.WaitForAsync(operationId, op =>
                    TrainingHost.State(op) == "RUNNING"
                    && op.GetProperty("metadata").TryGetProperty("progress", out var progress)
                    && progress.ValueKind == JsonValueKind.Object
                    && progress.GetProperty("imagesDone").GetInt32() > 0);
                output.WriteLine($"Killing the console while: {running.GetProperty("metadata").GetProperty("progress")}");
                first.Kill();
            }

            using var second = ConsoleProcess.Start(folder, output);
            await second.WaitHealthyAsync();
            var interrupted = await second.WaitForAsync(operationId, op => op.GetProperty("done").GetBoolean());
            Assert.Equal("FAILED", TrainingHost.State(interrupted));
            Assert.StartsWith("interrupted", interrupted.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);

            var dataset = JsonNode.Parse(await second.Client.GetStringAsync($"/api/datasets/{datasetId}"))!;
            Assert.Equal(40, dataset["imageCount"]!.GetValue<int>());

            var next = await StartTrainingAsync(second.Client, datasetId);
            var done = await second.WaitForAsync(next, op => op.GetProperty("done").GetBoolean());
            Assert.Equal("SUCCEEDED", TrainingHost.State(done));
        }
        finally
        {
            Domain.TestDatabase.DeleteFolder(folder);
        }
    }

    private static async Task<long> StartTrainingAsync(HttpClient client, long datasetId)
    {
        var request = new JsonObject
        {
            ["displayName"] = "survives a kill",
            ["datasetId"] = datasetId.ToString(CultureInfo.InvariantCulture),
            ["imageClassificationModelMetadata"] = new JsonObject { ["modelType"] = "mobile-versatile-1" },
        };
        var response = await client.PostAsJsonAsync($"{TrainingHost.Api}/models", request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        var name = JsonNode.Parse(body)!["name"]!.GetValue<string>();
        return long.Parse(name[(name.LastIndexOf('/') + 1)..], CultureInfo.InvariantCulture);
    }

    /// <summary>The built console (<c>Console.Web.dll</c>) as a child process on a free loopback port.</summary>
    private sealed class ConsoleProcess : IDisposable
    {
        private readonly Process _process;

        private ConsoleProcess(Process process, Uri address, string key)
        {
            _process = process;
            Client = new HttpClient { BaseAddress = address };
            Client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        }

        public HttpClient Client { get; }

        public static ConsoleProcess Start(string dataFolder, ITestOutputHelper output)
        {
            // The console built beside these tests, in the same configuration.
            var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
            var dll = Path.Combine(NodeScript.RepoRoot, "Console.Web", "bin", configuration, "net10.0", "Console.Web.dll");
            Assert.True(File.Exists(dll), $"{dll} is not built.");
            var address = new Uri($"http://127.0.0.1:{FreePort()}");
            // Before the console starts, as a script would: the account and its key, from the console's command line.
            var key = VisionConsole.Tests.Web.TestAccounts.CommandLineKeyAsync(dataFolder).GetAwaiter().GetResult();
            var start = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = Path.Combine(NodeScript.RepoRoot, "Console.Web"),
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var argument in new[]
            {
                dll, "--urls", address.ToString(), "--data", dataFolder, "--zoo-mirror", TrainingHost.Mirror,
                "--Zoo:AllowDownloads=false", "--Trainer:ProgressSaveInterval=00:00:00.200", "--Trainer:PollInterval=00:00:01",
                "--Logging:LogLevel:Default=Warning",
            })
            {
                start.ArgumentList.Add(argument);
            }
            var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
            process.OutputDataReceived += (_, e) => Log(output, e.Data);
            process.ErrorDataReceived += (_, e) => Log(output, e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return new ConsoleProcess(process, address, key);
        }

        public async Task WaitHealthyAsync()
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (true)
            {
                Assert.False(_process.HasExited, $"The console exited with {(_process.HasExited ? _process.ExitCode : 0)} before it was healthy.");
                try
                {
                    if ((await Client.GetAsync("/healthz")).StatusCode == HttpStatusCode.OK)
                    {
                        return;
                    }
                }
                catch (HttpRequestException) when (DateTime.UtcNow < deadline)
                {
                    // Not listening yet.
                }
                Assert.True(DateTime.UtcNow < deadline, "The console did not become healthy within 60 s.");
                await Task.Delay(200);
            }
        }

        public async Task<JsonElement> WaitForAsync(long operationId, Func<JsonElement, bool> condition)
        {
            var deadline = DateTime.UtcNow + Patience;
            while (true)
            {
                var operation = JsonDocument.Parse(await Client.GetStringAsync($"{TrainingHost.Api}/operations/{operationId}")).RootElement.Clone();
                if (condition(operation))
                {
                    return operation;
                }
                Assert.True(DateTime.UtcNow < deadline, $"Operation {operationId} did not reach the expected state: {operation}");
                await Task.Delay(50);
            }
        }

        public void Kill()
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                Kill();
            }
            _process.Dispose();
            Client.Dispose();
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        private static void Log(ITestOutputHelper output, string? line)
        {
            if (!string.IsNullOrEmpty(line))
            {
                try
                {
                    output.WriteLine("console: " + line);
                }
                catch (InvalidOperationException)
                {
                    // The test has finished; late output of a killed process is not needed.
                }
            }
        }
    }
}
