using Google.FlatBuffers;

namespace VisionConsole.Trainer.Export.Tflite;

/// <summary>TFLite's <c>Padding</c>.</summary>
public enum TflitePadding : byte
{
    /// <summary>SAME: output = ceil(input / stride), the extra padding at the end.</summary>
    Same = 0,
    /// <summary>VALID: no padding.</summary>
    Valid = 1,
}

/// <summary>TFLite's <c>ActivationFunctionType</c> fused into an op.</summary>
public enum TfliteActivation : byte
{
    /// <summary>None.</summary>
    None = 0,
    /// <summary>max(0, x).</summary>
    Relu = 1,
    /// <summary>min(max(0, x), 6).</summary>
    Relu6 = 3,
}

/// <summary>
/// The builtin options tables the exporters use, written field by field in the slot order of TFLite's <c>schema.fbs</c>
/// (the union type is the table's 1-based position in <c>BuiltinOptions</c>). Written by hand because no package ships
/// C# for TFLite's schema (DESIGN.md, "TFLite").
/// </summary>
public static class TfliteOptionTables
{
    /// <summary>Conv2DOptions: padding, stride_w, stride_h, fused_activation_function, dilation_w_factor, dilation_h_factor.</summary>
    public static TfliteOptions Conv2D(TflitePadding padding, int strideW, int strideH, TfliteActivation activation = TfliteActivation.None, int dilationW = 1, int dilationH = 1)
        => new(1, b =>
        {
            b.StartTable(6);
            b.AddInt(5, dilationH, 1);
            b.AddInt(4, dilationW, 1);
            b.AddInt(2, strideH, 0);
            b.AddInt(1, strideW, 0);
            b.AddByte(3, (byte)activation, 0);
            b.AddByte(0, (byte)padding, 0);
            return b.EndTable();
        });

    /// <summary>DepthwiseConv2DOptions: padding, stride_w, stride_h, depth_multiplier, fused_activation_function, dilations.</summary>
    public static TfliteOptions DepthwiseConv2D(TflitePadding padding, int strideW, int strideH, int depthMultiplier = 1, TfliteActivation activation = TfliteActivation.None, int dilationW = 1, int dilationH = 1)
        => new(2, b =>
        {
            b.StartTable(7);
            b.AddInt(6, dilationH, 1);
            b.AddInt(5, dilationW, 1);
            b.AddInt(3, depthMultiplier, 0);
            b.AddInt(2, strideH, 0);
            b.AddInt(1, strideW, 0);
            b.AddByte(4, (byte)activation, 0);
            b.AddByte(0, (byte)padding, 0);
            return b.EndTable();
        });

    /// <summary>FullyConnectedOptions: fused_activation_function (default weights format, 2-D output).</summary>
    public static TfliteOptions FullyConnected(TfliteActivation activation = TfliteActivation.None) => Activation(8, activation);

    /// <summary>SoftmaxOptions: beta.</summary>
    public static TfliteOptions Softmax(float beta = 1f)
        => new(9, b =>
        {
            b.StartTable(1);
            b.AddFloat(0, beta, 0);
            return b.EndTable();
        });

    /// <summary>ConcatenationOptions: axis, fused_activation_function.</summary>
    public static TfliteOptions Concatenation(int axis)
        => new(10, b =>
        {
            b.StartTable(2);
            b.AddInt(0, axis, 0);
            return b.EndTable();
        });

    /// <summary>AddOptions: fused_activation_function.</summary>
    public static TfliteOptions Add(TfliteActivation activation = TfliteActivation.None) => Activation(11, activation);

    /// <summary>ReshapeOptions: new_shape (the shape is also the op's second input).</summary>
    public static TfliteOptions Reshape(int[] newShape)
        => new(17, b =>
        {
            b.StartVector(4, newShape.Length, 4);
            b.Add(newShape);
            var shape = b.EndVector();
            b.StartTable(1);
            b.AddOffset(0, shape.Value, 0);
            return b.EndTable();
        });

