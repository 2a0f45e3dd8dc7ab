using VisionConsole.Domain.Imaging;
using VisionConsole.Trainer.Export;
using VisionConsole.Trainer.Imaging;
using Microsoft.ML.OnnxRuntime;
using VisionConsole.Tests.Trainer.Ort;
using VisionConsole.Trainer.Training;
using Xunit.Abstractions;

namespace VisionConsole.Tests.Trainer.Export;

/// <summary>
/// Exports with <see cref="ClassifierHead.TestTimeFlip"/> on real hymenoptera photos (libvips centre crop to 224) and a
/// small random head: ONNX through ONNX Runtime's .NET package, TF.js through @tensorflow/tfjs-automl 1.3.0. Scores that do
/// not change when the photo is mirrored are a property only the averaged graph has (the single-pass export of the
/// same head is checked to lack it), and the averaged scores must be the mean of the single-pass scores.
/// </summary>
public sealed class TestTimeFlipExportTests(ITestOutputHelper output) : IDisposable
{
    private const int Side = 224;
    private const int PerClass = 3;
    private readonly string _work = Directory.CreateTempSubdirectory("vc-flip-export-").FullName;

    [Theory]
    [InlineData(HeadActivation.Softmax)]
    [InlineData(HeadActivation.Sigmoid)]
    public void Export_TestTimeFlip_ScoresAreMirrorInvariantMeanOfSinglePass(HeadActivation activation)
    {
        var backbone = Backbone();
        var head = SmallHead(backbone.FeatureDimension, activation);
        var (images, mirrors) = Photos();
        var count = images.Count;

        var runtime = TestOrt.Runtime();
        using var flipped = runtime.CreateSession(ClassifierOnnxExporter.Export(backbone, head with { TestTimeFlip = true }));
        using var single = runtime.CreateSession(ClassifierOnnxExporter.Export(backbone, head));
        Assert.Equal(Describe(single.InputMetadata), Describe(flipped.InputMetadata));
        Assert.Equal(Describe(single.OutputMetadata), Describe(flipped.OutputMetadata));

        var averaged = Scores(flipped, images, head.ClassCount);
        var averagedOfMirrors = Scores(flipped, mirrors, head.ClassCount);
        var onImages = Scores(single, images, head.ClassCount);
        var onMirrors = Scores(single, mirrors, head.ClassCount);
        // One image at a time too: the batch of one is what a phone sends.
        var one = Scores(flipped, images.Take(1).ToList(), head.ClassCount);

        var invariance = MaxDiff(averaged, averagedOfMirrors);
        var expected = onImages.Zip(onMirrors, (a, b) => a.Zip(b, (x, y) => (x + y) / 2).ToArray()).ToArray();
        var toMean = MaxDiff(averaged, expected);
        var singleVariance = MaxDiff(onImages, onMirrors);
        output.WriteLine($"{activation}, {count} photos: flip export |scores(image) - scores(mirror)| max {invariance:E2}; vs mean of single-pass on image and mirror max {toMean:E2}; " +
            $"single-pass |scores(image) - scores(mirror)| max {singleVariance:E2}; batch of one vs batch max {MaxDiff(one, averaged.Take(1).ToArray()):E2}");
        Assert.True(invariance <= 1e-5, $"The flip export's scores change by {invariance} when the photo is mirrored.");
        Assert.True(toMean <= 1e-5, $"The flip export's scores differ from the mean of the single pass on image and mirror by {toMean}.");
        Assert.True(singleVariance > 1e-3, $"The single-pass scores barely change when the photos are mirrored ({singleVariance}); the test would prove nothing.");
        Assert.True(MaxDiff(one, averaged.Take(1).ToArray()) <= 1e-5);
        if (activation == HeadActivation.Softmax)
        {
            Assert.All(averaged, row => Assert.Equal(1.0, row.Sum(), 4));
        }
    }

