using System.Globalization;
using Onnx;
using VisionConsole.Trainer.Onnx;
using VisionConsole.Trainer.Training;

namespace VisionConsole.Trainer.Export.Tflite;

/// <summary>Which TFLite model to write.</summary>
public enum TfliteVariant
{
    /// <summary>uint8 image in, uint8 scores out, int8 weights and activations inside (as AutoML Vision Edge ships).</summary>
    Quantized,
    /// <summary>float32 throughout: image in [-1, 1] (<c>(pixel − 127.5) / 127.5</c>), float scores out.</summary>
    Float32,
}

/// <summary>What goes into a classifier's TFLite file besides the network.</summary>
public sealed record TfliteExportOptions
{
    /// <summary>Quantized (the default) or float32.</summary>
    public TfliteVariant Variant { get; init; } = TfliteVariant.Quantized;

    /// <summary>
    /// Pooled backbone features of the dataset's own training images (the head's inputs, one vector per image): the
    /// quantized head's activation ranges are calibrated on them. Without them (or with a fine-tuned top) the head runs
    /// in float between the int8 backbone and the uint8 output.
    /// </summary>
    public IReadOnlyList<float[]>? CalibrationFeatures { get; init; }

    /// <summary>Metadata: model name.</summary>
    public string Name { get; init; } = "Vision Console image classifier";

    /// <summary>Metadata: model version.</summary>
    public string Version { get; init; } = "1";

    /// <summary>Metadata: author.</summary>
    public string Author { get; init; } = "Vision Console";

    /// <summary>Metadata: license of the model file.</summary>
    public string License { get; init; } = "Trained by its owner on their own images; the MobileNetV2 backbone is Apache-2.0 (ONNX Model Zoo).";
}

/// <summary>
/// Converts a classifier (the quantized ONNX backbone + its head) to one <c>model.tflite</c> with TFLite Support metadata
/// and <c>dict.txt</c> packed in, which ML Kit's custom image labeler and the Task Library's <c>ImageClassifier</c> load
/// with no other file:
/// <list type="bullet">
/// <item>input <c>image</c>: <c>[1, H, W, 3]</c> RGB, uint8 pixels as they are (quantized) or float <c>(pixel − 127.5) / 127.5</c>
/// (float32), of the centre crop the console predicts on (the preset's crop: the shorter side resized to H, then cropped);</item>
/// <item>output <c>scores</c>: <c>[1, C]</c> probabilities, uint8 with scale 1/256 (quantized) or float.</item>
/// </list>
/// The backbone's own normalization is computed inside the graph (<c>DEQUANTIZE</c>, <c>MUL</c>, <c>ADD</c>, then
/// <c>QUANTIZE</c> with the ONNX input's scale). Quantized: the ONNX Model Zoo's uint8 activations become int8 ones (the
/// same real values: zero point − 128, exact), its int8 per-channel symmetric weights and int32 biases are used as they
/// are, <c>QLinearConv</c> → <c>CONV_2D</c> / <c>DEPTHWISE_CONV_2D</c> (with an explicit <c>PAD</c> where ONNX pads
/// differ from TFLite's SAME), <c>QLinearAdd</c> → <c>ADD</c>; the head is int8 (<c>MEAN</c>, <c>FULLY_CONNECTED</c> with
/// the standardization folded into its weights, <c>SOFTMAX</c>/<c>LOGISTIC</c>), its activation ranges calibrated on
/// <see cref="TfliteExportOptions.CalibrationFeatures"/>. Float32: the weights dequantized and each quantized activation
/// clipped to its range (as <see cref="TfjsActivations.Float"/>). A fine-tuned top and the head above it run in float
/// after a <c>DEQUANTIZE</c> of the cut. Test-time flip: the normalized image and its mirror (<c>REVERSE_V2</c>) are one
/// batch of two (<c>CONCATENATION</c>) and the two probability rows are averaged (<c>MEAN</c>), as the console predicts.
/// </summary>
public static class ClassifierTfliteConverter
{
    /// <summary>Name of the image input.</summary>
    public const string InputName = "image";

    /// <summary>Name of the scores output.</summary>
    public const string OutputName = "scores";

    /// <summary>The labels file packed into the model and named by its metadata.</summary>
    public const string LabelsFile = "dict.txt";

    /// <summary>The uint8 scores' scale (TFLite's quantized softmax output).</summary>
    public const float ScoreScale = 1f / 256f;

    /// <summary>The float variant's input normalization: <c>(pixel − 127.5) / 127.5</c>.</summary>
    public const float FloatInputCentre = 127.5f;

