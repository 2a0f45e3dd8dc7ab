using System.Text.Json;
using VisionConsole.Trainer.Export;
using VisionConsole.Trainer.Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace VisionConsole.Tests.Trainer.Export;

public sealed class TfjsGraphModelWriterTests : IDisposable
{
    private readonly string work = Directory.CreateTempSubdirectory("vc-tfjs-writer-").FullName;

    public void Dispose() => Directory.Delete(work, recursive: true);

    [Fact]
    public void Write_WeightsOver4MB_CutsShardsAtTheLimitInManifestOrder()
    {
        var graph = new TfjsGraph();
        var input = graph.Placeholder("x", -1, 3);
        var big = Enumerable.Range(0, 1_500_000).Select(i => (float)i).ToArray(); // 6,000,000 bytes
        var small = new[] { -1f, -2f, -3f };
        var sum = graph.Op("sum", "AddV2", [input, graph.Const("small", small, 3)]);
        graph.Op("out", "Mul", [sum, graph.Const("big", big, 1_500_000)]);

        var files = TfjsGraphModelWriter.Write(Path.Combine(work, "m"), graph, "out", ["a"], "test");

        Assert.Equal(["model.json", "group1-shard1of2.bin", "group1-shard2of2.bin", "dict.txt"], files);
        var shard1 = File.ReadAllBytes(Path.Combine(work, "m", "group1-shard1of2.bin"));
        var shard2 = File.ReadAllBytes(Path.Combine(work, "m", "group1-shard2of2.bin"));
        Assert.Equal(4 * 1024 * 1024, shard1.Length);
        Assert.Equal(12 + 6_000_000 - 4 * 1024 * 1024, shard2.Length);
        var all = shard1.Concat(shard2).ToArray();
        Assert.Equal(-1f, BitConverter.ToSingle(all, 0));
        Assert.Equal(1_499_999f, BitConverter.ToSingle(all, all.Length - 4));

        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(work, "m", "model.json"))).RootElement;
        var weights = json.GetProperty("weightsManifest")[0].GetProperty("weights").EnumerateArray().Select(w => w.GetProperty("name").GetString()).ToList();
        Assert.Equal(["small", "big"], weights);
        var placeholder = json.GetProperty("modelTopology").GetProperty("node")[0];
        Assert.Equal("""{"type":"DT_FLOAT"}""", placeholder.GetProperty("attr").GetProperty("dtype").GetRawText());
        Assert.Equal("-1", placeholder.GetProperty("attr").GetProperty("shape").GetProperty("shape").GetProperty("dim")[0].GetProperty("size").GetString());
    }

    [Fact]
    public void Write_FolderAlreadyHoldsFiles_RefusesAndLeavesThem()
    {
        var folder = Path.Combine(work, "used");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "group1-shard1of9.bin"), "old");
        var graph = new TfjsGraph();
        graph.Op("out", "Relu", [graph.Placeholder("x", 1)]);

        var error = Assert.Throws<IOException>(() => TfjsGraphModelWriter.Write(folder, graph, "out", ["a"], "test"));

        Assert.Contains(folder, error.Message);
        Assert.Equal("old", File.ReadAllText(Path.Combine(folder, "group1-shard1of9.bin")));
    }

    [Fact]
    public void Write_TwoOutputsOneReadingASecondOutput_SignatureListsBothInOrder()
    {
        var graph = new TfjsGraph();
        var x = graph.Placeholder("x", 1, 8);
        graph.Op("top", "TopKV2", [x, graph.ConstInt32("k", [2])], new() { ["sorted"] = TfjsGraph.Bool(true) });
        graph.Op("scores", "Relu", ["top"]);
        graph.Op("indices", "Cast", ["top:1"], new() { ["SrcT"] = TfjsGraph.DType(TfjsDType.Int32), ["DstT"] = TfjsGraph.DType(TfjsDType.Float32) });

        TfjsGraphModelWriter.Write(Path.Combine(work, "two"), graph, ["scores", "indices"], ["a"], "test");

        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(work, "two", "model.json"))).RootElement;
        var outputs = json.GetProperty("signature").GetProperty("outputs").EnumerateObject().Select(o => (o.Name, o.Value.GetProperty("name").GetString())).ToList();
        Assert.Equal([("scores", "scores:0"), ("indices", "indices:0")], outputs);
        Assert.Throws<InvalidOperationException>(() => graph.Op("bad", "Relu", ["missing:1"]));
        Assert.Throws<ArgumentException>(() => TfjsGraphModelWriter.Write(Path.Combine(work, "none"), graph, ["scores", "nope"], ["a"], "test"));
    }

    [Fact]
    public void Manifest_DetailsNamingAStandardEntry_Throws()
    {
        using var manifest = JsonDocument.Parse(ModelPackageWriter.Manifest(PackageModelType.ObjectDetection, new Dictionary<string, object> { ["input"] = new { name = "image" } }));
        Assert.Equal("OBJECT_DETECTION", manifest.RootElement.GetProperty("modelType").GetString());
        Assert.Equal("image", manifest.RootElement.GetProperty("input").GetProperty("name").GetString());

        var error = Assert.Throws<ArgumentException>(() => ModelPackageWriter.Manifest(PackageModelType.ImageLabeling, new Dictionary<string, object> { ["modelType"] = "OTHER" }));
        Assert.Contains("modelType", error.Message);
    }

    [Fact]
    public void FormatLabels_LabelWithLineBreak_ThrowsNamingIt()
    {
        var error = Assert.Throws<ArgumentException>(() => TfjsGraphModelWriter.FormatLabels(["ok", "two\nlines"]));
        Assert.Contains("Label 1", error.Message);
    }

    [Fact]
    public void Op_InputNotDefinedYet_Throws()
    {
        var graph = new TfjsGraph();
        var error = Assert.Throws<InvalidOperationException>(() => graph.Op("y", "Relu", ["missing"]));
        Assert.Contains("missing", error.Message);
    }

    [Fact]
    public void Convert_BackboneWithUnsupportedOp_ThrowsNamingNodeAndOp()
    {
        var builder = OnnxModelBuilder.Create("tiny");
        builder.AddInput("input", DataType.Float, null, 3, 8, 8);
        builder.AddNode("Relu", ["input"], ["map"], "my_relu");
        builder.AddOutput("map", DataType.Float, null, 3, 8, 8);
        var path = Path.Combine(work, "tiny.onnx");
        builder.Save(path);
        var backbone = ClassifierBackbone.MobileNetV2Int8(path) with { FeatureMapName = "map", FeatureDimension = 3 };
        var head = new ClassifierHead(["a", "b"], new float[3], [1, 1, 1], new float[6], new float[2], HeadActivation.Softmax);

        var error = Assert.Throws<NotSupportedException>(() => ClassifierTfjsConverter.Convert(backbone, head));

        Assert.Contains("my_relu", error.Message);
        Assert.Contains("Relu", error.Message);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void Validate_DuplicateLabel_ThrowsNamingIt()
    {
        var head = new ClassifierHead(["a", "a"], new float[3], [1, 1, 1], new float[6], new float[2], HeadActivation.Softmax);
        var error = Assert.Throws<ArgumentException>(() => head.Validate(3));
        Assert.Contains("('a') appears twice", error.Message);
    }
}
