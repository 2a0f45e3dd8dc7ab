using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace VisionConsole.Trainer.Onnx;

/// <summary>
/// Writes and edits ONNX models over the protobuf classes generated from Debian's <c>onnx.proto</c>.
/// Create a new graph with <see cref="Create"/>, or open an existing model with <see cref="Load(byte[])"/>
/// to expose an inner value as an output, add nodes, and drop nodes nothing reads any more.
/// </summary>
/// <remarks>Not thread-safe. Names must be unique within the graph; <see cref="UniqueName"/> makes them.</remarks>
public sealed class OnnxModelBuilder
{
    /// <summary>Lowest default-domain opset a new model may import.</summary>
    public const int MinOpset = 13;

    /// <summary>Highest default-domain opset a new model may import (ONNX 1.12, the proto we compile).</summary>
    public const int MaxOpset = 17;

    /// <summary>Name used for the dynamic batch dimension.</summary>
    public const string BatchDimension = "N";

    private readonly HashSet<string> usedNames = new(StringComparer.Ordinal);

    private OnnxModelBuilder(ModelProto model)
    {
        Model = model;
        model.Graph ??= new GraphProto();
        foreach (var node in Graph.Node)
        {
            usedNames.Add(node.Name);
            usedNames.UnionWith(node.Output);
        }
        foreach (var init in Graph.Initializer) usedNames.Add(init.Name);
        foreach (var input in Graph.Input) usedNames.Add(input.Name);
    }

    /// <summary>The model being built or edited.</summary>
    public ModelProto Model { get; }

    /// <summary>The main graph of <see cref="Model"/>.</summary>
    public GraphProto Graph => Model.Graph;

    /// <summary>The imported default-domain opset version.</summary>
    public long Opset => Model.OpsetImport.FirstOrDefault(o => string.IsNullOrEmpty(o.Domain) || o.Domain == "ai.onnx")?.Version ?? 0;

    /// <summary>Starts an empty model importing the default domain at <paramref name="opset"/> (13 to 17).</summary>
    public static OnnxModelBuilder Create(string graphName, int opset = MinOpset, string producer = "VisionConsole")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(graphName);
        if (opset is < MinOpset or > MaxOpset)
        {
            throw new ArgumentOutOfRangeException(nameof(opset), opset, $"Opset must be between {MinOpset} and {MaxOpset}.");
        }
        var model = new ModelProto
        {
            // IR 8 is what ONNX 1.12 writes for opsets up to 17.
            IrVersion = 8,
            ProducerName = producer,
            ProducerVersion = typeof(OnnxModelBuilder).Assembly.GetName().Version?.ToString() ?? "0",
            Graph = new GraphProto { Name = graphName },
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return new OnnxModelBuilder(model);
    }