    /// <summary>Returns the model file's bytes (flatbuffer, metadata, labels zip).</summary>
    /// <exception cref="NotSupportedException">The backbone uses an op or a layout with no conversion (the message names the node).</exception>
    public static byte[] Convert(ClassifierBackbone backbone, ClassifierHead head, TfliteExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentNullException.ThrowIfNull(head);
        options ??= new TfliteExportOptions();
        head.Validate(backbone.FeatureDimension);
        var onnx = OnnxModelBuilder.Load(backbone.OnnxPath).Graph;
        var cx = new Context(backbone.OnnxPath, onnx, options.Variant == TfliteVariant.Quantized);
        var pre = backbone.Preprocessing;

        // Input and the backbone's normalization: x·k + a per channel on the float pixels.
        var k = new float[3];
        var a = new float[3];
        int pixels;
        if (cx.Quantized)
        {
            var input = cx.G.Activation(InputName, [1, pre.Height, pre.Width, 3], TfliteType.UInt8, TfliteQuantization.PerTensor(1f, 0));
            cx.G.Inputs.Add(input);
            pixels = cx.G.Op(TfliteOp.Dequantize, 1, [input], Float("preprocess/pixels", 1, pre.Height, pre.Width, 3), TfliteOptionTables.Dequantize());
            for (var c = 0; c < 3; c++)
            {
                k[c] = pre.Scale / pre.Std[c];
                a[c] = -pre.Mean[c] / pre.Std[c];
            }
        }
        else
        {
            pixels = cx.G.Activation(InputName, [1, pre.Height, pre.Width, 3], TfliteType.Float32);
            cx.G.Inputs.Add(pixels);
            for (var c = 0; c < 3; c++)
            {
                k[c] = FloatInputCentre * pre.Scale / pre.Std[c];
                a[c] = (FloatInputCentre * pre.Scale - pre.Mean[c]) / pre.Std[c];
            }
        }
        var scaled = cx.G.Op(TfliteOp.Mul, 1, [pixels, cx.G.Constant("preprocess/scale", [3], k)], Float("preprocess/scaled", 1, pre.Height, pre.Width, 3), TfliteOptionTables.Mul());
        var normalized = cx.G.Op(TfliteOp.Add, 1, [scaled, cx.G.Constant("preprocess/offset", [3], a)], Float("preprocess/normalized", 1, pre.Height, pre.Width, 3), TfliteOptionTables.Add());
        if (head.TestTimeFlip)
        {
            var mirrored = cx.G.Op(TfliteOp.ReverseV2, 1, [normalized, cx.G.Constant("flip/width_axis", [1], [2])], Float("flip/mirrored", 1, pre.Height, pre.Width, 3), TfliteOptionTables.ReverseV2());
            normalized = cx.G.Op(TfliteOp.Concatenation, 1, [normalized, mirrored], Float("flip/with_mirror", 2, pre.Height, pre.Width, 3), TfliteOptionTables.Concatenation(0));
        }
        cx.Values[backbone.InputName] = normalized;

        foreach (var node in cx.NodesNeededFor(head.Top is null ? backbone.FeatureMapName : head.CutValue!))
        {
            ConvertNode(cx, node);
        }

        var quantizedHead = cx.Quantized && head.Top is null && options.CalibrationFeatures is { Count: > 0 };
        var scores = quantizedHead
            ? QuantizedHead(cx, cx.Value(backbone.FeatureMapName), head, options.CalibrationFeatures!)
            : FloatHead(cx, head.Top is { } top ? ConvertTop(cx, cx.FloatValue(head.CutValue!), top) : cx.FloatValue(backbone.FeatureMapName), head);
        cx.G.Outputs.Add(scores);

        var metadata = new TfliteModelMetadata(
            options.Name,
            string.Create(CultureInfo.InvariantCulture, $"Classifies an image into {head.ClassCount} labels ({(head.Activation == HeadActivation.Softmax ? "one label" : "several labels")} an image){(head.TestTimeFlip ? ", averaging the image and its mirror image" : "")}."),
            options.Version, options.Author, options.License,
            InputName, pre.Width, pre.Height,
            cx.Quantized ? new TfliteNormalization([0f], [1f]) : new TfliteNormalization([FloatInputCentre], [FloatInputCentre]),
            [new TfliteOutputMetadata(OutputName, "Probability of each label.", TfliteOutputContent.Scores, LabelsFile)]);
        var model = TfliteModelWriter.Write(cx.G, $"Vision Console ClassifierTfliteConverter from {Path.GetFileName(backbone.OnnxPath)}",
            [(TfliteModelWriter.MetadataName, TfliteMetadataWriter.Write(metadata))]);
        return TfliteMetadataWriter.AppendFiles(model, [(LabelsFile, TfliteMetadataWriter.LabelsFile(head.Labels))]);
    }

