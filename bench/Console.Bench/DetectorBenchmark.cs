using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML.OnnxRuntime;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Imaging;
using VisionConsole.Domain.Metrics;
using VisionConsole.Trainer.Detection;
using VisionConsole.Trainer.Inference;

namespace VisionConsole.Bench;

/// <summary>
/// Issue 10: per detector model type, through the whole console on Kestrel over loopback with a real SQLite file: raccoon's
/// 160 upstream training images and their XMLs imported as a zip, a detector trained cold (no cached features) and a
/// second one warm (the same dataset, features cached), mAP@0.5 of the warm model on the 40 upstream test images through
/// <c>:predict</c>, and <c>:predict</c> latency against one bare ONNX Runtime session on the same downloaded
/// <c>model.onnx</c> (alone on a ready tensor, and with the libvips decode and stretch to 512).
/// </summary>
/// <remarks><c>bench/run.sh detector [--model-types a,b] [--dataset DIR] [--mirror DIR]</c>.</remarks>
internal static class DetectorBenchmark
{
    private const string Api = "/v1/projects/default/locations/us-central1";

    private sealed record Result(string ModelType, double ColdSeconds, double WarmSeconds, string WarmProgress, double Map50, double Map75,
        double[] Http, double[] Bare, double[] DecodeAndRun);

    public static async Task<int> RunAsync(string[] args)
    {
        var root = ZooBenchmark.RepositoryRoot();
        var mirror = ZooBenchmark.FindMirror(args, root);
        var raccoon = Path.GetFullPath(ZooBenchmark.Option(args, "--dataset") ?? Path.Combine(root, "..", "shared", "datasets", "raccoon"));
        var types = (ZooBenchmark.Option(args, "--model-types") ?? string.Join(',', DetectorPresets.All.Select(p => p.Id))).Split(',');
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {ZooBenchmark.CpuModel()}, load average {ZooBenchmark.LoadAverage()}; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        var train = ReadCsv(Path.Combine(raccoon, "data", "train_labels.csv"));
        var test = ReadCsv(Path.Combine(raccoon, "data", "test_labels.csv"));
        var results = new List<Result>();
        foreach (var type in types)
        {
            results.Add(await MeasureAsync(root, mirror, raccoon, type, train, test));
            Console.WriteLine($"  {type} done (load average {ZooBenchmark.LoadAverage()})");
        }

        Console.WriteLine();
        Console.WriteLine($"raccoon, upstream split: {train.Count} training images imported, mAP on the {test.Count} test images through `:predict` (the warm model)");
        Console.WriteLine("| model type | cold s | warm s | warm training | mAP@0.5 | mAP@0.75 | `:predict` p50 / p95 ms | bare run p50 / p95 ms | decode + run p50 / p95 ms | `:predict` p50 / decode + run p50 |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in results)
        {
            string P(double[] s) => string.Create(CultureInfo.InvariantCulture, $"{PredictBenchmark.Percentile(s, 0.5):0.0} / {PredictBenchmark.Percentile(s, 0.95):0.0}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.ModelType} | {r.ColdSeconds:0.0} | {r.WarmSeconds:0.0} | {r.WarmProgress} | {r.Map50:0.0000} | {r.Map75:0.0000} | {P(r.Http)} | {P(r.Bare)} | {P(r.DecodeAndRun)} | {PredictBenchmark.Percentile(r.Http, 0.5) / PredictBenchmark.Percentile(r.DecodeAndRun, 0.5):0.00} |"));
        }
        Console.WriteLine();
        Console.WriteLine("aims (issue 10, versatile): mAP@0.5 >= 0.85, cold under 10 minutes, warm under 1 minute; high-accuracy mAP@0.5 >= 0.90");
        return 0;
    }

