using Google.FlatBuffers;

namespace VisionConsole.Trainer.Export.Tflite;

/// <summary>
/// Serializes a <see cref="TfliteGraph"/> as a TFLite flatbuffer (schema version 3, file identifier <c>TFL3</c>), with
/// named metadata buffers (<c>Model.metadata</c>, for example <c>TFLITE_METADATA</c>). Tables are written by slot number
/// from TFLite's published <c>schema.fbs</c>, since no package ships its C# (DESIGN.md, "TFLite"). Constant data is
/// 16-byte aligned as the schema asks; activations get the empty buffer 0 and no data vector at all.
/// </summary>
public static class TfliteModelWriter
{
    /// <summary>The name TFLite Support's metadata extractor looks up in <c>Model.metadata</c>.</summary>
    public const string MetadataName = "TFLITE_METADATA";

    /// <summary>The TFLite file identifier.</summary>
    public const string FileIdentifier = "TFL3";

    /// <summary>Returns the model's bytes.</summary>
    /// <param name="graph">The model's only subgraph.</param>
    /// <param name="description">Model.description.</param>
    /// <param name="metadata">Named metadata buffers (name, bytes), in order.</param>
    public static byte[] Write(TfliteGraph graph, string description, IReadOnlyList<(string Name, byte[] Data)>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        metadata ??= [];
        var size = graph.Tensors.Sum(t => t.Data?.Length ?? 0) + metadata.Sum(m => m.Data.Length);
        var b = new FlatBufferBuilder(Math.Max(1024, size + (size / 8) + 65536));

        // Buffers: 0 is the empty sentinel, then one per constant tensor, then the metadata buffers.
        var buffers = new List<int> { EmptyTable(b) };
        var tensorBuffer = new uint[graph.Tensors.Count];
        for (var i = 0; i < graph.Tensors.Count; i++)
        {
            if (graph.Tensors[i].Data is { } data)
            {
                tensorBuffer[i] = (uint)buffers.Count;
                buffers.Add(BufferTable(b, data));
            }
        }
        var metadataBuffers = new List<(string Name, uint Buffer)>();
        foreach (var (name, data) in metadata)
        {
            metadataBuffers.Add((name, (uint)buffers.Count));
            buffers.Add(BufferTable(b, data));
        }

        var tensors = new int[graph.Tensors.Count];
        for (var i = 0; i < tensors.Length; i++)
        {
            tensors[i] = TensorTable(b, graph.Tensors[i], tensorBuffer[i]);
        }

        // Operator codes: one per (op, version), in first-use order.
        var codes = new List<(TfliteOp Op, int Version)>();
        var operators = new int[graph.Operators.Count];
        for (var i = 0; i < operators.Length; i++)
        {
            var op = graph.Operators[i];
            var code = codes.IndexOf((op.Op, op.Version));
            if (code < 0)
            {
                codes.Add((op.Op, op.Version));
                code = codes.Count - 1;
            }
            operators[i] = OperatorTable(b, op, (uint)code);
        }

        var subgraphName = b.CreateString("main");
        var tensorVector = OffsetVector(b, tensors);
        var inputVector = IntVector(b, [.. graph.Inputs]);
        var outputVector = IntVector(b, [.. graph.Outputs]);
        var operatorVector = OffsetVector(b, operators);
        b.StartTable(5);
        b.AddOffset(0, tensorVector, 0);
        b.AddOffset(1, inputVector, 0);
        b.AddOffset(2, outputVector, 0);
        b.AddOffset(3, operatorVector, 0);
        b.AddOffset(4, subgraphName.Value, 0);
        var subgraph = b.EndTable();

        var codeTables = codes.Select(c => OperatorCodeTable(b, c.Op, c.Version)).ToArray();
        var metadataTables = metadataBuffers.Select(m =>
        {
            var name = b.CreateString(m.Name);
            b.StartTable(2);
            b.AddOffset(0, name.Value, 0);
            b.AddUint(1, m.Buffer, 0);
            return b.EndTable();
        }).ToArray();

        var codeVector = OffsetVector(b, codeTables);
        var subgraphVector = OffsetVector(b, [subgraph]);
        var descriptionString = b.CreateString(description);
        var bufferVector = OffsetVector(b, [.. buffers]);
        var metadataVector = metadataTables.Length > 0 ? OffsetVector(b, metadataTables) : 0;
        // Model: version, operator_codes, subgraphs, description, buffers, metadata_buffer, metadata.
        b.StartTable(7);
        b.AddUint(0, 3, 0);
        b.AddOffset(1, codeVector, 0);
        b.AddOffset(2, subgraphVector, 0);
        b.AddOffset(3, descriptionString.Value, 0);
        b.AddOffset(4, bufferVector, 0);
        if (metadataVector != 0) b.AddOffset(6, metadataVector, 0);
        var model = b.EndTable();
        b.Finish(model, FileIdentifier);
        return b.SizedByteArray();
    }