    /// <summary>int8 head: MEAN, FULLY_CONNECTED layers (standardization folded in), SOFTMAX/LOGISTIC, flip MEAN, uint8 output.</summary>
    private static int QuantizedHead(Context cx, int featureMap, ClassifierHead head, IReadOnlyList<float[]> calibration)
    {
        var batch = cx.G.Tensors[featureMap].Shape[0];
        var d = head.FeatureDimension;
        var activations = calibration.Select(f => f.Length == d ? f : throw new ArgumentException($"A calibration feature vector has {f.Length} values; the head takes {d}.")).ToArray();
        var pooledQuantization = Calibrated(activations, "pooled features");
        var x = cx.G.Op(TfliteOp.Mean, 2, [featureMap, cx.G.Constant("head/spatial_axes", [2], [1, 2])],
            Int8("head/features", pooledQuantization, batch, d), TfliteOptionTables.Reducer(keepDims: false));

        var layers = head.HiddenLayers.Select(l => (l.Weights, l.Bias, l.Inputs, l.Outputs, Relu: true))
            .Append((head.Weights, head.Bias, Inputs: head.LogitsInputs, Outputs: head.ClassCount, Relu: false)).ToArray();
        for (var n = 0; n < layers.Length; n++)
        {
            var (weights, bias, inputs, outputs) = n == 0 ? Standardized(layers[0].Weights, layers[0].Bias, head, layers[0].Outputs) : (layers[n].Weights, layers[n].Bias, layers[n].Inputs, layers[n].Outputs);
            var inputQuantization = cx.G.Tensors[x].Quantization!;
            var weightScale = Math.Max(weights.Max(MathF.Abs), 1e-12f) / 127f;
            var q = weights.Select(w => (sbyte)Math.Clamp(MathF.Round(w / weightScale, MidpointRounding.ToEven), -127, 127)).ToArray();
            var biasScale = inputQuantization.Scale[0] * weightScale;
            var qBias = bias.Select(v => (int)Math.Clamp(Math.Round(v / (double)biasScale, MidpointRounding.ToEven), int.MinValue, int.MaxValue)).ToArray();
            activations = Dense(activations, weights, bias, inputs, outputs, layers[n].Relu);
            var name = layers[n].Relu ? $"head/hidden{n}" : "head/logits";
            x = cx.G.Op(TfliteOp.FullyConnected, 4,
                [x, cx.G.Constant(name + "/weights", [outputs, inputs], q, TfliteQuantization.PerTensor(weightScale, 0)),
                    cx.G.Constant(name + "/bias", [outputs], qBias, TfliteQuantization.PerTensor(biasScale, 0))],
                Int8(name, Calibrated(activations, name), batch, outputs), TfliteOptionTables.FullyConnected(layers[n].Relu ? TfliteActivation.Relu : TfliteActivation.None));
        }

        // TFLite's quantized softmax and logistic write [0, 1) on the fixed grid 1/256 (int8 zero point −128).
        var probabilities = TfliteQuantization.PerTensor(ScoreScale, -128);
        x = head.Activation == HeadActivation.Softmax
            ? cx.G.Op(TfliteOp.Softmax, 2, [x], Int8("head/probabilities", probabilities, batch, head.ClassCount), TfliteOptionTables.Softmax())
            : cx.G.Op(TfliteOp.Logistic, 2, [x], Int8("head/probabilities", probabilities, batch, head.ClassCount));
        if (batch == 2)
        {
            x = cx.G.Op(TfliteOp.Mean, 2, [x, cx.G.Constant("flip/batch_axis", [1], [0])], Int8("flip/mean", probabilities, 1, head.ClassCount), TfliteOptionTables.Reducer(keepDims: true));
        }
        return cx.G.Op(TfliteOp.Quantize, 1, [x], new TfliteTensor(OutputName, [1, head.ClassCount], TfliteType.UInt8, null, TfliteQuantization.PerTensor(ScoreScale, 0)), TfliteOptionTables.Quantize());
    }

