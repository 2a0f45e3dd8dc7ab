using Onnx;
using VisionConsole.Trainer.Onnx;

namespace VisionConsole.Trainer.Export;

/// <summary>
/// Converts a classifier (quantized ONNX backbone + linear head) to a float32 TF.js graph model that
/// <c>@tensorflow/tfjs-automl</c>'s <c>ImageClassificationModel</c> runs unchanged:
/// <list type="bullet">
/// <item>input <c>image</c>: float <c>[N, 224, 224, 3]</c> RGB (NHWC) in [-1, 1] (tfjs-automl centre-crops,
/// resizes bilinearly to 224 and computes <c>pixel / 127.5 − 1</c> before <c>graphModel.predict</c>);</item>
/// <item>output <c>scores</c>: float <c>[N, C]</c> after softmax/sigmoid (tfjs-automl reports the output values as
/// probabilities without any activation of its own).</item>
/// </list>
/// The [-1, 1] input is mapped to the backbone's own normalization inside the graph (<c>Mul</c>, <c>AddV2</c>).
/// int8 weights are dequantized to float32 (<c>(w − zero point) × scale</c>, per channel; int32 biases ×
/// input scale × weight scale) because TF.js runs float. Each quantized activation is then, by default
/// (<see cref="TfjsActivations.EmulateInt8"/>), snapped to its int8 grid and range as ONNX Runtime does
/// (<c>RealDiv</c> by its scale, <c>Round</c> half to even, <c>ClipByValue</c> to the uint8 range, <c>Mul</c> back):
/// the head was trained on the int8 backbone's features, so the browser model reproduces those rather than
/// a float network's. With <see cref="TfjsActivations.Float"/> it is only clipped to that range (where the int8
/// model has its ReLU6).
/// With <see cref="ClassifierHead.TestTimeFlip"/> the output is the mean of the probabilities of the image and of its
/// mirror image, as the console predicts such a model: the normalized input is mirrored along the width
/// (<c>ReverseV2</c>) and appended to the batch (<c>ConcatV2</c>, [x; mirror(x)]), and the [2N, C] probabilities are
/// <c>Reshape</c>d to [2, N, C] and averaged over the first axis (<c>Mean</c>).
/// With <see cref="ClassifierHead.Top"/> (a fine-tuned top) the backbone is converted up to <see cref="ClassifierHead.CutValue"/>
/// and the float top follows it in place of the backbone's last convolution, as in the exported ONNX model.
/// Supported ONNX ops: <c>QuantizeLinear</c>, <c>QLinearConv</c> (group 1 or depthwise), <c>QLinearAdd</c>,
/// <c>DequantizeLinear</c> — the ops of the ONNX Model Zoo's int8 MobileNetV2 up to its feature map.
/// </summary>
public static class ClassifierTfjsConverter
{
    /// <summary>Name of the input placeholder.</summary>
    public const string InputName = "image";

    /// <summary>Name of the output node.</summary>
    public const string OutputName = "scores";

    /// <summary>tfjs-automl's normalization: <c>x = pixel / DivFactor − 1</c>.</summary>
    public const float AutoMLDivFactor = 127.5f;

    /// <summary>Converts to an in-memory graph.</summary>
    /// <exception cref="NotSupportedException">The backbone uses an op or a layout with no conversion (the message names the node).</exception>
    public static TfjsGraph Convert(ClassifierBackbone backbone, ClassifierHead head, TfjsActivations activations = TfjsActivations.EmulateInt8)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentNullException.ThrowIfNull(head);
        head.Validate(backbone.FeatureDimension);
        var pre = backbone.Preprocessing;
        var graph = OnnxModelBuilder.Load(backbone.OnnxPath).Graph;
        var context = new Context(backbone.OnnxPath, graph, activations);
        var tf = new TfjsGraph();

