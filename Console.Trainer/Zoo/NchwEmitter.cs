using Onnx;
using VisionConsole.Trainer.Onnx;
using static VisionConsole.Trainer.Onnx.OnnxAttribute;

namespace VisionConsole.Trainer.Zoo;

/// <summary>
/// A tensor of the TF graph being converted. <see cref="Shape"/> is always in TF order (NHWC for images;
/// -1 = unknown, e.g. the dynamic batch). When <see cref="Nchw"/> is set, the ONNX tensor is the NCHW
/// permutation of that rank-4 NHWC tensor: convolutions run NCHW and layout changes only where needed.
/// </summary>
internal sealed class TfValue
{
    public string? OnnxName { get; init; }
    public required int[] Shape { get; init; }
    public bool Nchw { get; init; }
    public TfTensor? Const { get; init; }
    public int Rank => Shape.Length;
}

/// <summary>
/// Emits ONNX (opset 13) for TF operations with TF (NHWC) semantics, keeping images NCHW inside the
/// graph. Convolution weights stay in memory until <see cref="Finish"/> so a following bias or batch
/// norm folds into them.
/// </summary>
internal sealed class NchwEmitter(OnnxModelBuilder builder)
{
    private static readonly long[] ToNchw = [0, 3, 1, 2];
    private static readonly long[] ToNhwc = [0, 2, 3, 1];

    private sealed class ConvRecord
    {
        public required string WeightName { get; init; }
        public required string BiasName { get; init; }
        public required float[] Weights { get; init; }
        public required long[] WeightDims { get; init; }
        public required float[] Bias { get; init; }
    }

    private readonly Dictionary<string, ConvRecord> convByOutput = new(StringComparer.Ordinal);
    private readonly Dictionary<TfTensor, string> materialized = [];

    public OnnxModelBuilder Builder => builder;

    /// <summary>Adds the NHWC float image input (dynamic batch) and transposes it to NCHW.</summary>
    public TfValue ImageInput(string name, int height, int width, int channels)
    {
        builder.AddInput(name, TensorProto.Types.DataType.Float, null, height, width, channels);
        var nchw = builder.Op("Transpose", name + "_nchw", [name], Ints("perm", ToNchw));
        return new TfValue { OnnxName = nchw, Shape = [-1, height, width, channels], Nchw = true };
    }

    public static TfValue Constant(TfTensor tensor) => new() { Shape = tensor.Shape, Const = tensor };

    /// <summary>The ONNX name of <paramref name="v"/> in TF (NHWC) order.</summary>
    public string AsPlain(TfValue v)
    {
        if (v.Const is { } c) return Materialize(c);
        return v.Nchw ? builder.Op("Transpose", v.OnnxName! + "_nhwc", [v.OnnxName!], Ints("perm", ToNhwc)) : v.OnnxName!;
    }

    /// <summary>The ONNX name of rank-4 <paramref name="v"/> in NCHW order.</summary>
    public string AsNchw(TfValue v)
    {
        if (v.Rank != 4) throw new InvalidDataException($"Expected a rank-4 image tensor, got shape [{string.Join(",", v.Shape)}].");
        if (v.Nchw) return v.OnnxName!;
        if (v.Const is { } c)
        {
            var (data, dims) = TransposeNhwcToNchw(c.AsFloats(), c.Shape);
            return builder.AddFloatConstant(c.Name + "_nchw", data, dims);
        }
        return builder.Op("Transpose", v.OnnxName! + "_nchw", [v.OnnxName!], Ints("perm", ToNchw));
    }

    public string Materialize(TfTensor c)
    {
        if (materialized.TryGetValue(c, out var name)) return name;
        var dims = c.Shape.Select(d => (long)d).ToArray();
        name = c.Ints is { } ints
            ? builder.AddInitializer(builder.UniqueName(c.Name), ints, dims)
            : builder.AddInitializer(builder.UniqueName(c.Name), c.Floats!, dims);
        materialized[c] = name;
        return name;
    }

    private string MaterializeFloat(TfTensor c)
        => c.Floats is not null ? Materialize(c) : builder.AddFloatConstant(c.Name, c.AsFloats(), [.. c.Shape.Select(d => (long)d)]);

