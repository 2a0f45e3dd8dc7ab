using Microsoft.ML.OnnxRuntime;
using VisionConsole.Domain.Imaging;
using VisionConsole.Tests.Trainer.Ort;
using VisionConsole.Trainer.Embedding;
using VisionConsole.Trainer.Export;
using VisionConsole.Trainer.Imaging;
using VisionConsole.Trainer.Jobs;
using VisionConsole.Trainer.Onnx;
using VisionConsole.Trainer.Training;
using VisionConsole.Trainer.Zoo;
using Xunit.Abstractions;

namespace VisionConsole.Tests.Trainer.Export;

/// <summary>
/// A head on a fine-tuned top (mobile-high-accuracy-1): the exported model.onnx (int8 MobileNetV2 truncated at the cut,
/// the float fine-tuned last block and 1x1 conv, pool, head, test-time flip) run by ONNX Runtime scores real photos as the
/// console computes them from the cut activations (ONNX Runtime on the truncated backbone, then <see cref="ConvTop.Pool"/>
/// and the head); libtorch's pooling, which training uses, gives the same features.
/// </summary>
public sealed class FineTunedTopExportTests(ITestOutputHelper output) : IDisposable
{
    private const int Side = 224;
    private readonly string _work = Directory.CreateTempSubdirectory("vc-finetuned-export-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void Find_MobileNetV2Int8_ReadsTheLastBlockAndConvAboveTheResidualAdd()
    {
        var cut = BackboneCut.Find(OnnxModelBuilder.Load(Mirror()), "627", 7);

        // Expand 160 -> 960 (ReLU6), depthwise 3x3 (ReLU6), project 960 -> 320 (linear), 320 -> 1280 (ReLU6).
        Assert.Equal("452_quantized", cut.CutValue);
        Assert.Equal((160, 1280, 49), (cut.Top.Inputs, cut.Top.Outputs, cut.Top.Positions));
        Assert.Equal([(160, 960, 1, false), (960, 960, 3, true), (960, 320, 1, false), (320, 1280, 1, false)],
            cut.Top.Layers.Select(l => (l.Inputs, l.Outputs, l.Kernel, l.Depthwise)));
        Assert.Equal([true, true, false, true], cut.Top.Layers.Select(l => l.ClipMax is not null));
        // The clips are the calibrated ranges of the int8 outputs: ReLU6 at most, and exactly 6 at the feature map.
        Assert.All(cut.Top.Layers.Where(l => l.ClipMax is not null), l => Assert.InRange(l.ClipMax!.Value, 1f, 6.0001f));
        Assert.Equal(6f, cut.Top.Layers[^1].ClipMax!.Value, 4);
        Assert.All(cut.Top.Layers, l => Assert.Contains(l.Weights, w => w != 0f));
        cut.Top.Validate();
    }

    [Fact]
    public void Export_FineTunedTopWithTestTimeFlip_OnnxRuntimeScoresEqualTheConsolesComputation()
    {
        var model = Path.Combine(_work, "backbone.onnx");
        File.Copy(Mirror(), model);
        var (cutModel, cut) = BackboneCut.Prepare(model, "627", 7);
        var random = new Random(20261202);
        // A "fine-tuned" top: the pretrained one moved, so the export must carry these weights, not the backbone's own.
        var top = cut.Top with
        {
            Layers = [.. cut.Top.Layers.Select(l => l with
            {
                Weights = [.. l.Weights.Select(w => w * (float)(1 + 0.2 * (random.NextDouble() - 0.5)))],
                Bias = [.. l.Bias.Select(b => b + (float)(0.1 * (random.NextDouble() - 0.5)))],
            })],
        };
        var head = RandomHead(random, top.Outputs, hidden: 16, classes: 3);
        var labels = new[] { "a", "b", "c" };
        var views = new[] { ImageView.Parse(ModelTypePreset.CentreCrop), ImageView.Parse(ModelTypePreset.CentreCrop + "-flip") };
        var exportHead = ClassifierModelExporter.ToExportHead(head, labels, views) with { Top = top, CutValue = cut.CutValue };

        using var session = TestOrt.Runtime().CreateSession(ClassifierOnnxExporter.Export(ClassifierBackbone.MobileNetV2Int8(model), exportHead));
        var codec = new VipsImageCodec();
        using var embedding = TestOrt.Embedding();
        var extractor = new FeatureExtractor(codec, embedding);
        var info = ZooCatalog.Entries.Single(e => e.Info.Id == ZooCatalog.MobileNetV2Int8).Info;
        var backbone = new ReadyBackbone(info, cutModel);
        var files = new[] { "ants", "bees" }.SelectMany(l => Directory.GetFiles(Path.Combine(SharedData.Hymenoptera, "val", l), "*.jpg").Order(StringComparer.Ordinal).Take(3)).ToArray();

        double worst = 0, pretrainedGap = 0, torchGap = 0;
        foreach (var file in files)
        {
            var bytes = File.ReadAllBytes(file);
            var rendered = extractor.Render(bytes, backbone, views);
            var activations = embedding.EmbedQuantized(info, cutModel, cut.CutValue, rendered);
            var pooled = activations.Select(a => top.Pool(a)).ToArray();
            var torch = TopBlockTrainer.Pool(top, activations);
            torchGap = Math.Max(torchGap, pooled.Zip(torch).Max(p => p.First.Zip(p.Second, (a, b) => Math.Abs(a - b) / Math.Max(1, Math.Abs(a))).Max()));
            var console = MeanScores(head, pooled);
            var withPretrained = MeanScores(head, [.. activations.Select(a => cut.Top.Pool(a))]);
            var onnx = Scores(session, rendered[0]);
            worst = Math.Max(worst, console.Zip(onnx, (a, b) => Math.Abs(a - b)).Max());
            pretrainedGap = Math.Max(pretrainedGap, withPretrained.Zip(onnx, (a, b) => Math.Abs(a - b)).Max());
        }
        output.WriteLine($"{files.Length} photos: max |onnx - console| {worst:E2}; with the pretrained top instead {pretrainedGap:E2}; libtorch pooling vs C# max relative diff {torchGap:E2}");
        Assert.True(worst <= 1e-5, $"model.onnx differs from the console's scores by {worst}");
        Assert.True(torchGap <= 1e-4, $"libtorch's pooled features differ from the C# reference by {torchGap}");
        Assert.True(pretrainedGap > 1e-3, $"The pretrained top scores within {pretrainedGap} of the export: the test would not see a missing fine-tuned top.");
        Assert.DoesNotContain(OnnxModelBuilder.Load(ClassifierOnnxExporter.Export(ClassifierBackbone.MobileNetV2Int8(model), exportHead)).Graph.Node,
            n => n.Name is ClassifierOnnxExporter.BackbonePrefix + "Conv_95_quant" or ClassifierOnnxExporter.BackbonePrefix + "Conv_90_quant");
    }

    private static string Mirror() => Path.Combine(SharedData.Zoo, "mobilenetv2-12-int8", "mobilenetv2-12-int8.onnx");

    private static TrainedHead RandomHead(Random random, int dimension, int hidden, int classes)
    {
        float[] Values(int count, double scale, double offset = 0) => [.. Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2 - 1) * scale + offset))];
        return new TrainedHead(HeadKind.Mlp, HeadOutput.Softmax, dimension, classes, Values(dimension, 0.3, 0.5), Values(dimension, 0.2, 0.6),
            [new DenseLayer(dimension, hidden, Values(hidden * dimension, 0.05), Values(hidden, 0.1), Relu: true),
             new DenseLayer(hidden, classes, Values(classes * hidden, 0.5), Values(classes, 0.1), Relu: false)]);
    }

    private static float[] Scores(InferenceSession session, RgbImage image)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(image.Pixels, [1, Side, Side, 3]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [ClassifierOnnxExporter.InputName], [input], [ClassifierOnnxExporter.OutputName]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>The mean of the head's scores over an image's views (test-time flip), computed in C# as the reference.</summary>
    private static float[] MeanScores(TrainedHead head, IReadOnlyList<float[]> views)
    {
        var sum = new float[head.ClassCount];
        foreach (var view in views)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(sum, head.Predict(view), sum);
        }
        System.Numerics.Tensors.TensorPrimitives.Divide(sum, views.Count, sum);
        return sum;
    }
}
