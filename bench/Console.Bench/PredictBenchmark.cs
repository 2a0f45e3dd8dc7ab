using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML.OnnxRuntime;
using VisionConsole.Domain.Imaging;
using VisionConsole.Trainer.Inference;
using VisionConsole.Web;
using VisionConsole.Web.Accounts;

namespace VisionConsole.Bench;

/// <summary>
/// Issue 9: <c>:predict</c> latency at batch 1 over HTTP (the whole console on Kestrel over loopback, a real SQLite file,
/// a model trained through the REST API), against one bare ONNX Runtime session run on the same exported
/// <c>model.onnx</c> in the same process: (a) the session alone on a ready uint8 tensor, (b) libvips decode of the same
/// JPEG to the model input plus that run. The aim of the issue: p50 under 8 ms for a 500x375 JPEG.
/// </summary>
internal static class PredictBenchmark
{
    private const string Api = "/v1/projects/default/locations/us-central1";

    public static async Task<int> RunAsync(string[] args)
    {
        var root = ZooBenchmark.RepositoryRoot();
        var mirror = ZooBenchmark.FindMirror(args, root);
        var dataset = ZooBenchmark.FindHymenoptera(args, root);
        var modelType = ZooBenchmark.Option(args, "--model-type") ?? "mobile-versatile-1";
        var calls = int.Parse(ZooBenchmark.Option(args, "--calls") ?? "300", CultureInfo.InvariantCulture);
        var data = Directory.CreateTempSubdirectory("vc-predict-bench-").FullName;
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {ZooBenchmark.CpuModel()}, load average {ZooBenchmark.LoadAverage()}; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        try
        {
            await using var app = await StartConsoleAsync(data, mirror);
            using var client = Client(app);

            var modelId = await TrainAsync(client, dataset, modelType);
            var onnx = await DownloadModelAsync(client, modelId, data);
            var (jpeg, name) = PickJpeg(app.Services.GetRequiredService<IImageCodec>(), dataset, 500, 375);
            Console.WriteLine($"model {modelId} ({modelType}), {new FileInfo(onnx).Length / 1e6:0.00} MB model.onnx; image {name} ({jpeg.Length / 1024} KiB, 500x375); {calls} calls each after 10 warm-ups");

            var http = await MeasureHttpAsync(client, modelId, jpeg, calls);
            var runtime = app.Services.GetRequiredService<OrtRuntime>();
            var codec = app.Services.GetRequiredService<IImageCodec>();
            var (bare, decodeAndRun) = MeasureBareSession(runtime, codec, onnx, jpeg, calls);
            await app.StopAsync();

            Console.WriteLine();
            Console.WriteLine("| path | p50 ms | p95 ms | p50 / (b) | p95 / (b) |");
            Console.WriteLine("|---|---|---|---|---|");
            Row("(a) bare InferenceSession run, ready uint8 [1,224,224,3]", bare, decodeAndRun);
            Row("(b) baseline: libvips decode to 224x224 + the same run", decodeAndRun, decodeAndRun);
            Row("console `:predict` over HTTP (JSON, base64 image)", http, decodeAndRun);
            Console.WriteLine();
            Console.WriteLine($"aim: `:predict` p50 under 8 ms: {(Percentile(http, 0.5) < 8 ? "met" : "MISSED")} ({Percentile(http, 0.5):0.00} ms)");
            return 0;
        }
        finally
        {
            DeleteDataFolder(data);
        }
    }

