using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Imaging;
using VisionConsole.Domain.Metrics;
using VisionConsole.Trainer.Detection;
using VisionConsole.Trainer.Embedding;
using VisionConsole.Trainer.Imaging;
using VisionConsole.Trainer.Inference;
using VisionConsole.Trainer.Jobs;
using VisionConsole.Trainer.Training;
using VisionConsole.Trainer.Zoo;

namespace VisionConsole.Bench;

/// <summary>
/// The offline harness for the detector recipe (issue 10): raccoon's upstream split (160 train / 40 test), the CenterNet
/// stride-4 features of every training image and its mirror computed once through the product's codec and embedding
/// service and cached under <c>.cache/bench/detector</c>; the console's 80/10/10 hash split of the training images for
/// early stopping, as an import of the training images gets; then per recipe the heads trained by
/// <see cref="DetectorHeadTrainer"/>, exported by <see cref="DetectorOnnxExporter"/> and run through
/// <see cref="DetectorInference"/> on the 40 test images, mAP from <see cref="DetectionEvaluation"/>.
/// </summary>
/// <remarks><c>bench/run.sh detector-heads [--recipes a,b,...] [--dataset DIR]</c>; recipes: see <see cref="Recipes"/>.</remarks>
internal static class DetectorHeadsBench
{
    private const int Side = 512;

    private sealed record Recipe(string Name, DetectorTrainingOptions Options, bool AllTrain);

    /// <summary>Each recipe's model is evaluated as exported (its graph ends in NMS), with a second class-wise NMS at IoU 0.5 over its boxes (a check: it should change nothing), and exported with test-time flip.</summary>
    private static readonly Recipe[] Recipes =
    [
        new("versatile", Options(30, 5e-3, 4), false),
        new("patience-8", Options(60, 5e-3, 8), false),
        new("lr-1e-3", Options(60, 1e-3, 8), false),
        new("all-train-20", Options(20, 5e-3, 1000), true),
    ];

    private static DetectorTrainingOptions Options(int epochs, double lr, int patience) =>
        new() { MaxEpochs = epochs, LearningRate = lr, Patience = patience };

    private sealed record Photo(string Name, string Sha256, IReadOnlyList<GroundTruthBox> Boxes);