    private static async Task<Result> MeasureAsync(string root, string mirror, string raccoon, string modelType,
        Dictionary<string, List<GroundTruthBox>> train, Dictionary<string, List<GroundTruthBox>> test)
    {
        var data = Directory.CreateTempSubdirectory("vc-detector-bench-").FullName;
        try
        {
            await using var app = await PredictBenchmark.StartConsoleAsync(data, mirror, "--Zoo:NpmCacheFolder", Path.Combine(root, ".cache", "npm-pack"));
            using var client = PredictBenchmark.Client(app);

            var created = await PredictBenchmark.ReadAsync(await client.PostAsJsonAsync($"{Api}/datasets", new { displayName = "raccoon", imageObjectDetectionDatasetMetadata = new { } }));
            var datasetId = created.GetProperty("response").GetProperty("name").GetString()!.Split('/')[^1];
            using var zip = new MemoryStream();
            using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
            {
                foreach (var name in train.Keys.Order(StringComparer.Ordinal))
                {
                    archive.CreateEntryFromFile(Path.Combine(raccoon, "images", name), "images/" + name);
                    archive.CreateEntryFromFile(Path.Combine(raccoon, "annotations", Path.ChangeExtension(name, ".xml")), "annotations/" + Path.ChangeExtension(name, ".xml"));
                }
            }
            using (var form = new MultipartFormDataContent())
            {
                var part = new ByteArrayContent(zip.ToArray());
                part.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
                form.Add(part, "file", "raccoon-train.zip");
                await PredictBenchmark.WaitAsync(client, await PredictBenchmark.ReadAsync(await client.PostAsync(new Uri($"{Api}/datasets/{datasetId}:importData", UriKind.Relative), form)));
            }

            async Task<(double Seconds, JsonElement Operation)> TrainAsync(string name)
            {
                var clock = Stopwatch.StartNew();
                var operation = await PredictBenchmark.WaitAsync(client, await PredictBenchmark.ReadAsync(await client.PostAsJsonAsync($"{Api}/models", new JsonObject
                {
                    ["displayName"] = name,
                    ["datasetId"] = datasetId,
                    ["imageObjectDetectionModelMetadata"] = new JsonObject { ["modelType"] = modelType, ["trainBudgetMilliNodeHours"] = "500" },
                })));
                return (clock.Elapsed.TotalSeconds, operation);
            }
            var cold = await TrainAsync($"{modelType} cold");
            var warm = await TrainAsync($"{modelType} warm");
            var progress = warm.Operation.GetProperty("metadata").GetProperty("progress");
            var warmProgress = string.Create(CultureInfo.InvariantCulture,
                $"{progress.GetProperty("embeddingsComputed").GetInt32()} maps computed, {progress.GetProperty("embeddingsCached").GetInt32()} cached, {progress.GetProperty("epoch").GetInt32()} epochs");
            var modelId = warm.Operation.GetProperty("response").GetProperty("name").GetString()!.Split('/')[^1];

            // Every test image through :predict (threshold 0, every box) for mAP and latency.
            var files = test.Keys.Order(StringComparer.Ordinal).ToList();
            var photos = files.Select(f => File.ReadAllBytes(Path.Combine(raccoon, "images", f))).ToList();
            var bodies = photos.Select(photo => JsonSerializer.Serialize(new
            {
                payload = new { image = new { imageBytes = Convert.ToBase64String(photo) } },
                @params = new Dictionary<string, string> { ["score_threshold"] = "0", ["max_bounding_box_count"] = "100" },
            })).ToList();
            var evaluated = new List<DetectionImage>();
            var http = new List<double>();
            for (var pass = 0; pass < 3; pass++)
            {
                for (var i = 0; i < files.Count; i++)
                {
                    using var content = new StringContent(bodies[i], System.Text.Encoding.UTF8, "application/json");
                    var clock = Stopwatch.StartNew();
                    using var response = await client.PostAsync(new Uri($"{Api}/models/{modelId}:predict", UriKind.Relative), content);
                    var body = await response.Content.ReadAsStringAsync();
                    clock.Stop();
                    response.EnsureSuccessStatusCode();
                    // The first pass warms the session up; the next two are timed. The boxes are the same in each.
                    if (pass > 0)
                        http.Add(clock.Elapsed.TotalMilliseconds);
                    if (pass == 0)
                        evaluated.Add(new DetectionImage(i + 1, test[files[i]], Boxes(JsonNode.Parse(body)!["payload"]!.AsArray())));
                }
            }
            var metrics = new DetectionEvaluation(["raccoon"], evaluated);

            var onnx = Path.Combine(data, "bench-detector.onnx");
            using (var archive = new ZipArchive(new MemoryStream(await client.GetByteArrayAsync(new Uri($"/api/models/{modelId}/versions/1/package.zip", UriKind.Relative)))))
            {
                archive.GetEntry("model.onnx")!.ExtractToFile(onnx, overwrite: true);
            }
            var (bare, decodeAndRun) = MeasureBareSession(app.Services.GetRequiredService<OrtRuntime>(), app.Services.GetRequiredService<IImageCodec>(), onnx, photos);
            await app.StopAsync();
            return new Result(modelType, cold.Seconds, warm.Seconds, warmProgress, metrics.MeanAveragePrecision(0.5) ?? double.NaN,
                metrics.MeanAveragePrecision(0.75) ?? double.NaN, [.. http], bare, decodeAndRun);
        }
        finally
        {
            PredictBenchmark.DeleteDataFolder(data);
        }
    }

