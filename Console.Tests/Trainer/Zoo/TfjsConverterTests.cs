using System.Text;
using System.Text.Json.Nodes;
using VisionConsole.Trainer.Zoo;
using Xunit.Abstractions;

namespace VisionConsole.Tests.Trainer.Zoo;

/// <summary>
/// A small TF.js graph model written here (random weights: uint8-quantized, float16-quantized, float32)
/// that uses the ops the real backbones do not: Pad, stride-2 SAME Conv2D, standalone FusedBatchNormV3
/// and BiasAdd, MaxPool, AvgPool, ResizeNearestNeighbor, VALID depthwise with multiplier 2, Mean, Sub,
/// RealDiv. Converted, then checked against @tensorflow/tfjs running the same model.json.
/// </summary>
public sealed class TfjsConverterTests(ITestOutputHelper output) : IDisposable
{
    private readonly string work = Directory.CreateTempSubdirectory("vc-tfjs-").FullName;

    public void Dispose() => Directory.Delete(work, recursive: true);

    [Fact]
    public async Task Convert_GraphModelWithQuantizedWeightsAndPoolingOps_MatchesTfjs()
    {
        var modelJson = WriteSyntheticGraphModel(work);
        Assert.Equal(TfjsModelFormat.GraphModel, TfjsConverter.DetectFormat(modelJson));
        var onnx = Path.Combine(work, "model.onnx");
        File.WriteAllBytes(onnx, TfjsConverter.Convert(modelJson, [new("out", "out"), new("resized", "resized"), new("resized", "pooled", Pooled: true)]));

        var random = new Random(7);
        var inputs = new JsonArray();
        for (var i = 0; i < 3; i++)
        {
            var file = Path.Combine(work, $"x{i}.f32");
            TestImages.WriteF32(file, Enumerable.Range(0, 9 * 9 * 3).Select(_ => (float)(random.NextDouble() * 255)).ToArray());
            inputs.Add(new JsonObject { ["file"] = file, ["dims"] = new JsonArray(1, 9, 9, 3) });
        }
        var request = new JsonObject
        {
            ["onnx"] = onnx,
            ["onnxInput"] = "x",
            ["inputs"] = inputs,
            ["tfjs"] = new JsonObject { ["format"] = "graph", ["modelJson"] = modelJson },
            ["compare"] = new JsonArray(
                new JsonObject { ["actual"] = "out", ["ref"] = new JsonObject { ["from"] = "tf", ["name"] = "out" } },
                new JsonObject { ["actual"] = "resized", ["ref"] = new JsonObject { ["from"] = "tf", ["name"] = "resized" } },
                new JsonObject { ["actual"] = "pooled", ["ref"] = new JsonObject { ["from"] = "tf", ["name"] = "resized", ["reduce"] = "meanHW_nhwc" } }),
        };
        var results = ParityResult.Parse(await NodeReference.RunAsync(request, work));

        Assert.Equal(3, results.Count);
        foreach (var r in results)
        {
            output.WriteLine(r.ToString());
            Assert.Equal(3, r.Batch);
            Assert.True(r.MaxRefAbs > 0);
            Assert.True(r.MaxAbsDiff <= 1e-3 * r.MaxRefAbs, r.ToString());
        }
        Assert.Equal([16], results.Single(r => r.Actual == "out").ActualDims);
        Assert.Equal([6, 6, 8], results.Single(r => r.Actual == "resized").ActualDims);
    }