    /// <summary>Float head on a float feature map: MEAN, FULLY_CONNECTED layers, SOFTMAX/LOGISTIC, flip MEAN, then uint8 (quantized) or float scores.</summary>
    private static int FloatHead(Context cx, int featureMap, ClassifierHead head)
    {
        var batch = cx.G.Tensors[featureMap].Shape[0];
        var d = head.FeatureDimension;
        var x = cx.G.Op(TfliteOp.Mean, 1, [featureMap, cx.G.Constant("head/spatial_axes", [2], [1, 2])], Float("head/features", batch, d), TfliteOptionTables.Reducer(keepDims: false));
        var layers = head.HiddenLayers.Select(l => (l.Weights, l.Bias, l.Inputs, l.Outputs, Relu: true))
            .Append((head.Weights, head.Bias, Inputs: head.LogitsInputs, Outputs: head.ClassCount, Relu: false)).ToArray();
        for (var n = 0; n < layers.Length; n++)
        {
            var (weights, bias, inputs, outputs) = n == 0 ? Standardized(layers[0].Weights, layers[0].Bias, head, layers[0].Outputs) : (layers[n].Weights, layers[n].Bias, layers[n].Inputs, layers[n].Outputs);
            var name = layers[n].Relu ? $"head/hidden{n}" : "head/logits";
            x = cx.G.Op(TfliteOp.FullyConnected, 1, [x, cx.G.Constant(name + "/weights", [outputs, inputs], weights), cx.G.Constant(name + "/bias", [outputs], bias)],
                Float(name, batch, outputs), TfliteOptionTables.FullyConnected(layers[n].Relu ? TfliteActivation.Relu : TfliteActivation.None));
        }
        var last = !cx.Quantized && batch == 1;
        x = head.Activation == HeadActivation.Softmax
            ? cx.G.Op(TfliteOp.Softmax, 1, [x], Float(last ? OutputName : "head/probabilities", batch, head.ClassCount), TfliteOptionTables.Softmax())
            : cx.G.Op(TfliteOp.Logistic, 1, [x], Float(last ? OutputName : "head/probabilities", batch, head.ClassCount));
        if (batch == 2)
        {
            x = cx.G.Op(TfliteOp.Mean, 1, [x, cx.G.Constant("flip/batch_axis", [1], [0])], Float(cx.Quantized ? "flip/mean" : OutputName, 1, head.ClassCount), TfliteOptionTables.Reducer(keepDims: true));
        }
        return cx.Quantized
            ? cx.G.Op(TfliteOp.Quantize, 1, [x], new TfliteTensor(OutputName, [1, head.ClassCount], TfliteType.UInt8, null, TfliteQuantization.PerTensor(ScoreScale, 0)), TfliteOptionTables.Quantize())
            : x;
    }

    /// <summary>The first dense layer with the standardization folded in: <c>W' = W / std</c>, <c>b' = b − W' · mean</c>.</summary>
    private static (float[] Weights, float[] Bias, int Inputs, int Outputs) Standardized(float[] weights, float[] bias, ClassifierHead head, int outputs)
    {
        var d = head.FeatureDimension;
        var folded = new float[weights.Length];
        var foldedBias = new float[outputs];
        for (var o = 0; o < outputs; o++)
        {
            double shift = 0;
            for (var j = 0; j < d; j++)
            {
                var w = weights[o * d + j] / head.Std[j];
                folded[o * d + j] = w;
                shift += (double)w * head.Mean[j];
            }
            foldedBias[o] = (float)(bias[o] - shift);
        }
        return (folded, foldedBias, d, outputs);
    }

    /// <summary>The float outputs of a dense layer on each calibration vector (for the next layer's range).</summary>
    private static float[][] Dense(float[][] inputs, float[] weights, float[] bias, int inputCount, int outputCount, bool relu)
        => [.. inputs.Select(x =>
        {
            var y = new float[outputCount];
            for (var o = 0; o < outputCount; o++)
            {
                double sum = bias[o];
                for (var j = 0; j < inputCount; j++) sum += (double)weights[o * inputCount + j] * x[j];
                y[o] = relu ? MathF.Max(0f, (float)sum) : (float)sum;
            }
            return y;
        })];

    /// <summary>An int8 quantization covering the calibration values and 0 (so ReLU and zero padding stay exact).</summary>
    private static TfliteQuantization Calibrated(float[][] values, string what)
    {
        var low = 0f;
        var high = 0f;
        foreach (var v in values)
        {
            foreach (var x in v)
            {
                if (!float.IsFinite(x)) throw new ArgumentException($"A calibration value of the {what} is {x}.");
                low = MathF.Min(low, x);
                high = MathF.Max(high, x);
            }
        }
        var scale = Math.Max(high - low, 1e-6f) / 255f;
        var zeroPoint = (long)Math.Clamp(Math.Round(-128 - low / scale), -128, 127);
        return TfliteQuantization.PerTensor(scale, zeroPoint);
    }