    [Fact]
    public void TfjsConvert_TestTimeFlip_TfjsAutomlScoresAreMirrorInvariantMeanOfSinglePass()
    {
        var backbone = Backbone();
        var head = SmallHead(backbone.FeatureDimension, HeadActivation.Softmax);
        var (images, mirrors) = Photos();
        var count = images.Count;
        var flippedFolder = Path.Combine(_work, "tfjs-flip");
        var singleFolder = Path.Combine(_work, "tfjs-single");
        ClassifierTfjsConverter.Write(flippedFolder, backbone, head with { TestTimeFlip = true });
        ClassifierTfjsConverter.Write(singleFolder, backbone, head);
        var ops = File.ReadAllText(Path.Combine(flippedFolder, TfjsGraphModelWriter.ModelFileName));
        Assert.Contains("\"ReverseV2\"", ops, StringComparison.Ordinal);
        Assert.DoesNotContain("\"ReverseV2\"", File.ReadAllText(Path.Combine(singleFolder, TfjsGraphModelWriter.ModelFileName)), StringComparison.Ordinal);

        // Images then their mirror images in one file: one tfjs-automl run per folder.
        var both = Path.Combine(_work, "images-and-mirrors.rgb");
        File.WriteAllBytes(both, [.. images.SelectMany(i => i.Pixels), .. mirrors.SelectMany(i => i.Pixels)]);
        double[][] Automl(string folder) => NodeScript.Matrix(NodeScript.Run("tfjs-automl-check.mjs", new { tfjsDir = folder, images = both, count = 2 * count, height = Side, width = Side }, _work).GetProperty("scores"));
        var flipped = Automl(flippedFolder);
        var single = Automl(singleFolder);
        using var session = TestOrt.Runtime().CreateSession(ClassifierOnnxExporter.Export(backbone, head with { TestTimeFlip = true }));
        var onnx = Scores(session, images, head.ClassCount);

        var invariance = MaxDiff(flipped[..count], flipped[count..]);
        var expected = single[..count].Zip(single[count..], (a, b) => a.Zip(b, (x, y) => (x + y) / 2).ToArray()).ToArray();
        var toMean = MaxDiff(flipped[..count], expected);
        var toOnnx = flipped[..count].Zip(onnx).SelectMany(p => p.First.Zip(p.Second, (a, b) => Math.Abs(a - b))).ToArray();
        output.WriteLine($"tfjs-automl, {count} photos: flip graph |scores(image) - scores(mirror)| max {invariance:E2}; vs mean of single pass on image and mirror max {toMean:E2}; " +
            $"single pass |scores(image) - scores(mirror)| max {MaxDiff(single[..count], single[count..]):E2}; vs flip model.onnx (ORT int8) mean |diff| {toOnnx.Average():F4}, max {toOnnx.Max():F4}");
        Assert.True(invariance <= 1e-5, $"The flip TF.js graph's scores change by {invariance} when the photo is mirrored.");
        Assert.True(toMean <= 1e-5, $"The flip TF.js graph differs from the mean of the single pass by {toMean}.");
        Assert.True(MaxDiff(single[..count], single[count..]) > 1e-3, "The single-pass TF.js scores barely change when the photos are mirrored; the test would prove nothing.");
        Assert.True(toOnnx.Average() < 0.02, $"tfjs vs onnx mean |diff| {toOnnx.Average()}");
    }

    public void Dispose()
    {
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { }
    }

    private static ClassifierBackbone Backbone()
        => ClassifierBackbone.MobileNetV2Int8(Path.Combine(SharedData.Zoo, "mobilenetv2-12-int8", "mobilenetv2-12-int8.onnx"));

    /// <summary>Three classes, one hidden layer of 8: random but fixed, its scores well inside (0, 1).</summary>
    private static ClassifierHead SmallHead(int d, HeadActivation activation)
    {
        var random = new Random(20261122);
        float[] Values(int count, double scale, double offset = 0) => [.. Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2 - 1) * scale + offset))];
        const int hidden = 8;
        return new ClassifierHead(["a", "b", "c"], Values(d, 0.5, 0.5), Values(d, 0.4, 0.9), Values(3 * hidden, 0.5), [0.1f, -0.1f, 0f], activation)
        {
            HiddenLayers = [new HiddenLayer(d, hidden, Values(hidden * d, 0.05), Values(hidden, 0.1))],
        };
    }

    /// <summary>The first photos of val/ants and val/bees, centre-cropped to 224 by libvips, and their mirror images.</summary>
    private static (IReadOnlyList<RgbImage> Images, IReadOnlyList<RgbImage> Mirrors) Photos()
    {
        var codec = new VipsImageCodec();
        var images = new List<RgbImage>();
        foreach (var label in new[] { "ants", "bees" })
        {
            var files = Directory.GetFiles(Path.Combine(SharedData.Datasets, "hymenoptera", "val", label), "*.jpg").Order(StringComparer.Ordinal).Take(PerClass);
            images.AddRange(files.Select(f => codec.DecodeRgb(File.ReadAllBytes(f), Side, Side, FitMode.CenterCrop)));
        }
        return (images, images.Select(ImageViews.FlipHorizontal).ToList());
    }

    private static string[] Describe(IReadOnlyDictionary<string, NodeMetadata> nodes) =>
        [.. nodes.Select(n => $"{n.Key}: {n.Value.ElementDataType}[{string.Join(", ", n.Value.Dimensions)}]")];

    private static double[][] Scores(InferenceSession session, IReadOnlyList<RgbImage> images, int classes)
    {
        var pixels = images.SelectMany(i => i.Pixels).ToArray();
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, [images.Count, Side, Side, 3]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [ClassifierOnnxExporter.InputName], [input], [ClassifierOnnxExporter.OutputName]);
        var scores = outputs[0];
        Assert.Equal([images.Count, (long)classes], scores.GetTensorTypeAndShape().Shape);
        var values = scores.GetTensorDataAsSpan<float>().ToArray();
        return [.. Enumerable.Range(0, images.Count).Select(n => values.AsSpan(n * classes, classes).ToArray().Select(v => (double)v).ToArray())];
    }

    private static double MaxDiff(double[][] a, double[][] b)
    {
        Assert.Equal(a.Length, b.Length);
        return a.Zip(b).SelectMany(p => p.First.Zip(p.Second, (x, y) => Math.Abs(x - y))).Max();
    }
}
