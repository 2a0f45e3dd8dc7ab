using Microsoft.ML.OnnxRuntime;
using Onnx;
using VisionConsole.Domain.Imaging;
using VisionConsole.Trainer.Detection;
using VisionConsole.Trainer.Onnx;
using VisionConsole.Trainer.Zoo;

namespace VisionConsole.Tests.Trainer.Detection;

/// <summary>
/// The decoding inside the exported <c>model.onnx</c> against <see cref="CenterNetDecoder"/> on the same head outputs: a small
/// stand-in backbone (4 x 4 average pooling of a 32 x 32 image, two channels, so the heads see an 8 x 8 grid) keeps the
/// test fast; the heads and decoding are the real exporter's.
/// </summary>
public sealed class DetectorOnnxExporterTests
{
    private const int Side = 32;
    private const int Grid = 8;
    private const int Channels = 2;
    private const int Classes = 2;

    private static readonly BackboneInfo StandIn = new("stand-in", "stand-in", "MIT", "test",
        new Preprocessing(Side, Side, FitMode.Stretch, TensorLayout.Nhwc, 1f, [0, 0, 0], [1, 1, 1]), "tower_0/images", "features", Channels);

    [Fact]
    public void Build_RandomHeads_DecodesAsCenterNetDecoderWithNmsDoes()
    {
        var folder = Directory.CreateTempSubdirectory("vc-detector-export-").FullName;
        try
        {
            var backbonePath = Path.Combine(folder, "backbone.onnx");
            WriteStandInBackbone(backbonePath);
            var random = new Random(5);
            float[] R(int n, double scale) => Enumerable.Range(0, n).Select(_ => (float)((random.NextDouble() * 2 - 1) * scale)).ToArray();
            // Small box weights keep every distance positive (the decoder drops boxes without area, the graph keeps them);
            // the biases make boxes of about 32 px, so peaks two cells (8 px) apart overlap and the NMS has work to do.
            var heads = new DetectorHeads(Channels, Classes, R(Channels * 9, 0.05), R(Classes * Channels, 0.1), R(Classes, 1),
                R(Channels * 9, 0.05), R(4 * Channels, 0.0005), [1.0f, 0.9f, 1.1f, 1.0f], 16, 4);
            var pixels = new byte[Side * Side * 3];
            random.NextBytes(pixels);

            var (boxes, classes, scores, count) = Run(DetectorOnnxExporter.Build(backbonePath, StandIn, heads, Grid), pixels);

            var expected = Reference(pixels, heads, DetectorOnnxExporter.NmsIouThreshold);
            var unsuppressed = Reference(pixels, heads, null).Count;
            Assert.True(unsuppressed > expected.Count, $"NMS kept all {unsuppressed} boxes; the test needs overlapping ones");
            Assert.Equal(DetectorOnnxExporter.MaxDetections * 4, boxes.Length);
            Assert.True(count > 0);
            Assert.Equal(expected.Count, count);
            for (var k = 0; k < count; k++)
            {
                Assert.Equal(expected.Classes[k], classes[k]);
                Assert.Equal(expected.Scores[k], scores[k], 5);
                for (var j = 0; j < 4; j++)
                    Assert.Equal(expected.Boxes[4 * k + j], boxes[4 * k + j], 4);
            }
            Assert.True(scores.Take(count).Zip(scores.Skip(1).Take(count - 1)).All(p => p.First >= p.Second));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Build_TestTimeFlip_DecodesTheImageAndItsMirrorAveragedOnOneGrid()
    {
        var folder = Directory.CreateTempSubdirectory("vc-detector-export-").FullName;
        try
        {
            var backbonePath = Path.Combine(folder, "backbone.onnx");
            WriteStandInBackbone(backbonePath);
            var random = new Random(11);
            float[] R(int n, double scale) => Enumerable.Range(0, n).Select(_ => (float)((random.NextDouble() * 2 - 1) * scale)).ToArray();
            // Unequal left and right biases, so a swap of the mirror's distances that went wrong would show.
            var heads = new DetectorHeads(Channels, Classes, R(Channels * 9, 0.05), R(Classes * Channels, 0.1), R(Classes, 1),
                R(Channels * 9, 0.05), R(4 * Channels, 0.0005), [0.5f, 0.9f, 1.3f, 1.0f], 16, 4);
            var pixels = new byte[Side * Side * 3];
            random.NextBytes(pixels);
            var mirrored = new byte[pixels.Length];
            for (var y = 0; y < Side; y++)
                for (var x = 0; x < Side; x++)
                    for (var c = 0; c < 3; c++)
                        mirrored[(y * Side + x) * 3 + c] = pixels[(y * Side + Side - 1 - x) * 3 + c];

            var (boxes, classes, scores, count) = Run(DetectorOnnxExporter.Build(backbonePath, StandIn, heads, Grid, testTimeFlip: true), pixels);

            // The reference: both images' maps computed here, the mirror's reversed and moved one column right (column 0 keeps
            // the image's own), its left and right distances swapped, the two averaged, then decoded as without the flip.
            var (heat, box) = Maps(pixels, heads);
            var (mirrorHeat, mirrorBox) = Maps(mirrored, heads);
            int[] swap = [2, 1, 0, 3];
            for (var y = 0; y < Grid; y++)
                for (var x = 1; x < Grid; x++)
                {
                    for (var k = 0; k < Classes; k++)
                        heat[(k * Grid + y) * Grid + x] = (heat[(k * Grid + y) * Grid + x] + mirrorHeat[(k * Grid + y) * Grid + Grid - x]) / 2;
                    for (var e = 0; e < 4; e++)
                        box[(e * Grid + y) * Grid + x] = (box[(e * Grid + y) * Grid + x] + mirrorBox[(swap[e] * Grid + y) * Grid + Grid - x]) / 2;
                }
            var expected = Decode(heat, box, DetectorOnnxExporter.NmsIouThreshold);
            var plain = Reference(pixels, heads, DetectorOnnxExporter.NmsIouThreshold);

            Assert.True(count > 2, $"{count} detections; the test needs several");
            Assert.Equal(expected.Count, count);
            for (var k = 0; k < count; k++)
            {
                Assert.Equal(expected.Classes[k], classes[k]);
                Assert.Equal(expected.Scores[k], scores[k], 5);
                for (var j = 0; j < 4; j++)
                    Assert.Equal(expected.Boxes[4 * k + j], boxes[4 * k + j], 4);
            }
            // The mirror changed the answer: the check above is not the plain model's.
            Assert.False(plain.Count == count && plain.Scores.Take(count).Zip(scores).All(p => Math.Abs(p.First - p.Second) < 1e-5));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Runs the model on one image: its boxes, classes, scores and count.</summary>
    private static (float[] Boxes, float[] Classes, float[] Scores, int Count) Run(byte[] model, byte[] pixels)
    {
        using var session = new InferenceSession(model);
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, [1, Side, Side, 3]);
        using var outputs = session.Run(new RunOptions(), [DetectorOnnxExporter.InputName], [input],
            [DetectorOnnxExporter.BoxesName, DetectorOnnxExporter.ClassesName, DetectorOnnxExporter.ScoresName, DetectorOnnxExporter.CountName]);
        return (outputs[0].GetTensorDataAsSpan<float>().ToArray(), outputs[1].GetTensorDataAsSpan<float>().ToArray(),
            outputs[2].GetTensorDataAsSpan<float>().ToArray(), (int)outputs[3].GetTensorDataAsSpan<float>()[0]);
    }

    /// <summary>The same heads computed here and decoded by <see cref="CenterNetDecoder"/> (distances turned into size and offset).</summary>
    private static DetectorOutput Reference(byte[] pixels, DetectorHeads heads, double? nms)
    {
        var (heat, box) = Maps(pixels, heads);
        return Decode(heat, box, nms);
    }

    /// <summary>The heatmap (after the sigmoid) and distances (in cells) of the stand-in backbone and the heads, channels first.</summary>
    private static (float[] Heat, float[] Box) Maps(byte[] pixels, DetectorHeads heads)
    {
        // Stand-in backbone: mean of each 4 x 4 block of channels 0 and 1 (R, G), channels first.
        var features = new float[Channels * Grid * Grid];
        for (var c = 0; c < Channels; c++)
            for (var y = 0; y < Grid; y++)
                for (var x = 0; x < Grid; x++)
                {
                    float sum = 0;
                    for (var dy = 0; dy < 4; dy++)
                        for (var dx = 0; dx < 4; dx++)
                            sum += pixels[((y * 4 + dy) * Side + x * 4 + dx) * 3 + c];
                    features[(c * Grid + y) * Grid + x] = sum / 16;
                }
        float[] Separable(float[] dw, float[] pw, float[] bias, int outputs)
        {
            var mid = new float[Channels * Grid * Grid];
            for (var c = 0; c < Channels; c++)
                for (var y = 0; y < Grid; y++)
                    for (var x = 0; x < Grid; x++)
                    {
                        float sum = 0;
                        for (var i = -1; i <= 1; i++)
                            for (var j = -1; j <= 1; j++)
                                if (y + i is >= 0 and < Grid && x + j is >= 0 and < Grid)
                                    sum += dw[c * 9 + (i + 1) * 3 + j + 1] * features[(c * Grid + y + i) * Grid + x + j];
                        mid[(c * Grid + y) * Grid + x] = sum;
                    }
            var result = new float[outputs * Grid * Grid];
            for (var o = 0; o < outputs; o++)
                for (var cell = 0; cell < Grid * Grid; cell++)
                {
                    var sum = bias[o];
                    for (var c = 0; c < Channels; c++)
                        sum += pw[o * Channels + c] * mid[c * Grid * Grid + cell];
                    result[o * Grid * Grid + cell] = sum;
                }
            return result;
        }
        var heat = Separable(heads.ClassDepthwise, heads.ClassPointwise, heads.ClassBias, Classes).Select(v => 1 / (1 + MathF.Exp(-v))).ToArray();
        var box = Separable(heads.BoxDepthwise, heads.BoxPointwise, heads.BoxBias, 4).Select(v => v * heads.BoxScale / heads.Stride).ToArray();
        return (heat, box);
    }

    private static DetectorOutput Decode(float[] heat, float[] box, double? nms)
    {
        var cells = Grid * Grid;
        var size = new float[2 * cells];
        var offset = new float[2 * cells];
        for (var cell = 0; cell < cells; cell++)
        {
            var (w, h, ox, oy) = CenterNetTargets.ToSizeAndOffset(box[cell], box[cells + cell], box[2 * cells + cell], box[3 * cells + cell]);
            (size[cell], size[cells + cell], offset[cell], offset[cells + cell]) = (w, h, ox, oy);
        }
        return CenterNetDecoder.Decode(heat, size, offset, Classes, Grid, Grid, new CenterNetDecoderOptions { ScoreThreshold = DetectorOnnxExporter.MinimumScore, NmsIouThreshold = nms });
    }

    private static void WriteStandInBackbone(string path)
    {
        var g = OnnxModelBuilder.Create("stand-in");
        g.AddInput("tower_0/images", TensorProto.Types.DataType.Float, 1, Side, Side, 3);
        var nchw = g.Op("Transpose", "nchw", ["tower_0/images"], OnnxAttribute.Ints("perm", 0, 3, 1, 2));
        var pooled = g.Op("AveragePool", "pooled", [nchw], OnnxAttribute.Ints("kernel_shape", 4, 4), OnnxAttribute.Ints("strides", 4, 4));
        var sliced = g.Op("Slice", "sliced", [pooled, g.AddInt64Constant("starts", 0), g.AddInt64Constant("ends", Channels), g.AddInt64Constant("axes", 1)]);
        g.AddNode("Transpose", [sliced], [DetectorOnnxExporter.FeatureValue], null, OnnxAttribute.Ints("perm", 0, 2, 3, 1));
        g.AddOutput(DetectorOnnxExporter.FeatureValue, TensorProto.Types.DataType.Float, 1, Grid, Grid, Channels);
        g.Save(path);
    }
}
