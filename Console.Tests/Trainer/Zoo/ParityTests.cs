using System.Text.Json.Nodes;
using VisionConsole.Trainer.Zoo;
using Xunit.Abstractions;

namespace VisionConsole.Tests.Trainer.Zoo;

/// <summary>
/// Converted backbones against the original TF.js models run by @tensorflow/tfjs in node, on real photos
/// (hymenoptera and raccoon), on every exposed output: max |diff| &lt;= 1e-3 x max |reference|.
/// </summary>
[Collection(nameof(ZooCollection))]
public sealed class ParityTests(ZooFixture fixture, ITestOutputHelper output)
{
    private const double Tolerance = 1e-3;

    [Fact]
    public async Task CenterNet_ConvertedFromNpmPackage_MatchesTfjsOnEveryOutput()
    {
        var info = fixture.Info(ZooCatalog.CenterNetMobileNetV3);
        var model = await fixture.Zoo.GetModelPathAsync(info.Id);
        var request = new JsonObject
        {
            ["onnx"] = model,
            ["onnxInput"] = info.InputName,
            ["inputs"] = fixture.WriteInputs(info),
            // The reference is the package's own model.json and weights, as extracted from the verified tarball.
            ["tfjs"] = new JsonObject { ["format"] = "graph", ["modelJson"] = Path.Combine(Path.GetDirectoryName(model)!, "source", "centernet.json") },
            ["compare"] = new JsonArray(
                Compare("tower_0/CenternetHead/mul", "tower_0/CenternetHead/mul"),
                Compare("tower_0/keypoints", "tower_0/keypoints"),
                Compare("tower_0/wh", "tower_0/wh"),
                Compare("features", "tower_0/extern1/hard_swish/mul_1", "meanHW_nhwc")),
        };
        var results = await RunAsync(request);

        Assert.Equal(4, results.Count);
        Assert.Equal([128, 128, 80], results.Single(r => r.Actual == "tower_0/keypoints").ActualDims);
        Assert.Equal([128, 128, 4], results.Single(r => r.Actual == "tower_0/wh").ActualDims);
        Assert.Equal([info.FeatureDimension], results.Single(r => r.Actual == "features").ActualDims);
        AssertClose(results);
    }

    [Fact]
    public async Task MobileNetV1Layers_ConvertedFromMirror_MatchesTfjsOnFeaturesAndProbabilities()
    {
        var info = fixture.Info(ZooCatalog.MobileNetV1Tfjs);
        var model = await fixture.Zoo.GetModelPathAsync(info.Id);
        var request = new JsonObject
        {
            ["onnx"] = model,
            ["onnxInput"] = info.InputName,
            ["inputs"] = fixture.WriteInputs(info),
            ["tfjs"] = new JsonObject { ["format"] = "layers", ["modelJson"] = Path.Combine(ZooFixture.Mirror, "mobilenet_v1_0.75_224", "model.json") },
            ["compare"] = new JsonArray(
                Compare("features", "global_average_pooling2d_1"),
                Compare("probabilities", "reshape_2")),
        };
        var results = await RunAsync(request);

        Assert.Equal([768], results.Single(r => r.Actual == "features").ActualDims);
        Assert.Equal([1000], results.Single(r => r.Actual == "probabilities").ActualDims);
        AssertClose(results);
    }

    private static JsonObject Compare(string actual, string tfName, string? reduce = null)
    {
        var reference = new JsonObject { ["from"] = "tf", ["name"] = tfName };
        if (reduce is not null) reference["reduce"] = reduce;
        return new JsonObject { ["actual"] = actual, ["ref"] = reference };
    }

    private async Task<IReadOnlyList<ParityResult>> RunAsync(JsonObject request)
    {
        var graph = VisionConsole.Trainer.Onnx.OnnxModelBuilder.Load((string)request["onnx"]!).Graph;
        output.WriteLine("ONNX ops: " + string.Join(", ", graph.Node.GroupBy(n => n.OpType).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}")));
        var report = await NodeReference.RunAsync(request, fixture.Work);
        output.WriteLine($"tfjs backend: {report.GetProperty("backend")}, images: {report.GetProperty("images")}");
        var results = ParityResult.Parse(report);
        foreach (var r in results) output.WriteLine(r.ToString());
        return results;
    }

    private static void AssertClose(IReadOnlyList<ParityResult> results)
    {
        foreach (var r in results)
        {
            Assert.Equal(TestImages.ParityImages.Length, r.Batch);
            Assert.Equal(r.RefDims.Aggregate(1, (a, d) => a * d), r.ActualDims.Aggregate(1, (a, d) => a * d));
            Assert.True(r.MaxRefAbs > 0, $"{r.Ref}: the reference is all zeros, the comparison would prove nothing.");
            Assert.True(r.MaxAbsDiff <= Tolerance * r.MaxRefAbs, r.ToString());
        }
    }
}
