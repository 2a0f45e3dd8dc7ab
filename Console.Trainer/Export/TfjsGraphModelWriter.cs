using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace VisionConsole.Trainer.Export;

/// <summary>
/// Writes a <see cref="TfjsGraph"/> as a TF.js graph model folder: <c>model.json</c>
/// (<c>format: "graph-model"</c>, <c>modelTopology</c> = the GraphDef in JSON, <c>weightsManifest</c>),
/// the weight shards <c>group1-shard{i}of{n}.bin</c> (little-endian, at most <see cref="ShardSize"/> bytes
/// each, weights concatenated in manifest order and cut at shard boundaries as the TF.js converter does)
/// and <c>dict.txt</c> (one label a line), the layout <c>@tensorflow/tfjs-automl</c> loads.
/// </summary>
public static class TfjsGraphModelWriter
{
    /// <summary>Largest shard, in bytes (the TF.js converter's default, 4 MB).</summary>
    public const int ShardSize = 4 * 1024 * 1024;

    /// <summary>File name of the model topology and manifest.</summary>
    public const string ModelFileName = "model.json";

    /// <summary>File name of the labels, one a line, in output order.</summary>
    public const string LabelsFileName = "dict.txt";

    /// <summary>Writes the folder (created if missing; it must not already hold files) and returns the written file names.</summary>
    /// <param name="folder">Target folder.</param>
    /// <param name="graph">The graph; its only placeholder is the input.</param>
    /// <param name="outputName">The node whose value is the model's output.</param>
    /// <param name="labels">Class names in output order.</param>
    /// <param name="generatedBy">Free text recorded in <c>generatedBy</c> (what produced the graph).</param>
    public static IReadOnlyList<string> Write(string folder, TfjsGraph graph, string outputName, IReadOnlyList<string> labels, string generatedBy)
        => Write(folder, graph, [outputName], labels, generatedBy);

    /// <summary>Writes the folder for a graph with several outputs (all in the signature, in this order); returns the written file names.</summary>
    /// <param name="folder">Target folder.</param>
    /// <param name="graph">The graph; its only placeholder is the input.</param>
    /// <param name="outputNames">The nodes whose values are the model's outputs.</param>
    /// <param name="labels">Class names in output order.</param>
    /// <param name="generatedBy">Free text recorded in <c>generatedBy</c> (what produced the graph).</param>
    public static IReadOnlyList<string> Write(string folder, TfjsGraph graph, IReadOnlyList<string> outputNames, IReadOnlyList<string> labels, string generatedBy)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(outputNames);
        if (outputNames.Count == 0) throw new ArgumentException("A graph model needs at least one output.", nameof(outputNames));
        foreach (var outputName in outputNames)
        {
            if (!graph.Contains(outputName)) throw new ArgumentException($"The graph has no node named '{outputName}'.", nameof(outputNames));
        }
        if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any())
        {
            throw new IOException($"{folder}: the TF.js model folder must be new or empty (stale shards would be mixed in).");
        }
        Directory.CreateDirectory(folder);

        var data = Concatenate(graph.Weights);
        var shardCount = Math.Max(1, (int)((data.Length + ShardSize - 1) / ShardSize));
        var shardNames = new List<string>(shardCount);
        for (var i = 0; i < shardCount; i++)
        {
            var name = $"group1-shard{i + 1}of{shardCount}.bin";
            var start = (int)Math.Min((long)i * ShardSize, data.Length);
            var length = Math.Min(ShardSize, data.Length - start);
            File.WriteAllBytes(Path.Combine(folder, name), data.AsSpan(start, length).ToArray());
            shardNames.Add(name);
        }

        var input = graph.Inputs.Single();
        var version = typeof(TfjsGraphModelWriter).Assembly.GetName().Version?.ToString() ?? "0";
        var model = new JsonObject
        {
            ["format"] = "graph-model",
            ["generatedBy"] = generatedBy,
            ["convertedBy"] = $"VisionConsole {version}",
            ["signature"] = new JsonObject
            {
                ["inputs"] = new JsonObject
                {
                    [input.Name] = new JsonObject { ["name"] = input.Name + ":0", ["dtype"] = "DT_FLOAT", ["tensorShape"] = input.Attributes["shape"]!["shape"]!.DeepClone() },
                },
                ["outputs"] = new JsonObject(outputNames.Select(o => KeyValuePair.Create(o, (JsonNode?)new JsonObject { ["name"] = o + ":0", ["dtype"] = "DT_FLOAT" }))),
            },
            ["modelTopology"] = new JsonObject
            {
                ["node"] = new JsonArray([.. graph.Nodes.Select(NodeJson)]),
                ["library"] = new JsonObject(),
                ["versions"] = new JsonObject(),
            },
            ["weightsManifest"] = new JsonArray(new JsonObject
            {
                ["paths"] = new JsonArray([.. shardNames.Select(n => (JsonNode)JsonValue.Create(n)!)]),
                ["weights"] = new JsonArray([.. graph.Weights.Select(w => (JsonNode)new JsonObject
                {
                    ["name"] = w.Name,
                    ["shape"] = new JsonArray([.. w.Shape.Select(d => (JsonNode)JsonValue.Create(d)!)]),
                    ["dtype"] = w.DType == TfjsDType.Float32 ? "float32" : "int32",
                })]),
            }),
        };
        File.WriteAllText(Path.Combine(folder, ModelFileName), model.ToJsonString(new JsonSerializerOptions { WriteIndented = false }), new UTF8Encoding(false));
        WriteLabels(Path.Combine(folder, LabelsFileName), labels);
        return [ModelFileName, .. shardNames, LabelsFileName];
    }

    /// <summary>Writes labels one a line (<c>\n</c>, UTF-8 without BOM), the <c>dict.txt</c> both formats use.</summary>
    public static void WriteLabels(string path, IReadOnlyList<string> labels)
        => File.WriteAllBytes(path, FormatLabels(labels));

    /// <summary>The bytes of <c>dict.txt</c>: each label then <c>\n</c>, UTF-8 without BOM.</summary>
    /// <exception cref="ArgumentException">A label is empty or holds a line break (it would not survive one-a-line).</exception>
    public static byte[] FormatLabels(IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        for (var i = 0; i < labels.Count; i++)
        {
            var label = labels[i];
            if (string.IsNullOrWhiteSpace(label) || label.Contains('\n') || label.Contains('\r'))
            {
                throw new ArgumentException($"Label {i} ('{label}') is empty or has a line break; dict.txt holds one label a line.", nameof(labels));
            }
        }
        return new UTF8Encoding(false).GetBytes(string.Join('\n', labels) + "\n");
    }

    private static JsonNode NodeJson(TfjsNode node)
    {
        var json = new JsonObject { ["name"] = node.Name, ["op"] = node.Op };
        if (node.Inputs.Count > 0) json["input"] = new JsonArray([.. node.Inputs.Select(i => (JsonNode)JsonValue.Create(i)!)]);
        json["attr"] = node.Attributes.DeepClone();
        return json;
    }

    private static byte[] Concatenate(IReadOnlyList<TfjsWeight> weights)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("TF.js weight shards are little-endian.");
        var data = new byte[weights.Sum(w => (long)w.ByteLength)];
        var offset = 0;
        foreach (var w in weights)
        {
            var bytes = w.Float32 is not null ? MemoryMarshal.AsBytes(w.Float32.AsSpan()) : MemoryMarshal.AsBytes(w.Int32!.AsSpan());
            bytes.CopyTo(data.AsSpan(offset));
            offset += bytes.Length;
        }
        return data;
    }
}
