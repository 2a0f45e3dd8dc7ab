using System.Text;
using System.Text.Json;

namespace VisionConsole.Trainer.Zoo;

/// <summary>Converts a TF.js graph model (<c>modelTopology</c> GraphDef nodes) to ONNX, only the part the requested outputs need.</summary>
internal static class TfjsGraphModelConverter
{
    private sealed record GraphNode(string Name, string Op, string[] Inputs, JsonElement Attr);

    public static void Convert(JsonElement root, string folder, NchwEmitter emitter, IReadOnlyList<TfjsOutput> outputs)
    {
        var nodes = ReadNodes(root);
        var weights = TfjsWeights.Read(root.GetProperty("weightsManifest"), folder);
        var order = TopologicalOrder(nodes, outputs.Select(o => o.Source));

        var consumers = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var node in order)
        {
            foreach (var input in node.Inputs.Where(i => !i.StartsWith('^')))
            {
                var source = SourceName(input);
                consumers[source] = consumers.GetValueOrDefault(source) + 1;
            }
        }
        foreach (var output in outputs) consumers[output.Source] = consumers.GetValueOrDefault(output.Source) + 1;

        var values = new Dictionary<string, TfValue>(StringComparer.Ordinal);
        foreach (var node in order)
        {
            try
            {
                values[node.Name] = ConvertNode(node, values, weights, emitter, consumers);
            }
            catch (InvalidDataException ex) when (!ex.Message.Contains(node.Name, StringComparison.Ordinal))
            {
                throw new InvalidDataException($"Node '{node.Name}' ({node.Op}): {ex.Message}", ex);
            }
        }
        foreach (var output in outputs)
        {
            var value = values[output.Source];
            if (output.Pooled) emitter.OutputPooled(value, output.Name);
            else emitter.OutputTfOrder(value, output.Name);
        }
    }

    /// <summary>
    /// The nodes <paramref name="target"/> needs, inputs first, as (name, op, inputs, attributes): for a TF.js exporter
    /// that copies part of a zoo graph as it is (the detector's <c>tfjs/</c> model reuses the CenterNet graph up to its head input).
    /// </summary>
    public static IReadOnlyList<(string Name, string Op, string[] Inputs, JsonElement Attr)> NodesFor(JsonElement root, string target)
        => [.. TopologicalOrder(ReadNodes(root), [target]).Select(n => (n.Name, n.Op, n.Inputs, n.Attr))];

    /// <summary>Counts the op types of every node in the graph (for reports and diagnostics).</summary>
    public static IReadOnlyDictionary<string, int> CountOps(JsonElement root)
        => ReadNodes(root).Values.GroupBy(n => n.Op).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count());

    private static Dictionary<string, GraphNode> ReadNodes(JsonElement root)
    {
        if (!root.TryGetProperty("modelTopology", out var topology) || !topology.TryGetProperty("node", out var nodeArray))
        {
            throw new InvalidDataException("model.json has no 'modelTopology.node' list (not a TF.js graph model).");
        }
        var nodes = new Dictionary<string, GraphNode>(StringComparer.Ordinal);
        foreach (var n in nodeArray.EnumerateArray())
        {
            var name = n.GetProperty("name").GetString()!;
            var inputs = n.TryGetProperty("input", out var i) ? i.EnumerateArray().Select(x => x.GetString()!).ToArray() : [];
            nodes[name] = new GraphNode(name, n.GetProperty("op").GetString()!, inputs, n.TryGetProperty("attr", out var a) ? a : default);
        }
        return nodes;
    }

    /// <summary>The node an input names (<c>^</c> and <c>:n</c> stripped).</summary>
    internal static string SourceName(string input)
    {
        var name = input.TrimStart('^');
        var colon = name.LastIndexOf(':');
        return colon > 0 && int.TryParse(name.AsSpan(colon + 1), out _) ? name[..colon] : name;
    }

    private static List<GraphNode> TopologicalOrder(Dictionary<string, GraphNode> nodes, IEnumerable<string> targets)
    {
        var order = new List<GraphNode>();
        var state = new Dictionary<string, bool>(StringComparer.Ordinal); // false = visiting, true = done
        foreach (var target in targets)
        {
            if (!nodes.ContainsKey(target)) throw new InvalidDataException($"The graph has no node named '{target}'.");
            var stack = new Stack<(string Name, bool Expanded)>();
            stack.Push((target, false));
            while (stack.Count > 0)
            {
                var (name, expanded) = stack.Pop();
                if (expanded)
                {
                    state[name] = true;
                    order.Add(nodes[name]);
                    continue;
                }
                if (state.TryGetValue(name, out var done))
                {
                    if (!done) throw new InvalidDataException($"The graph has a cycle through '{name}'.");
                    continue;
                }
                if (!nodes.TryGetValue(name, out var node)) throw new InvalidDataException($"A node reads '{name}', which the graph does not define.");
                state[name] = false;
                stack.Push((name, true));
                foreach (var input in node.Inputs.Where(i => !i.StartsWith('^')).Reverse())
                {
                    var source = SourceName(input);
                    if (!state.ContainsKey(source)) stack.Push((source, false));
                    else if (!state[source]) throw new InvalidDataException($"The graph has a cycle through '{source}'.");
                }
            }
        }
        return order;
    }

    private static TfValue ConvertNode(GraphNode node, Dictionary<string, TfValue> values, Dictionary<string, TfTensor> weights, NchwEmitter e, Dictionary<string, int> consumers)
    {
        var inputs = node.Inputs.Where(i => !i.StartsWith('^')).ToArray();
        foreach (var input in inputs)
        {
            var colon = input.LastIndexOf(':');
            if (colon > 0 && int.TryParse(input.AsSpan(colon + 1), out var index) && index != 0)
            {
                throw new InvalidDataException($"Node '{node.Name}' reads output {index} of '{input[..colon]}'; only first outputs are supported.");
            }
        }
        TfValue In(int i) => values[SourceName(inputs[i])];
        TfTensor ConstIn(int i) => In(i).Const ?? throw new InvalidDataException($"Node '{node.Name}' ({node.Op}): input {i} ('{inputs[i]}') must be a constant.");
        bool Exclusive(int i) => consumers.GetValueOrDefault(SourceName(inputs[i])) == 1;

        switch (node.Op)
        {
            case "Placeholder":
            {
                var dims = node.Attr.GetProperty("shape").GetProperty("shape").GetProperty("dim").EnumerateArray()
                    .Select(d => int.Parse(d.GetProperty("size").GetString() ?? "-1", System.Globalization.CultureInfo.InvariantCulture)).ToArray();
                if (dims.Length != 4 || dims[1..].Any(d => d <= 0))
                {
                    throw new InvalidDataException($"Input '{node.Name}' has shape [{string.Join(",", dims)}]; only NHWC images of a fixed size are supported.");
                }
                return e.ImageInput(node.Name, dims[1], dims[2], dims[3]);
            }
            case "Const":
                return NchwEmitter.Constant(weights.TryGetValue(node.Name, out var w)
                    ? w
                    : throw new InvalidDataException($"Constant '{node.Name}' has no entry in the weights manifest."));
            case "Identity" or "StopGradient" or "Snapshot":
                return In(0);
            case "Conv2D" or "_FusedConv2D" or "DepthwiseConv2dNative" or "FusedDepthwiseConv2dNative":
            {
                RequireNhwc(node);
                var depthwise = node.Op.Contains("Depthwise", StringComparison.Ordinal);
                var strides = Ints(node, "strides") ?? [1, 1, 1, 1];
                var dilations = Ints(node, "dilations") ?? [1, 1, 1, 1];
                var padding = Str(node, "padding") ?? "VALID";
                int[]? explicitPads = null;
                if (padding == "EXPLICIT")
                {
                    var p = Ints(node, "explicit_paddings")!;
                    explicitPads = [(int)p[2], (int)p[3], (int)p[4], (int)p[5]];
                }
                var v = e.Conv(node.Name, In(0), ConstIn(1), depthwise, [(int)strides[1], (int)strides[2]], [(int)dilations[1], (int)dilations[2]], padding, explicitPads);
                var fused = StrList(node, "fused_ops");
                var arg = 2;
                foreach (var op in fused)
                {
                    switch (op)
                    {
                        case "BiasAdd":
                            v = e.BiasAdd(node.Name + "/bias", v, ConstIn(arg++).AsFloats(), exclusive: true);
                            break;
                        case "FusedBatchNorm":
                            v = e.BatchNorm(node.Name + "/bn", v, ConstIn(arg).AsFloats(), ConstIn(arg + 1).AsFloats(), ConstIn(arg + 2).AsFloats(), ConstIn(arg + 3).AsFloats(), Float(node, "epsilon") ?? 1e-3f, exclusive: true);
                            arg += 4;
                            break;
                        case "Relu" or "Relu6" or "Elu" or "Sigmoid" or "Tanh":
                            v = e.Activation(node.Name + "/" + op, v, op);
                            break;
                        case "LeakyRelu":
                            v = e.Activation(node.Name + "/" + op, v, op, Float(node, "leakyrelu_alpha") ?? 0.2f);
                            break;
                        default:
                            throw new InvalidDataException($"Node '{node.Name}' ({node.Op}): fused op '{op}' is not supported.");
                    }
                }
                return v;
            }
            case "BiasAdd":
                return e.BiasAdd(node.Name, In(0), ConstIn(1).AsFloats(), Exclusive(0));
            case "FusedBatchNorm" or "FusedBatchNormV2" or "FusedBatchNormV3":
                if (Bool(node, "is_training") == true) throw new InvalidDataException($"Node '{node.Name}' is a training-mode batch norm.");
                return e.BatchNorm(node.Name, In(0), ConstIn(1).AsFloats(), ConstIn(2).AsFloats(), ConstIn(3).AsFloats(), ConstIn(4).AsFloats(), Float(node, "epsilon") ?? 1e-3f, Exclusive(0));
            case "Relu" or "Relu6" or "Sigmoid" or "Tanh" or "Elu" or "Selu" or "Softmax":
                return e.Activation(node.Name, In(0), node.Op);
            case "LeakyRelu":
                return e.Activation(node.Name, In(0), node.Op, Float(node, "alpha") ?? 0.2f);
            case "Add" or "AddV2":
                return e.Binary(node.Name, "Add", In(0), In(1));
            case "Sub":
                return e.Binary(node.Name, "Sub", In(0), In(1));
            case "Mul":
                return e.Binary(node.Name, "Mul", In(0), In(1));
            case "RealDiv" or "Div":
                return e.Binary(node.Name, "Div", In(0), In(1));
            case "Maximum":
                return e.Binary(node.Name, "Max", In(0), In(1));
            case "Minimum":
                return e.Binary(node.Name, "Min", In(0), In(1));
            case "AvgPool" or "MaxPool":
            {
                RequireNhwc(node);
                var k = Ints(node, "ksize")!;
                var s = Ints(node, "strides")!;
                return e.Pool(node.Name, node.Op == "MaxPool" ? "MaxPool" : "AveragePool", In(0), [(int)k[1], (int)k[2]], [(int)s[1], (int)s[2]], Str(node, "padding") ?? "VALID");
            }
            case "Mean":
                return e.Mean(node.Name, In(0), ConstIn(1).AsInts(), Bool(node, "keep_dims") ?? false);
            case "ResizeBilinear" or "ResizeNearestNeighbor":
            {
                var size = ConstIn(1).AsInts();
                return e.Resize(node.Name, In(0), (int)size[0], (int)size[1], node.Op == "ResizeBilinear", Bool(node, "align_corners") ?? false, Bool(node, "half_pixel_centers") ?? false);
            }
            case "ConcatV2":
            {
                var axis = (int)ConstIn(inputs.Length - 1).AsInts()[0];
                return e.Concat(node.Name, Enumerable.Range(0, inputs.Length - 1).Select(In).ToList(), axis);
            }
            case "Reshape":
                return e.Reshape(node.Name, In(0), ConstIn(1).AsInts());
            case "Pad" or "PadV2":
                if (inputs.Length > 2 && ConstIn(2).AsFloats()[0] != 0) throw new InvalidDataException($"Node '{node.Name}': only zero padding is supported.");
                return e.Pad(node.Name, In(0), ConstIn(1).AsInts());
            case "MirrorPad":
                return Str(node, "mode") == "REFLECT"
                    ? e.Pad(node.Name, In(0), ConstIn(1).AsInts(), "reflect")
                    : throw new InvalidDataException($"Node '{node.Name}': MirrorPad mode '{Str(node, "mode")}' is not supported.");
            case "Squeeze":
                return e.Squeeze(node.Name, In(0), Ints(node, "squeeze_dims") ?? []);
            default:
                throw new InvalidDataException($"Node '{node.Name}': op '{node.Op}' is not supported by the converter.");
        }
    }

    private static void RequireNhwc(GraphNode node)
    {
        var format = Str(node, "data_format");
        if (format is not null and not "NHWC") throw new InvalidDataException($"Node '{node.Name}' uses data_format {format}; only NHWC is supported.");
    }

    private static JsonElement? Attr(GraphNode node, string name) => Attr(node.Attr, name);

    private static JsonElement? Attr(JsonElement attrs, string name)
        => attrs.ValueKind == JsonValueKind.Object && attrs.TryGetProperty(name, out var a) ? a : null;

    private static string? Str(GraphNode node, string name) => Str(node.Attr, name);

    /// <summary>A string attribute (base64 in the graph JSON) of a node's <c>attr</c> object, or null.</summary>
    internal static string? Str(JsonElement attrs, string name)
        => Attr(attrs, name) is { } a && a.TryGetProperty("s", out var s) ? Encoding.UTF8.GetString(s.GetBytesFromBase64()) : null;

    private static bool? Bool(GraphNode node, string name) => Bool(node.Attr, name);

    /// <summary>A bool attribute of a node's <c>attr</c> object, or null.</summary>
    internal static bool? Bool(JsonElement attrs, string name)
        => Attr(attrs, name) is { } a && a.TryGetProperty("b", out var b) ? b.GetBoolean() : null;

    private static float? Float(GraphNode node, string name)
        => Attr(node, name) is { } a && a.TryGetProperty("f", out var f) ? f.GetSingle() : null;

    private static long[]? Ints(GraphNode node, string name) => Ints(node.Attr, name);

    /// <summary>An int list attribute of a node's <c>attr</c> object (empty list: []), or null.</summary>
    internal static long[]? Ints(JsonElement attrs, string name)
        => Attr(attrs, name) is { } a && a.TryGetProperty("list", out var l)
            ? l.TryGetProperty("i", out var i) ? i.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? long.Parse(x.GetString()!, System.Globalization.CultureInfo.InvariantCulture) : x.GetInt64()).ToArray() : []
            : null;

    private static string[] StrList(GraphNode node, string name) => StrList(node.Attr, name);

    /// <summary>A string list attribute of a node's <c>attr</c> object, or [].</summary>
    internal static string[] StrList(JsonElement attrs, string name)
        => Attr(attrs, name) is { } a && a.TryGetProperty("list", out var l) && l.TryGetProperty("s", out var s)
            ? s.EnumerateArray().Select(x => Encoding.UTF8.GetString(x.GetBytesFromBase64())).ToArray()
            : [];
}
