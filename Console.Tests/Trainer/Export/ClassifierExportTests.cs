using System.IO.Compression;
using System.Text.Json;
using VisionConsole.Trainer.Export;
using Xunit.Abstractions;

namespace VisionConsole.Tests.Trainer.Export;

/// <summary>
/// The exported classifier checked by runtimes nobody here wrote: onnxruntime-node against the original
/// backbone plus the head's math done step by step, and @tensorflow/tfjs-automl 1.3.0 loading the TF.js folder.
/// </summary>
public sealed class ClassifierExportTests(ExportFixture fixture, ITestOutputHelper output) : IClassFixture<ExportFixture>
{
    [Fact]
    public void Export_RealImages_OnnxRuntimeScoresEqualStepByStepReference()
    {
        var result = NodeScript.Run("onnx-reference.mjs", fixture.OnnxReferenceSpec(fixture.OnnxPath, fixture.Head, fixture.ValidationImagesPath, fixture.ValidationCount), fixture.Work);
        var exported = NodeScript.Matrix(result.GetProperty("exported"));
        var reference = NodeScript.Matrix(result.GetProperty("reference"));

        Assert.Equal(fixture.ValidationCount, exported.Length);
        var maxDiff = exported.Zip(reference).SelectMany(p => p.First.Zip(p.Second, (a, b) => Math.Abs(a - b))).Max();
        output.WriteLine($"model.onnx vs reference on {exported.Length} validation photos: max |diff| = {maxDiff:E2}");
        Assert.True(maxDiff < 1e-4, $"max |diff| {maxDiff}");
        Assert.All(exported, row => Assert.Equal(1.0, row.Sum(), 4));
        // The head is a real one: it must classify held-out photos well, or agreement would prove little.
        var accuracy = exported.Select((row, i) => Array.IndexOf(row, row.Max()) == fixture.ValidationLabels[i]).Count(ok => ok) / (double)exported.Length;
        output.WriteLine($"validation accuracy of the fitted head: {accuracy:P1}");
        Assert.True(accuracy >= 0.8, $"accuracy {accuracy}");
    }