    private static PredictedBox[] Boxes(JsonArray payload) => payload.Select(p =>
    {
        var vertices = p!["imageObjectDetection"]!["boundingBox"]!["normalizedVertices"]!.AsArray();
        var (x1, y1) = (vertices[0]!["x"]!.GetValue<double>(), vertices[0]!["y"]!.GetValue<double>());
        var (x2, y2) = (vertices[1]!["x"]!.GetValue<double>(), vertices[1]!["y"]!.GetValue<double>());
        return new PredictedBox(0, new BoxRect(x1, y1, x2 - x1, y2 - y1), p["imageObjectDetection"]!["score"]!.GetValue<float>());
    }).ToArray();

    /// <summary>The same model.onnx in one bare session: each test photo twice, after a warm-up pass, alone on its ready pixels and with the decode.</summary>
    private static (double[] Bare, double[] DecodeAndRun) MeasureBareSession(OrtRuntime runtime, IImageCodec codec, string onnx, List<byte[]> photos)
    {
        using var session = runtime.CreateSession(onnx);
        using var runOptions = new RunOptions();
        var outputs = new[] { DetectorOnnxExporter.BoxesName, DetectorOnnxExporter.ClassesName, DetectorOnnxExporter.ScoresName, DetectorOnnxExporter.CountName };
        var side = DetectorInference.InputSide;
        byte[] Decode(byte[] photo) => codec.DecodeRgb(photo, side, side, FitMode.Stretch).Pixels;
        var ready = photos.Select(Decode).ToList();
        double[] Time(Func<int, byte[]> prepare)
        {
            var samples = new List<double>();
            for (var pass = 0; pass < 3; pass++)
            {
                for (var i = 0; i < photos.Count; i++)
                {
                    var clock = Stopwatch.StartNew();
                    using var value = OrtValue.CreateTensorValueFromMemory(prepare(i), [1, side, side, 3]);
                    using var results = session.Run(runOptions, [DetectorOnnxExporter.InputName], [value], outputs);
                    clock.Stop();
                    if (pass > 0)
                        samples.Add(clock.Elapsed.TotalMilliseconds);
                }
            }
            return [.. samples];
        }
        return (Time(i => ready[i]), Time(i => Decode(photos[i])));
    }

    /// <summary>The upstream CSV's boxes per file name, normalized to the image.</summary>
    internal static Dictionary<string, List<GroundTruthBox>> ReadCsv(string path)
    {
        var result = new Dictionary<string, List<GroundTruthBox>>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(path).Skip(1).Where(l => l.Length > 0))
        {
            var f = line.Split(',');
            double D(int i) => double.Parse(f[i], CultureInfo.InvariantCulture);
            var (w, h) = (D(1), D(2));
            if (!result.TryGetValue(f[0], out var list))
                result[f[0]] = list = [];
            list.Add(new GroundTruthBox(0, new BoxRect(D(4) / w, D(5) / h, (D(6) - D(4)) / w, (D(7) - D(5)) / h)));
        }
        return result;
    }
}