    /// <summary>The whole console on Kestrel over loopback (a free port), on a fresh data folder, the zoo from the mirror only.</summary>
    internal static async Task<WebApplication> StartConsoleAsync(string data, string mirror, params string[] settings)
    {
        var app = ConsoleHost.Build(ConsoleHost.CreateBuilder(["--data", data, "--urls", "http://127.0.0.1:0", "--zoo-mirror", mirror,
            "--Zoo:AllowDownloads", "false", "--Logging:LogLevel:Default", "Warning",
            // The benchmarks measure the console, not its rate limiter: a load test sends more than a client's share.
            "--RateLimits:Predict:PermitLimit", "0", .. settings]));
        await app.StartAsync();
        // Calls go with a real API key, as a script's would: its check is part of what a request costs.
        using var output = new StringWriter();
        using var error = new StringWriter();
        if (await AccountCommands.RunAsync(["users", "create", "--user", "bench", "--password", "bench-password", "--data", data], output, error) != 0
            || await AccountCommands.RunAsync(["api-keys", "create", "--user", "bench", "--name", "bench", "--role", "owner", "--data", data], output, error) != 0)
        {
            throw new InvalidOperationException($"no API key for the benchmark: {error}");
        }
        Keys.AddOrUpdate(app, output.ToString().Trim().Split('\n')[^1]);
        return app;
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<WebApplication, string> Keys = [];

    /// <summary>An HTTP client for the started console's address, with the benchmark account's API key.</summary>
    internal static HttpClient Client(WebApplication app)
    {
        var client = new HttpClient
        {
            BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()),
            Timeout = TimeSpan.FromMinutes(30),
        };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Keys.TryGetValue(app, out var key) ? key : null);
        return client;
    }

    internal static void DeleteDataFolder(string data)
    {
        try
        {
            Directory.Delete(data, recursive: true);
        }
        catch (IOException)
        {
            // A file still open by a finishing background task; the temp folder is the OS's to clean.
        }
    }

    private static void Row(string name, double[] samples, double[] baseline) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {Percentile(samples, 0.5):0.00} | {Percentile(samples, 0.95):0.00} | {Percentile(samples, 0.5) / Percentile(baseline, 0.5):0.00} | {Percentile(samples, 0.95) / Percentile(baseline, 0.95):0.00} |"));

    internal static double Percentile(double[] samples, double p)
    {
        var sorted = samples.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Floor(p * sorted.Length))];
    }

    /// <summary>Imports 40 + 40 training and 10 + 10 validation photos as a folder zip, trains, returns the model id.</summary>
    private static async Task<string> TrainAsync(HttpClient client, string dataset, string modelType)
    {
        var created = await ReadAsync(await client.PostAsJsonAsync($"{Api}/datasets",
            new { displayName = "predict bench", imageClassificationDatasetMetadata = new { classificationType = "MULTICLASS" } }));
        var datasetId = created.GetProperty("response").GetProperty("name").GetString()!.Split('/')[^1];
        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (folder, take) in new[] { ("train", 40), ("val", 10) })
            {
                foreach (var label in new[] { "ants", "bees" })
                {
                    foreach (var file in Directory.EnumerateFiles(Path.Combine(dataset, folder, label), "*.jp*g").Order(StringComparer.Ordinal).Take(take))
                    {
                        archive.CreateEntryFromFile(file, $"{folder}/{label}/{Path.GetFileName(file)}");
                    }
                }
            }
        }
        using var form = new MultipartFormDataContent();
        var part = new ByteArrayContent(zip.ToArray());
        part.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        form.Add(part, "file", "bench.zip");
        await WaitAsync(client, await ReadAsync(await client.PostAsync(new Uri($"{Api}/datasets/{datasetId}:importData", UriKind.Relative), form)));
        var clock = Stopwatch.StartNew();
        var training = await WaitAsync(client, await ReadAsync(await client.PostAsJsonAsync($"{Api}/models", new
        {
            displayName = "predict bench",
            datasetId,
            imageClassificationModelMetadata = new { modelType, budgetMinutes = 5 },
        })));
        Console.WriteLine($"trained in {clock.Elapsed.TotalSeconds:0.0} s");
        return training.GetProperty("response").GetProperty("name").GetString()!.Split('/')[^1];
    }

    internal static async Task<JsonElement> WaitAsync(HttpClient client, JsonElement operation)
    {
        var name = operation.GetProperty("name").GetString()!;
        while (!operation.GetProperty("done").GetBoolean())
        {
            await Task.Delay(200);
            operation = await client.GetFromJsonAsync<JsonElement>("/v1/" + name);
        }
        if (operation.TryGetProperty("error", out var error))
        {
            throw new InvalidOperationException($"Operation {name} failed: {error}");
        }
        return operation;
    }

    internal static async Task<JsonElement> ReadAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{(int)response.StatusCode} {response.RequestMessage?.RequestUri}: {body}");
        }
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static async Task<string> DownloadModelAsync(HttpClient client, string modelId, string folder)
    {
        var bytes = await client.GetByteArrayAsync(new Uri($"/api/models/{modelId}/versions/1/package.zip", UriKind.Relative));
        using var archive = new ZipArchive(new MemoryStream(bytes));
        var path = Path.Combine(folder, "bench-model.onnx");
        archive.GetEntry("model.onnx")!.ExtractToFile(path, overwrite: true);
        return path;
    }

    private static (byte[] Bytes, string Name) PickJpeg(IImageCodec codec, string dataset, int width, int height)
    {
        foreach (var file in Directory.EnumerateFiles(Path.Combine(dataset, "val"), "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var bytes = File.ReadAllBytes(file);
            var header = codec.ReadHeader(bytes);
            if (header.Format == ImageFormat.Jpeg && header.Width == width && header.Height == height)
            {
                return (bytes, Path.GetFileName(file));
            }
        }
        throw new FileNotFoundException($"No {width}x{height} JPEG under {dataset}/val.");
    }

    private static async Task<double[]> MeasureHttpAsync(HttpClient client, string modelId, byte[] jpeg, int calls)
    {
        var body = JsonSerializer.Serialize(new { payload = new { image = new { imageBytes = Convert.ToBase64String(jpeg) } } });
        var samples = new double[calls];
        for (var i = -10; i < calls; i++)
        {
            using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
            var clock = Stopwatch.StartNew();
            using var response = await client.PostAsync(new Uri($"{Api}/models/{modelId}:predict", UriKind.Relative), content);
            await response.Content.ReadAsByteArrayAsync();
            clock.Stop();
            response.EnsureSuccessStatusCode();
            if (i >= 0)
            {
                samples[i] = clock.Elapsed.TotalMilliseconds;
            }
        }
        return samples;
    }

    private static (double[] Bare, double[] DecodeAndRun) MeasureBareSession(OrtRuntime runtime, IImageCodec codec, string onnx, byte[] jpeg, int calls)
    {
        using var session = runtime.CreateSession(onnx);
        using var runOptions = new RunOptions();
        var input = session.InputMetadata.Keys.Single();
        var output = session.OutputMetadata.Keys.First();
        var pixels = codec.DecodeRgb(jpeg, 224, 224, FitMode.CenterCrop).Pixels;
        double[] Time(Func<byte[]> prepare)
        {
            var samples = new double[calls];
            for (var i = -10; i < calls; i++)
            {
                var clock = Stopwatch.StartNew();
                using var value = OrtValue.CreateTensorValueFromMemory(prepare(), [1, 224, 224, 3]);
                using var results = session.Run(runOptions, [input], [value], [output]);
                clock.Stop();
                if (i >= 0)
                {
                    samples[i] = clock.Elapsed.TotalMilliseconds;
                }
            }
            return samples;
        }
        return (Time(() => pixels), Time(() => codec.DecodeRgb(jpeg, 224, 224, FitMode.CenterCrop).Pixels));
    }
}