        // [-1, 1] → the backbone's normalized input: ((x + 1) · 127.5 · scale − mean) / std = x·k + a per channel.
        var input = tf.Placeholder(InputName, -1, pre.Height, pre.Width, 3);
        var k = new float[3];
        var a = new float[3];
        for (var c = 0; c < 3; c++)
        {
            k[c] = AutoMLDivFactor * pre.Scale / pre.Std[c];
            a[c] = (AutoMLDivFactor * pre.Scale - pre.Mean[c]) / pre.Std[c];
        }
        var scaled = tf.Op("preprocess/scaled", "Mul", [input, tf.Const("preprocess/scale", k, 3)]);
        var normalized = tf.Op("preprocess/normalized", "AddV2", [scaled, tf.Const("preprocess/offset", a, 3)]);
        if (head.TestTimeFlip)
        {
            // [x; x mirrored along W] (NHWC, so axis 2): the batch of 2N the backbone and head run on once.
            var mirrored = tf.Op("flip/mirrored", "ReverseV2", [normalized, tf.ConstInt32("flip/width_axis", [2], 1)],
                new() { ["Tidx"] = TfjsGraph.DType(TfjsDType.Int32) });
            normalized = tf.Op("flip/with_mirror", "ConcatV2", [normalized, mirrored, tf.ConstInt32("flip/batch_axis", [0])],
                new() { ["N"] = TfjsGraph.Int(2), ["Tidx"] = TfjsGraph.DType(TfjsDType.Int32) });
        }
        context.Values[backbone.InputName] = normalized;

        // A fine-tuned top replaces the backbone's last convolution: convert up to the cut it reads, then the float top.
        foreach (var node in context.NodesNeededFor(head.Top is null ? backbone.FeatureMapName : head.CutValue!))
        {
            ConvertNode(context, tf, node);
        }
        var featureMap = head.Top is { } top ? ConvertTop(tf, context.Value(head.CutValue!), top) : context.Value(backbone.FeatureMapName);