    /// <summary>
    /// A 2-D convolution with a TF filter (<c>[KH,KW,Cin,Cout]</c>, or <c>[KH,KW,Cin,M]</c> when
    /// <paramref name="depthwise"/>). <paramref name="padding"/> is SAME, VALID or EXPLICIT
    /// (<paramref name="explicitPads"/> = top, bottom, left, right).
    /// </summary>
    public TfValue Conv(string name, TfValue x, TfTensor filter, bool depthwise, int[] strides, int[] dilations, string padding, int[]? explicitPads = null)
    {
        if (filter.Rank() != 4) throw new InvalidDataException($"{name}: filter '{filter.Name}' is not rank 4.");
        int kh = filter.Shape[0], kw = filter.Shape[1], cin = filter.Shape[2], last = filter.Shape[3];
        var f = filter.AsFloats();
        float[] w;
        long[] wdims;
        int cout;
        if (depthwise)
        {
            // [KH,KW,Cin,M] -> [Cin*M,1,KH,KW], output channel c*M+m (TF's order).
            cout = cin * last;
            w = new float[f.Length];
            for (var y = 0; y < kh; y++)
                for (var xk = 0; xk < kw; xk++)
                    for (var c = 0; c < cin; c++)
                        for (var m = 0; m < last; m++)
                            w[((c * last + m) * kh + y) * kw + xk] = f[((y * kw + xk) * cin + c) * last + m];
            wdims = [cout, 1, kh, kw];
        }
        else
        {
            cout = last;
            w = new float[f.Length];
            for (var y = 0; y < kh; y++)
                for (var xk = 0; xk < kw; xk++)
                    for (var c = 0; c < cin; c++)
                        for (var o = 0; o < cout; o++)
                            w[((o * cin + c) * kh + y) * kw + xk] = f[((y * kw + xk) * cin + c) * cout + o];
            wdims = [cout, cin, kh, kw];
        }
        if (x.Shape[3] > 0 && x.Shape[3] != cin)
        {
            throw new InvalidDataException($"{name}: input has {x.Shape[3]} channels but filter '{filter.Name}' expects {cin}.");
        }
        var (outH, padTop, padBottom) = Spatial(name, x.Shape[1], kh, strides[0], dilations[0], padding, explicitPads?[0], explicitPads?[1]);
        var (outW, padLeft, padRight) = Spatial(name, x.Shape[2], kw, strides[1], dilations[1], padding, explicitPads?[2], explicitPads?[3]);

        var record = new ConvRecord
        {
            WeightName = builder.UniqueName(name + "/W"),
            BiasName = builder.UniqueName(name + "/B"),
            Weights = w,
            WeightDims = wdims,
            Bias = new float[cout],
        };
        var output = builder.Op("Conv", name, [AsNchw(x), record.WeightName, record.BiasName],
            Ints("kernel_shape", kh, kw),
            Ints("strides", strides[0], strides[1]),
            Ints("dilations", dilations[0], dilations[1]),
            Ints("pads", padTop, padLeft, padBottom, padRight),
            Int("group", depthwise ? cin : 1));
        convByOutput[output] = record;
        return new TfValue { OnnxName = output, Shape = [x.Shape[0], outH, outW, cout], Nchw = true };
    }

    /// <summary>Adds a per-channel bias; folds it into the convolution that produced <paramref name="x"/> when nothing else reads it.</summary>
    public TfValue BiasAdd(string name, TfValue x, float[] bias, bool exclusive)
    {
        if (exclusive && x.OnnxName is { } n && convByOutput.TryGetValue(n, out var conv) && conv.Bias.Length == bias.Length)
        {
            for (var i = 0; i < bias.Length; i++) conv.Bias[i] += bias[i];
            return x;
        }
        return Binary(name, "Add", x, Constant(new TfTensor(name + "/bias", [bias.Length], bias, null)));
    }

