using System.Runtime.InteropServices;

namespace VisionConsole.Trainer.Export.Tflite;

/// <summary>TFLite tensor element types (<c>TensorType</c> in TFLite's <c>schema.fbs</c>).</summary>
public enum TfliteType : sbyte
{
    /// <summary>float32.</summary>
    Float32 = 0,
    /// <summary>float16 (constants only here: weights a DEQUANTIZE widens).</summary>
    Float16 = 1,
    /// <summary>int32.</summary>
    Int32 = 2,
    /// <summary>uint8.</summary>
    UInt8 = 3,
    /// <summary>bool (comparison results).</summary>
    Bool = 6,
    /// <summary>int8.</summary>
    Int8 = 9,
}

/// <summary>The builtin operators the exporters emit (<c>BuiltinOperator</c> codes in <c>schema.fbs</c>).</summary>
public enum TfliteOp
{
    /// <summary>ADD.</summary>
    Add = 0,
    /// <summary>CONCATENATION.</summary>
    Concatenation = 2,
    /// <summary>CONV_2D.</summary>
    Conv2D = 3,
    /// <summary>DEPTHWISE_CONV_2D.</summary>
    DepthwiseConv2D = 4,
    /// <summary>DEQUANTIZE.</summary>
    Dequantize = 6,
    /// <summary>FULLY_CONNECTED.</summary>
    FullyConnected = 9,
    /// <summary>LOGISTIC.</summary>
    Logistic = 14,
    /// <summary>MAX_POOL_2D.</summary>
    MaxPool2D = 17,
    /// <summary>MUL.</summary>
    Mul = 18,
    /// <summary>RELU.</summary>
    Relu = 19,
    /// <summary>RELU6.</summary>
    Relu6 = 21,
    /// <summary>RESHAPE.</summary>
    Reshape = 22,
    /// <summary>RESIZE_BILINEAR.</summary>
    ResizeBilinear = 23,
    /// <summary>SOFTMAX.</summary>
    Softmax = 25,
    /// <summary>PAD.</summary>
    Pad = 34,
    /// <summary>GATHER.</summary>
    Gather = 36,
    /// <summary>MEAN.</summary>
    Mean = 40,
    /// <summary>SUB.</summary>
    Sub = 41,
    /// <summary>TOPK_V2.</summary>
    TopKV2 = 48,
    /// <summary>SPLIT.</summary>
    Split = 49,
    /// <summary>CAST.</summary>
    Cast = 53,
    /// <summary>MAXIMUM.</summary>
    Maximum = 55,
    /// <summary>MINIMUM.</summary>
    Minimum = 57,
    /// <summary>SLICE.</summary>
    Slice = 65,
    /// <summary>EQUAL.</summary>
    Equal = 71,
    /// <summary>FLOOR_DIV.</summary>
    FloorDiv = 90,
    /// <summary>FLOOR_MOD.</summary>
    FloorMod = 95,
    /// <summary>REVERSE_V2.</summary>
    ReverseV2 = 105,
    /// <summary>QUANTIZE.</summary>
    Quantize = 114,
    /// <summary>NON_MAX_SUPPRESSION_V5.</summary>
    NonMaxSuppressionV5 = 121,
}

/// <summary>
/// Affine quantization of a tensor: <c>real = Scale[i] · (q − ZeroPoint[i])</c>, one pair for the whole tensor or one per
/// index of <see cref="Dimension"/>.
/// </summary>
/// <param name="Scale">One scale, or one per channel.</param>
/// <param name="ZeroPoint">As many zero points as scales.</param>
/// <param name="Dimension">The axis the per-channel values run along (<c>quantized_dimension</c>).</param>
public sealed record TfliteQuantization(float[] Scale, long[] ZeroPoint, int Dimension = 0)
{
    /// <summary>Per-tensor quantization.</summary>
    public static TfliteQuantization PerTensor(float scale, long zeroPoint) => new([scale], [zeroPoint]);
}

