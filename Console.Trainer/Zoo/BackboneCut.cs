using System.Runtime.InteropServices;
using Onnx;
using VisionConsole.Trainer.Onnx;
using VisionConsole.Trainer.Training;

namespace VisionConsole.Trainer.Zoo;

/// <summary>
/// Where an int8 backbone is cut for fine-tuning, and the float top above the cut: the unbranched chain of quantized
/// convolutions that ends in the backbone's feature map, read from the graph and dequantized. For MobileNetV2 int8 the
/// chain is its last inverted residual block and the final 1x1 convolution (<c>Conv_90_quant</c> 160 -> 960,
/// <c>Conv_92_quant</c> depthwise 3x3, <c>Conv_94_quant</c> 960 -> 320, <c>Conv_95_quant</c> 320 -> 1280, at 7 x 7); it stops at
/// the residual addition below them, so the cut is <c>452_quantized</c> (uint8 160 x 7 x 7).
/// </summary>
/// <param name="CutValue">The uint8 activation the backbone is cut at (the first convolution's input).</param>
/// <param name="Top">The pretrained top: dequantized weights and biases, the cut's scale and zero point, and each layer's clip.</param>
public sealed record BackboneCut(string CutValue, ConvTop Top)
{
    /// <summary>The truncated model's file name next to a backbone's prepared model: <c>{model}.cut-{cut value}.onnx</c>.</summary>
    public string CutModelPath(string preparedModelPath) => $"{preparedModelPath}.cut-{CutValue}.onnx";

    /// <summary>
    /// Finds the cut in a prepared backbone: <paramref name="featureMap"/> (the float feature map the zoo pools, e.g. <c>627</c>)
    /// must be a DequantizeLinear of a QLinearConv; the top is that convolution and every QLinearConv (1x1, or depthwise
    /// with an odd kernel, stride 1) below it whose output only the next one reads, down to a value something else produces.
    /// </summary>
    /// <param name="model">The prepared backbone.</param>
    /// <param name="featureMap">The float feature map the head pools.</param>
    /// <param name="side">The spatial side of the feature map (7 for a 224 input).</param>
    /// <exception cref="InvalidDataException">The graph around <paramref name="featureMap"/> is not that shape; the message says what was found.</exception>
    public static BackboneCut Find(OnnxModelBuilder model, string featureMap, int side)
    {
        ArgumentNullException.ThrowIfNull(model);
        var dequantize = model.FindProducer(featureMap);
        if (dequantize is not { OpType: "DequantizeLinear" })
            throw new InvalidDataException($"'{featureMap}' is produced by {dequantize?.OpType ?? "nothing"}, not DequantizeLinear: the backbone has no quantized top to fine-tune.");
        var chain = new List<NodeProto>();
        var value = dequantize.Input[0];
        while (model.FindProducer(value) is { OpType: "QLinearConv" } conv && IsTopConvolution(conv)
            && (chain.Count == 0 || model.Graph.Node.Count(n => n.Input.Contains(value)) == 1))
        {
            chain.Add(conv);
            value = conv.Input[0];
        }
        if (chain.Count == 0)
            throw new InvalidDataException($"'{dequantize.Input[0]}' is not produced by a 1x1 or depthwise QLinearConv with a bias, stride 1.");
        chain.Reverse();
        float Scalar(string name) => OnnxModelBuilder.ReadFloats(Initializer(model, name))[0];
        int ZeroPoint(string name) => (int)ReadIntegers(Initializer(model, name))[0];

        var layers = new List<TopLayer>();
        foreach (var conv in chain)
        {
            var xScale = Scalar(conv.Input[1]);
            var w = Initializer(model, conv.Input[3]);
            var wScale = OnnxModelBuilder.ReadFloats(Initializer(model, conv.Input[4]));
            var wZero = ReadIntegers(Initializer(model, conv.Input[5]));
            var yScale = Scalar(conv.Input[6]);
            var yZero = ZeroPoint(conv.Input[7]);
            var bias = ReadIntegers(Initializer(model, conv.Input[8]));
            var outputs = (int)w.Dims[0];
            var perGroup = (int)w.Dims[1];
            var kernel = (int)w.Dims[2];
            var group = (int)(conv.Attribute.FirstOrDefault(a => a.Name == "group")?.I ?? 1);
            var depthwise = group > 1;
            var inputs = depthwise ? outputs : perGroup;
            if (depthwise && (perGroup != 1 || group != outputs))
                throw new InvalidDataException($"{conv.Name}: {group} groups of {perGroup} channels; only full and depthwise convolutions are supported.");
            var quantized = ReadIntegers(w);
            if (bias.Length != outputs || (wScale.Length != 1 && wScale.Length != outputs))
                throw new InvalidDataException($"{conv.Name}: {bias.Length} biases and {wScale.Length} weight scales for {outputs} output channels.");
            var perOutput = perGroup * kernel * kernel;
            var weights = new float[outputs * perOutput];
            var biases = new float[outputs];
            for (var o = 0; o < outputs; o++)
            {
                var scale = wScale.Length == 1 ? wScale[0] : wScale[o];
                var zero = wZero.Length == 1 ? wZero[0] : wZero[o];
                for (var i = 0; i < perOutput; i++)
                    weights[o * perOutput + i] = (quantized[o * perOutput + i] - zero) * scale;
                // QLinearConv's int32 bias is in units of x_scale * w_scale.
                biases[o] = bias[o] * xScale * scale;
            }
            // An output quantization from 0 clips to [0, 255 * s]: ReLU6 for MobileNetV2. Any other zero point is a linear
            // layer (the projection), whose quantization range only bounds it.
            layers.Add(new TopLayer(inputs, outputs, kernel, depthwise, weights, biases, yZero == 0 ? 255 * yScale : null));
        }
        var first = chain[0];
        return new BackboneCut(first.Input[0], new ConvTop(layers[0].Inputs, side, Scalar(first.Input[1]), ZeroPoint(first.Input[2]), layers));
    }