    /// <summary>Inference batch norm; folded into the producing convolution when nothing else reads its output.</summary>
    public TfValue BatchNorm(string name, TfValue x, float[] gamma, float[] beta, float[] mean, float[] variance, float epsilon, bool exclusive)
    {
        var channels = mean.Length;
        var scale = new float[channels];
        var shift = new float[channels];
        for (var c = 0; c < channels; c++)
        {
            scale[c] = gamma[c] / MathF.Sqrt(variance[c] + epsilon);
            shift[c] = beta[c] - mean[c] * scale[c];
        }
        if (exclusive && x.OnnxName is { } n && convByOutput.TryGetValue(n, out var conv) && conv.Bias.Length == channels)
        {
            var perOut = conv.Weights.Length / channels;
            for (var o = 0; o < channels; o++)
            {
                for (var i = 0; i < perOut; i++) conv.Weights[o * perOut + i] *= scale[o];
                conv.Bias[o] = conv.Bias[o] * scale[o] + shift[o];
            }
            return x;
        }
        var mul = Binary(name + "/scale", "Mul", x, Constant(new TfTensor(name + "/scale", [channels], scale, null)));
        return Binary(name, "Add", mul, Constant(new TfTensor(name + "/shift", [channels], shift, null)));
    }

    /// <summary>Elementwise activations named as TF names them (Relu, Relu6, Sigmoid, Tanh, Elu, LeakyRelu, Softmax, Linear).</summary>
    public TfValue Activation(string name, TfValue x, string kind, float alpha = 0.2f)
    {
        var input = x.Nchw ? x.OnnxName! : AsPlain(x);
        string output = kind.ToUpperInvariant() switch
        {
            "RELU" => builder.Op("Relu", name, [input]),
            "RELU6" => builder.Op("Clip", name, [input, ScalarFloat(name + "/min", 0f), ScalarFloat(name + "/max", 6f)]),
            "SIGMOID" => builder.Op("Sigmoid", name, [input]),
            "TANH" => builder.Op("Tanh", name, [input]),
            "ELU" => builder.Op("Elu", name, [input]),
            "SELU" => builder.Op("Selu", name, [input]),
            "LEAKYRELU" => builder.Op("LeakyRelu", name, [input], Float("alpha", alpha)),
            "HARDSIGMOID" => builder.Op("HardSigmoid", name, [input], Float("alpha", 1f / 6), Float("beta", 0.5f)),
            "SOFTMAX" => builder.Op("Softmax", name, [input], Int("axis", x.Nchw ? 1 : -1)),
            "LINEAR" or "IDENTITY" => input,
            _ => throw new InvalidDataException($"{name}: activation '{kind}' is not supported."),
        };
        return new TfValue { OnnxName = output, Shape = x.Shape, Nchw = x.Nchw };
    }

    /// <summary>A broadcasting binary op (Add, Sub, Mul, Div, Max, Min) with TF broadcasting semantics.</summary>
    public TfValue Binary(string name, string onnxOp, TfValue a, TfValue b)
    {
        var shape = BroadcastShape(name, a.Shape, b.Shape);
        if (a.Const is { } ca && b.Const is { } cb)
        {
            return Constant(FoldBinary(name, onnxOp, ca, cb, shape));
        }
        var nchw = (a.Nchw || b.Nchw) && shape.Length == 4
            && (a.Nchw || a.Const is not null || a.Rank == 4)
            && (b.Nchw || b.Const is not null || b.Rank == 4);
        var left = nchw ? Operand(a) : a.Const is { } constA ? MaterializeFloat(constA) : AsPlain(a);
        var right = nchw ? Operand(b) : b.Const is { } constB ? MaterializeFloat(constB) : AsPlain(b);
        var output = builder.Op(onnxOp, name, [left, right]);
        return new TfValue { OnnxName = output, Shape = shape, Nchw = nchw };
    }

    /// <summary>TF <c>Mean</c> over <paramref name="tfAxes"/>.</summary>
    public TfValue Mean(string name, TfValue x, long[] tfAxes, bool keepDims)
    {
        var axes = tfAxes.Select(a => (int)(a < 0 ? a + x.Rank : a)).Distinct().Order().ToArray();
        var kept = Enumerable.Range(0, x.Rank).Where(i => !axes.Contains(i)).ToArray();
        var shape = keepDims ? x.Shape.Select((d, i) => axes.Contains(i) ? 1 : d).ToArray() : kept.Select(i => x.Shape[i]).ToArray();
        if (!x.Nchw)
        {
            var plain = builder.Op("ReduceMean", name, [AsPlain(x)], Ints("axes", axes.Select(a => (long)a).ToArray()), Int("keepdims", keepDims ? 1 : 0));
            return new TfValue { OnnxName = plain, Shape = shape };
        }
        var onnxAxes = axes.Select(a => (long)Array.IndexOf(ToNchw, a)).Order().ToArray();
        var reduced = builder.Op("ReduceMean", keepDims ? name : name + "_nchw", [x.OnnxName!], Ints("axes", onnxAxes), Int("keepdims", keepDims ? 1 : 0));
        if (keepDims) return new TfValue { OnnxName = reduced, Shape = shape, Nchw = true };
        // Remaining dims come out in NCHW order; put them back in TF order when that differs.
        var onnxOrder = ToNchw.Where(a => kept.Contains((int)a)).ToArray();
        if (onnxOrder.SequenceEqual(kept.Select(k => (long)k))) return new TfValue { OnnxName = reduced, Shape = shape };
        var perm = kept.Select(k => (long)Array.IndexOf(onnxOrder, k)).ToArray();
        return new TfValue { OnnxName = builder.Op("Transpose", name, [reduced], Ints("perm", perm)), Shape = shape };
    }

