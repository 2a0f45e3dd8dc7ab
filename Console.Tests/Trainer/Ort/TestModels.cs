using Google.Protobuf;
using Onnx;

namespace VisionConsole.Tests.Trainer.Ort;

/// <summary>Small ONNX models written in the test with the generated protobuf classes.</summary>
internal static class TestModels
{
    /// <summary>Y = X * 2 + 1 over X float [N, 3] (N dynamic), as a Mul and an Add with scalar initializers.</summary>
    public static byte[] MulAdd()
    {
        var graph = new GraphProto { Name = "mul_add" };
        graph.Input.Add(TensorValue("X", TensorProto.Types.DataType.Float, "N", 3));
        graph.Output.Add(TensorValue("Y", TensorProto.Types.DataType.Float, "N", 3));
        graph.Initializer.Add(Scalar("two", 2f));
        graph.Initializer.Add(Scalar("one", 1f));
        graph.Node.Add(Node("Mul", ["X", "two"], ["doubled"]));
        graph.Node.Add(Node("Add", ["doubled", "one"], ["Y"]));
        return Model(graph);
    }

    /// <summary>F = Cast(A uint8 [N]) to float; S = B + B over B int64 [N].</summary>
    public static byte[] CastAndAddIntegers()
    {
        var graph = new GraphProto { Name = "integers" };
        graph.Input.Add(TensorValue("A", TensorProto.Types.DataType.Uint8, "N"));
        graph.Input.Add(TensorValue("B", TensorProto.Types.DataType.Int64, "N"));
        graph.Output.Add(TensorValue("F", TensorProto.Types.DataType.Float, "N"));
        graph.Output.Add(TensorValue("S", TensorProto.Types.DataType.Int64, "N"));
        var cast = Node("Cast", ["A"], ["F"]);
        cast.Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = (long)TensorProto.Types.DataType.Float });
        graph.Node.Add(cast);
        graph.Node.Add(Node("Add", ["B", "B"], ["S"]));
        return Model(graph);
    }

    /// <summary>
    /// An image "backbone" over input <c>image</c> float [N, ...<paramref name="imageDims"/>] (N dynamic unless
    /// <paramref name="fixedBatch"/>) whose output <c>features</c> is the image itself (<paramref name="keepDims"/> null)
    /// or its ReduceMean over <paramref name="axes"/>.
    /// </summary>
    public static byte[] ImageFeatures(long[] imageDims, long[]? axes = null, bool? keepDims = null, long? fixedBatch = null)
    {
        var graph = new GraphProto { Name = "features" };
        var input = TensorValue("image", TensorProto.Types.DataType.Float, "N", imageDims);
        if (fixedBatch is { } batch)
        {
            input.Type.TensorType.Shape.Dim[0] = new TensorShapeProto.Types.Dimension { DimValue = batch };
        }
        graph.Input.Add(input);
        graph.Output.Add(new ValueInfoProto
        {
            Name = "features",
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
        });
        if (axes is null)
        {
            graph.Node.Add(Node("Identity", ["image"], ["features"]));
        }
        else
        {
            var mean = Node("ReduceMean", ["image"], ["features"]);
            var axesAttribute = new AttributeProto { Name = "axes", Type = AttributeProto.Types.AttributeType.Ints };
            axesAttribute.Ints.AddRange(axes);
            mean.Attribute.Add(axesAttribute);
            mean.Attribute.Add(new AttributeProto { Name = "keepdims", Type = AttributeProto.Types.AttributeType.Int, I = keepDims == true ? 1 : 0 });
            graph.Node.Add(mean);
        }
        return Model(graph);
    }

    /// <summary>A copy of an ONNX file with extra graph outputs (intermediate values exposed, float).</summary>
    public static byte[] WithOutputs(string modelPath, params string[] names)
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(modelPath));
        foreach (var name in names)
        {
            model.Graph.Output.Add(new ValueInfoProto
            {
                Name = name,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
            });
        }
        return model.ToByteArray();
    }

    private static byte[] Model(GraphProto graph)
    {
        var model = new ModelProto { IrVersion = 8, ProducerName = "vision-console-tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = 13 });
        return model.ToByteArray();
    }

    private static NodeProto Node(string op, string[] inputs, string[] outputs)
    {
        var node = new NodeProto { OpType = op, Name = op + "_" + outputs[0] };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        return node;
    }

    private static TensorProto Scalar(string name, float value)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.FloatData.Add(value);
        return tensor;
    }

    private static ValueInfoProto TensorValue(string name, TensorProto.Types.DataType type, string batch, params long[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = batch });
        foreach (var dim in dims)
        {
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = dim });
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }
}
