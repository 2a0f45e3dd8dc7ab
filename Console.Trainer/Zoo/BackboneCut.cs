using System.Runtime.InteropServices;
using Onnx;
using VisionConsole.Trainer.Onnx;
using VisionConsole.Trainer.Training;

namespace VisionConsole.Trainer.Zoo;

/// <summary>
/// Where an int8 backbone is cut for fine-tuning, and the float top above the cut: the quantized 1x1 convolution that
/// produces the backbone's feature map (for MobileNetV2 int8: <c>Conv_95_quant</c>, 320 -> 1280 channels at 7 x 7, with
/// ReLU6 folded into its output quantization), read from the graph and dequantized.
/// </summary>
/// <param name="CutValue">The uint8 activation the backbone is cut at (the convolution's input, e.g. <c>624_quantized</c>).</param>
/// <param name="Top">The pretrained top: dequantized weights, bias, the cut's scale and zero point, and the clip of the output quantization.</param>
public sealed record BackboneCut(string CutValue, ConvTop Top)
{
    /// <summary>The file name of the truncated model written next to a backbone's prepared model.</summary>
    public const string CutModelSuffix = ".cut.onnx";

    /// <summary>
    /// Finds the cut in a prepared backbone: <paramref name="featureMap"/> (the float feature map the zoo pools, e.g. <c>627</c>)
    /// must be a DequantizeLinear of a QLinearConv with a 1x1 kernel and group 1 whose input is the cut.
    /// </summary>
    /// <exception cref="InvalidDataException">The graph around <paramref name="featureMap"/> is not that shape; the message says what was found.</exception>
    public static BackboneCut Find(OnnxModelBuilder model, string featureMap, int positions)
    {
        ArgumentNullException.ThrowIfNull(model);
        var dequantize = model.FindProducer(featureMap);
        if (dequantize is not { OpType: "DequantizeLinear" })
            throw new InvalidDataException($"'{featureMap}' is produced by {dequantize?.OpType ?? "nothing"}, not DequantizeLinear: the backbone has no quantized top to fine-tune.");
        var conv = model.FindProducer(dequantize.Input[0]);
        if (conv is not { OpType: "QLinearConv" } || conv.Input.Count < 9
            || conv.Attribute.FirstOrDefault(a => a.Name == "group") is { I: not 1 }
            || conv.Attribute.FirstOrDefault(a => a.Name == "kernel_shape") is { } k && k.Ints.Any(i => i != 1))
        {
            throw new InvalidDataException($"'{dequantize.Input[0]}' is produced by {conv?.OpType ?? "nothing"} ({conv?.Name}), not a 1x1 QLinearConv with a bias.");
        }
        float Scalar(string name) => OnnxModelBuilder.ReadFloats(Initializer(model, name))[0];
        int ZeroPoint(string name) => (int)ReadIntegers(Initializer(model, name))[0];

        var xScale = Scalar(conv.Input[1]);
        var xZero = ZeroPoint(conv.Input[2]);
        var w = Initializer(model, conv.Input[3]);
        var wScale = OnnxModelBuilder.ReadFloats(Initializer(model, conv.Input[4]));
        var wZero = ReadIntegers(Initializer(model, conv.Input[5]));
        var yScale = Scalar(conv.Input[6]);
        var yZero = ZeroPoint(conv.Input[7]);
        var bias = ReadIntegers(Initializer(model, conv.Input[8]));
        var outputs = (int)w.Dims[0];
        var inputs = (int)w.Dims[1];
        var quantized = ReadIntegers(w);
        if (bias.Length != outputs || (wScale.Length != 1 && wScale.Length != outputs))
            throw new InvalidDataException($"{conv.Name}: {bias.Length} biases and {wScale.Length} weight scales for {outputs} output channels.");
        var weights = new float[outputs * inputs];
        var biases = new float[outputs];
        for (var o = 0; o < outputs; o++)
        {
            var scale = wScale.Length == 1 ? wScale[0] : wScale[o];
            var zero = wZero.Length == 1 ? wZero[0] : wZero[o];
            for (var i = 0; i < inputs; i++)
                weights[o * inputs + i] = (quantized[o * inputs + i] - zero) * scale;
            // QLinearConv's int32 bias is in units of x_scale * w_scale.
            biases[o] = bias[o] * xScale * scale;
        }
        // The output quantization clips to [(0 - zp) * s, (255 - zp) * s]: [0, 6] for MobileNetV2's ReLU6.
        if (yZero != 0)
            throw new InvalidDataException($"{conv.Name}: output zero point {yZero}; only a clip starting at 0 (ReLU-like) is supported.");
        return new BackboneCut(conv.Input[0], new ConvTop(inputs, outputs, positions, xScale, xZero, weights, biases, 255 * yScale));
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
    /// The truncated model for a prepared backbone file (<c>{model}.cut.onnx</c>, written once next to it) and the cut.
    /// </summary>
    public static (string CutModelPath, BackboneCut Cut) Prepare(string preparedModelPath, string featureMap, int positions)
    {
        var bytes = File.ReadAllBytes(preparedModelPath);
        var cut = Find(OnnxModelBuilder.Load(bytes), featureMap, positions);
        var path = preparedModelPath + CutModelSuffix;
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