    /// <summary>MaxPool / AvgPool with TF padding (SAME excludes padding from averages, as ONNX's default does).</summary>
    public TfValue Pool(string name, string onnxOp, TfValue x, int[] kernel, int[] strides, string padding)
    {
        var (outH, pt, pb) = Spatial(name, x.Shape[1], kernel[0], strides[0], 1, padding, null, null);
        var (outW, pl, pr) = Spatial(name, x.Shape[2], kernel[1], strides[1], 1, padding, null, null);
        var output = builder.Op(onnxOp, name, [AsNchw(x)],
            Ints("kernel_shape", kernel[0], kernel[1]), Ints("strides", strides[0], strides[1]), Ints("pads", pt, pl, pb, pr));
        return new TfValue { OnnxName = output, Shape = [x.Shape[0], outH, outW, x.Shape[3]], Nchw = true };
    }

    /// <summary>TF ResizeBilinear / ResizeNearestNeighbor to a constant size.</summary>
    public TfValue Resize(string name, TfValue x, int height, int width, bool bilinear, bool alignCorners, bool halfPixelCenters)
    {
        var input = AsNchw(x);
        var shape = builder.Op("Shape", name + "/shape", [input]);
        var batchAndChannels = builder.Op("Slice", name + "/nc", [shape, builder.AddInt64Constant(name + "/start", 0), builder.AddInt64Constant(name + "/end", 2)]);
        var sizes = builder.Op("Concat", name + "/sizes", [batchAndChannels, builder.AddInt64Constant(name + "/hw", height, width)], Int("axis", 0));
        var transform = alignCorners ? "align_corners"
            : halfPixelCenters ? (bilinear ? "half_pixel" : "tf_half_pixel_for_nn")
            : "asymmetric";
        var attributes = new List<AttributeProto>
        {
            OnnxAttribute.String("mode", bilinear ? "linear" : "nearest"),
            OnnxAttribute.String("coordinate_transformation_mode", transform),
        };
        if (!bilinear) attributes.Add(OnnxAttribute.String("nearest_mode", alignCorners ? "round_prefer_ceil" : "floor"));
        var output = builder.Op("Resize", name, [input, "", "", sizes], [.. attributes]);
        return new TfValue { OnnxName = output, Shape = [x.Shape[0], height, width, x.Shape[3]], Nchw = true };
    }

    public TfValue Concat(string name, IReadOnlyList<TfValue> inputs, int tfAxis)
    {
        var rank = inputs[0].Rank;
        var axis = tfAxis < 0 ? tfAxis + rank : tfAxis;
        var nchw = rank == 4 && inputs.Any(i => i.Nchw);
        var names = inputs.Select(i => nchw ? AsNchw(i) : AsPlain(i)).ToList();
        var shape = (int[])inputs[0].Shape.Clone();
        shape[axis] = inputs.Any(i => i.Shape[axis] < 0) ? -1 : inputs.Sum(i => i.Shape[axis]);
        var output = builder.Op("Concat", name, names, Int("axis", nchw ? Array.IndexOf(ToNchw, axis) : axis));
        return new TfValue { OnnxName = output, Shape = shape, Nchw = nchw };
    }

