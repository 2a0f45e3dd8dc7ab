using System.Text;
using System.Text.Json.Nodes;

namespace VisionConsole.Trainer.Export;

/// <summary>Element types a TF.js graph model's weights and placeholders use here.</summary>
public enum TfjsDType { Float32, Int32 }

/// <summary>One constant of a TF.js graph model: a <c>Const</c> node whose value lives in the weight shards.</summary>
/// <param name="Name">Node name, also the weight's name in <c>weightsManifest</c>.</param>
/// <param name="Shape">Dimensions (empty for a scalar).</param>
/// <param name="Float32">The values when <see cref="DType"/> is <see cref="TfjsDType.Float32"/>.</param>
/// <param name="Int32">The values when <see cref="DType"/> is <see cref="TfjsDType.Int32"/>.</param>
public sealed record TfjsWeight(string Name, int[] Shape, float[]? Float32, int[]? Int32)
{
    /// <summary>The element type.</summary>
    public TfjsDType DType => Float32 is not null ? TfjsDType.Float32 : TfjsDType.Int32;

    /// <summary>Size in bytes in the shard (4 per element).</summary>
    public int ByteLength => (Float32?.Length ?? Int32!.Length) * 4;
}

/// <summary>One node of a TF.js graph model's GraphDef: op, inputs and attributes in TF's JSON proto form.</summary>
public sealed record TfjsNode(string Name, string Op, IReadOnlyList<string> Inputs, JsonObject Attributes);

/// <summary>
/// A TensorFlow GraphDef under construction, in the JSON form TF.js graph models store as <c>modelTopology</c>.
/// Nodes are kept in insertion order, which must be topological (every input added before its reader).
/// </summary>
public sealed class TfjsGraph
{
    private readonly List<TfjsNode> nodes = [];
    private readonly List<TfjsWeight> weights = [];
    private readonly HashSet<string> names = new(StringComparer.Ordinal);

    /// <summary>Nodes in topological order.</summary>
    public IReadOnlyList<TfjsNode> Nodes => nodes;

    /// <summary>Constants, in the order their bytes are written to the shards.</summary>
    public IReadOnlyList<TfjsWeight> Weights => weights;

    /// <summary>The placeholder nodes (the model's inputs).</summary>
    public IEnumerable<TfjsNode> Inputs => nodes.Where(n => n.Op == "Placeholder");

    /// <summary>Adds a float32 placeholder; a dimension of -1 is free (the batch).</summary>
    public string Placeholder(string name, params int[] shape)
        => Add(name, "Placeholder", [], new JsonObject { ["dtype"] = DType(TfjsDType.Float32), ["shape"] = new JsonObject { ["shape"] = ShapeProto(shape) } });

    /// <summary>Adds a float32 constant (its values go to the weight shards).</summary>
    public string Const(string name, float[] values, params int[] shape) => AddConst(new TfjsWeight(name, shape, values, null));

    /// <summary>Adds an int32 constant (its values go to the weight shards).</summary>
    public string ConstInt32(string name, int[] values, params int[] shape) => AddConst(new TfjsWeight(name, shape, null, values));

    /// <summary>Adds an op node (its <c>T</c> attribute defaults to <c>DT_FLOAT</c>) and returns its name.</summary>
    public string Op(string name, string op, IReadOnlyList<string> inputs, JsonObject? attributes = null)
    {
        foreach (var input in inputs)
        {
            if (!names.Contains(NodeOf(input))) throw new InvalidOperationException($"Node '{name}' ({op}) reads '{input}', which is not defined yet.");
        }
        attributes ??= [];
        if (!attributes.ContainsKey("T")) attributes["T"] = DType(TfjsDType.Float32);
        return Add(name, op, inputs, attributes);
    }

    /// <summary>The node an input reads: <c>name:1</c> (a node's second output) is node <c>name</c>.</summary>
    private static string NodeOf(string input)
    {
        var colon = input.LastIndexOf(':');
        return colon > 0 && int.TryParse(input.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _) ? input[..colon] : input;
    }

    /// <summary>Whether a node has this name.</summary>
    public bool Contains(string name) => names.Contains(name);

    /// <summary><c>{"type":"DT_FLOAT"}</c>-style dtype attribute.</summary>
    public static JsonObject DType(TfjsDType type) => new() { ["type"] = type == TfjsDType.Float32 ? "DT_FLOAT" : "DT_INT32" };

    /// <summary><c>{"list":{"i":["1","2"]}}</c>: int64 lists are strings in TF's JSON proto form.</summary>
    public static JsonObject IntList(params long[] values)
        => new() { ["list"] = new JsonObject { ["i"] = new JsonArray([.. values.Select(v => (JsonNode)JsonValue.Create(v.ToString(System.Globalization.CultureInfo.InvariantCulture))!)]) } };

    /// <summary><c>{"s":"base64"}</c>: bytes fields are base64 in TF's JSON proto form.</summary>
    public static JsonObject String(string value) => new() { ["s"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(value)) };

    /// <summary><c>{"i":"2"}</c>: an int64 attribute (a string in TF's JSON proto form).</summary>
    public static JsonObject Int(long value) => new() { ["i"] = value.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    /// <summary><c>{"b":true}</c>.</summary>
    public static JsonObject Bool(bool value) => new() { ["b"] = value };

    /// <summary>A TensorShapeProto in JSON form (a scalar has no <c>dim</c>).</summary>
    public static JsonObject ShapeProto(IReadOnlyList<int> shape)
    {
        var shapeObject = new JsonObject();
        if (shape.Count > 0)
        {
            shapeObject["dim"] = new JsonArray([.. shape.Select(d => (JsonNode)new JsonObject { ["size"] = d.ToString(System.Globalization.CultureInfo.InvariantCulture) })]);
        }
        return shapeObject;
    }

    private string AddConst(TfjsWeight weight)
    {
        var count = weight.Shape.Aggregate(1L, (a, d) => a * d);
        var actual = weight.Float32?.Length ?? weight.Int32!.Length;
        if (count != actual) throw new ArgumentException($"Constant '{weight.Name}' has {actual} values but shape [{string.Join(",", weight.Shape)}] holds {count}.");
        var dtype = weight.DType;
        var attributes = new JsonObject
        {
            ["dtype"] = DType(dtype),
            ["value"] = new JsonObject
            {
                ["tensor"] = new JsonObject { ["dtype"] = dtype == TfjsDType.Float32 ? "DT_FLOAT" : "DT_INT32", ["tensorShape"] = ShapeProto(weight.Shape) },
            },
        };
        Add(weight.Name, "Const", [], attributes);
        weights.Add(weight);
        return weight.Name;
    }

    private string Add(string name, string op, IReadOnlyList<string> inputs, JsonObject attributes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!names.Add(name)) throw new InvalidOperationException($"The graph already has a node named '{name}'.");
        nodes.Add(new TfjsNode(name, op, inputs, attributes));
        return name;
    }
}