    /// <summary>The fine-tuned top in float on the dequantized cut: per layer CONV_2D (1x1) or DEPTHWISE_CONV_2D (SAME), ReLU6 or ReLU + MINIMUM for its clip.</summary>
    private static int ConvertTop(Context cx, int cut, ConvTop top)
    {
        var x = cut;
        var shape = cx.G.Tensors[cut].Shape;
        for (var n = 0; n < top.Layers.Count; n++)
        {
            var layer = top.Layers[n];
            var kernel = layer.Kernel;
            var prefix = $"top/layer{n}";
            var inputs = layer.Depthwise ? 1 : layer.Inputs;
            var filter = new float[layer.Weights.Length];
            for (var o = 0; o < layer.Outputs; o++)
            {
                for (var i = 0; i < inputs; i++)
                {
                    for (var y = 0; y < kernel; y++)
                    {
                        for (var xk = 0; xk < kernel; xk++)
                        {
                            var value = layer.Weights[((o * inputs + i) * kernel + y) * kernel + xk];
                            filter[layer.Depthwise ? (y * kernel + xk) * layer.Outputs + o : ((o * kernel + y) * kernel + xk) * inputs + i] = value;
                        }
                    }
                }
            }
            var activation = layer.ClipMax is 6f ? TfliteActivation.Relu6 : layer.ClipMax is null ? TfliteActivation.None : TfliteActivation.Relu;
            var padding = kernel == 1 ? TflitePadding.Valid : TflitePadding.Same;
            var output = Float(prefix, shape[0], shape[1], shape[2], layer.Outputs);
            x = layer.Depthwise
                ? cx.G.Op(TfliteOp.DepthwiseConv2D, 1, [x, cx.G.Constant(prefix + "/filter", [1, kernel, kernel, layer.Outputs], filter), cx.G.Constant(prefix + "/bias", [layer.Outputs], layer.Bias)],
                    output, TfliteOptionTables.DepthwiseConv2D(padding, 1, 1, 1, activation))
                : cx.G.Op(TfliteOp.Conv2D, 1, [x, cx.G.Constant(prefix + "/filter", [layer.Outputs, kernel, kernel, inputs], filter), cx.G.Constant(prefix + "/bias", [layer.Outputs], layer.Bias)],
                    output, TfliteOptionTables.Conv2D(padding, 1, 1, activation));
            if (activation == TfliteActivation.Relu)
            {
                x = cx.G.Op(TfliteOp.Minimum, 1, [x, cx.G.Constant(prefix + "/clip_max", [1], [layer.ClipMax!.Value])], Float(prefix + "/clip", shape[0], shape[1], shape[2], layer.Outputs), TfliteOptionTables.MaximumMinimum());
            }
            shape = [shape[0], shape[1], shape[2], layer.Outputs];
        }
        return x;
    }

    private static void ConvertNode(Context cx, NodeProto node)
    {
        var name = "backbone/" + (string.IsNullOrEmpty(node.Name) ? node.Output[0] : node.Name);
        switch (node.OpType)
        {
            case "QuantizeLinear":
            {
                var input = cx.Value(node.Input[0]);
                cx.Values[node.Output[0]] = cx.Quantized
                    ? cx.G.Op(TfliteOp.Quantize, 1, [input], Int8(name, cx.Int8Quantization(node, 1, 2), cx.G.Tensors[input].Shape), TfliteOptionTables.Quantize())
                    : input;
                break;
            }
            case "DequantizeLinear":
                // Values keep their int8 tensor (quantized) or are float already; a float reader dequantizes (Context.FloatValue).
                cx.Expect(node, 0, 1, 2);
                cx.Values[node.Output[0]] = cx.Value(node.Input[0]);
                break;
            case "QLinearAdd":
            {
                cx.Expect(node, 0, 1, 2);
                cx.Expect(node, 3, 4, 5);
                var left = cx.Value(node.Input[0]);
                var shape = cx.G.Tensors[left].Shape;
                var sum = cx.Quantized
                    ? cx.G.Op(TfliteOp.Add, 2, [left, cx.Value(node.Input[3])], Int8(name, cx.Int8Quantization(node, 6, 7), shape), TfliteOptionTables.Add())
                    : cx.G.Op(TfliteOp.Add, 1, [left, cx.Value(node.Input[3])], Float(name, shape), TfliteOptionTables.Add());
                cx.Values[node.Output[0]] = cx.Quantized ? sum : Clip(cx, name, sum, node, 6, 7);
                break;
            }
            case "QLinearConv":
                cx.Values[node.Output[0]] = ConvertConv(cx, node, name);
                break;
            default:
                throw new NotSupportedException($"{cx.Path}: node '{node.Name}' ({node.Domain}{(node.Domain.Length > 0 ? "." : "")}{node.OpType}) has no TFLite conversion.");
        }
    }

