using System.Text.Json;

namespace VisionConsole.Trainer.Zoo;

/// <summary>Converts a TF.js Keras layers model (<c>modelTopology.model_config</c>) to ONNX, only the layers the requested outputs need.</summary>
internal static class TfjsLayersModelConverter
{
    private sealed record Layer(string Name, string ClassName, JsonElement Config, string[] Inbound);

    public static void Convert(JsonElement root, string folder, NchwEmitter emitter, IReadOnlyList<TfjsOutput> outputs)
    {
        var layers = ReadLayers(root);
        var weights = TfjsWeights.Read(root.GetProperty("weightsManifest"), folder);
        var order = Order(layers, outputs.Select(o => o.Source));
        var consumers = order.SelectMany(l => l.Inbound).Concat(outputs.Select(o => o.Source))
            .GroupBy(n => n, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

        var values = new Dictionary<string, TfValue>(StringComparer.Ordinal);
        foreach (var layer in order)
        {
            try
            {
                values[layer.Name] = ConvertLayer(layer, values, weights, emitter, consumers);
            }
            catch (KeyNotFoundException ex)
            {
                throw new InvalidDataException($"Layer '{layer.Name}' ({layer.ClassName}): {ex.Message}", ex);
            }
        }
        foreach (var output in outputs)
        {
            if (output.Pooled) emitter.OutputPooled(values[output.Source], output.Name);
            else emitter.OutputTfOrder(values[output.Source], output.Name);
        }
    }

    /// <summary>Counts the layer classes of the model.</summary>
    public static IReadOnlyDictionary<string, int> CountLayers(JsonElement root)
        => ReadLayers(root).Values.GroupBy(l => l.ClassName).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count());

    private static Dictionary<string, Layer> ReadLayers(JsonElement root)
    {
        if (!root.TryGetProperty("modelTopology", out var topology)) throw new InvalidDataException("model.json has no 'modelTopology'.");
        var config = topology.TryGetProperty("model_config", out var mc) ? mc : topology;
        var className = config.GetProperty("class_name").GetString();
        var inner = config.GetProperty("config");
        var layerArray = inner.ValueKind == JsonValueKind.Array ? inner : inner.GetProperty("layers");
        var result = new Dictionary<string, Layer>(StringComparer.Ordinal);
        string? previous = null;
        foreach (var l in layerArray.EnumerateArray())
        {
            var layerConfig = l.GetProperty("config");
            var name = l.TryGetProperty("name", out var n) ? n.GetString()! : layerConfig.GetProperty("name").GetString()!;
            string[] inbound;
            if (className == "Sequential")
            {
                inbound = previous is null ? [] : [previous];
                if (previous is null && l.GetProperty("class_name").GetString() != "InputLayer")
                {
                    // A Sequential model declares its input on the first layer.
                    var inputName = name + "_input";
                    result[inputName] = new Layer(inputName, "InputLayer", layerConfig, []);
                    inbound = [inputName];
                }
            }
            else
            {
                var nodes = l.GetProperty("inbound_nodes");
                if (nodes.GetArrayLength() > 1) throw new InvalidDataException($"Layer '{name}' is shared ({nodes.GetArrayLength()} call sites); shared layers are not supported.");
                inbound = nodes.GetArrayLength() == 0 ? [] : nodes[0].ValueKind == JsonValueKind.Array
                    ? nodes[0].EnumerateArray().Select(x => x[0].GetString()!).ToArray()
                    : throw new InvalidDataException($"Layer '{name}': inbound node format is not the Keras 2 list form.");
            }
            result[name] = new Layer(name, l.GetProperty("class_name").GetString()!, layerConfig, inbound);
            previous = name;
        }
        return result;
    }

    private static List<Layer> Order(Dictionary<string, Layer> layers, IEnumerable<string> targets)
    {
        var order = new List<Layer>();
        var done = new HashSet<string>(StringComparer.Ordinal);
        void Visit(string name, int depth)
        {
            if (done.Contains(name)) return;
            if (!layers.TryGetValue(name, out var layer)) throw new InvalidDataException($"The model has no layer named '{name}'.");
            if (depth > layers.Count) throw new InvalidDataException($"The layer graph has a cycle through '{name}'.");
            foreach (var input in layer.Inbound) Visit(input, depth + 1);
            if (done.Add(name)) order.Add(layer);
        }
        foreach (var target in targets) Visit(target, 0);
        return order;
    }

