using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using VisionConsole.Domain.Imaging;
using VisionConsole.Trainer.Embedding;
using Microsoft.ML.OnnxRuntime;
using VisionConsole.Trainer.Inference;
using VisionConsole.Trainer.Onnx;
using VisionConsole.Trainer.Zoo;

namespace VisionConsole.Bench;

/// <summary>
/// Issue 3: feature extraction speed of each backbone at batch 1 and 16, through (a) ONNX Runtime's .NET package — one bare
/// InferenceSession run and the full EmbeddingService path from RGB pixels — (b) a plain onnxruntime-node session on the
/// same ONNX file, and (c) the TF.js original in tfjs-wasm where one exists. Contenders run one after another,
/// in several rounds; the best and the median round of each are reported (the machine is shared: the best is the least disturbed).
/// </summary>
internal static class ZooBenchmark
{
    private static readonly int[] Batches = [1, 16];

    /// <summary>One line per backbone: its zoo id and the TF.js model of the tfjs-wasm row ({mirror}, {data}: the folders).</summary>
    private static readonly BenchBackbone[] Backbones =
    [
        new(ZooCatalog.MobileNetV2Int8, new("layers", "{mirror}/mobilenet_v1_0.75_224/model.json", "global_average_pooling2d_1", "TF.js MobileNetV1 0.75 stands in: MobileNetV2 int8 has no TF.js original")),
        new(ZooCatalog.MobileNetV1Tfjs, new("layers", "{mirror}/mobilenet_v1_0.75_224/model.json", "global_average_pooling2d_1", "the TF.js original the zoo converted")),
        new(ZooCatalog.CenterNetMobileNetV3, new("graph", "{data}/zoo/centernet-mobilenetv3-coco/source/centernet.json",
            "tower_0/extern1/hard_swish/mul_1,tower_0/CenternetHead/mul,tower_0/keypoints,tower_0/wh", "the TF.js original the zoo converted, features mean-pooled, computing the same four outputs as the ONNX file")),
    ];

    private sealed record BenchBackbone(string Id, TfjsReference? Tfjs);