    private static int ConvertConv(Context cx, NodeProto node, string name)
    {
        // Inputs: x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, [B].
        cx.Expect(node, 0, 1, 2);
        var weight = cx.Initializer(node, 3);
        var dims = weight.Dims.Select(v => (int)v).ToArray();
        if (dims.Length != 4) throw new NotSupportedException($"{cx.Path}: node '{node.Name}': only 2-D convolutions are supported (weight rank {dims.Length}).");
        int outChannels = dims[0], inPerGroup = dims[1], kh = dims[2], kw = dims[3];
        var w = OnnxQuantizedGraph.ReadNumbers(weight, cx.Path);
        var wScale = cx.Numbers(node, 4);
        var wZero = cx.Numbers(node, 5);
        var xScale = cx.Numbers(node, 1)[0];
        double ScaleOf(int o) => wScale.Length == 1 ? wScale[0] : wScale[o];
        double ZeroOf(int o) => wZero.Length == 1 ? wZero[0] : wZero[o];
        if (cx.Quantized && ((global::Onnx.TensorProto.Types.DataType)weight.DataType != global::Onnx.TensorProto.Types.DataType.Int8 || wZero.Any(z => z != 0)))
        {
            throw new NotSupportedException($"{cx.Path}: node '{node.Name}': TFLite's int8 convolutions need symmetric int8 weights (zero point 0); '{weight.Name}' is not.");
        }

        var group = (int)OnnxQuantizedGraph.Attribute(node, "group", 1);
        var strides = OnnxQuantizedGraph.Ints(node, "strides", [1, 1]).Select(v => (int)v).ToArray();
        var dilations = OnnxQuantizedGraph.Ints(node, "dilations", [1, 1]).Select(v => (int)v).ToArray();
        var pads = OnnxQuantizedGraph.Ints(node, "pads", [0, 0, 0, 0]).Select(v => (int)v).ToArray();
        if (node.Attribute.Any(at => at.Name == "auto_pad" && at.S.ToStringUtf8() is not ("" or "NOTSET")))
        {
            throw new NotSupportedException($"{cx.Path}: node '{node.Name}': auto_pad is not supported; explicit pads are.");
        }
        var depthwise = group != 1;
        if (depthwise && !(inPerGroup == 1 && group == outChannels))
        {
            throw new NotSupportedException($"{cx.Path}: node '{node.Name}': grouped convolution with {group} groups of {inPerGroup} channels is not supported (only group 1 and depthwise).");
        }

        var x = cx.Value(node.Input[0]);
        var inShape = cx.G.Tensors[x].Shape;
        var (padding, padded) = Padding(inShape, kh, kw, strides, dilations, pads);
        if (padded is { } explicitPads)
        {
            var paddedShape = new[] { inShape[0], inShape[1] + pads[0] + pads[2], inShape[2] + pads[1] + pads[3], inShape[3] };
            x = Pad(cx, name, x, explicitPads, paddedShape);
            inShape = paddedShape;
        }
        var outH = padding == TflitePadding.Same ? (inShape[1] + strides[0] - 1) / strides[0] : (inShape[1] - ((kh - 1) * dilations[0] + 1)) / strides[0] + 1;
        var outW = padding == TflitePadding.Same ? (inShape[2] + strides[1] - 1) / strides[1] : (inShape[2] - ((kw - 1) * dilations[1] + 1)) / strides[1] + 1;
        int[] outShape = [inShape[0], outH, outW, outChannels];
        var rawBias = node.Input.Count > 8 && node.Input[8].Length > 0 ? cx.Numbers(node, 8) : new double[outChannels];

        // ONNX [O, I, kh, kw] to TFLite's OHWI (full) or [1, kh, kw, C] (depthwise).
        int FilterIndex(int o, int i, int y, int xk) => depthwise ? (y * kw + xk) * outChannels + o : ((o * kh + y) * kw + xk) * inPerGroup + i;
        int[] filterShape = depthwise ? [1, kh, kw, outChannels] : [outChannels, kh, kw, inPerGroup];
        var op = depthwise ? TfliteOp.DepthwiseConv2D : TfliteOp.Conv2D;
        var options = depthwise
            ? TfliteOptionTables.DepthwiseConv2D(padding, strides[1], strides[0], 1, TfliteActivation.None, dilations[1], dilations[0])
            : TfliteOptionTables.Conv2D(padding, strides[1], strides[0], TfliteActivation.None, dilations[1], dilations[0]);
        if (cx.Quantized)
        {
            var filter = new sbyte[w.Length];
            for (var o = 0; o < outChannels; o++)
            {
                for (var i = 0; i < inPerGroup; i++)
                {
                    for (var y = 0; y < kh; y++)
                    {
                        for (var xk = 0; xk < kw; xk++) filter[FilterIndex(o, i, y, xk)] = (sbyte)w[((o * inPerGroup + i) * kh + y) * kw + xk];
                    }
                }
            }
            var scales = Enumerable.Range(0, outChannels).Select(o => (float)ScaleOf(o)).ToArray();
            var filterTensor = cx.G.Constant(name + "/filter", filterShape, filter, new TfliteQuantization(scales, new long[outChannels], depthwise ? 3 : 0));
            var biasTensor = cx.G.Constant(name + "/bias", [outChannels], rawBias.Select(v => (int)v).ToArray(),
                new TfliteQuantization([.. scales.Select(s => (float)(s * xScale))], new long[outChannels]));
            return cx.G.Op(op, 3, [x, filterTensor, biasTensor], Int8(name, cx.Int8Quantization(node, 6, 7), outShape), options);
        }

        var floatFilter = new float[w.Length];
        for (var o = 0; o < outChannels; o++)
        {
            for (var i = 0; i < inPerGroup; i++)
            {
                for (var y = 0; y < kh; y++)
                {
                    for (var xk = 0; xk < kw; xk++) floatFilter[FilterIndex(o, i, y, xk)] = (float)((w[((o * inPerGroup + i) * kh + y) * kw + xk] - ZeroOf(o)) * ScaleOf(o));
                }
            }
        }
        var floatBias = Enumerable.Range(0, outChannels).Select(o => (float)(rawBias[o] * xScale * ScaleOf(o))).ToArray();
        var conv = cx.G.Op(op, 1, [x, cx.G.Constant(name + "/filter", filterShape, floatFilter), cx.G.Constant(name + "/bias", [outChannels], floatBias)], Float(name, outShape), options);
        return Clip(cx, name, conv, node, 6, 7);
    }

