using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using Microsoft.Extensions.Options;
using Onnx;
using VisionConsole.Domain.Imaging;
using VisionConsole.Trainer.Embedding;
using VisionConsole.Trainer.Native.Ort;
using VisionConsole.Trainer.Zoo;

namespace VisionConsole.Bench;

/// <summary>
/// Issue 3: feature extraction speed of each backbone at batch 1 and 16, through (a) our ORT binding — the bare
/// session run and the full EmbeddingService path from RGB pixels — (b) a plain onnxruntime-node session on the
/// same ONNX file, and (c) the TF.js original in tfjs-wasm where one exists. Contenders run one after another,
/// in several rounds; the best round of each is reported (the machine is shared, so the best is the least disturbed).
/// </summary>
internal static class ZooBenchmark
{
    private static readonly int[] Batches = [1, 16];

    private static readonly Preprocessing ImageNetNchw = new(224, 224, FitMode.CenterCrop, TensorLayout.Nchw, 1 / 255f, [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);

    /// <summary>One line per backbone: its catalog entry, how to get its ready ONNX file from the mirror, and its TF.js reference row.</summary>
    private static readonly BenchBackbone[] Backbones =
    [
        new(new BackboneInfo("mobilenetv2-12-int8", "MobileNetV2 1.0 int8 (ONNX Model Zoo)", "Apache-2.0", "mirror", ImageNetNchw, "input", "627", 1280),
            (mirror, cache) => ExposeOutputs(Path.Combine(mirror, "mobilenetv2-12-int8", "mobilenetv2-12-int8.onnx"), cache, "627"),
            TfjsReference: "mobilenet_v1_0.75_224", TfjsNote: "TF.js MobileNetV1 0.75 (layers), as no TF.js original of MobileNetV2 int8 exists"),
    ];

    private sealed record BenchBackbone(BackboneInfo Info, Func<string, string, string> ModelPath, string? TfjsReference, string? TfjsNote);

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = double.Parse(Option(args, "--seconds") ?? "3", CultureInfo.InvariantCulture);
        var rounds = int.Parse(Option(args, "--rounds") ?? "3", CultureInfo.InvariantCulture);
        var root = RepositoryRoot();
        var mirror = Option(args, "--mirror") ?? Environment.GetEnvironmentVariable("VISIONCONSOLE_ZOO_MIRROR")
            ?? new[] { Path.Combine(root, "..", "shared", "zoo"), Path.Combine(root, "..", "..", "shared", "zoo") }.Select(Path.GetFullPath).FirstOrDefault(Directory.Exists)
            ?? throw new DirectoryNotFoundException("No model mirror: pass --mirror DIR or set VISIONCONSOLE_ZOO_MIRROR.");
        var cache = Directory.CreateDirectory(Path.Combine(root, ".cache", "bench")).FullName;

        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {CpuModel()}, load average {LoadAverage()}");
        Console.WriteLine($"ONNX Runtime {OrtLibrary.Version} from {OrtLibrary.LoadedPath}; mirror {mirror}; {rounds} rounds of {seconds}s per contender, best round reported");
        var rows = new List<string>();
        foreach (var backbone in Backbones)
        {
            var model = backbone.ModelPath(mirror, cache);
            var binding = new double[Batches.Length];
            var embed = new double[Batches.Length];
            var node = new double[Batches.Length];
            var tfjs = new double[Batches.Length];
            string? tfjsBackend = null;
            for (var round = 0; round < rounds; round++)
            {
                var bindingRound = MeasureBinding(backbone.Info, model, seconds);
                var embedRound = MeasureEmbedding(backbone.Info, model, seconds);
                var nodeRound = await RunNodeAsync(root, "ort-node-bench.mjs", model, backbone.Info.InputName, backbone.Info.FeatureOutputName,
                    backbone.Info.Preprocessing.Layout == TensorLayout.Nchw ? $"3,{backbone.Info.Preprocessing.Height},{backbone.Info.Preprocessing.Width}" : $"{backbone.Info.Preprocessing.Height},{backbone.Info.Preprocessing.Width},3",
                    string.Join(",", Batches), Format(seconds));
                Best(binding, bindingRound);
                Best(embed, embedRound);
                Best(node, Rates(nodeRound));
                if (backbone.TfjsReference is { } reference)
                {
                    var tfjsRound = await RunNodeAsync(root, "tfjs-wasm-bench.mjs", reference, mirror, string.Join(",", Batches), Format(seconds));
                    Best(tfjs, Rates(tfjsRound));
                    tfjsBackend = tfjsRound.RootElement.GetProperty("backend").GetString();
                }
                Console.WriteLine($"  round {round + 1}/{rounds} of {backbone.Info.Id} done");
            }
            for (var b = 0; b < Batches.Length; b++)
            {
                var tfjsCell = backbone.TfjsReference is null ? "n/a" : Format(tfjs[b]);
                var tfjsRatio = backbone.TfjsReference is null ? "n/a" : $"{embed[b] / tfjs[b]:0.0}x";
                rows.Add($"| {backbone.Info.Id} | {Batches[b]} | {Format(binding[b])} | {Format(embed[b])} | {Format(node[b])} | {tfjsCell} | {binding[b] / node[b]:0.00} | {embed[b] / node[b]:0.00} | {tfjsRatio} |");
            }
            if (backbone.TfjsNote is not null)
            {
                Console.WriteLine($"  tfjs-wasm row for {backbone.Info.Id}: {backbone.TfjsNote}; backend {tfjsBackend}");
            }
        }
        Console.WriteLine();
        Console.WriteLine("images per second (higher is better)");
        Console.WriteLine("| backbone | batch | (a) binding run | (a) EmbeddingService | (b) onnxruntime-node | (c) tfjs-wasm reference | a-run / b | a-embed / b | a-embed / c |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        rows.ForEach(Console.WriteLine);
        return 0;
    }

    /// <summary>(a) The bare binding: one session, a ready input tensor, the feature output, as the node script does.</summary>
    private static double[] MeasureBinding(BackboneInfo info, string model, double seconds)
    {
        using var session = OrtSession.FromFile(model, new OrtOptions().ToSessionOptions());
        var pre = info.Preprocessing;
        var rates = new double[Batches.Length];
        for (var b = 0; b < Batches.Length; b++)
        {
            var batch = Batches[b];
            var data = new float[batch * 3 * pre.Width * pre.Height];
            for (var i = 0; i < data.Length; i++)
            {
                data[i] = (i * 7919 % 255) / 127.5f - 1;
            }
            long[] shape = pre.Layout == TensorLayout.Nchw ? [batch, 3, pre.Height, pre.Width] : [batch, pre.Height, pre.Width, 3];
            using var input = OrtTensor.Create<float>(data, shape);
            var median = Measure(() =>
            {
                var outputs = session.Run([new OrtInput(info.InputName, input)], [info.FeatureOutputName]);
                outputs[0].Dispose();
            }, seconds);
            rates[b] = batch / median.TotalSeconds;
        }
        return rates;
    }

    /// <summary>(a) The product path: RGB pixels in, normalized tensor built, run, features pooled and copied out.</summary>
    private static double[] MeasureEmbedding(BackboneInfo info, string model, double seconds)
    {
        var pre = info.Preprocessing;
        var rates = new double[Batches.Length];
        for (var b = 0; b < Batches.Length; b++)
        {
            var batch = Batches[b];
            using var service = new EmbeddingService(Options.Create(new OrtOptions()), Options.Create(new EmbeddingOptions { BatchSize = batch }));
            var random = new Random(batch);
            var images = Enumerable.Range(0, batch).Select(_ =>
            {
                var pixels = new byte[pre.Width * pre.Height * 3];
                random.NextBytes(pixels);
                return new RgbImage(pre.Width, pre.Height, pixels);
            }).ToArray();
            var features = new float[batch * info.FeatureDimension];
            var median = Measure(() => service.Embed(info, model, images, features), seconds);
            rates[b] = batch / median.TotalSeconds;
        }
        return rates;
    }

    private static TimeSpan Measure(Action run, double seconds)
    {
        run();
        run();
        var times = new List<TimeSpan>();
        var total = Stopwatch.StartNew();
        while (times.Count < 3 || total.Elapsed.TotalSeconds < seconds)
        {
            var start = Stopwatch.GetTimestamp();
            run();
            times.Add(Stopwatch.GetElapsedTime(start));
        }
        times.Sort();
        return times[times.Count / 2];
    }

    private static async Task<JsonDocument> RunNodeAsync(string root, string script, params string[] arguments)
    {
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
        start.ArgumentList.Add(Path.Combine(root, "bench", "node", script));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("node could not be started");
        var error = process.StandardError.ReadToEndAsync();
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"node {script} failed ({process.ExitCode}): {await error}");
        }
        return JsonDocument.Parse(output);
    }

    private static double[] Rates(JsonDocument result) =>
        result.RootElement.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("imagesPerSecond").GetDouble()).ToArray();

    private static void Best(double[] best, double[] round)
    {
        for (var i = 0; i < best.Length; i++)
        {
            best[i] = Math.Max(best[i], round[i]);
        }
    }

    /// <summary>Writes a copy of <paramref name="modelPath"/> with intermediate values added as graph outputs.</summary>
    private static string ExposeOutputs(string modelPath, string cache, params string[] names)
    {
        var target = Path.Combine(cache, Path.GetFileNameWithoutExtension(modelPath) + "-features.onnx");
        if (File.Exists(target) && File.GetLastWriteTimeUtc(target) >= File.GetLastWriteTimeUtc(modelPath))
        {
            return target;
        }
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(modelPath));
        foreach (var name in names)
        {
            model.Graph.Output.Add(new ValueInfoProto
            {
                Name = name,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
            });
        }
        File.WriteAllBytes(target, model.ToByteArray());
        return target;
    }

    private static string? Option(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }

    private static string Format(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Console.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException("Console.sln not found above " + AppContext.BaseDirectory);
    }

    private static string CpuModel() =>
        File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
}
