using System.Text.Json;
using System.Text.Json.Nodes;
using VisionConsole.Trainer.Export;
using VisionConsole.Trainer.Zoo;

namespace VisionConsole.Trainer.Detection;

/// <summary>
/// Writes a detector's <c>tfjs/</c> graph model, the one <c>@tensorflow/tfjs-automl</c>'s <c>loadObjectDetection</c> loads
/// unchanged (it feeds <c>ToFloat</c> and reads <c>Postprocessor/convert_scores</c> and
/// <c>Postprocessor/Decode/transpose_1</c> by name, as AutoML Vision Edge's SSD exports have them, then runs its own NMS):
/// <list type="bullet">
/// <item>input <c>ToFloat</c>: float <c>[1, H, W, 3]</c>, RGB 0-255, the image at any size (tfjs-automl passes the pixels
/// as they are); the graph stretches it to 512 x 512 (<c>ResizeBilinear</c>, half-pixel centres; no letterbox, no crop), as the
/// console frames an image for <c>model.onnx</c>;</item>
/// <item>the CenterNet backbone: the zoo's own TF.js graph (<c>centernet.json</c>) copied node for node up to the head input
/// <see cref="DetectorOnnxExporter.FeatureValue"/>, its float16 weights widened to float32 (the ONNX backbone is converted
/// from the same graph and weights);</item>
/// <item>the trained heads and the decoding of <see cref="DetectorOnnxExporter"/>: sigmoid heatmap, 3x3 max-pool peaks,
/// top-100 over every cell and class, the box from the distances at the peak's cell;</item>
/// <item>output <c>Postprocessor/Decode/transpose_1</c>: float <c>[100, 4]</c> boxes (<c>ymin, xmin, ymax, xmax</c>, normalized,
/// clipped to 0-1); output <c>Postprocessor/convert_scores</c>: float <c>[1, 100, C]</c>, each slot's score in its class's column
/// and 0 elsewhere (tfjs-automl takes each slot's best column as its label and score), in <c>dict.txt</c>'s order, no
/// background column.</item>
/// </list>
/// </summary>
public static class DetectorTfjsConverter
{
    /// <summary>The input placeholder tfjs-automl feeds.</summary>
    public const string InputName = "ToFloat";

    /// <summary>The per-slot class scores tfjs-automl reads.</summary>
    public const string ScoresName = "Postprocessor/convert_scores";

    /// <summary>The boxes tfjs-automl reads.</summary>
    public const string BoxesName = "Postprocessor/Decode/transpose_1";

    /// <summary>The CenterNet graph's own input (replaced by the resized <see cref="InputName"/>).</summary>
    public const string BackboneInput = "tower_0/images";

    /// <summary>The zoo graph's file in its <c>source</c> folder.</summary>
    public const string SourceGraph = "centernet.json";

    /// <summary>Builds the graph from the zoo's CenterNet TF.js source folder and the trained heads.</summary>
    /// <param name="sourceFolder">The folder holding <c>centernet.json</c> and its weights (the zoo's <c>source</c> folder).</param>
    /// <param name="heads">The trained heads.</param>
    /// <param name="side">The input side the backbone takes (512).</param>
    /// <param name="testTimeFlip">Run the mirror image too and average, as <see cref="DetectorOnnxExporter.Build"/> does.</param>
    /// <exception cref="InvalidDataException">The source graph lacks the head input or a weight.</exception>
    public static TfjsGraph Convert(string sourceFolder, DetectorHeads heads, int side, bool testTimeFlip = false)
    {
        ArgumentNullException.ThrowIfNull(heads);
        var path = Path.Combine(sourceFolder, SourceGraph);
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = document.RootElement;
        var weights = TfjsWeights.Read(root.GetProperty("weightsManifest"), sourceFolder);
        var tf = new TfjsGraph();

        // Any image size in, stretched to the backbone's square as the console frames it.
        var input = tf.Placeholder(InputName, 1, -1, -1, 3);
        var resized = tf.Op("Preprocessor/resize", "ResizeBilinear", [input, tf.ConstInt32("Preprocessor/size", [side, side], 2)],
            new() { ["align_corners"] = TfjsGraph.Bool(false), ["half_pixel_centers"] = TfjsGraph.Bool(true) });
        if (testTimeFlip)
        {
            // [image; its mirror along W] (NHWC, so axis 2): the batch of two the backbone and heads run on once.
            var mirrored = tf.Op("Preprocessor/mirrored", "ReverseV2", [resized, tf.ConstInt32("Preprocessor/width_axis", [2], 1)],
                new() { ["Tidx"] = TfjsGraph.DType(TfjsDType.Int32) });
            resized = tf.Op("Preprocessor/with_mirror", "ConcatV2", [resized, mirrored, tf.ConstInt32("Preprocessor/batch_axis", [0])],
                new() { ["N"] = TfjsGraph.Int(2), ["Tidx"] = TfjsGraph.DType(TfjsDType.Int32) });
        }

        foreach (var node in TfjsGraphModelConverter.NodesFor(root, DetectorOnnxExporter.FeatureValue))
        {
            if (node.Op == "Placeholder")
            {
                if (node.Name != BackboneInput) throw new InvalidDataException($"{path}: unexpected input '{node.Name}' (the graph's input is '{BackboneInput}').");
                continue;
            }
            if (node.Op == "Const")
            {
                var weight = weights.TryGetValue(node.Name, out var w) ? w : throw new InvalidDataException($"{path}: constant '{node.Name}' has no weight.");
                if (weight.Floats is { } floats) tf.Const(node.Name, floats, weight.Shape);
                else tf.ConstInt32(node.Name, [.. weight.Ints!.Select(v => checked((int)v))], weight.Shape);
                continue;
            }
            var attributes = node.Attr.ValueKind == JsonValueKind.Object ? JsonNode.Parse(node.Attr.GetRawText())!.AsObject() : [];
            tf.Op(node.Name, node.Op, [.. node.Inputs.Select(i => i == BackboneInput ? resized : i)], attributes);
        }
        return AddHeads(tf, DetectorOnnxExporter.FeatureValue, heads, side, testTimeFlip);
    }