    /// <summary>
    /// Pads with real zeros. A quantized tensor is padded where its zero is the raw value 0, in uint8 with zero point 0
    /// (activations after a ReLU) or else in float, and requantized as it was (both exact): TFLite's own PAD fills an
    /// int8 tensor with its zero point, but Arm NN 20.08's parser writes a raw 0 whatever the zero point is.
    /// </summary>
    private static int Pad(Context cx, string name, int x, int[] paddings, int[] paddedShape)
    {
        var paddingsTensor = cx.G.Constant(name + "/paddings", [4, 2], paddings);
        var source = cx.G.Tensors[x];
        if (!cx.Quantized)
        {
            return cx.G.Op(TfliteOp.Pad, 1, [x, paddingsTensor], Float(name + "/pad", paddedShape), TfliteOptionTables.Pad());
        }
        var q = source.Quantization!;
        int padded;
        if (q.ZeroPoint[0] == -128)
        {
            var unsigned = TfliteQuantization.PerTensor(q.Scale[0], 0);
            var asUint8 = cx.G.Op(TfliteOp.Quantize, 1, [x], new TfliteTensor(name + "/uint8", source.Shape, TfliteType.UInt8, null, unsigned), TfliteOptionTables.Quantize());
            padded = cx.G.Op(TfliteOp.Pad, 1, [asUint8, paddingsTensor], new TfliteTensor(name + "/pad", paddedShape, TfliteType.UInt8, null, unsigned), TfliteOptionTables.Pad());
        }
        else
        {
            var real = cx.G.Op(TfliteOp.Dequantize, 2, [x], Float(name + "/real", source.Shape), TfliteOptionTables.Dequantize());
            padded = cx.G.Op(TfliteOp.Pad, 1, [real, paddingsTensor], Float(name + "/pad", paddedShape), TfliteOptionTables.Pad());
        }
        return cx.G.Op(TfliteOp.Quantize, 1, [padded], Int8(name + "/padded", q, paddedShape), TfliteOptionTables.Quantize());
    }

    /// <summary>
    /// TFLite's padding for ONNX pads: VALID without pads, SAME where TFLite's SAME pads the same way (same output size,
    /// same padding before), otherwise explicit paddings for a PAD op before a VALID convolution.
    /// </summary>
    private static (TflitePadding Padding, int[]? Explicit) Padding(int[] inShape, int kh, int kw, int[] strides, int[] dilations, int[] pads)
    {
        if (pads.All(p => p == 0)) return (TflitePadding.Valid, null);
        bool SameAs(int size, int kernel, int stride, int dilation, int before, int after)
        {
            var extent = (kernel - 1) * dilation + 1;
            var sameOut = (size + stride - 1) / stride;
            var sameBefore = Math.Max((sameOut - 1) * stride + extent - size, 0) / 2;
            var onnxOut = (size + before + after - extent) / stride + 1;
            return sameOut == onnxOut && sameBefore == before;
        }
        if (SameAs(inShape[1], kh, strides[0], dilations[0], pads[0], pads[2]) && SameAs(inShape[2], kw, strides[1], dilations[1], pads[1], pads[3]))
        {
            return (TflitePadding.Same, null);
        }
        // ONNX pads are [top, left, bottom, right]; PAD's paddings are (before, after) per NHWC axis.
        return (TflitePadding.Valid, [0, 0, pads[0], pads[2], pads[1], pads[3], 0, 0]);
    }