/// <summary>A tensor of a <see cref="TfliteGraph"/>: a constant when <see cref="Data"/> is set, an activation otherwise.</summary>
/// <param name="Name">Its name (for debugging and for the runtimes' input and output lookups).</param>
/// <param name="Shape">Its shape (NHWC for images).</param>
/// <param name="Type">Its element type.</param>
/// <param name="Data">The little-endian bytes of a constant; null for an activation (no buffer is written for it).</param>
/// <param name="Quantization">Its quantization, for a quantized tensor.</param>
public sealed record TfliteTensor(string Name, int[] Shape, TfliteType Type, byte[]? Data, TfliteQuantization? Quantization);

/// <summary>A builtin operator's options table: the <c>BuiltinOptions</c> union type and the code that writes the table.</summary>
/// <param name="UnionType">The table's index in the <c>BuiltinOptions</c> union (1-based, as the schema numbers it).</param>
/// <param name="Write">Writes the table into the builder and returns its offset.</param>
public sealed record TfliteOptions(byte UnionType, Func<Google.FlatBuffers.FlatBufferBuilder, int> Write);

/// <summary>One operator: a builtin op at a version, its input and output tensor indices (-1: an omitted optional input).</summary>
/// <param name="Op">The builtin operator.</param>
/// <param name="Version">The operator version the runtime must implement (what TFLite's converter would record for these types).</param>
/// <param name="Inputs">Input tensor indices.</param>
/// <param name="Outputs">Output tensor indices.</param>
/// <param name="Options">The options table, when the op has one.</param>
public sealed record TfliteOperator(TfliteOp Op, int Version, int[] Inputs, int[] Outputs, TfliteOptions? Options);

/// <summary>
/// An in-memory TFLite model of one subgraph, built up in execution order and serialized by <see cref="TfliteModelWriter"/>.
/// Operators are appended in the order they run, which is the order TFLite executes them in.
/// </summary>
public sealed class TfliteGraph
{
    private readonly List<TfliteTensor> _tensors = [];
    private readonly List<TfliteOperator> _operators = [];

    /// <summary>All tensors; an operator refers to them by index.</summary>
    public IReadOnlyList<TfliteTensor> Tensors => _tensors;

    /// <summary>The operators in execution order.</summary>
    public IReadOnlyList<TfliteOperator> Operators => _operators;

    /// <summary>The subgraph's input tensor indices.</summary>
    public List<int> Inputs { get; } = [];

    /// <summary>The subgraph's output tensor indices.</summary>
    public List<int> Outputs { get; } = [];

    /// <summary>Adds a tensor and returns its index.</summary>
    public int Add(TfliteTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        _tensors.Add(tensor);
        return _tensors.Count - 1;
    }

    /// <summary>Adds an activation tensor (no data) and returns its index.</summary>
    public int Activation(string name, int[] shape, TfliteType type, TfliteQuantization? quantization = null)
        => Add(new TfliteTensor(name, shape, type, null, quantization));

    /// <summary>A float32 constant.</summary>
    public int Constant(string name, int[] shape, float[] values) => Add(new TfliteTensor(name, shape, TfliteType.Float32, Bytes(values), null));

    /// <summary>An int32 constant (axes, shapes, paddings, quantized biases).</summary>
    public int Constant(string name, int[] shape, int[] values, TfliteQuantization? quantization = null)
        => Add(new TfliteTensor(name, shape, TfliteType.Int32, Bytes(values), quantization));

    /// <summary>An int8 constant (quantized weights).</summary>
    public int Constant(string name, int[] shape, sbyte[] values, TfliteQuantization quantization)
        => Add(new TfliteTensor(name, shape, TfliteType.Int8, Bytes(values), quantization));

    /// <summary>Appends an operator writing <paramref name="output"/> (an activation added for it) and returns the output's index.</summary>
    public int Op(TfliteOp op, int version, int[] inputs, TfliteTensor output, TfliteOptions? options = null)
    {
        var index = Add(output);
        _operators.Add(new TfliteOperator(op, version, inputs, [index], options));
        return index;
    }

    /// <summary>Appends an operator with several outputs (already added).</summary>
    public void Op(TfliteOp op, int version, int[] inputs, int[] outputs, TfliteOptions? options = null)
        => _operators.Add(new TfliteOperator(op, version, inputs, outputs, options));

    private static byte[] Bytes<T>(T[] values) where T : unmanaged => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
}