        // Head: spatial mean → standardize → W·x + b → activation.
        var features = tf.Op("head/features", "Mean", [featureMap, tf.ConstInt32("head/spatial_axes", [1, 2], 2)],
            new() { ["keep_dims"] = TfjsGraph.Bool(false), ["Tidx"] = TfjsGraph.DType(TfjsDType.Int32) });
        var d = head.FeatureDimension;
        var centred = tf.Op("head/centred", "Sub", [features, tf.Const("head/mean", head.Mean, d)]);
        var hidden = tf.Op("head/standardized", "RealDiv", [centred, tf.Const("head/std", head.Std, d)]);
        for (var i = 0; i < head.HiddenLayers.Count; i++)
        {
            var layer = head.HiddenLayers[i];
            var affine = Dense(tf, $"head/hidden{i}", hidden, layer.Weights, layer.Bias, layer.Inputs, layer.Outputs);
            hidden = tf.Op($"head/hidden{i}/relu", "Relu", [affine]);
        }
        var logits = Dense(tf, "head/logits", hidden, head.Weights, head.Bias, head.LogitsInputs, head.ClassCount);
        var activation = head.Activation == HeadActivation.Softmax ? "Softmax" : "Sigmoid";
        if (head.TestTimeFlip)
        {
            // Rows 0..N-1 are the images, N..2N-1 their mirror images: [2, N, C], mean over the first axis.
            var probabilities = tf.Op("head/probabilities", activation, [logits]);
            var pairs = tf.Op("flip/pairs", "Reshape", [probabilities, tf.ConstInt32("flip/pairs_shape", [2, -1, head.ClassCount], 3)],
                new() { ["Tshape"] = TfjsGraph.DType(TfjsDType.Int32) });
            tf.Op(OutputName, "Mean", [pairs, tf.ConstInt32("flip/mean_axis", [0], 1)],
                new() { ["keep_dims"] = TfjsGraph.Bool(false), ["Tidx"] = TfjsGraph.DType(TfjsDType.Int32) });
        }
        else
        {
            tf.Op(OutputName, activation, [logits]);
        }
        return tf;
    }

    /// <summary>
    /// The fine-tuned top in float, as the exported ONNX model runs it: the cut (carried as its dequantized value) through
    /// each layer's <c>Conv2D</c> (1x1) or <c>DepthwiseConv2dNative</c> ("same" padding), <c>BiasAdd</c> and, for a
    /// ReLU6-like layer, <c>ClipByValue</c> to [0, ClipMax].
    /// </summary>
    private static string ConvertTop(TfjsGraph tf, string cut, VisionConsole.Trainer.Training.ConvTop top)
    {
        var x = cut;
        for (var n = 0; n < top.Layers.Count; n++)
        {
            var layer = top.Layers[n];
            var k = layer.Kernel;
            var prefix = $"top/layer{n}";
            // ONNX [O, I or 1, kh, kw] to TF's HWIO (full) or [kh, kw, C, 1] (depthwise).
            var filter = new float[layer.Weights.Length];
            var inputs = layer.Depthwise ? 1 : layer.Inputs;
            for (var o = 0; o < layer.Outputs; o++)
            {
                for (var i = 0; i < inputs; i++)
                {
                    for (var y = 0; y < k; y++)
                    {
                        for (var xk = 0; xk < k; xk++)
                        {
                            var value = layer.Weights[((o * inputs + i) * k + y) * k + xk];
                            filter[layer.Depthwise ? (y * k + xk) * layer.Outputs + o : ((y * k + xk) * inputs + i) * layer.Outputs + o] = value;
                        }
                    }
                }
            }
            var attributes = new System.Text.Json.Nodes.JsonObject
            {
                ["strides"] = TfjsGraph.IntList(1, 1, 1, 1),
                ["dilations"] = TfjsGraph.IntList(1, 1, 1, 1),
                ["data_format"] = TfjsGraph.String("NHWC"),
                ["padding"] = TfjsGraph.String(k == 1 ? "VALID" : "SAME"),
            };
            var conv = layer.Depthwise
                ? tf.Op(prefix + "/conv", "DepthwiseConv2dNative", [x, tf.Const(prefix + "/filter", filter, k, k, layer.Outputs, 1)], attributes)
                : tf.Op(prefix + "/conv", "Conv2D", [x, tf.Const(prefix + "/filter", filter, k, k, layer.Inputs, layer.Outputs)], attributes);
            x = tf.Op(prefix + "/bias_add", "BiasAdd", [conv, tf.Const(prefix + "/bias", layer.Bias, layer.Outputs)], new() { ["data_format"] = TfjsGraph.String("NHWC") });
            if (layer.ClipMax is { } max)
            {
                x = tf.Op(prefix + "/clip", "ClipByValue", [x, tf.Const(prefix + "/clip_min", [0f]), tf.Const(prefix + "/clip_max", [max])]);
            }
        }
        return x;
    }

    /// <summary><c>x · Wᵀ + b</c> as <c>MatMul</c> + <c>BiasAdd</c>; <paramref name="weights"/> is row-major [outputs x inputs].</summary>
    private static string Dense(TfjsGraph tf, string prefix, string input, float[] weights, float[] bias, int inputs, int outputs)
    {
        var transposed = new float[inputs * outputs];
        for (var o = 0; o < outputs; o++)
        {
            for (var j = 0; j < inputs; j++) transposed[j * outputs + o] = weights[o * inputs + j];
        }
        var product = tf.Op(prefix + "/matmul", "MatMul", [input, tf.Const(prefix + "/weights", transposed, inputs, outputs)],
            new() { ["transpose_a"] = TfjsGraph.Bool(false), ["transpose_b"] = TfjsGraph.Bool(false) });
        return tf.Op(prefix, "BiasAdd", [product, tf.Const(prefix + "/bias", bias, outputs)], new() { ["data_format"] = TfjsGraph.String("NHWC") });
    }

    /// <summary>Converts and writes the TF.js folder (<c>model.json</c>, shards, <c>dict.txt</c>); returns the file names.</summary>
    public static IReadOnlyList<string> Write(string folder, ClassifierBackbone backbone, ClassifierHead head, TfjsActivations activations = TfjsActivations.EmulateInt8)
    {
        var graph = Convert(backbone, head, activations);
        return TfjsGraphModelWriter.Write(folder, graph, OutputName, head.Labels, $"VisionConsole ClassifierTfjsConverter from {Path.GetFileName(backbone.OnnxPath)}");
    }

    private static void ConvertNode(Context cx, TfjsGraph tf, NodeProto node)
    {
        var prefix = "backbone/" + (string.IsNullOrEmpty(node.Name) ? node.Output[0] : node.Name);
        switch (node.OpType)
        {
            case "QuantizeLinear":
            {
                cx.Values[node.Output[0]] = Requantize(cx, tf, prefix, cx.Value(node.Input[0]), node, 1, 2);
                break;
            }
            case "DequantizeLinear":
                // Values are carried as their float equivalent already.
                cx.Values[node.Output[0]] = cx.Value(node.Input[0]);
                break;
            case "QLinearAdd":
            {
                var sum = tf.Op(prefix + "/add", "AddV2", [cx.Value(node.Input[0]), cx.Value(node.Input[3])]);
                cx.Values[node.Output[0]] = Requantize(cx, tf, prefix, sum, node, 6, 7);
                break;
            }
            case "QLinearConv":
                cx.Values[node.Output[0]] = ConvertConv(cx, tf, node, prefix);
                break;
            default:
                throw new NotSupportedException($"{cx.Path}: node '{node.Name}' ({node.Domain}{(node.Domain.Length > 0 ? "." : "")}{node.OpType}) has no TF.js conversion.");
        }
    }

    private static string ConvertConv(Context cx, TfjsGraph tf, NodeProto node, string prefix)
    {
        // Inputs: x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, [B].
        var weight = cx.Initializer(node, 3);
        var dims = weight.Dims.Select(v => (int)v).ToArray();
        if (dims.Length != 4) throw new NotSupportedException($"{cx.Path}: node '{node.Name}': only 2-D convolutions are supported (weight rank {dims.Length}).");
        int outChannels = dims[0], inPerGroup = dims[1], kh = dims[2], kw = dims[3];
        var w = OnnxQuantizedGraph.ReadNumbers(weight, cx.Path);
        var wScale = OnnxQuantizedGraph.ReadNumbers(cx.Initializer(node, 4), cx.Path);
        var wZero = OnnxQuantizedGraph.ReadNumbers(cx.Initializer(node, 5), cx.Path);
        var xScale = OnnxQuantizedGraph.ReadNumbers(cx.Initializer(node, 1), cx.Path)[0];
        double ScaleOf(int o) => wScale.Length == 1 ? wScale[0] : wScale[o];
        double ZeroOf(int o) => wZero.Length == 1 ? wZero[0] : wZero[o];

        var group = (int)OnnxQuantizedGraph.Attribute(node, "group", 1);
        var strides = OnnxQuantizedGraph.Ints(node, "strides", [1, 1]);
        var dilations = OnnxQuantizedGraph.Ints(node, "dilations", [1, 1]);
        var pads = OnnxQuantizedGraph.Ints(node, "pads", [0, 0, 0, 0]);
        if (node.Attribute.Any(at => at.Name == "auto_pad" && at.S.ToStringUtf8() is not ("" or "NOTSET")))
        {
            throw new NotSupportedException($"{cx.Path}: node '{node.Name}': auto_pad is not supported; explicit pads are.");
        }
        var attributes = new System.Text.Json.Nodes.JsonObject
        {
            ["strides"] = TfjsGraph.IntList(1, strides[0], strides[1], 1),
            ["dilations"] = TfjsGraph.IntList(1, dilations[0], dilations[1], 1),
            ["data_format"] = TfjsGraph.String("NHWC"),
        };
        if (pads.All(p => p == 0))
        {
            attributes["padding"] = TfjsGraph.String("VALID");
        }
        else
        {
            // ONNX pads are [top, left, bottom, right]; TF's explicit_paddings are (before, after) per NHWC axis.
            attributes["padding"] = TfjsGraph.String("EXPLICIT");
            attributes["explicit_paddings"] = TfjsGraph.IntList(0, 0, pads[0], pads[2], pads[1], pads[3], 0, 0);
        }

        string conv;
        if (group == 1)
        {
            var hwio = new float[w.Length];
            for (var o = 0; o < outChannels; o++)
            {
                for (var i = 0; i < inPerGroup; i++)
                {
                    for (var y = 0; y < kh; y++)
                    {
                        for (var x = 0; x < kw; x++)
                        {
                            var value = (w[((o * inPerGroup + i) * kh + y) * kw + x] - ZeroOf(o)) * ScaleOf(o);
                            hwio[((y * kw + x) * inPerGroup + i) * outChannels + o] = (float)value;
                        }
                    }
                }
            }
            conv = tf.Op(prefix + "/conv", "Conv2D", [cx.Value(node.Input[0]), tf.Const(prefix + "/filter", hwio, kh, kw, inPerGroup, outChannels)], attributes);
        }
        else if (inPerGroup == 1 && group == outChannels)
        {
            var filter = new float[w.Length];
            for (var c = 0; c < outChannels; c++)
            {
                for (var y = 0; y < kh; y++)
                {
                    for (var x = 0; x < kw; x++)
                    {
                        filter[(y * kw + x) * outChannels + c] = (float)((w[(c * kh + y) * kw + x] - ZeroOf(c)) * ScaleOf(c));
                    }
                }
            }
            conv = tf.Op(prefix + "/conv", "DepthwiseConv2dNative", [cx.Value(node.Input[0]), tf.Const(prefix + "/filter", filter, kh, kw, outChannels, 1)], attributes);
        }
        else
        {
            throw new NotSupportedException($"{cx.Path}: node '{node.Name}': grouped convolution with {group} groups of {inPerGroup} channels is not supported (only group 1 and depthwise).");
        }

        var result = conv;
        if (node.Input.Count > 8 && node.Input[8].Length > 0)
        {
            var rawBias = OnnxQuantizedGraph.ReadNumbers(cx.Initializer(node, 8), cx.Path);
            var bias = new float[outChannels];
            for (var o = 0; o < outChannels; o++) bias[o] = (float)(rawBias[o] * xScale * ScaleOf(o));
            result = tf.Op(prefix + "/bias_add", "BiasAdd", [conv, tf.Const(prefix + "/bias", bias, outChannels)], new() { ["data_format"] = TfjsGraph.String("NHWC") });
        }
        return Requantize(cx, tf, prefix, result, node, 6, 7);
    }

    /// <summary>What a quantized output does to a float value: snap to the grid and range (EmulateInt8) or clip to the range (Float).</summary>
    private static string Requantize(Context cx, TfjsGraph tf, string prefix, string value, NodeProto node, int scaleIndex, int zeroPointIndex)
    {
        var (scale, low, high) = cx.Quantization(node, scaleIndex, zeroPointIndex);
        if (cx.Activations == TfjsActivations.Float)
        {
            return tf.Op(prefix + "/clip", "ClipByValue", [value, tf.Const(prefix + "/clip_min", [low * scale]), tf.Const(prefix + "/clip_max", [high * scale])]);
        }
        // q − zero point = clip(round(x / scale), q_min − zero point, q_max − zero point); value = that × scale.
        var steps = tf.Op(prefix + "/steps", "RealDiv", [value, tf.Const(prefix + "/scale", [scale])]);
        var rounded = tf.Op(prefix + "/round", "Round", [steps]);
        var clipped = tf.Op(prefix + "/clip", "ClipByValue", [rounded, tf.Const(prefix + "/clip_min", [low]), tf.Const(prefix + "/clip_max", [high])]);
        return tf.Op(prefix + "/dequantized", "Mul", [clipped, prefix + "/scale"]);
    }

    private sealed class Context(string path, GraphProto graph, TfjsActivations activations) : OnnxQuantizedGraph(path, graph)
    {
        public TfjsActivations Activations { get; } = activations;

        /// <summary>ONNX value name → TF node computing its float equivalent.</summary>
        public Dictionary<string, string> Values { get; } = new(StringComparer.Ordinal);

        public string Value(string onnxName)
            => Values.TryGetValue(onnxName, out var tfName) ? tfName : throw new NotSupportedException($"{Path}: value '{onnxName}' is read before any converted node produces it.");

        /// <summary>A quantized output's scale and its range in steps from the zero point: (q_min − zero point, q_max − zero point).</summary>
        public (float Scale, float Low, float High) Quantization(NodeProto node, int scaleIndex, int zeroPointIndex)
        {
            var (scale, zero, int8) = QuantizationOf(node, scaleIndex, zeroPointIndex);
            var (qMin, qMax) = int8 ? (-128.0, 127.0) : (0.0, 255.0);
            return (scale, (float)(qMin - zero), (float)(qMax - zero));
        }
    }
}

/// <summary>How <see cref="ClassifierTfjsConverter"/> treats the int8 backbone's activations in float32.</summary>
public enum TfjsActivations
{
    /// <summary>Snap each quantized activation to its int8 grid and range, as ONNX Runtime computes them (the default).</summary>
    EmulateInt8,
    /// <summary>Keep activations in float32, only clipped to each quantized output's range.</summary>
    Float,
}