    public static async Task<int> RunAsync(string[] args)
    {
        var root = ZooBenchmark.RepositoryRoot();
        var mirror = ZooBenchmark.FindMirror(args, root);
        var raccoon = Path.GetFullPath(ZooBenchmark.Option(args, "--dataset") ?? Path.Combine(root, "..", "shared", "datasets", "raccoon"));
        var chosen = ZooBenchmark.Option(args, "--recipes")?.Split(',');
        var zooData = Directory.CreateDirectory(Path.Combine(root, ".cache", "bench")).FullName;
        var cacheFolder = Directory.CreateDirectory(Path.Combine(zooData, "detector")).FullName;
        var zoo = new ModelZoo(new ZooOptions(zooData, mirror, Path.Combine(root, ".cache", "npm-pack"), AllowDownloads: false));
        var backbone = zoo.Catalog.Single(b => b.Id == DetectorPresets.CenterNetBackbone);
        var backbonePath = await zoo.GetModelPathAsync(backbone.Id);
        var source = DetectionTrainingJob.SourceFolder(backbonePath);
        var initial = DetectorOnnxExporter.Pretrained(source, 1);
        var grid = Side / initial.Stride;
        var cells = grid * grid;
        var dimension = initial.Channels * cells;

        var train = ReadCsv(raccoon, "train_labels.csv");
        var test = ReadCsv(raccoon, "test_labels.csv");
        Console.WriteLine($"Detector harness: {raccoon} ({train.Count} train / {test.Count} test), {Environment.ProcessorCount} cores, load average {ZooBenchmark.LoadAverage()}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");

        var codec = new VipsImageCodec();
        using var embedding = new EmbeddingService(new OrtRuntime(Microsoft.Extensions.Options.Options.Create(new OrtOptions())), Microsoft.Extensions.Options.Options.Create(new EmbeddingOptions()));
        var watch = Stopwatch.StartNew();
        var features = new Dictionary<(string, int), float[]>();
        foreach (var photo in train.Values)
        {
            var files = new[] { 0, 1 }.Select(v => Path.Combine(cacheFolder, $"{photo.Sha256}.{v}.f32")).ToArray();
            if (files.All(File.Exists))
            {
                for (var v = 0; v < 2; v++)
                    features[(photo.Sha256, v)] = ReadFloats(files[v], dimension);
                continue;
            }
            var framed = codec.DecodeRgb(await File.ReadAllBytesAsync(Path.Combine(raccoon, "images", photo.Name)), Side, Side, FitMode.Stretch);
            var maps = embedding.EmbedOutput(backbone, backbonePath, DetectorOnnxExporter.FeatureValue, [framed, ImageViews.FlipHorizontal(framed)]);
            for (var v = 0; v < 2; v++)
            {
                var channelsFirst = DetectionTrainingJob.ToChannelsFirst(maps[v], grid, initial.Channels);
                await File.WriteAllBytesAsync(files[v], System.Runtime.InteropServices.MemoryMarshal.AsBytes(channelsFirst.AsSpan()).ToArray());
                features[(photo.Sha256, v)] = channelsFirst;
            }
        }
        Console.WriteLine($"features: {features.Count} views in {watch.Elapsed.TotalSeconds:F1} s (cached ones read)");

        // The console's split of the imported training images: TRAIN fits, VALIDATION stops early (TEST is its own evaluation).
        var splits = train.Values.ToLookup(p => SplitAssignment.Resolve(DataSplit.Unassigned, p.Sha256));
        PreparedDetectorExample Example(Photo photo, int view, DetectorHeads heads)
        {
            var boxes = view == 0 ? photo.Boxes : CenterNetTargets.Mirror(photo.Boxes);
            return DetectorHeadTrainer.Prepare(new DetectorExample(features[(photo.Sha256, view)], CenterNetTargets.Build(boxes, 1, grid, grid)), heads, grid, grid);
        }

        using var sessions = new ModelSessionCache(new OrtRuntime(Microsoft.Extensions.Options.Options.Create(new OrtOptions())), Microsoft.Extensions.Options.Options.Create(new InferenceOptions()));
        var inference = new DetectorInference(sessions, codec);
        var framedTest = test.Values.Select(p => (Photo: p, Image: inference.Frame(File.ReadAllBytes(Path.Combine(raccoon, "images", p.Name))))).ToList();
        Console.WriteLine();
        Console.WriteLine("| recipe | mAP@0.5 | mAP@0.75 | COCO mAP | P / R at 0.3 | epochs (stop) | train s |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var recipe in Recipes.Where(r => chosen is null || chosen.Contains(r.Name)))
        {
            var start = initial;
            var fit = recipe.AllTrain ? train.Values.ToList() : splits[DataSplit.Train].ToList();
            var trainExamples = fit.SelectMany(p => new[] { Example(p, 0, start), Example(p, 1, start) }).ToList();
            var stopping = recipe.AllTrain ? [] : splits[DataSplit.Validation].Select(p => Example(p, 0, start)).ToList();
            watch.Restart();
            var result = DetectorHeadTrainer.Train(trainExamples, stopping, start, grid, grid, recipe.Options, null, CancellationToken.None);
            var seconds = watch.Elapsed.TotalSeconds;
            // As exported, with a second NMS over its boxes (a check: it should change nothing), and exported with test-time flip.
            foreach (var (flip, nms) in new (bool, double?)[] { (false, null), (false, 0.5), (true, null) })
            {
                var model = Path.Combine(Path.GetTempPath(), $"vc-detector-bench-{Guid.NewGuid():N}.onnx");
                await File.WriteAllBytesAsync(model, DetectorOnnxExporter.Build(backbonePath, backbone, result.Heads, grid, flip));
                try
                {
                    var found = framedTest.Select(t => inference.Detect(model, t.Image).Detections().ToList()).ToList();
                    var id = 0L;
                    var evaluated = framedTest.Select((t, i) => new DetectionImage(++id, t.Photo.Boxes,
                        (nms is { } iou ? Suppress(found[i], iou) : found[i]).Select(d => new PredictedBox(d.Label, d.ToBoxRect(), d.Score)).ToArray())).ToList();
                    var metrics = new DetectionEvaluation(["raccoon"], evaluated);
                    var at = metrics.AtThreshold(0.3f, 0.5);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {recipe.Name}{(nms is null ? "" : " + NMS 0.5")}{(flip ? " + test-time flip" : "")} | {metrics.MeanAveragePrecision(0.5):0.0000} | {metrics.MeanAveragePrecision(0.75):0.0000} | {metrics.CocoMeanAveragePrecision():0.0000} | {at.Micro.Precision:0.000} / {at.Micro.Recall:0.000} | {result.EpochsCompleted} ({result.StopReason}) | {seconds:F1} |"));
                }
                finally
                {
                    inference.Forget(model);
                    File.Delete(model);
                }
            }
        }
        return 0;
    }

    /// <summary>Class-wise greedy NMS, highest score first.</summary>
    private static List<DetectedObject> Suppress(List<DetectedObject> found, double iou)
    {
        var kept = new List<DetectedObject>();
        foreach (var d in found.OrderByDescending(d => d.Score))
        {
            if (!kept.Exists(k => k.Label == d.Label && DetectionEvaluation.IntersectionOverUnion(k.ToBoxRect(), d.ToBoxRect()) > iou))
                kept.Add(d);
        }
        return kept;
    }

    private static float[] ReadFloats(string path, int count)
    {
        var result = new float[count];
        var bytes = File.ReadAllBytes(path);
        Buffer.BlockCopy(bytes, 0, result, 0, bytes.Length);
        return result;
    }

    /// <summary>The upstream CSV's boxes per image (normalized to the image) and the image's sha256.</summary>
    private static Dictionary<string, Photo> ReadCsv(string raccoon, string file) =>
        DetectorBenchmark.ReadCsv(Path.Combine(raccoon, "data", file)).OrderBy(b => b.Key, StringComparer.Ordinal).ToDictionary(b => b.Key, b => new Photo(b.Key,
            Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(raccoon, "images", b.Key)))), b.Value));
}