    [Fact]
    public void Export_SigmoidMlpHead_OnnxEqualsReferenceAndTfjsAutomlAgrees()
    {
        var random = new Random(1234);
        var d = fixture.Backbone.FeatureDimension;
        const int hiddenWidth = 16;
        float[] Values(int count, double scale, double offset = 0) => [.. Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2 - 1) * scale + offset))];
        var head = new ClassifierHead(["a", "b", "c"], Values(d, 0.5, 0.5), Values(d, 0.4, 0.9), Values(3 * hiddenWidth, 0.3), [0.2f, -0.1f, 0f], HeadActivation.Sigmoid)
        {
            HiddenLayers = [new HiddenLayer(d, hiddenWidth, Values(hiddenWidth * d, 0.05), Values(hiddenWidth, 0.1))],
        };
        var path = Path.Combine(fixture.Work, "sigmoid-mlp.onnx");
        ClassifierOnnxExporter.Write(path, fixture.Backbone, head);
        var tfjsFolder = Path.Combine(fixture.Work, "tfjs-sigmoid-mlp");
        ClassifierTfjsConverter.Write(tfjsFolder, fixture.Backbone, head);
        const int count = 4;
        var imagesPath = Path.Combine(fixture.Work, "four.rgb");
        File.WriteAllBytes(imagesPath, fixture.ValidationPixels.AsSpan(0, count * 224 * 224 * 3).ToArray());

        var result = NodeScript.Run("onnx-reference.mjs", fixture.OnnxReferenceSpec(path, head, imagesPath, count), fixture.Work);
        var exported = NodeScript.Matrix(result.GetProperty("exported"));
        var reference = NodeScript.Matrix(result.GetProperty("reference"));
        var tfjs = NodeScript.Matrix(NodeScript.Run("tfjs-automl-check.mjs", new { tfjsDir = tfjsFolder, images = imagesPath, count, height = 224, width = 224 }, fixture.Work).GetProperty("scores"));

        Assert.All(exported, row => Assert.Equal(3, row.Length));
        var maxDiff = exported.Zip(reference).SelectMany(p => p.First.Zip(p.Second, (a, b) => Math.Abs(a - b))).Max();
        Assert.True(maxDiff < 1e-4, $"max |diff| {maxDiff}");
        // Independent scores, not a distribution.
        Assert.Contains(exported, row => Math.Abs(row.Sum() - 1) > 0.01);
        var tfjsDiff = tfjs.Zip(exported).SelectMany(p => p.First.Zip(p.Second, (a, b) => Math.Abs(a - b))).ToArray();
        output.WriteLine($"sigmoid MLP head: ONNX vs reference max |diff| {maxDiff:E2}; tfjs-automl vs ONNX mean |diff| {tfjsDiff.Average():F4}, max {tfjsDiff.Max():F4}");
        Assert.True(tfjsDiff.Average() < 0.02, $"tfjs mean |diff| {tfjsDiff.Average()}");
    }

    [Fact]
    public void TfjsFolder_LoadedByTfjsAutoml_AgreesWithOnnxModel()
    {
        var onnx = NodeScript.Matrix(NodeScript.Run("onnx-reference.mjs", fixture.OnnxReferenceSpec(fixture.OnnxPath, fixture.Head, fixture.ValidationImagesPath, fixture.ValidationCount), fixture.Work).GetProperty("exported"));
        var automl = NodeScript.Run("tfjs-automl-check.mjs", new
        {
            tfjsDir = fixture.TfjsFolder,
            images = fixture.ValidationImagesPath,
            count = fixture.ValidationCount,
            height = 224,
            width = 224,
        }, fixture.Work);
        var tfjs = NodeScript.Matrix(automl.GetProperty("scores"));

        Assert.Equal(fixture.Head.Labels, automl.GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
        Assert.Equal(fixture.ValidationCount, tfjs.Length);
        static int Top(double[] row) => Array.IndexOf(row, row.Max());
        var agreement = tfjs.Zip(onnx).Count(p => Top(p.First) == Top(p.Second)) / (double)tfjs.Length;
        var differences = tfjs.Zip(onnx).SelectMany(p => p.First.Zip(p.Second, (a, b) => Math.Abs(a - b))).ToArray();
        output.WriteLine($"tfjs-automl ({automl.GetProperty("backend").GetString()} backend) vs onnxruntime int8 on {tfjs.Length} photos: top-1 agreement {agreement:P1}, mean |diff| {differences.Average():F4}, max |diff| {differences.Max():F4}");
        Assert.True(agreement >= 0.98, $"top-1 agreement {agreement}");
        Assert.True(differences.Average() < 0.02, $"mean |diff| {differences.Average()}");
        Assert.All(tfjs, row => Assert.Equal(1.0, row.Sum(), 4));
    }

    [Fact]
    public void TfjsFolder_Files_AreGraphModelWithShardsUpTo4MB()
    {
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(fixture.TfjsFolder, "model.json"))).RootElement;
        Assert.Equal("graph-model", json.GetProperty("format").GetString());
        var nodes = json.GetProperty("modelTopology").GetProperty("node").EnumerateArray().ToList();
        Assert.Contains(nodes, n => n.GetProperty("op").GetString() == "DepthwiseConv2dNative");
        var input = Assert.Single(nodes, n => n.GetProperty("op").GetString() == "Placeholder");
        Assert.Equal("image", input.GetProperty("name").GetString());
        var paths = json.GetProperty("weightsManifest")[0].GetProperty("paths").EnumerateArray().Select(p => p.GetString()!).ToList();
        Assert.True(paths.Count > 1);
        Assert.All(paths, p => Assert.True(new FileInfo(Path.Combine(fixture.TfjsFolder, p)).Length <= 4 * 1024 * 1024));
        var declared = json.GetProperty("weightsManifest")[0].GetProperty("weights").EnumerateArray()
            .Sum(w => 4L * w.GetProperty("shape").EnumerateArray().Aggregate(1L, (a, v) => a * v.GetInt64()));
        Assert.Equal(declared, paths.Sum(p => new FileInfo(Path.Combine(fixture.TfjsFolder, p)).Length));
        Assert.Equal("ants\nbees\n", File.ReadAllText(Path.Combine(fixture.TfjsFolder, "dict.txt")));
    }

    [Fact]
    public void WriteClassifier_Zip_HoldsExactlyModelsLabelsManifestAndTfjsFolder()
    {
        var zipPath = Path.Combine(fixture.Work, "package.zip");
        ModelPackageWriter.WriteClassifier(zipPath, fixture.Backbone, fixture.Head);

        using var zip = ZipFile.OpenRead(zipPath);
        var names = zip.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal).ToList();
        var shards = Directory.GetFiles(fixture.TfjsFolder, "group1-shard*.bin").Select(f => "tfjs/" + Path.GetFileName(f));
        string[] expected = ["dict.txt", "manifest.json", "model.onnx", "model.tflite", "tfjs/dict.txt", "tfjs/model.json", .. shards];
        Assert.Equal(expected.Order(StringComparer.Ordinal), names);

        using (var manifest = JsonDocument.Parse(zip.GetEntry("manifest.json")!.Open()))
        {
            Assert.Equal("""{"modelFile":"model.onnx","labelsFile":"dict.txt","modelType":"IMAGE_LABELING"}""", manifest.RootElement.GetRawText());
        }
        Assert.Equal("ants\nbees\n", new StreamReader(zip.GetEntry("dict.txt")!.Open()).ReadToEnd());
        Assert.Equal("ants\nbees\n", new StreamReader(zip.GetEntry("tfjs/dict.txt")!.Open()).ReadToEnd());
        using var packed = new MemoryStream();
        zip.GetEntry("model.onnx")!.Open().CopyTo(packed);
        Assert.Equal(File.ReadAllBytes(fixture.OnnxPath), packed.ToArray());
    }

    [Fact]
    public void Export_HeadOfWrongFeatureSize_ThrowsNamingTheMismatch()
    {
        var head = fixture.Head with { Mean = new float[1000] };
        var error = Assert.Throws<ArgumentException>(() => ClassifierOnnxExporter.Export(fixture.Backbone, head));
        Assert.Contains("1000", error.Message);
        Assert.Contains("1280", error.Message);
    }

    [Fact]
    public void Export_BackboneWithoutFeatureMap_ThrowsNamingFileAndValue()
    {
        var backbone = fixture.Backbone with { FeatureMapName = "no_such_value" };
        var error = Assert.Throws<InvalidDataException>(() => ClassifierOnnxExporter.Export(backbone, fixture.Head));
        Assert.Contains("no_such_value", error.Message);
        Assert.Contains("mobilenetv2-12-int8.onnx", error.Message);
    }
}