    [Fact]
    public void Convert_UnsupportedOp_FailsNamingFileNodeAndOp()
    {
        var modelJson = WriteSyntheticGraphModel(work, extraOp: "Erf");
        var ex = Assert.Throws<InvalidDataException>(() => TfjsConverter.Convert(modelJson, [new("extra", "extra")]));
        Assert.Contains(modelJson, ex.Message, StringComparison.Ordinal);
        Assert.Contains("'extra'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'Erf'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Convert_NotATfjsModel_FailsNamingTheFile()
    {
        var path = Path.Combine(work, "model.json");
        File.WriteAllText(path, "{\"format\": \"something else\"}");
        var ex = Assert.Throws<InvalidDataException>(() => TfjsConverter.Convert(path, [new("a", "a")]));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CountOps_GraphModel_CountsEveryOpType()
    {
        var modelJson = WriteSyntheticGraphModel(work);
        var ops = TfjsConverter.CountOps(modelJson);
        Assert.Equal(1, ops["Placeholder"]);
        Assert.Equal(1, ops["FusedBatchNormV3"]);
        Assert.True(ops["Const"] >= 8);
    }

    private static string WriteSyntheticGraphModel(string folder, string? extraOp = null)
    {
        var random = new Random(42);
        float[] Floats(int n, double scale) => Enumerable.Range(0, n).Select(_ => (float)((random.NextDouble() * 2 - 1) * scale)).ToArray();
        var nodes = new JsonArray();
        var weights = new JsonArray();
        using var bin = new MemoryStream();
        static JsonNode S(string s) => new JsonObject { ["s"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(s)) };
        static JsonNode IntList(params int[] v) => new JsonObject { ["list"] = new JsonObject { ["i"] = new JsonArray(v.Select(i => (JsonNode)i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray()) } };
        static JsonNode F() => new JsonObject { ["type"] = "DT_FLOAT" };
        void Node(string name, string op, string[] inputs, JsonObject? attr = null)
            => nodes.Add(new JsonObject { ["name"] = name, ["op"] = op, ["input"] = new JsonArray(inputs.Select(i => (JsonNode)i).ToArray()), ["attr"] = attr ?? new JsonObject { ["T"] = F() } });
        void Const(string name, int[] shape, string dtype, Action<BinaryWriter> write, JsonObject? quantization = null)
        {
            nodes.Add(new JsonObject
            {
                ["name"] = name, ["op"] = "Const",
                ["attr"] = new JsonObject
                {
                    ["dtype"] = new JsonObject { ["type"] = dtype == "int32" ? "DT_INT32" : "DT_FLOAT" },
                    ["value"] = new JsonObject { ["tensor"] = new JsonObject { ["dtype"] = dtype == "int32" ? "DT_INT32" : "DT_FLOAT", ["tensorShape"] = new JsonObject { ["dim"] = new JsonArray(shape.Select(d => (JsonNode)new JsonObject { ["size"] = d.ToString(System.Globalization.CultureInfo.InvariantCulture) }).ToArray()) } } },
                },
            });
            var entry = new JsonObject { ["name"] = name, ["shape"] = new JsonArray(shape.Select(d => (JsonNode)d).ToArray()), ["dtype"] = dtype };
            if (quantization is not null) entry["quantization"] = quantization;
            weights.Add(entry);
            using var writer = new BinaryWriter(bin, Encoding.UTF8, leaveOpen: true);
            write(writer);
        }
        void Float32(string name, int[] shape, float[] values) => Const(name, shape, "float32", w => { foreach (var v in values) w.Write(v); });
        void Int32(string name, int[] shape, params int[] values) => Const(name, shape, "int32", w => { foreach (var v in values) w.Write(v); });

        nodes.Add(new JsonObject
        {
            ["name"] = "x", ["op"] = "Placeholder",
            ["attr"] = new JsonObject
            {
                ["dtype"] = F(),
                ["shape"] = new JsonObject { ["shape"] = new JsonObject { ["dim"] = new JsonArray(new JsonObject { ["size"] = "-1" }, new JsonObject { ["size"] = "9" }, new JsonObject { ["size"] = "9" }, new JsonObject { ["size"] = "3" }) } },
            },
        });
        Int32("paddings", [4, 2], 0, 0, 1, 2, 2, 1, 0, 0);
        Node("pad", "Pad", ["x", "paddings"]);
        // uint8 affine quantization: value = q * scale + min.
        const float scale = 0.02f / 255 * 2, min = -0.02f;
        Const("w", [3, 3, 3, 8], "float32", w => { for (var i = 0; i < 3 * 3 * 3 * 8; i++) w.Write((byte)random.Next(256)); },
            new JsonObject { ["dtype"] = "uint8", ["scale"] = scale, ["min"] = min });
        Node("conv", "Conv2D", ["pad", "w"], new JsonObject { ["T"] = F(), ["strides"] = IntList(1, 2, 2, 1), ["padding"] = S("SAME"), ["data_format"] = S("NHWC"), ["dilations"] = IntList(1, 1, 1, 1) });
        Float32("gamma", [8], Floats(8, 1).Select(v => v + 1.5f).ToArray());
        Float32("beta", [8], Floats(8, 1));
        Float32("mean", [8], Floats(8, 1));
        Float32("var", [8], Floats(8, 1).Select(v => v + 1.2f).ToArray());
        Node("bn", "FusedBatchNormV3", ["conv", "gamma", "beta", "mean", "var"], new JsonObject { ["T"] = F(), ["U"] = F(), ["epsilon"] = new JsonObject { ["f"] = 0.001 }, ["data_format"] = S("NHWC"), ["is_training"] = new JsonObject { ["b"] = false } });
        Float32("b", [8], Floats(8, 0.5));
        Node("biased", "BiasAdd", ["bn", "b"], new JsonObject { ["T"] = F(), ["data_format"] = S("NHWC") });
        Node("relu6", "Relu6", ["biased"]);
        Node("maxpool", "MaxPool", ["relu6"], new JsonObject { ["T"] = F(), ["ksize"] = IntList(1, 3, 3, 1), ["strides"] = IntList(1, 2, 2, 1), ["padding"] = S("SAME"), ["data_format"] = S("NHWC") });
        Node("avgpool", "AvgPool", ["relu6"], new JsonObject { ["T"] = F(), ["ksize"] = IntList(1, 3, 3, 1), ["strides"] = IntList(1, 2, 2, 1), ["padding"] = S("SAME"), ["data_format"] = S("NHWC") });
        Node("sum", "AddV2", ["maxpool", "avgpool"]);
        Int32("size", [2], 6, 6);
        Node("resized", "ResizeNearestNeighbor", ["sum", "size"], new JsonObject { ["T"] = F(), ["align_corners"] = new JsonObject { ["b"] = false }, ["half_pixel_centers"] = new JsonObject { ["b"] = false } });
        // float16-quantized depthwise filter, multiplier 2.
        Const("dw_w", [3, 3, 8, 2], "float32", w => { foreach (var v in Floats(3 * 3 * 8 * 2, 0.5)) w.Write((Half)v); }, new JsonObject { ["dtype"] = "float16" });
        Node("dw", "DepthwiseConv2dNative", ["resized", "dw_w"], new JsonObject { ["T"] = F(), ["strides"] = IntList(1, 1, 1, 1), ["padding"] = S("VALID"), ["data_format"] = S("NHWC"), ["dilations"] = IntList(1, 1, 1, 1) });
        Node("sig", "Sigmoid", ["dw"]);
        Int32("axes", [2], 1, 2);
        Node("avg", "Mean", ["sig", "axes"], new JsonObject { ["T"] = F(), ["Tidx"] = new JsonObject { ["type"] = "DT_INT32" }, ["keep_dims"] = new JsonObject { ["b"] = false } });
        Float32("offset", [16], Floats(16, 0.3));
        Node("centred", "Sub", ["avg", "offset"]);
        Float32("two", [], [2f]);
        Node("out", "RealDiv", ["centred", "two"]);
        if (extraOp is not null) Node("extra", extraOp, ["out"]);

        var model = new JsonObject
        {
            ["format"] = "graph-model",
            ["generatedBy"] = "VisionConsole.Tests",
            ["convertedBy"] = "hand-written test graph",
            ["modelTopology"] = new JsonObject { ["node"] = nodes, ["library"] = new JsonObject(), ["versions"] = new JsonObject() },
            ["weightsManifest"] = new JsonArray(new JsonObject { ["paths"] = new JsonArray("group1-shard1of1.bin"), ["weights"] = weights }),
        };
        File.WriteAllBytes(Path.Combine(folder, "group1-shard1of1.bin"), bin.ToArray());
        var path = Path.Combine(folder, "model.json");
        File.WriteAllText(path, model.ToJsonString());
        return path;
    }
}