    private static int EmptyTable(FlatBufferBuilder b)
    {
        b.StartTable(1);
        return b.EndTable();
    }

    private static int BufferTable(FlatBufferBuilder b, byte[] data)
    {
        b.StartVector(1, data.Length, 16);
        b.Add(data);
        var vector = b.EndVector();
        b.StartTable(1);
        b.AddOffset(0, vector.Value, 0);
        return b.EndTable();
    }

    private static int TensorTable(FlatBufferBuilder b, TfliteTensor tensor, uint buffer)
    {
        var shape = IntVector(b, tensor.Shape);
        var name = b.CreateString(tensor.Name);
        var quantization = tensor.Quantization is { } q ? QuantizationTable(b, q) : 0;
        // Tensor: shape, type, buffer, name, quantization.
        b.StartTable(5);
        b.AddOffset(0, shape, 0);
        b.AddUint(2, buffer, 0);
        b.AddOffset(3, name.Value, 0);
        if (quantization != 0) b.AddOffset(4, quantization, 0);
        b.AddSbyte(1, (sbyte)tensor.Type, 0);
        return b.EndTable();
    }

    private static int QuantizationTable(FlatBufferBuilder b, TfliteQuantization q)
    {
        if (q.Scale.Length == 0 || q.Scale.Length != q.ZeroPoint.Length)
        {
            throw new ArgumentException($"A quantization needs as many zero points as scales (got {q.Scale.Length} and {q.ZeroPoint.Length}).");
        }
        b.StartVector(4, q.Scale.Length, 4);
        b.Add(q.Scale);
        var scale = b.EndVector();
        b.StartVector(8, q.ZeroPoint.Length, 8);
        b.Add(q.ZeroPoint);
        var zeroPoint = b.EndVector();
        // QuantizationParameters: min, max, scale, zero_point, details_type, details, quantized_dimension.
        b.StartTable(7);
        b.AddOffset(2, scale.Value, 0);
        b.AddOffset(3, zeroPoint.Value, 0);
        b.AddInt(6, q.Dimension, 0);
        return b.EndTable();
    }

    private static int OperatorTable(FlatBufferBuilder b, TfliteOperator op, uint code)
    {
        var inputs = IntVector(b, op.Inputs);
        var outputs = IntVector(b, op.Outputs);
        var options = op.Options?.Write(b) ?? 0;
        // Operator: opcode_index, inputs, outputs, builtin_options_type, builtin_options.
        b.StartTable(5);
        b.AddUint(0, code, 0);
        b.AddOffset(1, inputs, 0);
        b.AddOffset(2, outputs, 0);
        if (options != 0) b.AddOffset(4, options, 0);
        if (op.Options is { } o) b.AddByte(3, o.UnionType, 0);
        return b.EndTable();
    }

    private static int OperatorCodeTable(FlatBufferBuilder b, TfliteOp op, int version)
    {
        // OperatorCode: deprecated_builtin_code (byte; readers before 2.3 use it), custom_code, version, builtin_code (int).
        var code = (int)op;
        b.StartTable(4);
        b.AddInt(3, code, 0);
        b.AddInt(2, version, 1);
        b.AddSbyte(0, (sbyte)Math.Min(code, 127), 0);
        return b.EndTable();
    }

    private static int IntVector(FlatBufferBuilder b, int[] values)
    {
        b.StartVector(4, values.Length, 4);
        if (values.Length > 0) b.Add(values);
        return b.EndVector().Value;
    }

    /// <summary>A vector of table offsets, in order.</summary>
    internal static int OffsetVector(FlatBufferBuilder b, int[] offsets)
    {
        b.StartVector(4, offsets.Length, 4);
        for (var i = offsets.Length - 1; i >= 0; i--)
        {
            b.AddOffset(offsets[i]);
        }
        return b.EndVector().Value;
    }
}
