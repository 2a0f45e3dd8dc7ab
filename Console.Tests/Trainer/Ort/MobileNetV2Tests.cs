using Microsoft.Extensions.Options;
using VisionConsole.Domain.Imaging;
using VisionConsole.Trainer.Embedding;
using VisionConsole.Trainer.Imaging;
using VisionConsole.Trainer.Zoo;
using ModelZoo = VisionConsole.Trainer.Zoo.ModelZoo;
using Xunit.Abstractions;

namespace VisionConsole.Tests.Trainer.Ort;

/// <summary>
/// The ONNX Model Zoo's MobileNetV2 int8 (from the shared offline mirror) on real hymenoptera photos decoded by
/// the product's libvips codec (short side to 256, centre 224 as its README says), checked
/// against ImageNet's labels and against onnxruntime-node run on the very same input tensor.
/// </summary>
public sealed class MobileNetV2Tests(ITestOutputHelper output) : IDisposable
{
    private static readonly string Zoo = Path.Combine(SharedData.Zoo, "mobilenetv2-12-int8");
    private static readonly string Hymenoptera = Path.Combine(SharedData.Hymenoptera, "val");
    private const int FirstInsectClass = 300; // tiger beetle
    private const int LastInsectClass = 326; // lycaenid butterfly
    private static readonly Preprocessing ImageNet = new(224, 224, FitMode.CenterCrop, TensorLayout.Nchw, 1 / 255f, [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);
    private readonly string folder = Directory.CreateTempSubdirectory("mobilenetv2-tests-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void Inputs_MobileNetV2Int8_ReportsImageInputWithDynamicBatch()
    {
        using var session = TestOrt.Runtime().CreateSession(Path.Combine(Zoo, "mobilenetv2-12-int8.onnx"));

        var input = Assert.Single(session.InputMetadata);
        var output = Assert.Single(session.OutputMetadata);
        Assert.Equal("input", input.Key);
        Assert.Equal(Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float, input.Value.ElementDataType);
        Assert.Equal([-1, 3, 224, 224], input.Value.Dimensions);
        Assert.Equal("output", output.Key);
        Assert.Equal([-1, 1000], output.Value.Dimensions);
    }

    [Fact]
    public void Embed_HymenopteraAntsAndBees_TopImageNetClassIsAnInsectAndAgreesWithNode()
    {
        string[] files = ["ants/1053149811_f62a3410d3.jpg", "ants/1073564163_225a64f170.jpg", "bees/10870992_eebeeb3a12.jpg", "bees/1181173278_23c36fac71.jpg", "bees/1297972485_33266a18d9.jpg"];
        var codec = new VipsImageCodec();
        var images = files.Select(f => CenterCrop(codec.DecodeRgb(File.ReadAllBytes(Path.Combine(Hymenoptera, f)), 256, 256, FitMode.CenterCrop), 224)).ToArray();
        var labels = File.ReadAllLines(Path.Combine(Zoo, "imagenet_labels_1000.txt"));
        var model = Path.Combine(folder, "mobilenetv2-features.onnx");
        File.WriteAllBytes(model, TestModels.WithOutputs(Path.Combine(Zoo, "mobilenetv2-12-int8.onnx"), "627"));
        var logitsBackbone = new BackboneInfo("mobilenetv2-12-int8", "MobileNetV2 int8", "Apache-2.0", "test", ImageNet, "input", "output", 1000);
        var featureBackbone = logitsBackbone with { FeatureOutputName = "627", FeatureDimension = 1280 };
        using var service = TestOrt.Embedding(batchSize: 3);

        var logits = service.Embed(logitsBackbone, model, images);
        var features = service.Embed(featureBackbone, model, images);

        var tensor = new float[images.Length * 3 * 224 * 224];
        for (var i = 0; i < images.Length; i++)
        {
            VisionConsole.Trainer.Embedding.ImageTensorWriter.Write(images[i].Pixels, ImageNet, tensor.AsSpan(i * 3 * 224 * 224, 3 * 224 * 224));
        }
        var node = NodeProbe.Run(model, "input", tensor, [images.Length, 3, 224, 224], "output", "627");
        Assert.Equal([images.Length, 1000L], node["output"].Dims);
        Assert.Equal([images.Length, 1280L, 7, 7], node["627"].Dims);
        var tops = logits.Select(l => Array.IndexOf(l, l.Max())).ToArray();
        for (var i = 0; i < images.Length; i++)
        {
            output.WriteLine($"{files[i]}: class {tops[i]} '{labels[tops[i]]}'");
        }
        for (var i = 0; i < images.Length; i++)
        {
            var top = tops[i];
            var nodeLogits = node["output"].Data.AsSpan(i * 1000, 1000).ToArray();
            var nodeTop = Array.IndexOf(nodeLogits, nodeLogits.Max());
            output.WriteLine($"{files[i]}: class {top} '{labels[top]}' (node: {nodeTop}), max |logit difference| {MaxDifference(logits[i], nodeLogits)}");
            Assert.InRange(top, FirstInsectClass, LastInsectClass);
            Assert.Equal(nodeTop, top);
            Assert.True(MaxDifference(logits[i], nodeLogits) <= 1e-4, $"{files[i]}: logits differ from onnxruntime-node by {MaxDifference(logits[i], nodeLogits)}");

            var nodePooled = Enumerable.Range(0, 1280).Select(d => node["627"].Data.AsSpan((i * 1280 + d) * 49, 49).ToArray().Average()).ToArray();
            Assert.True(MaxDifference(features[i], nodePooled) <= 1e-4, $"{files[i]}: pooled features differ from onnxruntime-node by {MaxDifference(features[i], nodePooled)}");
        }
    }

    [Fact]
    public async Task Embed_ZooMobileNetV2Int8_FeaturesEqualMeanPooledLastConv()
    {
        var zoo = new ModelZoo(new ZooOptions(Path.Combine(folder, "data"), SharedData.Zoo, AllowDownloads: false));
        var backbone = zoo.Catalog.Single(b => b.Id == "mobilenetv2-12-int8");
        var ready = await zoo.GetModelPathAsync(backbone.Id);
        var exposed = Path.Combine(folder, "mobilenetv2-627.onnx");
        File.WriteAllBytes(exposed, TestModels.WithOutputs(Path.Combine(Zoo, "mobilenetv2-12-int8.onnx"), "627"));
        var codec = new VipsImageCodec();
        var images = new[] { "ants/1053149811_f62a3410d3.jpg", "bees/10870992_eebeeb3a12.jpg" }
            .Select(f => codec.DecodeRgb(File.ReadAllBytes(Path.Combine(Hymenoptera, f)), 224, 224, backbone.Preprocessing.Fit)).ToArray();
        using var service = TestOrt.Embedding();

        var features = service.Embed(backbone, ready, images);
        var pooled = service.Embed(backbone with { FeatureOutputName = "627" }, exposed, images);

        Assert.All(features, f => Assert.Equal(1280, f.Length));
        for (var i = 0; i < images.Length; i++)
        {
            Assert.True(MaxDifference(features[i], pooled[i]) <= 1e-4, $"image {i}: zoo features differ from the pooled 627 by {MaxDifference(features[i], pooled[i])}");
            Assert.True(features[i].Max() > 0.1f, "features should not be all zero");
        }
    }

    /// <summary>The model's README preparation: short side to 256 (the codec), then the centre 224x224.</summary>
    private static RgbImage CenterCrop(RgbImage image, int size)
    {
        var pixels = new byte[size * size * 3];
        var left = (image.Width - size) / 2;
        var top = (image.Height - size) / 2;
        for (var y = 0; y < size; y++)
        {
            image.Pixels.AsSpan(((top + y) * image.Width + left) * 3, size * 3).CopyTo(pixels.AsSpan(y * size * 3));
        }
        return new RgbImage(size, size, pixels);
    }

    private static float MaxDifference(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
}