    public TfValue Reshape(string name, TfValue x, long[] target)
    {
        var shape = target.Select(t => (int)t).ToArray();
        var known = x.Shape.All(d => d > 0) ? x.Shape.Aggregate(1L, (a, d) => a * d) : -1;
        var minusOne = Array.IndexOf(shape, -1);
        if (minusOne >= 0 && known > 0)
        {
            shape[minusOne] = (int)(known / shape.Where(d => d > 0).Aggregate(1L, (a, d) => a * d));
        }
        else if (minusOne < 0 && x.Shape.Length > 0 && x.Shape[0] < 0 && target.Length > 0 && target[0] == 1)
        {
            // Batch-1 reshapes written for a fixed batch still hold for a dynamic one when the rest matches.
            target = [-1, .. target[1..]];
            shape[0] = -1;
        }
        var output = builder.Op("Reshape", name, [AsPlain(x), builder.AddInt64Constant(name + "/shape", target)]);
        return new TfValue { OnnxName = output, Shape = shape };
    }

    /// <summary>Zero padding by TF <c>paddings</c> (<c>[rank,2]</c>, before/after per TF axis).</summary>
    public TfValue Pad(string name, TfValue x, long[] paddings, string mode = "constant")
    {
        var rank = x.Rank;
        var begins = Enumerable.Range(0, rank).Select(i => paddings[2 * i]).ToArray();
        var ends = Enumerable.Range(0, rank).Select(i => paddings[2 * i + 1]).ToArray();
        var shape = x.Shape.Select((d, i) => d < 0 ? d : (int)(d + begins[i] + ends[i])).ToArray();
        string input;
        if (x.Nchw)
        {
            begins = [.. ToNchw.Select(a => begins[a])];
            ends = [.. ToNchw.Select(a => ends[a])];
            input = x.OnnxName!;
        }
        else
        {
            input = AsPlain(x);
        }
        var output = builder.Op("Pad", name, [input, builder.AddInt64Constant(name + "/pads", [.. begins, .. ends])], OnnxAttribute.String("mode", mode));
        return new TfValue { OnnxName = output, Shape = shape, Nchw = x.Nchw };
    }

    public TfValue Squeeze(string name, TfValue x, long[] tfAxes)
    {
        var axes = tfAxes.Length > 0
            ? tfAxes.Select(a => a < 0 ? a + x.Rank : a).ToArray()
            : Enumerable.Range(0, x.Rank).Where(i => x.Shape[i] == 1).Select(i => (long)i).ToArray();
        var shape = x.Shape.Where((_, i) => !axes.Contains(i)).ToArray();
        var output = builder.Op("Squeeze", name, [AsPlain(x), builder.AddInt64Constant(name + "/axes", axes)]);
        return new TfValue { OnnxName = output, Shape = shape };
    }

    /// <summary>Makes <paramref name="v"/> a graph output named <paramref name="outputName"/>, in TF (NHWC) order.</summary>
    public void OutputTfOrder(TfValue v, string outputName)
    {
        var plain = AsPlain(v);
        builder.AddNode("Identity", [plain], [outputName]);
        builder.AddOutput(outputName, TensorProto.Types.DataType.Float, Dims(v.Shape));
    }

    /// <summary>Global average pool of a rank-4 image tensor as graph output <paramref name="outputName"/> [N,C].</summary>
    public void OutputPooled(TfValue v, string outputName)
    {
        var pooled = builder.Op("GlobalAveragePool", outputName + "_gap", [AsNchw(v)]);
        builder.AddNode("Flatten", [pooled], [outputName], null, Int("axis", 1));
        builder.AddOutput(outputName, TensorProto.Types.DataType.Float, null, v.Shape[3]);
    }

    /// <summary>Writes the (possibly folded) convolution weights.</summary>
    public void Finish()
    {
        foreach (var conv in convByOutput.Values)
        {
            builder.AddInitializer(conv.WeightName, conv.Weights, conv.WeightDims);
            builder.AddInitializer(conv.BiasName, conv.Bias, conv.Bias.Length);
        }
        convByOutput.Clear();
    }

    private static long?[] Dims(int[] shape) => shape.Select(d => d < 0 ? (long?)null : d).ToArray();

    private string ScalarFloat(string prefix, float value) => builder.AddFloatConstant(prefix, [value]);

    /// <summary>An operand of a binary op in NCHW context: constants broadcast as TF would, re-laid out to NCHW.</summary>
    private string Operand(TfValue v)
    {
        if (v.Nchw) return v.OnnxName!;
        if (v.Const is { } c)
        {
            if (c.Count == 1) return MaterializeFloat(c);
            var padded = Enumerable.Repeat(1, 4 - c.Shape.Length).Concat(c.Shape).ToArray();
            var (data, dims) = TransposeNhwcToNchw(c.AsFloats(), padded);
            return builder.AddFloatConstant(c.Name + "_nchw", data, dims);
        }
        return AsNchw(v);
    }