    /// <summary>
    /// A TF.js model: <c>layers</c> or <c>graph</c> format, its model.json, and the node whose output is the features
    /// (graph models: then, comma-separated, the other outputs the ONNX file computes, so both do the same work).
    /// </summary>
    private sealed record TfjsReference(string Kind, string ModelJson, string FeatureNode, string Note);

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = double.Parse(Option(args, "--seconds") ?? "3", CultureInfo.InvariantCulture);
        var rounds = int.Parse(Option(args, "--rounds") ?? "3", CultureInfo.InvariantCulture);
        var root = RepositoryRoot();
        var mirror = FindMirror(args, root);
        var data = Directory.CreateDirectory(Path.Combine(root, ".cache", "bench")).FullName;
        var zoo = new ModelZoo(new ZooOptions(data, mirror, Path.Combine(root, ".cache", "npm-pack")));
        var only = Option(args, "--only");

        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {CpuModel()}, load average {LoadAverage()}");
        Console.WriteLine($"ONNX Runtime {Runtime.Version} ({Runtime.Flavor} package, {Runtime.Provider}); mirror {mirror}; {rounds} rounds of {seconds}s per contender");
        var best = new List<string>();
        var median = new List<string>();
        foreach (var backbone in Backbones.Where(b => only is null || only.Split(',').Contains(b.Id)))
        {
            var info = zoo.Catalog.Single(b => b.Id == backbone.Id);
            var model = await zoo.GetModelPathAsync(backbone.Id);
            var tfjsModel = backbone.Tfjs?.ModelJson.Replace("{mirror}", mirror, StringComparison.Ordinal).Replace("{data}", data, StringComparison.Ordinal);
            var binding = new List<double[]>();
            var embed = new List<double[]>();
            var node = new List<double[]>();
            var tfjs = new List<double[]>();
            string? tfjsBackend = null;
            for (var round = 0; round < rounds; round++)
            {
                binding.Add(MeasureBinding(info, model, seconds));
                embed.Add(MeasureEmbedding(info, model, seconds));
                node.Add(Rates(await TryRunNodeAsync(root, "ort-node-bench.mjs", model, info.InputName, info.FeatureOutputName,
                    info.Preprocessing.Layout == TensorLayout.Nchw ? $"3,{info.Preprocessing.Height},{info.Preprocessing.Width}" : $"{info.Preprocessing.Height},{info.Preprocessing.Width},3",
                    string.Join(",", Batches), Format(seconds))));
                if (backbone.Tfjs is { } reference)
                {
                    var tfjsRound = await TryRunNodeAsync(root, "tfjs-wasm-bench.mjs", reference.Kind, tfjsModel!, reference.FeatureNode,
                        $"{info.Preprocessing.Height},{info.Preprocessing.Width},3", string.Join(",", Batches), Format(seconds));
                    tfjs.Add(Rates(tfjsRound));
                    tfjsBackend = tfjsRound?.RootElement.GetProperty("backend").GetString() ?? tfjsBackend;
                }
                Console.WriteLine($"  round {round + 1}/{rounds} of {info.Id} done (load average {LoadAverage()})");
            }
            if (backbone.Tfjs is not null)
            {
                Console.WriteLine($"  tfjs-wasm row for {info.Id}: {backbone.Tfjs.Note}; backend {tfjsBackend}");
            }
            best.AddRange(Rows(info.Id, Summarize(binding, Enumerable.Max), Summarize(embed, Enumerable.Max), Summarize(node, Enumerable.Max), backbone.Tfjs is null ? null : Summarize(tfjs, Enumerable.Max)));
            median.AddRange(Rows(info.Id, Summarize(binding, Median), Summarize(embed, Median), Summarize(node, Median), backbone.Tfjs is null ? null : Summarize(tfjs, Median)));
            best.TakeLast(Batches.Length).ToList().ForEach(row => Console.WriteLine("  best " + row));
        }
        await MeasureOverheadAsync(root, data, seconds);
        const string Header = "| backbone | batch | (a) bare session | (a) EmbeddingService | (b) onnxruntime-node | (c) tfjs-wasm reference | a-run / b | a-embed / b | a-embed / c |\n|---|---|---|---|---|---|---|---|---|";
        Console.WriteLine();
        Console.WriteLine($"images per second, best of {rounds} rounds (higher is better)");
        Console.WriteLine(Header);
        best.ForEach(Console.WriteLine);
        Console.WriteLine();
        Console.WriteLine($"images per second, median of {rounds} rounds");
        Console.WriteLine(Header);
        median.ForEach(Console.WriteLine);
        return 0;
    }

    private static readonly OrtRuntime Runtime = new(Options.Create(new OrtOptions()));

    /// <summary>(a) One bare session: a ready input tensor, the feature output, as the node script does.</summary>
    private static double[] MeasureBinding(BackboneInfo info, string model, double seconds)
    {
        using var session = Runtime.CreateSession(model);
        using var runOptions = new RunOptions();
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
            using var input = OrtValue.CreateTensorValueFromMemory(data, shape);
            string[] inputNames = [info.InputName];
            string[] outputNames = [info.FeatureOutputName];
            OrtValue[] inputs = [input];
            var median = Measure(() => session.Run(runOptions, inputNames, inputs, outputNames).Dispose(), seconds);
            rates[b] = batch / median.TotalSeconds;
        }
        return rates;
    }

    /// <summary>
    /// The cost of the .NET binding itself: a run of a two-node model (Y = X * 2 + 1 over [1, 3]) is almost all call
    /// overhead, so microseconds per run here, against onnxruntime-node's, bound what the binding adds to a model run.
    /// </summary>
    private static async Task MeasureOverheadAsync(string root, string data, double seconds)
    {
        var builder = OnnxModelBuilder.Create("mul_add");
        builder.AddInput("X", Onnx.TensorProto.Types.DataType.Float, null, 3);
        var doubled = builder.Op("Mul", "doubled", ["X", builder.AddFloatConstant("two", [2f])]);
        builder.AddNode("Add", [doubled, builder.AddFloatConstant("one", [1f])], ["Y"]);
        builder.AddOutput("Y", Onnx.TensorProto.Types.DataType.Float, null, 3);
        var model = Path.Combine(data, "mul-add.onnx");
        builder.Save(model);
        using var session = Runtime.CreateSession(model);
        using var runOptions = new RunOptions();
        using var input = OrtValue.CreateTensorValueFromMemory(new[] { 1f, 2f, 3f }, [1, 3]);
        OrtValue[] inputs = [input];
        var ours = Measure(() => session.Run(runOptions, ["X"], inputs, ["Y"]).Dispose(), seconds);
        var node = Rates(await TryRunNodeAsync(root, "ort-node-bench.mjs", model, "X", "Y", "3", "1", Format(seconds)))[0];
        Console.WriteLine();
        Console.WriteLine($"per-run overhead, two-node model [1, 3]: binding {ours.TotalMicroseconds:0.0} us, onnxruntime-node {1e6 / node:0.0} us (median run)");
    }

    /// <summary>(a) The product path: RGB pixels in, normalized tensor built, run, features pooled and copied out.</summary>
    private static double[] MeasureEmbedding(BackboneInfo info, string model, double seconds)
    {
        var pre = info.Preprocessing;
        var rates = new double[Batches.Length];
        for (var b = 0; b < Batches.Length; b++)
        {
            var batch = Batches[b];
            using var service = new EmbeddingService(Runtime, Options.Create(new EmbeddingOptions { BatchSize = batch }));
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

    /// <summary>A failed reference run is reported and leaves its cells empty (NaN) instead of ending the benchmark.</summary>
    private static async Task<JsonDocument?> TryRunNodeAsync(string root, string script, params string[] arguments)
    {
        try
        {
            return await RunNodeAsync(root, script, arguments);
        }
        catch (InvalidOperationException e)
        {
            Console.WriteLine($"  {script} failed: {e.Message.Split('\n').FirstOrDefault(l => l.Contains("Error", StringComparison.Ordinal)) ?? e.Message}");
            return null;
        }
    }

    private static double[] Rates(JsonDocument? result) => result is null ? Batches.Select(_ => double.NaN).ToArray() :
        result.RootElement.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("imagesPerSecond").GetDouble()).ToArray();

    /// <summary>Per batch size, the rounds' rates reduced by <paramref name="reduce"/> (failed rounds left out).</summary>
    private static double[] Summarize(List<double[]> rounds, Func<IEnumerable<double>, double> reduce) =>
        Batches.Select((_, b) => rounds.Select(r => r[b]).Where(v => !double.IsNaN(v)).ToList() is { Count: > 0 } values ? reduce(values) : double.NaN).ToArray();

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static IEnumerable<string> Rows(string id, double[] binding, double[] embed, double[] node, double[]? tfjs) =>
        Batches.Select((batch, b) =>
            $"| {id} | {batch} | {Format(binding[b])} | {Format(embed[b])} | {Format(node[b])} | {(tfjs is null ? "n/a" : Format(tfjs[b]))} | " +
            $"{Ratio(binding[b], node[b], "0.00")} | {Ratio(embed[b], node[b], "0.00")} | {(tfjs is null ? "n/a" : Ratio(embed[b], tfjs[b], "0.0") + "x")} |");

    private static string Ratio(double numerator, double denominator, string format) =>
        double.IsNaN(numerator) || double.IsNaN(denominator) ? "n/a" : (numerator / denominator).ToString(format, CultureInfo.InvariantCulture);

    /// <summary>The model mirror: <c>--mirror DIR</c>, else <c>VISIONCONSOLE_ZOO_MIRROR</c>, else ../shared/zoo or ../../shared/zoo from the repository.</summary>
    internal static string FindMirror(string[] args, string root) =>
        Option(args, "--mirror") ?? Environment.GetEnvironmentVariable("VISIONCONSOLE_ZOO_MIRROR")
            ?? new[] { Path.Combine(root, "..", "shared", "zoo"), Path.Combine(root, "..", "..", "shared", "zoo") }.Select(Path.GetFullPath).FirstOrDefault(Directory.Exists)
            ?? throw new DirectoryNotFoundException("No model mirror: pass --mirror DIR or set VISIONCONSOLE_ZOO_MIRROR.");

    /// <summary><c>--dataset DIR</c>, else <c>../shared/datasets/hymenoptera</c> (or one level further up) from the repository.</summary>
    internal static string FindHymenoptera(string[] args, string root) =>
        Option(args, "--dataset")
            ?? new[] { Path.Combine(root, "..", "shared", "datasets", "hymenoptera"), Path.Combine(root, "..", "..", "shared", "datasets", "hymenoptera") }
                .Select(Path.GetFullPath).FirstOrDefault(Directory.Exists)
            ?? throw new DirectoryNotFoundException("No hymenoptera dataset: pass --dataset DIR (with train/ and val/).");

    internal static string? Option(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }

    private static string Format(double value) => double.IsNaN(value) ? "n/a" : value.ToString("0.0", CultureInfo.InvariantCulture);

    internal static string RepositoryRoot()
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

    internal static string CpuModel() =>
        File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";

    internal static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
}