    /// <summary>Opens an existing model for editing.</summary>
    /// <exception cref="InvalidDataException">The bytes are not an ONNX model.</exception>
    public static OnnxModelBuilder Load(byte[] modelBytes)
    {
        ArgumentNullException.ThrowIfNull(modelBytes);
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(modelBytes);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new InvalidDataException($"Not an ONNX model: {ex.Message}", ex);
        }
        if (model.Graph is null || model.OpsetImport.Count == 0)
        {
            throw new InvalidDataException("Not an ONNX model: it has no graph or no opset import.");
        }
        return new OnnxModelBuilder(model);
    }

    /// <summary>Opens an existing model file for editing.</summary>
    /// <exception cref="InvalidDataException">The file is not an ONNX model (the message names the file).</exception>
    public static OnnxModelBuilder Load(string path)
    {
        var bytes = File.ReadAllBytes(path);
        try
        {
            return Load(bytes);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"{path}: {ex.Message}", ex);
        }
    }

    /// <summary>Returns <paramref name="prefix"/>, or <paramref name="prefix"/> with a number appended, unused so far, and reserves it.</summary>
    public string UniqueName(string prefix)
    {
        if (usedNames.Add(prefix)) return prefix;
        for (var i = 1; ; i++)
        {
            var candidate = $"{prefix}_{i}";
            if (usedNames.Add(candidate)) return candidate;
        }
    }

    /// <summary>Adds a graph input. A <c>null</c> dimension is dynamic (named <see cref="BatchDimension"/> when first, else <c>d{i}</c>).</summary>
    public OnnxModelBuilder AddInput(string name, TensorProto.Types.DataType elementType, params long?[] dims)
    {
        usedNames.Add(name);
        Graph.Input.Add(ValueInfo(name, elementType, dims));
        return this;
    }

    /// <summary>Adds a graph output for a value the graph computes. A <c>null</c> dimension is dynamic; <paramref name="dims"/> = <c>null</c> leaves the shape unknown.</summary>
    public OnnxModelBuilder AddOutput(string name, TensorProto.Types.DataType elementType, params long?[]? dims)
    {
        if (Graph.Output.Any(o => o.Name == name))
        {
            throw new InvalidOperationException($"The graph already has an output named '{name}'.");
        }
        Graph.Output.Add(ValueInfo(name, elementType, dims));
        return this;
    }

    /// <summary>Removes the graph output <paramref name="name"/>; returns whether it existed.</summary>
    public bool RemoveOutput(string name)
    {
        var output = Graph.Output.FirstOrDefault(o => o.Name == name);
        return output is not null && Graph.Output.Remove(output);
    }

    /// <summary>Adds a float32 initializer (stored as little-endian raw data) and returns its name.</summary>
    public string AddInitializer(string name, ReadOnlySpan<float> values, params long[] dims)
        => AddRaw(name, TensorProto.Types.DataType.Float, MemoryMarshal.AsBytes(values), values.Length, dims);

    /// <summary>Adds an int64 initializer and returns its name.</summary>
    public string AddInitializer(string name, ReadOnlySpan<long> values, params long[] dims)
        => AddRaw(name, TensorProto.Types.DataType.Int64, MemoryMarshal.AsBytes(values), values.Length, dims);

    /// <summary>Adds an int8 initializer and returns its name.</summary>
    public string AddInitializer(string name, ReadOnlySpan<sbyte> values, params long[] dims)
        => AddRaw(name, TensorProto.Types.DataType.Int8, MemoryMarshal.AsBytes(values), values.Length, dims);

    /// <summary>Adds a uint8 initializer and returns its name.</summary>
    public string AddInitializer(string name, ReadOnlySpan<byte> values, params long[] dims)
        => AddRaw(name, TensorProto.Types.DataType.Uint8, values, values.Length, dims);

    /// <summary>Adds a 1-D int64 constant (shapes, axes, pads) under a fresh name derived from <paramref name="prefix"/>.</summary>
    public string AddInt64Constant(string prefix, params long[] values)
        => AddInitializer(UniqueName(prefix), values, values.Length);

    /// <summary>Adds a float constant under a fresh name derived from <paramref name="prefix"/>; a scalar when <paramref name="dims"/> is empty.</summary>
    public string AddFloatConstant(string prefix, float[] values, params long[] dims)
        => AddInitializer(UniqueName(prefix), values, dims);

    /// <summary>Adds a node and returns it. Its name defaults to a fresh one derived from <paramref name="opType"/>.</summary>
    public NodeProto AddNode(string opType, IEnumerable<string> inputs, IEnumerable<string> outputs, string? name = null, params AttributeProto[] attributes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(opType);
        var node = new NodeProto { OpType = opType, Name = name is null ? UniqueName(opType) : name };
        node.Input.AddRange(inputs);
        foreach (var output in outputs)
        {
            usedNames.Add(output);
            node.Output.Add(output);
        }
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return node;
    }

    /// <summary>Adds a single-output node whose output gets a fresh name derived from <paramref name="outputPrefix"/>; returns that name.</summary>
    public string Op(string opType, string outputPrefix, IEnumerable<string> inputs, params AttributeProto[] attributes)
    {
        var output = UniqueName(outputPrefix);
        AddNode(opType, inputs, [output], null, attributes);
        return output;
    }

    /// <summary>Adds a <c>Slice</c> that reverses <paramref name="axis"/> of <paramref name="value"/> (the mirror image along it); returns its output.</summary>
    public string Reverse(string value, string outputPrefix, long axis) =>
        Op("Slice", outputPrefix, [
            value,
            AddInt64Constant(outputPrefix + "/starts", -1),
            AddInt64Constant(outputPrefix + "/ends", long.MinValue),
            AddInt64Constant(outputPrefix + "/axes", axis),
            AddInt64Constant(outputPrefix + "/steps", -1)]);

    /// <summary>
    /// Moves the last <paramref name="count"/> nodes, in their order, to the start of the graph: for nodes added after a
    /// loaded graph that its first nodes read (a new input stage), so the node list stays in topological order.
    /// </summary>
    public void MoveLastNodesToFront(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Graph.Node.Count);
        var moved = Graph.Node.Skip(Graph.Node.Count - count).ToArray();
        for (var i = 0; i < count; i++)
        {
            Graph.Node.RemoveAt(Graph.Node.Count - 1);
        }
        for (var i = 0; i < moved.Length; i++)
        {
            Graph.Node.Insert(i, moved[i]);
        }
    }

    /// <summary>Whether a graph input, initializer or node output has this name.</summary>
    public bool HasValue(string name)
        => Graph.Input.Any(i => i.Name == name) || Graph.Initializer.Any(i => i.Name == name) || Graph.Node.Any(n => n.Output.Contains(name));

    /// <summary>The node that produces <paramref name="valueName"/>, or <c>null</c>.</summary>
    public NodeProto? FindProducer(string valueName) => Graph.Node.FirstOrDefault(n => n.Output.Contains(valueName));

    /// <summary>The initializer named <paramref name="name"/>, or <c>null</c>.</summary>
    public TensorProto? FindInitializer(string name) => Graph.Initializer.FirstOrDefault(i => i.Name == name);

    /// <summary>
    /// Removes every node none of whose outputs is needed for a graph output, then initializers and
    /// value infos nothing reads. Graph inputs are kept. Returns the number of nodes removed.
    /// </summary>
    public int RemoveUnusedNodes()
    {
        var needed = new HashSet<string>(Graph.Output.Select(o => o.Name), StringComparer.Ordinal);
        var keep = new bool[Graph.Node.Count];
        // Nodes are topologically sorted in a valid model: one backward sweep finds every needed node.
        for (var i = Graph.Node.Count - 1; i >= 0; i--)
        {
            var node = Graph.Node[i];
            if (!node.Output.Any(needed.Contains)) continue;
            keep[i] = true;
            foreach (var input in node.Input)
            {
                if (input.Length > 0) needed.Add(input);
            }
            foreach (var subgraphInput in node.Attribute.Where(a => a.G is not null).SelectMany(a => SubgraphReads(a.G)))
            {
                needed.Add(subgraphInput);
            }
        }
        var kept = Graph.Node.Where((_, i) => keep[i]).ToList();
        var removed = Graph.Node.Count - kept.Count;
        Graph.Node.Clear();
        Graph.Node.AddRange(kept);

        var unusedInitializers = Graph.Initializer.Where(t => !needed.Contains(t.Name)).ToList();
        foreach (var t in unusedInitializers) Graph.Initializer.Remove(t);
        var unusedInfos = Graph.ValueInfo.Where(v => !needed.Contains(v.Name)).ToList();
        foreach (var v in unusedInfos) Graph.ValueInfo.Remove(v);
        return removed;
    }

    /// <summary>Serialises the model.</summary>
    public byte[] ToBytes() => Model.ToByteArray();

    /// <summary>Writes the model to <paramref name="path"/> (through a temporary file, so a reader never sees half a model).</summary>
    public void Save(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        File.WriteAllBytes(temp, ToBytes());
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>A value info with element type and shape; <c>null</c> dims are dynamic.</summary>
    public static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType elementType, long?[]? dims)
    {
        var tensorType = new TypeProto.Types.Tensor { ElemType = (int)elementType };
        if (dims is not null)
        {
            var shape = new TensorShapeProto();
            for (var i = 0; i < dims.Length; i++)
            {
                shape.Dim.Add(dims[i] is { } value
                    ? new TensorShapeProto.Types.Dimension { DimValue = value }
                    : new TensorShapeProto.Types.Dimension { DimParam = i == 0 ? BatchDimension : $"d{i}" });
            }
            tensorType.Shape = shape;
        }
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensorType } };
    }

    /// <summary>Reads a float32 tensor (raw data or <c>float_data</c>).</summary>
    public static float[] ReadFloats(TensorProto tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.DataType != (int)TensorProto.Types.DataType.Float)
        {
            throw new InvalidDataException($"Tensor '{tensor.Name}' is {(TensorProto.Types.DataType)tensor.DataType}, not FLOAT.");
        }
        return tensor.RawData.Length > 0 ? MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).ToArray() : [.. tensor.FloatData];
    }

    private string AddRaw(string name, TensorProto.Types.DataType type, ReadOnlySpan<byte> bytes, int count, long[] dims)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var expected = dims.Aggregate(1L, (a, d) => a * d);
        if (expected != count)
        {
            throw new ArgumentException($"Initializer '{name}' has {count} values but shape [{string.Join(",", dims)}] holds {expected}.", nameof(dims));
        }
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("ONNX raw tensor data is little-endian.");
        }
        usedNames.Add(name);
        var tensor = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(bytes) };
        tensor.Dims.AddRange(dims);
        Graph.Initializer.Add(tensor);
        return name;
    }

    private static IEnumerable<string> SubgraphReads(GraphProto graph)
        => graph.Node.SelectMany(n => n.Input).Where(s => s.Length > 0);
}

/// <summary>Attribute constructors for <see cref="OnnxModelBuilder.AddNode"/>.</summary>
public static class OnnxAttribute
{
    /// <summary>An INT attribute.</summary>
    public static AttributeProto Int(string name, long value)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>An INTS attribute.</summary>
    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    /// <summary>A FLOAT attribute.</summary>
    public static AttributeProto Float(string name, float value)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    /// <summary>A FLOATS attribute.</summary>
    public static AttributeProto Floats(string name, params float[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Floats };
        a.Floats.AddRange(values);
        return a;
    }

    /// <summary>A STRING attribute (UTF-8).</summary>
    public static AttributeProto String(string name, string value)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    /// <summary>A TENSOR attribute.</summary>
    public static AttributeProto Tensor(string name, TensorProto value)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = value };
}
