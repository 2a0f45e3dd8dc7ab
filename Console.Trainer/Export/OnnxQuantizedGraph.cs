using System.Runtime.InteropServices;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace VisionConsole.Trainer.Export;

/// <summary>
/// Read access to a quantized ONNX graph's constants for the converters (<see cref="ClassifierTfjsConverter"/>,
/// <see cref="Tflite.ClassifierTfliteConverter"/>): initializers by node input, quantization parameters, node attributes,
/// and the nodes a value depends on. Every error names the file and the node.
/// </summary>
internal class OnnxQuantizedGraph(string path, GraphProto graph)
{
    private readonly Dictionary<string, TensorProto> initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);

    /// <summary>The ONNX file, for messages.</summary>
    public string Path { get; } = path;

    /// <summary>The graph.</summary>
    public GraphProto Graph { get; } = graph;

    /// <summary>The constant a node reads at <paramref name="inputIndex"/>.</summary>
    /// <exception cref="NotSupportedException">That input is not an initializer.</exception>
    public TensorProto Initializer(NodeProto node, int inputIndex)
    {
        if (node.Input.Count <= inputIndex || !initializers.TryGetValue(node.Input[inputIndex], out var t))
        {
            throw new NotSupportedException($"{Path}: node '{node.Name}' ({node.OpType}) input {inputIndex} must be an initializer (a constant).");
        }
        return t;
    }

    /// <summary>The constant a node reads at <paramref name="inputIndex"/>, as doubles.</summary>
    public double[] Numbers(NodeProto node, int inputIndex) => ReadNumbers(Initializer(node, inputIndex), Path);

    /// <summary>A per-tensor quantization a node reads or writes: its scale, zero point, and whether the zero point is int8 (else uint8).</summary>
    /// <exception cref="NotSupportedException">The quantization is per channel.</exception>
    public (float Scale, long ZeroPoint, bool Int8) QuantizationOf(NodeProto node, int scaleIndex, int zeroPointIndex)
    {
        var scaleTensor = Initializer(node, scaleIndex);
        var scale = ReadNumbers(scaleTensor, Path);
        var zeroTensor = Initializer(node, zeroPointIndex);
        var zero = ReadNumbers(zeroTensor, Path);
        if (scale.Length != 1 || zero.Length != 1)
        {
            throw new NotSupportedException($"{Path}: node '{node.Name}' ({node.OpType}): per-channel activation quantization ('{scaleTensor.Name}') is not supported.");
        }
        return ((float)scale[0], (long)zero[0], (DataType)zeroTensor.DataType == DataType.Int8);
    }

    /// <summary>The nodes <paramref name="output"/> depends on, in graph order.</summary>
    public IEnumerable<NodeProto> NodesNeededFor(string output)
    {
        var needed = new HashSet<string>(StringComparer.Ordinal) { output };
        var keep = new bool[Graph.Node.Count];
        for (var i = Graph.Node.Count - 1; i >= 0; i--)
        {
            if (!Graph.Node[i].Output.Any(needed.Contains)) continue;
            keep[i] = true;
            needed.UnionWith(Graph.Node[i].Input.Where(s => s.Length > 0));
        }
        return Graph.Node.Where((_, i) => keep[i]);
    }

    /// <summary>An int attribute, or <paramref name="fallback"/>.</summary>
    public static long Attribute(NodeProto node, string name, long fallback)
        => node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.I : fallback;

    /// <summary>An ints attribute, or <paramref name="fallback"/>.</summary>
    public static long[] Ints(NodeProto node, string name, long[] fallback)
        => node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? [.. a.Ints] : fallback;

    /// <summary>Reads a float, int8, uint8 or int32 tensor as doubles (raw data or the typed field).</summary>
    public static double[] ReadNumbers(TensorProto t, string path)
    {
        var raw = t.RawData.Span;
        switch ((DataType)t.DataType)
        {
            case DataType.Float:
                return raw.Length > 0 ? [.. MemoryMarshal.Cast<byte, float>(raw).ToArray().Select(v => (double)v)] : [.. t.FloatData.Select(v => (double)v)];
            case DataType.Int8:
                return raw.Length > 0 ? [.. MemoryMarshal.Cast<byte, sbyte>(raw).ToArray().Select(v => (double)v)] : [.. t.Int32Data.Select(v => (double)v)];
            case DataType.Uint8:
                return raw.Length > 0 ? [.. raw.ToArray().Select(v => (double)v)] : [.. t.Int32Data.Select(v => (double)v)];
            case DataType.Int32:
                return raw.Length > 0 ? [.. MemoryMarshal.Cast<byte, int>(raw).ToArray().Select(v => (double)v)] : [.. t.Int32Data.Select(v => (double)v)];
            default:
                throw new NotSupportedException($"{path}: tensor '{t.Name}' is {(DataType)t.DataType}; expected FLOAT, INT8, UINT8 or INT32.");
        }
    }
}