    private static (float[] Data, long[] Dims) TransposeNhwcToNchw(float[] data, int[] shape)
    {
        int n = shape[0], h = shape[1], w = shape[2], c = shape[3];
        var result = new float[data.Length];
        for (var b = 0; b < n; b++)
            for (var y = 0; y < h; y++)
                for (var x = 0; x < w; x++)
                    for (var k = 0; k < c; k++)
                        result[((b * c + k) * h + y) * w + x] = data[((b * h + y) * w + x) * c + k];
        return (result, [n, c, h, w]);
    }

    private static (int Out, long Before, long After) Spatial(string name, int input, int kernel, int stride, int dilation, string padding, int? before, int? after)
    {
        var effective = (kernel - 1) * dilation + 1;
        switch (padding)
        {
            case "VALID":
                return (input < 0 ? -1 : (input - effective) / stride + 1, 0, 0);
            case "SAME":
                if (input < 0) throw new InvalidDataException($"{name}: SAME padding needs a known spatial size.");
                // TF puts the odd pixel of SAME padding after (bottom/right): asymmetric for stride 2.
                var output = (input + stride - 1) / stride;
                var total = Math.Max((output - 1) * stride + effective - input, 0);
                return (output, total / 2, total - total / 2);
            case "EXPLICIT":
                var b = before ?? 0;
                var a = after ?? 0;
                return (input < 0 ? -1 : (input + b + a - effective) / stride + 1, b, a);
            default:
                throw new InvalidDataException($"{name}: padding '{padding}' is not supported.");
        }
    }

    /// <summary>The broadcast of two shapes (numpy's rule; -1 for an unknown dimension).</summary>
    internal static int[] BroadcastShape(string name, int[] a, int[] b)
    {
        var rank = Math.Max(a.Length, b.Length);
        var result = new int[rank];
        for (var i = 0; i < rank; i++)
        {
            var da = i - (rank - a.Length) >= 0 ? a[i - (rank - a.Length)] : 1;
            var db = i - (rank - b.Length) >= 0 ? b[i - (rank - b.Length)] : 1;
            if (da != db && da != 1 && db != 1 && da >= 0 && db >= 0)
            {
                throw new InvalidDataException($"{name}: shapes [{string.Join(",", a)}] and [{string.Join(",", b)}] do not broadcast.");
            }
            result[i] = da == 1 ? db : db == 1 ? da : Math.Min(da, db) < 0 ? -1 : da;
        }
        return result;
    }

    /// <summary>Two constants combined at conversion time (Add, Sub, Mul, Div, Max, Min; equal shapes or a scalar).</summary>
    internal static TfTensor FoldBinary(string name, string op, TfTensor a, TfTensor b, int[] shape)
    {
        if (a.Count != 1 && b.Count != 1 && a.Count != b.Count)
        {
            throw new InvalidDataException($"{name}: constant folding supports equal shapes or scalars only.");
        }
        var count = Math.Max(a.Count, b.Count);
        Func<double, double, double> f = op switch
        {
            "Add" => (x, y) => x + y,
            "Sub" => (x, y) => x - y,
            "Mul" => (x, y) => x * y,
            "Div" => (x, y) => x / y,
            "Max" => Math.Max,
            "Min" => Math.Min,
            _ => throw new InvalidDataException($"{name}: cannot fold {op}."),
        };
        if (a.Ints is { } ai && b.Ints is { } bi && op != "Div")
        {
            return new TfTensor(name, shape, null, Enumerable.Range(0, count).Select(i => (long)f(ai[ai.Length == 1 ? 0 : i], bi[bi.Length == 1 ? 0 : i])).ToArray());
        }
        var af = a.AsFloats();
        var bf = b.AsFloats();
        return new TfTensor(name, shape, Enumerable.Range(0, count).Select(i => (float)f(af[af.Length == 1 ? 0 : i], bf[bf.Length == 1 ? 0 : i])).ToArray(), null);
    }
}

internal static class TfTensorExtensions
{
    public static int Rank(this TfTensor t) => t.Shape.Length;
}