    /// <summary>A QLinearConv the top can run in float: with a bias, stride 1, and a 1x1 kernel or a depthwise odd one with "same" padding.</summary>
    private static bool IsTopConvolution(NodeProto conv)
    {
        if (conv.Input.Count < 9)
            return false;
        long[] Ints(string name) => conv.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? [.. a.Ints] : [];
        var kernel = Ints("kernel_shape");
        var group = conv.Attribute.FirstOrDefault(a => a.Name == "group")?.I ?? 1;
        var k = kernel.Length == 2 && kernel[0] == kernel[1] ? kernel[0] : -1;
        var strides = Ints("strides");
        var pads = Ints("pads");
        return strides.All(s => s == 1)
            && (k == 1 && group == 1 || k % 2 == 1 && group > 1 && pads.All(p => p == k / 2));
    }

    /// <summary>The backbone truncated at the cut: its only output is the cut value (uint8 <c>[N, Inputs, H, W]</c>), nodes above it removed.</summary>
    public byte[] Truncate(byte[] preparedModel)
    {
        var model = OnnxModelBuilder.Load(preparedModel);
        model.Graph.Output.Clear();
        model.AddOutput(CutValue, TensorProto.Types.DataType.Uint8, null, Top.Inputs, null, null);
        model.RemoveUnusedNodes();
        return model.ToBytes();
    }

    /// <summary>
    /// The truncated model for a prepared backbone file (<see cref="CutModelPath"/>, written once next to it) and the cut.
    /// </summary>
    public static (string CutModelPath, BackboneCut Cut) Prepare(string preparedModelPath, string featureMap, int side)
    {
        var bytes = File.ReadAllBytes(preparedModelPath);
        var cut = Find(OnnxModelBuilder.Load(bytes), featureMap, side);
        var path = cut.CutModelPath(preparedModelPath);
        if (!File.Exists(path))
        {
            var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
            File.WriteAllBytes(temporary, cut.Truncate(bytes));
            File.Move(temporary, path, overwrite: true);
        }
        return (path, cut);
    }

    private static TensorProto Initializer(OnnxModelBuilder model, string name) =>
        model.FindInitializer(name) ?? throw new InvalidDataException($"The graph has no initializer '{name}'.");

    private static long[] ReadIntegers(TensorProto tensor)
    {
        var raw = tensor.RawData.Span;
        return (TensorProto.Types.DataType)tensor.DataType switch
        {
            TensorProto.Types.DataType.Int8 => raw.Length > 0 ? MemoryMarshal.Cast<byte, sbyte>(raw).ToArray().Select(v => (long)v).ToArray() : tensor.Int32Data.Select(v => (long)v).ToArray(),
            TensorProto.Types.DataType.Uint8 => raw.Length > 0 ? raw.ToArray().Select(v => (long)v).ToArray() : tensor.Int32Data.Select(v => (long)v).ToArray(),
            TensorProto.Types.DataType.Int32 => raw.Length > 0 ? MemoryMarshal.Cast<byte, int>(raw).ToArray().Select(v => (long)v).ToArray() : tensor.Int32Data.Select(v => (long)v).ToArray(),
            _ => throw new InvalidDataException($"Initializer '{tensor.Name}' is {(TensorProto.Types.DataType)tensor.DataType}, not an integer type."),
        };
    }
}
