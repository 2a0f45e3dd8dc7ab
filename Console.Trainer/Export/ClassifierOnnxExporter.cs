using Google.Protobuf;
using Onnx;
using VisionConsole.Trainer.Onnx;
using VisionConsole.Trainer.Zoo;
using DataType = Onnx.TensorProto.Types.DataType;

namespace VisionConsole.Trainer.Export;

/// <summary>
/// Writes a trained classifier (frozen backbone + linear head) as ONE self-contained ONNX graph
/// that takes the pixels a phone or a browser has:
/// <list type="bullet">
/// <item>input <c>image</c>: uint8 <c>[N, H, W, 3]</c> (224 x 224 for MobileNetV2), RGB, channels last (NHWC),
/// already fitted to the size (the console centre-crops);</item>
/// <item>output <c>scores</c>: float <c>[N, C]</c>, class order of <c>dict.txt</c>; softmax probabilities
/// (single-label) or independent sigmoid scores (multi-label), averaged over the image and its mirror image with
/// <see cref="ClassifierHead.TestTimeFlip"/>.</item>
/// </list>
/// Inside: <c>Cast</c> → <c>/255 − mean ÷ std</c> → <c>Transpose</c> to NCHW → the backbone's own nodes and
/// initializers (every name prefixed <see cref="BackbonePrefix"/>, opset kept as the backbone's, 12 for
/// MobileNetV2 int8) → <c>GlobalAveragePool</c> of the feature map → <c>Flatten</c> = <c>features</c> [N, D]
/// → <c>(x − mean) ÷ std</c> → [<c>Gemm</c> + <c>Relu</c> per hidden layer] → <c>Gemm</c> (W, b) = <c>logits</c> → <c>Softmax</c> / <c>Sigmoid</c>.
/// <para>
/// With <see cref="ClassifierHead.TestTimeFlip"/> the graph computes what the console's prediction does for such a model
/// (the mean of the head's probabilities on the image and on its mirror image): the normalized NCHW batch x [N,3,H,W]
/// is mirrored along W (<c>Slice</c>, step −1) and <c>Concat</c>enated after itself, [x; mirror(x)] [2N,3,H,W], runs through
/// the backbone and head once, and the probabilities [2N, C] are <c>Reshape</c>d to [2, N, C] and <c>ReduceMean</c>ed over
/// the first axis into <c>scores</c> [N, C]. Input and output are the same as without it.
/// </para>
/// </summary>
public static class ClassifierOnnxExporter
{
    /// <summary>Name of the uint8 NHWC image input.</summary>
    public const string InputName = "image";

    /// <summary>Name of the float [N, C] score output.</summary>
    public const string OutputName = "scores";

    /// <summary>Name of the pooled [N, D] feature value inside the graph.</summary>
    public const string FeaturesName = "features";

    /// <summary>Name of the pre-activation [N, C] value inside the graph ([2N, C] with test-time flip).</summary>
    public const string LogitsName = "logits";

    /// <summary>Name of the [2N, C] probabilities of the images and their mirror images inside a graph with test-time flip.</summary>
    public const string ProbabilitiesName = "probabilities";

    /// <summary>Prefix given to every node, value and initializer name copied from the backbone.</summary>
    public const string BackbonePrefix = "backbone/";

    /// <summary>Builds the exported model and returns its bytes.</summary>
    /// <exception cref="ArgumentException">The head does not fit the backbone (the message says which part).</exception>
    /// <exception cref="InvalidDataException">The backbone file is not an ONNX model with the named input and feature map.</exception>
    public static byte[] Export(ClassifierBackbone backbone, ClassifierHead head)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentNullException.ThrowIfNull(head);
        head.Validate(backbone.FeatureDimension);
        var pre = backbone.Preprocessing;
        if (pre.Layout != TensorLayout.Nchw || pre.Mean.Length != 3 || pre.Std.Length != 3)
        {
            throw new ArgumentException($"Backbone {backbone.OnnxPath}: the exporter needs an NCHW RGB input with 3 means and 3 stds.", nameof(backbone));
        }

        var source = OnnxModelBuilder.Load(backbone.OnnxPath).Model;
        RequireBackboneValues(source.Graph, backbone);
        PrefixNames(source.Graph, BackbonePrefix, backbone.OnnxPath);
        source.Graph.Input.Clear();
        source.Graph.Output.Clear();
        source.Graph.Name = "classifier";
        source.ProducerName = "VisionConsole";
        source.ProducerVersion = typeof(ClassifierOnnxExporter).Assembly.GetName().Version?.ToString() ?? "0";
        source.DocString = $"Image classifier: input '{InputName}' uint8 [N,{pre.Height},{pre.Width},3] RGB NHWC; output '{OutputName}' float [N,{head.ClassCount}] ({head.Activation}"
            + (head.TestTimeFlip ? ", mean of the image's and its mirror image's)." : ").");

        var b = OnnxModelBuilder.Load(source.ToByteArray());
        b.AddInput(InputName, DataType.Uint8, null, pre.Height, pre.Width, 3);

