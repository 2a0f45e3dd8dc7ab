using System.Text.Json.Nodes;
using Onnx;
using VisionConsole.Tests.Trainer.Zoo;
using VisionConsole.Trainer.Onnx;
using static VisionConsole.Trainer.Onnx.OnnxAttribute;

namespace VisionConsole.Tests.Trainer.Onnx;

public sealed class OnnxModelBuilderTests : IDisposable
{
    private readonly string work = Directory.CreateTempSubdirectory("vc-onnx-").FullName;

    public void Dispose() => Directory.Delete(work, recursive: true);

    [Fact]
    public async Task Save_SmallGraph_RunsInOnnxRuntimeWithExpectedValues()
    {
        var b = OnnxModelBuilder.Create("small", opset: 13);
        b.AddInput("x", TensorProto.Types.DataType.Float, null, 4);
        var w = b.AddInitializer("w", new float[] { 1, 2, 3, 4 }, 4);
        var shift = b.AddFloatConstant("shift", [0.5f]);
        var scaled = b.Op("Mul", "scaled", ["x", w]);
        var shifted = b.Op("Add", "shifted", [scaled, shift]);
        b.AddNode("Relu", [shifted], ["y"]);
        var sum = b.Op("ReduceSum", "sum", ["y", b.AddInt64Constant("axes", 1)], Int("keepdims", 0));
        b.AddNode("Identity", [sum], ["total"]);
        b.Op("Neg", "dead", ["x"]); // read by nothing
        b.AddOutput("y", TensorProto.Types.DataType.Float, null, 4);
        b.AddOutput("total", TensorProto.Types.DataType.Float, [null]);

        Assert.Equal(1, b.RemoveUnusedNodes());
        Assert.DoesNotContain(b.Graph.Node, n => n.OpType == "Neg");
        var path = Path.Combine(work, "small.onnx");
        b.Save(path);

        var x = Path.Combine(work, "x.f32");
        TestImages.WriteF32(x, [1, -1, 1, -1, 2, 2, 2, 2]);
        var request = new JsonObject
        {
            ["onnx"] = path,
            ["onnxInput"] = "x",
            ["inputs"] = new JsonArray(new JsonObject { ["file"] = x, ["dims"] = new JsonArray(2, 4) }),
            ["dump"] = new JsonArray("y", "total"),
        };
        // parity.mjs splits a batch file per input entry; one entry holding two rows is a batch of 2.
        var report = await NodeReference.RunAsync(request, work);
        var y = report.GetProperty("dumps").GetProperty("y").GetProperty("data").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        var total = report.GetProperty("dumps").GetProperty("total").GetProperty("data").EnumerateArray().Select(v => v.GetSingle()).ToArray();

        Assert.Equal([1.5f, 0f, 3.5f, 0f, 2.5f, 4.5f, 6.5f, 8.5f], y);
        Assert.Equal([5f, 22f], total);
    }

    [Fact]
    public void Create_OpsetOutsideSupportedRange_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => OnnxModelBuilder.Create("g", 12));
        Assert.Throws<ArgumentOutOfRangeException>(() => OnnxModelBuilder.Create("g", 18));
        Assert.Equal(17, OnnxModelBuilder.Create("g", 17).Opset);
    }

    [Fact]
    public void Load_NotAModel_ThrowsNamingTheFile()
    {
        var path = Path.Combine(work, "junk.onnx");
        File.WriteAllBytes(path, [0xff, 0xff, 0xff, 0x01, 0x02]);
        var ex = Assert.Throws<InvalidDataException>(() => OnnxModelBuilder.Load(path));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddInitializer_CountDoesNotMatchShape_Throws()
    {
        var b = OnnxModelBuilder.Create("g");
        Assert.Throws<ArgumentException>(() => b.AddInitializer("w", new float[] { 1, 2, 3 }, 2, 2));
    }

    [Fact]
    public void RemoveUnusedNodes_ExistingModelWithoutLogits_DropsTheClassifier()
    {
        var b = OnnxModelBuilder.Load(Path.Combine(ZooFixture.Mirror, "mobilenetv2-12-int8", "mobilenetv2-12-int8.onnx"));
        var before = b.Graph.Node.Count;
        b.AddOutput("627", TensorProto.Types.DataType.Float, null, 1280, 7, 7);
        Assert.True(b.RemoveOutput("output"));

        var removed = b.RemoveUnusedNodes();

        Assert.True(removed > 0);
        Assert.Equal(before - removed, b.Graph.Node.Count);
        Assert.NotNull(b.FindProducer("627"));
        Assert.Null(b.FindProducer("output"));
        Assert.All(b.Graph.Node.SelectMany(n => n.Input).Where(i => i.Length > 0),
            i => Assert.True(b.HasValue(i), $"dangling input {i}"));
    }
}