    /// <summary>MulOptions: fused_activation_function.</summary>
    public static TfliteOptions Mul(TfliteActivation activation = TfliteActivation.None) => Activation(21, activation);

    /// <summary>PadOptions (empty).</summary>
    public static TfliteOptions Pad() => Empty(22);

    /// <summary>ReducerOptions: keep_dims.</summary>
    public static TfliteOptions Reducer(bool keepDims)
        => new(27, b =>
        {
            b.StartTable(1);
            b.AddBool(0, keepDims, false);
            return b.EndTable();
        });

    /// <summary>DequantizeOptions (empty).</summary>
    public static TfliteOptions Dequantize() => Empty(38);

    /// <summary>MaximumMinimumOptions (empty).</summary>
    public static TfliteOptions MaximumMinimum() => Empty(39);

    /// <summary>ReverseV2Options (empty).</summary>
    public static TfliteOptions ReverseV2() => Empty(81);

    /// <summary>QuantizeOptions (empty).</summary>
    public static TfliteOptions Quantize() => Empty(89);

    /// <summary>Pool2DOptions: padding, stride_w, stride_h, filter_width, filter_height, fused_activation_function.</summary>
    public static TfliteOptions Pool2D(TflitePadding padding, int stride, int filter)
        => new(5, b =>
        {
            b.StartTable(6);
            b.AddInt(1, stride, 0);
            b.AddInt(2, stride, 0);
            b.AddInt(3, filter, 0);
            b.AddInt(4, filter, 0);
            b.AddByte(0, (byte)padding, 0);
            return b.EndTable();
        });

    /// <summary>ResizeBilinearOptions: new_height and new_width (deprecated, unset), align_corners, half_pixel_centers.</summary>
    public static TfliteOptions ResizeBilinear(bool alignCorners, bool halfPixelCenters)
        => new(15, b =>
        {
            b.StartTable(4);
            b.AddBool(2, alignCorners, false);
            b.AddBool(3, halfPixelCenters, false);
            return b.EndTable();
        });

    /// <summary>GatherOptions: axis, batch_dims.</summary>
    public static TfliteOptions Gather(int axis)
        => new(23, b =>
        {
            b.StartTable(2);
            b.AddInt(0, axis, 0);
            return b.EndTable();
        });

    /// <summary>SubOptions: fused_activation_function.</summary>
    public static TfliteOptions Sub() => Activation(28, TfliteActivation.None);

    /// <summary>TopKV2Options (empty).</summary>
    public static TfliteOptions TopKV2() => Empty(34);

    /// <summary>SplitOptions: num_splits.</summary>
    public static TfliteOptions Split(int count)
        => new(35, b =>
        {
            b.StartTable(1);
            b.AddInt(0, count, 0);
            return b.EndTable();
        });

    /// <summary>CastOptions: in_data_type, out_data_type.</summary>
    public static TfliteOptions Cast(TfliteType from, TfliteType to)
        => new(37, b =>
        {
            b.StartTable(2);
            b.AddSbyte(0, (sbyte)from, 0);
            b.AddSbyte(1, (sbyte)to, 0);
            return b.EndTable();
        });

    /// <summary>SliceOptions (empty).</summary>
    public static TfliteOptions Slice() => Empty(48);

    /// <summary>EqualOptions (empty).</summary>
    public static TfliteOptions Equal() => Empty(53);

    /// <summary>FloorDivOptions (empty).</summary>
    public static TfliteOptions FloorDiv() => Empty(65);

    /// <summary>FloorModOptions (empty).</summary>
    public static TfliteOptions FloorMod() => Empty(72);

    /// <summary>NonMaxSuppressionV5Options (empty).</summary>
    public static TfliteOptions NonMaxSuppressionV5() => Empty(96);

    private static TfliteOptions Activation(byte unionType, TfliteActivation activation)
        => new(unionType, b =>
        {
            b.StartTable(1);
            b.AddByte(0, (byte)activation, 0);
            return b.EndTable();
        });

    private static TfliteOptions Empty(byte unionType)
        => new(unionType, b =>
        {
            b.StartTable(0);
            return b.EndTable();
        });
}