    /// <summary>Float variant: a quantized output's range as a clip (ReLU where it starts at 0, MINIMUM and MAXIMUM for its bounds).</summary>
    private static int Clip(Context cx, string name, int value, NodeProto node, int scaleIndex, int zeroPointIndex)
    {
        var (scale, zero, int8) = cx.QuantizationOf(node, scaleIndex, zeroPointIndex);
        var (qMin, qMax) = int8 ? (-128L, 127L) : (0L, 255L);
        var low = (qMin - zero) * scale;
        var high = (qMax - zero) * scale;
        var shape = cx.G.Tensors[value].Shape;
        var clipped = cx.G.Op(TfliteOp.Minimum, 1, [value, cx.G.Constant(name + "/clip_max", [1], [high])], Float(name + "/clip_max_out", shape), TfliteOptionTables.MaximumMinimum());
        return cx.G.Op(TfliteOp.Maximum, 1, [clipped, cx.G.Constant(name + "/clip_min", [1], [low])], Float(name + "/clip", shape), TfliteOptionTables.MaximumMinimum());
    }

    private static TfliteTensor Float(string name, params int[] shape) => new(name, shape, TfliteType.Float32, null, null);

    private static TfliteTensor Int8(string name, TfliteQuantization quantization, params int[] shape) => new(name, shape, TfliteType.Int8, null, quantization);

    private sealed class Context(string path, GraphProto graph, bool quantized) : OnnxQuantizedGraph(path, graph)
    {
        private readonly Dictionary<int, int> _dequantized = [];

        public bool Quantized { get; } = quantized;

        public TfliteGraph G { get; } = new();

        /// <summary>ONNX value name → the TFLite tensor holding it (int8 for a quantized value in the quantized variant, else float).</summary>
        public Dictionary<string, int> Values { get; } = new(StringComparer.Ordinal);

        public int Value(string onnxName)
            => Values.TryGetValue(onnxName, out var index) ? index : throw new NotSupportedException($"{Path}: value '{onnxName}' is read before any converted node produces it.");

        /// <summary>The value as float: its int8 tensor dequantized once (quantized variant), or itself.</summary>
        public int FloatValue(string onnxName)
        {
            var index = Value(onnxName);
            if (G.Tensors[index].Type == TfliteType.Float32) return index;
            if (!_dequantized.TryGetValue(index, out var dequantized))
            {
                var t = G.Tensors[index];
                dequantized = G.Op(TfliteOp.Dequantize, 2, [index], new TfliteTensor(t.Name + "/dequantized", t.Shape, TfliteType.Float32, null, null), TfliteOptionTables.Dequantize());
                _dequantized[index] = dequantized;
            }
            return dequantized;
        }

        /// <summary>An ONNX uint8 (or int8) quantization as TFLite int8: the same scale, zero point − 128 for uint8.</summary>
        public TfliteQuantization Int8Quantization(NodeProto node, int scaleIndex, int zeroPointIndex)
        {
            var (scale, zero, int8) = QuantizationOf(node, scaleIndex, zeroPointIndex);
            return TfliteQuantization.PerTensor(scale, int8 ? zero : zero - 128);
        }

        /// <summary>Checks that a node reads its input with the quantization the producing tensor carries (quantized variant).</summary>
        public void Expect(NodeProto node, int valueIndex, int scaleIndex, int zeroPointIndex)
        {
            if (!Quantized) return;
            var tensor = G.Tensors[Value(node.Input[valueIndex])];
            var expected = Int8Quantization(node, scaleIndex, zeroPointIndex);
            if (tensor.Quantization is not { } q || q.ZeroPoint[0] != expected.ZeroPoint[0] || Math.Abs(q.Scale[0] - expected.Scale[0]) > 1e-6 * expected.Scale[0])
            {
                throw new NotSupportedException($"{Path}: node '{node.Name}' ({node.OpType}) reads '{node.Input[valueIndex]}' with another quantization than its producer writes it with.");
            }
        }
    }
}