        // Pixels → the backbone's normalized NCHW input, spelled as the backbone documents it.
        var pixels = b.Op("Cast", "pixels_float", [InputName], OnnxAttribute.Int("to", (long)DataType.Float));
        var unit = b.Op("Mul", "pixels_unit", [pixels, b.AddFloatConstant("preprocess/scale", [pre.Scale])]);
        var centred = b.Op("Sub", "pixels_centred", [unit, b.AddFloatConstant("preprocess/mean", pre.Mean, 3)]);
        var normalized = b.Op("Div", "pixels_normalized", [centred, b.AddFloatConstant("preprocess/std", pre.Std, 3)]);
        var backboneInput = BackbonePrefix + backbone.InputName;
        if (head.TestTimeFlip)
        {
            // [x; x mirrored along W]: the batch of 2N the backbone and head run on once.
            var nchw = b.Op("Transpose", "pixels_nchw", [normalized], OnnxAttribute.Ints("perm", 0, 3, 1, 2));
            var mirrored = b.Reverse(nchw, "pixels_mirrored", axis: 3);
            b.AddNode("Concat", [nchw, mirrored], [backboneInput], "with_mirror", OnnxAttribute.Int("axis", 0));
        }
        else
        {
            b.AddNode("Transpose", [normalized], [backboneInput], "to_nchw", OnnxAttribute.Ints("perm", 0, 3, 1, 2));
        }

        // Head over the pooled features: of the backbone's feature map, or of the fine-tuned top above the cut (whose
        // float convolution replaces the backbone's last one; RemoveUnusedNodes then drops that one and what only it used).
        var featureMap = BackbonePrefix + backbone.FeatureMapName;
        if (head.Top is { } top)
        {
            var cut = BackbonePrefix + head.CutValue;
            if (!b.Graph.Node.Any(n => n.Output.Contains(cut)))
            {
                throw new InvalidDataException($"{backbone.OnnxPath}: no node produces the cut '{head.CutValue}' the fine-tuned top reads.");
            }
            var dequantized = b.Op("DequantizeLinear", "top_input", [
                cut,
                b.AddFloatConstant("top/input_scale", [top.Scale]),
                b.AddInitializer(b.UniqueName("top/input_zero_point"), new[] { (byte)top.ZeroPoint })]);
            var x = dequantized;
            for (var i = 0; i < top.Layers.Count; i++)
            {
                var layer = top.Layers[i];
                var pad = layer.Kernel / 2;
                x = b.Op("Conv", $"top_conv{i}", [
                    x,
                    b.AddInitializer(b.UniqueName($"top/layer{i}/weights"), layer.Weights, layer.Outputs, layer.Depthwise ? 1 : layer.Inputs, layer.Kernel, layer.Kernel),
                    b.AddInitializer(b.UniqueName($"top/layer{i}/bias"), layer.Bias, layer.Outputs)],
                    OnnxAttribute.Ints("kernel_shape", layer.Kernel, layer.Kernel),
                    OnnxAttribute.Ints("pads", pad, pad, pad, pad),
                    OnnxAttribute.Int("group", layer.Depthwise ? layer.Inputs : 1));
                if (layer.ClipMax is { } max)
                {
                    x = b.Op("Clip", $"top_clipped{i}", [x, b.AddFloatConstant($"top/layer{i}/clip_min", [0f]), b.AddFloatConstant($"top/layer{i}/clip_max", [max])]);
                }
            }
            featureMap = x;
        }
        var pooled = b.Op("GlobalAveragePool", "features_pooled", [featureMap]);
        b.AddNode("Flatten", [pooled], [FeaturesName], "flatten", OnnxAttribute.Int("axis", 1));
        var d = head.FeatureDimension;
        var centredFeatures = b.Op("Sub", "features_centred", [FeaturesName, b.AddInitializer(b.UniqueName("head/mean"), head.Mean, d)]);
        var hidden = b.Op("Div", "features_standardized", [centredFeatures, b.AddInitializer(b.UniqueName("head/std"), head.Std, d)]);
        for (var i = 0; i < head.HiddenLayers.Count; i++)
        {
            var layer = head.HiddenLayers[i];
            var affine = b.Op("Gemm", $"hidden{i}_affine", [hidden, b.AddInitializer(b.UniqueName($"head/hidden{i}/weights"), layer.Weights, layer.Outputs, layer.Inputs), b.AddInitializer(b.UniqueName($"head/hidden{i}/bias"), layer.Bias, layer.Outputs)], OnnxAttribute.Int("transB", 1));
            hidden = b.Op("Relu", $"hidden{i}", [affine]);
        }
        b.AddNode(
            "Gemm",
            [hidden, b.AddInitializer(b.UniqueName("head/weights"), head.Weights, head.ClassCount, head.LogitsInputs), b.AddInitializer(b.UniqueName("head/bias"), head.Bias, head.ClassCount)],
            [LogitsName],
            "head",
            OnnxAttribute.Int("transB", 1));
        var probabilities = head.TestTimeFlip ? ProbabilitiesName : OutputName;
        if (head.Activation == HeadActivation.Softmax)
        {
            b.AddNode("Softmax", [LogitsName], [probabilities], "softmax", OnnxAttribute.Int("axis", 1));
        }
        else
        {
            b.AddNode("Sigmoid", [LogitsName], [probabilities], "sigmoid");
        }
        if (head.TestTimeFlip)
        {
            // Rows 0..N-1 are the images, N..2N-1 their mirror images: [2, N, C], mean over the first axis.
            var pairs = b.Op("Reshape", "probabilities_pairs", [probabilities, b.AddInt64Constant("flip/pairs_shape", 2, -1, head.ClassCount)]);
            if (b.Opset >= 18)
            {
                b.AddNode("ReduceMean", [pairs, b.AddInt64Constant("flip/mean_axes", 0)], [OutputName], "flip_mean", OnnxAttribute.Int("keepdims", 0));
            }
            else
            {
                b.AddNode("ReduceMean", [pairs], [OutputName], "flip_mean", OnnxAttribute.Ints("axes", 0), OnnxAttribute.Int("keepdims", 0));
            }
        }
        b.AddOutput(OutputName, DataType.Float, null, head.ClassCount);

