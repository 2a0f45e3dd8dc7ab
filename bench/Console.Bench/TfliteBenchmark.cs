using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using VisionConsole.Domain.Imaging;
using VisionConsole.Tests.Trainer.Export;
using VisionConsole.Trainer.Detection;
using VisionConsole.Trainer.Export;
using VisionConsole.Trainer.Export.Tflite;
using VisionConsole.Trainer.Imaging;
using VisionConsole.Trainer.Jobs;
using VisionConsole.Trainer.Onnx;
using VisionConsole.Trainer.Zoo;

namespace VisionConsole.Bench;

/// <summary>
/// The exported formats of a classifier per model type, on the zoo's MobileNetV2 int8: file sizes (model.onnx, model.tflite
/// quantized and float32, tfjs/, package.zip), and latency at batch 1 on 2 threads of TFLite's C API (2.9, the tests'
/// reference runtime) against ONNX Runtime running the same classifier's model.onnx on the same uint8 pixels (the baseline).
/// Heads have each model type's shape (versatile: linear; high-accuracy: 256-unit hidden layer, the backbone's own top to
/// fine-tune, test-time flip) with seeded random weights: sizes and speed depend on shapes, not on trained values.
/// Then the same for a detector (the zoo's CenterNet with its pretrained heads, one label; high-accuracy with its test-time
/// flip) on raccoon photos stretched to 512 x 512: model.onnx, model.tflite, tfjs/ and their latency.
/// </summary>
internal static class TfliteBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var runs = int.Parse(ZooBenchmark.Option(args, "--runs") ?? "200", CultureInfo.InvariantCulture);
        var root = ZooBenchmark.RepositoryRoot();
        var mirror = ZooBenchmark.FindMirror(args, root);
        var hymenoptera = ZooBenchmark.FindHymenoptera(args, root);
        var backbone = ClassifierBackbone.MobileNetV2Int8(Path.Combine(mirror, "mobilenetv2-12-int8", "mobilenetv2-12-int8.onnx"));
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {ZooBenchmark.CpuModel()}, load average {ZooBenchmark.LoadAverage()}; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; TFLite {TfliteInterpreter.Version}, ONNX Runtime {OrtEnv.Instance().GetVersionString()}");

        var codec = new VipsImageCodec();
        var images = Directory.GetFiles(Path.Combine(hymenoptera, "val", "ants")).Order(StringComparer.Ordinal).Take(32)
            .Select(f => codec.DecodeRgb(File.ReadAllBytes(f), 224, 224, FitMode.CenterCrop).Pixels).ToArray();

        var random = new Random(20261203);
        float[] Values(int n, double scale) => [.. Enumerable.Range(0, n).Select(_ => (float)((random.NextDouble() - 0.5) * scale))];
        const int d = 1280;
        string[] labels = ["ants", "bees"];
        var linear = new ClassifierHead(labels, Values(d, 1), [.. Enumerable.Repeat(1f, d)], Values(2 * d, 0.1), new float[2], HeadActivation.Softmax);
        var cut = BackboneCut.Find(OnnxModelBuilder.Load(backbone.OnnxPath), backbone.FeatureMapName, 7);
        var highAccuracy = new ClassifierHead(labels, Values(d, 1), [.. Enumerable.Repeat(1f, d)], Values(2 * 256, 0.1), new float[2], HeadActivation.Softmax)
        {
            HiddenLayers = [new HiddenLayer(d, 256, Values(256 * d, 0.05), new float[256])],
            Top = cut.Top,
            CutValue = cut.CutValue,
            TestTimeFlip = true,
        };
        var calibration = Enumerable.Range(0, 200).Select(_ => Values(d, 4).Select(MathF.Abs).ToArray()).ToArray();

        var sizes = new List<string>();
        var latency = new List<string>();
        foreach (var (modelType, head) in new[] { ("mobile-versatile-1", linear), ("mobile-high-accuracy-1", highAccuracy) })
        {
            var work = Directory.CreateTempSubdirectory("vc-bench-tflite-").FullName;
            try
            {
                var onnx = ClassifierOnnxExporter.Export(backbone, head);
                var quantized = ClassifierTfliteConverter.Convert(backbone, head, new TfliteExportOptions { CalibrationFeatures = calibration });
                var float32 = ClassifierTfliteConverter.Convert(backbone, head, new TfliteExportOptions { Variant = TfliteVariant.Float32 });
                var tfjs = Path.Combine(work, "tfjs");
                ClassifierTfjsConverter.Write(tfjs, backbone, head);
                var zip = Path.Combine(work, "package.zip");
                using (var stream = File.Create(zip))
                {
                    ModelPackageWriter.Write(stream, onnx, labels, tfjs, PackageModelType.ImageLabeling, tfliteModel: quantized);
                }
                var tfjsBytes = Directory.EnumerateFiles(tfjs).Sum(f => new FileInfo(f).Length);
                sizes.Add($"| {modelType} | {Mb(onnx.Length)} | {Mb(quantized.Length)} | {Mb(float32.Length)} | {Mb(tfjsBytes)} | {Mb(new FileInfo(zip).Length)} | {quantized.Length / (double)onnx.Length:0.00} |");

                var ort = TimeOnnx(onnx, images, runs);
                var tfliteQuantized = TimeTflite(quantized, images, runs, uint8: true);
                var tfliteFloat = TimeTflite(float32, images, runs, uint8: false);
                foreach (var (name, samples) in new[] { ("ONNX Runtime, model.onnx (baseline)", ort), ("TFLite C API, quantized", tfliteQuantized), ("TFLite C API, float32", tfliteFloat) })
                {
                    latency.Add(string.Create(CultureInfo.InvariantCulture,
                        $"| {modelType} | {name} | {PredictBenchmark.Percentile(samples, 0.5):0.00} | {PredictBenchmark.Percentile(samples, 0.95):0.00} | {PredictBenchmark.Percentile(samples, 0.5) / PredictBenchmark.Percentile(ort, 0.5):0.00} |"));
                }
                Console.WriteLine($"  {modelType} done (load average {ZooBenchmark.LoadAverage()})");
            }
            finally
            {
                Directory.Delete(work, recursive: true);
            }
        }

        Console.WriteLine();
        Console.WriteLine("sizes in MB (1 MB = 2^20 bytes)");
        Console.WriteLine("| model type | model.onnx | model.tflite quantized | model.tflite float32 | tfjs/ | package.zip | tflite quantized / onnx |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        sizes.ForEach(Console.WriteLine);
        Console.WriteLine();
        Console.WriteLine($"latency at batch 1, 2 threads, {runs} runs over {images.Length} hymenoptera val crops (224 x 224, uint8 in), after 10 warm-up runs");
        Console.WriteLine("| model type | runtime | p50 ms | p95 ms | p50 / ONNX Runtime |");
        Console.WriteLine("|---|---|---|---|---|");
        latency.ForEach(Console.WriteLine);
        await DetectorAsync(args, root, mirror, Math.Max(10, runs / 10));
        return 0;
    }

    /// <summary>The detector's formats: sizes, and TFLite's latency against ONNX Runtime on the same model and pixels.</summary>
    private static async Task DetectorAsync(string[] args, string root, string mirror, int runs)
    {
        var raccoon = Path.GetFullPath(ZooBenchmark.Option(args, "--raccoon") ?? Path.Combine(root, "..", "shared", "datasets", "raccoon"));
        var zooData = Directory.CreateDirectory(Path.Combine(root, ".cache", "bench")).FullName;
        var zoo = new ModelZoo(new ZooOptions(zooData, mirror, Path.Combine(root, ".cache", "npm-pack"), AllowDownloads: false));
        var backbone = zoo.Catalog.Single(b => b.Id == DetectorPresets.CenterNetBackbone);
        var backbonePath = await zoo.GetModelPathAsync(backbone.Id);
        var source = DetectionTrainingJob.SourceFolder(backbonePath);
        var heads = DetectorOnnxExporter.Pretrained(source, 1);
        const int side = DetectorInference.InputSide;
        var codec = new VipsImageCodec();
        var images = Directory.GetFiles(Path.Combine(raccoon, "images")).Order(StringComparer.Ordinal).Take(8)
            .Select(f => codec.DecodeRgb(File.ReadAllBytes(f), side, side, FitMode.Stretch).Pixels).ToArray();

        var sizes = new List<string>();
        var latency = new List<string>();
        foreach (var (modelType, flip) in new[] { ("mobile-versatile-1", false), ("mobile-high-accuracy-1", true) })
        {
            var work = Directory.CreateTempSubdirectory("vc-bench-tflite-").FullName;
            try
            {
                var onnx = DetectorOnnxExporter.Build(backbonePath, backbone, heads, side / heads.Stride, flip);
                var tflite = DetectorTfliteConverter.Convert(source, heads, side, ["raccoon"], flip);
                var tfjs = Path.Combine(work, "tfjs");
                DetectorTfjsConverter.Write(tfjs, source, heads, side, ["raccoon"], flip);
                var tfjsBytes = Directory.EnumerateFiles(tfjs).Sum(f => new FileInfo(f).Length);
                sizes.Add($"| detector {modelType} | {Mb(onnx.Length)} | {Mb(tflite.Length)} | {Mb(tfjsBytes)} | {tflite.Length / (double)onnx.Length:0.00} |");
                var ort = TimeOnnx(onnx, images, runs, side, DetectorOnnxExporter.InputName);
                var lite = TimeTflite(tflite, images, runs, uint8: true);
                foreach (var (name, samples) in new[] { ("ONNX Runtime, model.onnx (baseline)", ort), ("TFLite C API, model.tflite", lite) })
                {
                    latency.Add(string.Create(CultureInfo.InvariantCulture,
                        $"| detector {modelType} | {name} | {PredictBenchmark.Percentile(samples, 0.5):0.0} | {PredictBenchmark.Percentile(samples, 0.95):0.0} | {PredictBenchmark.Percentile(samples, 0.5) / PredictBenchmark.Percentile(ort, 0.5):0.00} |"));
                }
                Console.WriteLine($"  detector {modelType} done (load average {ZooBenchmark.LoadAverage()})");
            }
            finally
            {
                Directory.Delete(work, recursive: true);
            }
        }
        Console.WriteLine();
        Console.WriteLine("detector sizes in MB");
        Console.WriteLine("| model type | model.onnx | model.tflite | tfjs/ | tflite / onnx |");
        Console.WriteLine("|---|---|---|---|---|");
        sizes.ForEach(Console.WriteLine);
        Console.WriteLine();
        Console.WriteLine($"detector latency at batch 1, 2 threads, {runs} runs over {images.Length} raccoon photos (512 x 512, uint8 in), after 10 warm-up runs");
        Console.WriteLine("| model type | runtime | p50 ms | p95 ms | p50 / ONNX Runtime |");
        Console.WriteLine("|---|---|---|---|---|");
        latency.ForEach(Console.WriteLine);
    }

    private static string Mb(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("0.00", CultureInfo.InvariantCulture);

    private static double[] TimeOnnx(byte[] model, byte[][] images, int runs, int side = 224, string inputName = ClassifierOnnxExporter.InputName)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 2, InterOpNumThreads = 1 };
        using var session = new InferenceSession(model, options);
        var input = new DenseTensor<byte>([1, side, side, 3]);
        double Once(int i)
        {
            images[i % images.Length].CopyTo(input.Buffer.Span);
            var clock = Stopwatch.StartNew();
            using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, input)]);
            _ = results.First().AsTensor<float>().GetValue(0);
            return clock.Elapsed.TotalMilliseconds;
        }
        for (var i = 0; i < 10; i++) Once(i);
        return [.. Enumerable.Range(0, runs).Select(Once)];
    }

    private static double[] TimeTflite(byte[] model, byte[][] images, int runs, bool uint8)
    {
        using var interpreter = new TfliteInterpreter(model, threads: 2);
        var floats = images.Select(p => p.Select(v => (v - ClassifierTfliteConverter.FloatInputCentre) / ClassifierTfliteConverter.FloatInputCentre).ToArray()).ToArray();
        double Once(int i)
        {
            var clock = Stopwatch.StartNew();
            if (uint8) interpreter.Run(images[i % images.Length]);
            else interpreter.Run(floats[i % images.Length]);
            _ = interpreter.Output(0);
            return clock.Elapsed.TotalMilliseconds;
        }
        for (var i = 0; i < 10; i++) Once(i);
        return [.. Enumerable.Range(0, runs).Select(Once)];
    }
}