    /// <summary>Converts and writes the folder (<c>model.json</c>, shards, <c>dict.txt</c>); returns the file names.</summary>
    public static IReadOnlyList<string> Write(string folder, string sourceFolder, DetectorHeads heads, int side, IReadOnlyList<string> labels, bool testTimeFlip = false)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(heads);
        if (labels.Count != heads.Classes) throw new ArgumentException($"{labels.Count} labels for a detector of {heads.Classes} classes.", nameof(labels));
        var graph = Convert(sourceFolder, heads, side, testTimeFlip);
        return TfjsGraphModelWriter.Write(folder, graph, [ScoresName, BoxesName], labels, $"VisionConsole DetectorTfjsConverter from {SourceGraph}");
    }

    /// <summary>
    /// The heads and the decoding over an NHWC <c>[1, G, G, Channels]</c> feature map, G = side / stride; with
    /// <paramref name="testTimeFlip"/>, over <c>[2, G, G, Channels]</c> (the image and its mirror), merged before decoding.
    /// </summary>
    internal static TfjsGraph AddHeads(TfjsGraph tf, string features, DetectorHeads heads, int side, bool testTimeFlip = false)
    {
        var c = heads.Channels;
        var grid = side / heads.Stride;
        var cells = grid * grid;
        const int k = DetectorOnnxExporter.MaxDetections;
        // A fresh attribute object each use: a JSON node has one parent.
        static JsonObject Int32() => TfjsGraph.DType(TfjsDType.Int32);

        string Separable(string prefix, float[] depthwise, float[] pointwise, float[] bias, int outputs)
        {
            // ONNX [C, 1, 3, 3] to TF's [3, 3, C, 1]; pointwise [K, C] to HWIO [1, 1, C, K].
            var dw = new float[c * 9];
            for (var ch = 0; ch < c; ch++)
                for (var j = 0; j < 9; j++)
                    dw[j * c + ch] = depthwise[ch * 9 + j];
            var pw = new float[outputs * c];
            for (var o = 0; o < outputs; o++)
                for (var ch = 0; ch < c; ch++)
                    pw[ch * outputs + o] = pointwise[o * c + ch];
            var conv = new JsonObject
            {
                ["strides"] = TfjsGraph.IntList(1, 1, 1, 1),
                ["dilations"] = TfjsGraph.IntList(1, 1, 1, 1),
                ["data_format"] = TfjsGraph.String("NHWC"),
                ["padding"] = TfjsGraph.String("SAME"),
            };
            var mid = tf.Op(prefix + "/depthwise", "DepthwiseConv2dNative", [features, tf.Const(prefix + "/depthwise_filter", dw, 3, 3, c, 1)], conv);
            var point = tf.Op(prefix + "/pointwise", "Conv2D", [mid, tf.Const(prefix + "/pointwise_filter", pw, 1, 1, c, outputs)], (JsonObject)conv.DeepClone());
            return tf.Op(prefix + "/bias_add", "BiasAdd", [point, tf.Const(prefix + "/bias", bias, outputs)], new() { ["data_format"] = TfjsGraph.String("NHWC") });
        }
        var heat = tf.Op("Detector/heatmap", "Sigmoid", [Separable("Detector/class", heads.ClassDepthwise, heads.ClassPointwise, heads.ClassBias, heads.Classes)]);
        var box = tf.Op("Detector/box", "Mul", [Separable("Detector/box", heads.BoxDepthwise, heads.BoxPointwise, heads.BoxBias, 4), tf.Const("Detector/box_scale", [heads.BoxScale])]);
        if (testTimeFlip)
        {
            // The mirror's maps back onto the image's grid and averaged with the image's own, as DetectorOnnxExporter's
            // MergeMirror does (NHWC here, so columns are axis 2 and the distances axis 3).
            JsonObject Gather() => new() { ["Tparams"] = TfjsGraph.DType(TfjsDType.Float32), ["Tindices"] = Int32(), ["Taxis"] = Int32(), ["batch_dims"] = TfjsGraph.Int(0) };
            string Item(string value, int index, string name) => tf.Op(name, "GatherV2", [value, tf.ConstInt32(name + "/index", [index], 1), tf.ConstInt32(name + "/axis", [0])], Gather());
            string Columns(string value, int start, int count, string name) =>
                tf.Op(name, "Slice", [value, tf.ConstInt32(name + "/begin", [0, 0, start, 0], 4), tf.ConstInt32(name + "/size", [-1, -1, count, -1], 4)], new() { ["Index"] = Int32() });
            string Merge(string value, string name, Func<string, string> mapMirror)
            {
                var image = Item(value, 0, name + "/image");
                var mirror = mapMirror(tf.Op(name + "/reversed", "ReverseV2", [Item(value, 1, name + "/mirror"), tf.ConstInt32(name + "/width_axis", [2], 1)], new() { ["Tidx"] = Int32() }));
                var back = tf.Op(name + "/back", "ConcatV2", [Columns(image, 0, 1, name + "/first_column"), Columns(mirror, 0, grid - 1, name + "/shifted"), tf.ConstInt32(name + "/column_axis", [2])],
                    new() { ["N"] = TfjsGraph.Int(2), ["Tidx"] = Int32() });
                return tf.Op(name, "Mul", [tf.Op(name + "/sum", "AddV2", [image, back]), tf.Const(name + "/half", [0.5f])]);
            }
            heat = Merge(heat, "Detector/tta/heatmap", m => m);
            box = Merge(box, "Detector/tta/box", m => tf.Op("Detector/tta/box/swapped", "GatherV2", [m, tf.ConstInt32("Detector/tta/box/order", [2, 1, 0, 3], 4), tf.ConstInt32("Detector/tta/box/distance_axis", [3])], Gather()));
        }

        // Peaks: a cell equal to its 3x3 max (SAME pads with -inf, as ONNX's MaxPool pads).
        var pooled = tf.Op("Detector/pooled", "MaxPool", [heat], new()
        {
            ["ksize"] = TfjsGraph.IntList(1, 3, 3, 1),
            ["strides"] = TfjsGraph.IntList(1, 1, 1, 1),
            ["padding"] = TfjsGraph.String("SAME"),
            ["data_format"] = TfjsGraph.String("NHWC"),
        });
        var isPeak = tf.Op("Detector/is_peak", "Cast", [tf.Op("Detector/equal", "Equal", [heat, pooled])],
            new() { ["SrcT"] = new JsonObject { ["type"] = "DT_BOOL" }, ["DstT"] = TfjsGraph.DType(TfjsDType.Float32) });
        var peaks = tf.Op("Detector/peaks", "Mul", [heat, isPeak]);
        // NHWC flattened: index = cell * classes + class.
        var flat = tf.Op("Detector/flat", "Reshape", [peaks, tf.ConstInt32("Detector/flat_shape", [-1], 1)], new() { ["Tshape"] = Int32() });
        tf.Op("Detector/top_k", "TopKV2", [flat, tf.ConstInt32("Detector/k", [k])], new() { ["sorted"] = TfjsGraph.Bool(true) });
        var scores = "Detector/top_k";
        var indices = "Detector/top_k:1";
        string IntOp(string name, string op, string a, string b) => tf.Op(name, op, [a, b], new() { ["T"] = Int32() });
        var classes = tf.ConstInt32("Detector/classes", [heads.Classes]);
        var cell = IntOp("Detector/cell", "FloorDiv", indices, classes);
        // a mod b as a - (a div b) * b: the wasm backend has FloorDiv, Mul and Sub for Int32().
        var classIndex = IntOp("Detector/class_index", "Sub", indices, IntOp("Detector/cell_start", "Mul", cell, classes));
        var width = tf.ConstInt32("Detector/width", [grid]);
        var rowIndex = IntOp("Detector/row_index", "FloorDiv", cell, width);
        var columnIndex = IntOp("Detector/column_index", "Sub", cell, IntOp("Detector/row_start", "Mul", rowIndex, width));
        string ToFloat(string name, string value) => tf.Op(name, "Cast", [value],
            new() { ["SrcT"] = Int32(), ["DstT"] = TfjsGraph.DType(TfjsDType.Float32), ["Truncate"] = TfjsGraph.Bool(false) });
        var row = ToFloat("Detector/row", rowIndex);
        var column = ToFloat("Detector/column", columnIndex);

        // Distances (left, top, right, bottom) at the peaks: [G*G, 4] gathered at the cells -> [K, 4].
        var boxFlat = tf.Op("Detector/box_flat", "Reshape", [box, tf.ConstInt32("Detector/box_shape", [cells, 4], 2)], new() { ["Tshape"] = Int32() });
        var gathered = tf.Op("Detector/gathered", "GatherV2", [boxFlat, cell, tf.ConstInt32("Detector/gather_axis", [0])],
            new() { ["Tparams"] = TfjsGraph.DType(TfjsDType.Float32), ["Tindices"] = Int32(), ["Taxis"] = Int32(), ["batch_dims"] = TfjsGraph.Int(0) });
        var stride = tf.Const("Detector/stride", [heads.Stride]);
        var inverse = tf.Const("Detector/inverse_side", [1f / side]);
        var kShape = tf.ConstInt32("Detector/k_column", [k, 1], 2);
        string Edge(string name, string position, int part, bool subtract)
        {
            // Column `part` of the gathered distances as [K, 1] (a one-hot MatMul keeps to ops every backend has).
            var pick = new float[4];
            pick[part] = 1;
            var distance = tf.Op(name + "/distance", "MatMul", [gathered, tf.Const(name + "/pick", pick, 4, 1)],
                new() { ["transpose_a"] = TfjsGraph.Bool(false), ["transpose_b"] = TfjsGraph.Bool(false) });
            var point = tf.Op(name + "/point", "Reshape", [tf.Op(name + "/point_px", "Mul", [position, stride]), kShape], new() { ["Tshape"] = Int32() });
            var pixels = tf.Op(name + "/pixels", subtract ? "Sub" : "AddV2", [point, distance]);
            return tf.Op(name, "ClipByValue", [tf.Op(name + "/normalized", "Mul", [pixels, inverse]), tf.Const(name + "/min", [0f]), tf.Const(name + "/max", [1f])]);
        }
        var ymin = Edge("Detector/ymin", row, 1, subtract: true);
        var xmin = Edge("Detector/xmin", column, 0, subtract: true);
        var ymax = Edge("Detector/ymax", row, 3, subtract: false);
        var xmax = Edge("Detector/xmax", column, 2, subtract: false);
        tf.Op(BoxesName, "ConcatV2", [ymin, xmin, ymax, xmax, tf.ConstInt32("Detector/box_axis", [1])],
            new() { ["N"] = TfjsGraph.Int(4), ["Tidx"] = Int32() });

        // Each slot's score in its class's column: (class index == column) * score, [1, K, C].
        var classColumn = tf.Op("Detector/class_column", "Reshape", [classIndex, kShape], new() { ["Tshape"] = Int32(), ["T"] = Int32() });
        var oneHot = tf.Op("Detector/one_hot", "Cast", [tf.Op("Detector/is_class", "Equal", [classColumn, tf.ConstInt32("Detector/class_range", [.. Enumerable.Range(0, heads.Classes)], 1, heads.Classes)], new() { ["T"] = Int32() })],
            new() { ["SrcT"] = new JsonObject { ["type"] = "DT_BOOL" }, ["DstT"] = TfjsGraph.DType(TfjsDType.Float32) });
        var slotScores = tf.Op("Detector/slot_scores", "Mul", [oneHot, tf.Op("Detector/score_column", "Reshape", [scores, kShape], new() { ["Tshape"] = Int32() })]);
        tf.Op(ScoresName, "Reshape", [slotScores, tf.ConstInt32("Detector/scores_shape", [1, k, heads.Classes], 3)], new() { ["Tshape"] = Int32() });
        return tf;
    }
}