        // The pixel nodes were appended after the backbone they feed; RemoveUnusedNodes expects topological order.
        SortTopologically(b.Graph);
        b.RemoveUnusedNodes();
        b.Model.MetadataProps.Add(new StringStringEntryProto { Key = "labels", Value = System.Text.Json.JsonSerializer.Serialize(head.Labels) });
        b.Model.MetadataProps.Add(new StringStringEntryProto { Key = "image_input", Value = $"{InputName}: uint8 [N,{pre.Height},{pre.Width},3] RGB NHWC, {pre.Fit}" });
        return b.ToBytes();
    }

    /// <summary>Builds the exported model and writes it to <paramref name="path"/> (through a temporary file).</summary>
    public static void Write(string path, ClassifierBackbone backbone, ClassifierHead head)
    {
        var bytes = Export(backbone, head);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, path, overwrite: true);
    }

    private static void RequireBackboneValues(GraphProto graph, ClassifierBackbone backbone)
    {
        if (!graph.Input.Any(i => i.Name == backbone.InputName))
        {
            throw new InvalidDataException($"{backbone.OnnxPath}: the backbone has no input named '{backbone.InputName}' (inputs: {string.Join(", ", graph.Input.Select(i => i.Name))}).");
        }
        if (!graph.Node.Any(n => n.Output.Contains(backbone.FeatureMapName)))
        {
            throw new InvalidDataException($"{backbone.OnnxPath}: no node produces the feature map '{backbone.FeatureMapName}'.");
        }
    }

    private static void PrefixNames(GraphProto graph, string prefix, string path)
    {
        string P(string name) => name.Length == 0 ? name : prefix + name;
        foreach (var node in graph.Node)
        {
            if (node.Attribute.Any(a => a.G is not null || a.Graphs.Count > 0))
            {
                throw new InvalidDataException($"{path}: node '{node.Name}' ({node.OpType}) has a subgraph; backbones with control flow are not supported.");
            }
            node.Name = P(node.Name);
            for (var i = 0; i < node.Input.Count; i++) node.Input[i] = P(node.Input[i]);
            for (var i = 0; i < node.Output.Count; i++) node.Output[i] = P(node.Output[i]);
        }
        foreach (var t in graph.Initializer) t.Name = P(t.Name);
        foreach (var s in graph.SparseInitializer)
        {
            s.Values.Name = P(s.Values.Name);
        }
        foreach (var v in graph.ValueInfo) v.Name = P(v.Name);
        foreach (var v in graph.Input) v.Name = P(v.Name);
        foreach (var v in graph.Output) v.Name = P(v.Name);
    }

    /// <summary>Orders nodes so each comes after the producers of its inputs (appended nodes feed the backbone).</summary>
    internal static void SortTopologically(GraphProto graph)
    {
        var available = new HashSet<string>(StringComparer.Ordinal) { "" };
        available.UnionWith(graph.Input.Select(i => i.Name));
        available.UnionWith(graph.Initializer.Select(i => i.Name));
        available.UnionWith(graph.SparseInitializer.Select(i => i.Values.Name));
        var pending = graph.Node.ToList();
        var sorted = new List<NodeProto>(pending.Count);
        while (pending.Count > 0)
        {
            var progressed = false;
            for (var i = 0; i < pending.Count; i++)
            {
                var node = pending[i];
                if (!node.Input.All(available.Contains)) continue;
                sorted.Add(node);
                available.UnionWith(node.Output);
                pending.RemoveAt(i--);
                progressed = true;
            }
            if (!progressed)
            {
                var stuck = pending[0];
                throw new InvalidDataException($"Node '{stuck.Name}' ({stuck.OpType}) reads '{stuck.Input.First(x => !available.Contains(x))}', which nothing produces.");
            }
        }
        graph.Node.Clear();
        graph.Node.AddRange(sorted);
    }
}