    private static TfValue ConvertLayer(Layer layer, Dictionary<string, TfValue> values, Dictionary<string, TfTensor> weights, NchwEmitter e, Dictionary<string, int> consumers)
    {
        var c = layer.Config;
        TfValue In(int i = 0) => values[layer.Inbound[i]];
        float[] Weight(string suffix) => FindWeight(weights, layer.Name, suffix).AsFloats();
        bool Exclusive() => consumers.GetValueOrDefault(layer.Inbound[0]) == 1;
        string? Str(string key) => c.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        int[] Pair(string key, int fallback) => c.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null
            ? v.ValueKind == JsonValueKind.Number ? [v.GetInt32(), v.GetInt32()] : v.EnumerateArray().Select(x => x.GetInt32()).ToArray()
            : [fallback, fallback];
        bool Flag(string key, bool fallback) => c.TryGetProperty(key, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : fallback;

        if (Str("data_format") is { } format && format != "channels_last")
        {
            throw new InvalidDataException($"Layer '{layer.Name}' uses data_format {format}; only channels_last is supported.");
        }
        TfValue WithActivation(TfValue v) => Str("activation") is { } act and not "linear" ? e.Activation(layer.Name + "/" + act, v, KerasActivation(layer.Name, act)) : v;

        switch (layer.ClassName)
        {
            case "InputLayer":
            {
                var shape = (c.TryGetProperty("batch_input_shape", out var s) ? s : c.GetProperty("batch_shape")).EnumerateArray()
                    .Select(d => d.ValueKind == JsonValueKind.Null ? -1 : d.GetInt32()).ToArray();
                if (shape.Length != 4 || shape[1..].Any(d => d <= 0))
                {
                    throw new InvalidDataException($"Input layer '{layer.Name}' has shape [{string.Join(",", shape)}]; only NHWC images of a fixed size are supported.");
                }
                return e.ImageInput(layer.Name, shape[1], shape[2], shape[3]);
            }
            case "Conv2D" or "DepthwiseConv2D":
            {
                var depthwise = layer.ClassName == "DepthwiseConv2D";
                var kernel = FindWeight(weights, layer.Name, depthwise ? "depthwise_kernel" : "kernel");
                var v = e.Conv(layer.Name, In(), kernel, depthwise, Pair("strides", 1), Pair("dilation_rate", 1), (Str("padding") ?? "valid").ToUpperInvariant());
                if (Flag("use_bias", true)) v = e.BiasAdd(layer.Name + "/bias", v, Weight("bias"), exclusive: true);
                return WithActivation(v);
            }
            case "BatchNormalization":
            {
                var axis = c.TryGetProperty("axis", out var a) ? (a.ValueKind == JsonValueKind.Array ? a[0].GetInt32() : a.GetInt32()) : -1;
                var x = In();
                if (axis != -1 && axis != x.Rank - 1) throw new InvalidDataException($"Layer '{layer.Name}' normalises axis {axis}; only the channel axis is supported.");
                var mean = Weight("moving_mean");
                var gamma = Flag("scale", true) ? Weight("gamma") : Enumerable.Repeat(1f, mean.Length).ToArray();
                var beta = Flag("center", true) ? Weight("beta") : new float[mean.Length];
                return e.BatchNorm(layer.Name, x, gamma, beta, mean, Weight("moving_variance"), c.TryGetProperty("epsilon", out var eps) ? eps.GetSingle() : 1e-3f, Exclusive());
            }
            case "Activation":
                return e.Activation(layer.Name, In(), KerasActivation(layer.Name, Str("activation") ?? "linear"));
            case "ReLU":
            {
                var max = c.TryGetProperty("max_value", out var m) && m.ValueKind == JsonValueKind.Number ? m.GetSingle() : (float?)null;
                var slope = c.TryGetProperty("negative_slope", out var ns) && ns.ValueKind == JsonValueKind.Number ? ns.GetSingle() : 0f;
                var threshold = c.TryGetProperty("threshold", out var th) && th.ValueKind == JsonValueKind.Number ? th.GetSingle() : 0f;
                if (slope != 0 || threshold != 0 || max is not (null or 6f))
                {
                    throw new InvalidDataException($"Layer '{layer.Name}': ReLU with max_value {max}, negative_slope {slope}, threshold {threshold} is not supported.");
                }
                return e.Activation(layer.Name, In(), max is null ? "Relu" : "Relu6");
            }
            case "LeakyReLU":
                return e.Activation(layer.Name, In(), "LeakyRelu", c.TryGetProperty("alpha", out var alpha) ? alpha.GetSingle() : 0.3f);
            case "Softmax":
                return e.Activation(layer.Name, In(), "Softmax");
            case "ZeroPadding2D":
            {
                var p = c.GetProperty("padding");
                int top, bottom, left, right;
                if (p.ValueKind == JsonValueKind.Number) top = bottom = left = right = p.GetInt32();
                else if (p[0].ValueKind == JsonValueKind.Number) { top = bottom = p[0].GetInt32(); left = right = p[1].GetInt32(); }
                else { top = p[0][0].GetInt32(); bottom = p[0][1].GetInt32(); left = p[1][0].GetInt32(); right = p[1][1].GetInt32(); }
                return e.Pad(layer.Name, In(), [0, 0, top, bottom, left, right, 0, 0]);
            }
            case "GlobalAveragePooling2D":
                return e.Mean(layer.Name, In(), [1, 2], Flag("keepdims", false));
            case "AveragePooling2D" or "MaxPooling2D":
            {
                var pool = Pair("pool_size", 2);
                var strides = c.TryGetProperty("strides", out var st) && st.ValueKind != JsonValueKind.Null ? Pair("strides", 1) : pool;
                return e.Pool(layer.Name, layer.ClassName == "MaxPooling2D" ? "MaxPool" : "AveragePool", In(), pool, strides, (Str("padding") ?? "valid").ToUpperInvariant());
            }
            case "Reshape":
                return e.Reshape(layer.Name, In(), [-1, .. c.GetProperty("target_shape").EnumerateArray().Select(d => d.GetInt64())]);
            case "Flatten":
            {
                var x = In();
                var rest = x.Shape.Skip(1).All(d => d > 0) ? x.Shape.Skip(1).Aggregate(1L, (a, d) => a * d) : -1;
                return e.Reshape(layer.Name, x, [-1, rest]);
            }
            case "Dropout" or "SpatialDropout2D" or "GaussianNoise" or "GaussianDropout":
                return In();
            case "Add":
                return layer.Inbound.Skip(1).Select((_, i) => i + 1).Aggregate(In(0), (acc, i) => e.Binary($"{layer.Name}_{i}", "Add", acc, In(i)));
            case "Multiply":
                return layer.Inbound.Skip(1).Select((_, i) => i + 1).Aggregate(In(0), (acc, i) => e.Binary($"{layer.Name}_{i}", "Mul", acc, In(i)));
            case "Concatenate":
                return e.Concat(layer.Name, layer.Inbound.Select((_, i) => In(i)).ToList(), c.TryGetProperty("axis", out var ax) ? ax.GetInt32() : -1);
            default:
                throw new InvalidDataException($"Layer '{layer.Name}': class '{layer.ClassName}' is not supported by the converter.");
        }
    }

    private static string KerasActivation(string layer, string activation) => activation switch
    {
        "relu" => "Relu",
        "relu6" => "Relu6",
        "sigmoid" => "Sigmoid",
        "tanh" => "Tanh",
        "softmax" => "Softmax",
        "elu" => "Elu",
        "selu" => "Selu",
        "linear" => "Linear",
        _ => throw new InvalidDataException($"Layer '{layer}': activation '{activation}' is not supported."),
    };

    private static TfTensor FindWeight(Dictionary<string, TfTensor> weights, string layer, string suffix)
    {
        if (weights.TryGetValue($"{layer}/{suffix}", out var w)) return w;
        var scoped = weights.Values.Where(t => t.Name.EndsWith($"/{layer}/{suffix}", StringComparison.Ordinal)).ToList();
        return scoped.Count == 1 ? scoped[0] : throw new InvalidDataException($"Layer '{layer}': weight '{layer}/{suffix}' is not in the weights manifest.");
    }
}
