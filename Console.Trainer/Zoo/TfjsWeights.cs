using System.Buffers.Binary;
using System.Text.Json;

namespace VisionConsole.Trainer.Zoo;

/// <summary>A constant tensor read from a TF.js weights manifest, in TF (row-major, NHWC/HWIO) order.</summary>
/// <param name="Name">Weight name from the manifest.</param>
/// <param name="Shape">TF shape; empty for a scalar.</param>
/// <param name="Floats">Values when the tensor is floating point, else <c>null</c>.</param>
/// <param name="Ints">Values when the tensor is an integer tensor, else <c>null</c>.</param>
internal sealed record TfTensor(string Name, int[] Shape, float[]? Floats, long[]? Ints)
{
    public int Count => Floats?.Length ?? Ints!.Length;

    public float[] AsFloats() => Floats ?? Ints!.Select(i => (float)i).ToArray();

    public long[] AsInts() => Ints ?? throw new InvalidDataException($"Weight '{Name}' holds floats where integers are needed.");
}

/// <summary>
/// Reads the <c>weightsManifest</c> of a TF.js model: float32, int32, float16-quantized and
/// uint8/uint16 affine-quantized (<c>value = q * scale + min</c>) entries, from shards in a folder.
/// </summary>
internal static class TfjsWeights
{
    public static Dictionary<string, TfTensor> Read(JsonElement manifest, string folder)
    {
        if (manifest.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException($"{folder}: model.json has no 'weightsManifest' array.");
        }
        var result = new Dictionary<string, TfTensor>(StringComparer.Ordinal);
        var groupIndex = 0;
        foreach (var group in manifest.EnumerateArray())
        {
            groupIndex++;
            var paths = group.GetProperty("paths").EnumerateArray().Select(p => p.GetString()!).ToList();
            using var bytes = new MemoryStream();
            foreach (var relative in paths)
            {
                var path = Path.Combine(folder, relative);
                if (!File.Exists(path))
                {
                    throw new FileNotFoundException($"Weights shard '{relative}' (group {groupIndex}) of the TF.js model in {folder} is missing.", path);
                }
                using var shard = File.OpenRead(path);
                shard.CopyTo(bytes);
            }
            var buffer = bytes.GetBuffer().AsSpan(0, (int)bytes.Length);
            var offset = 0;
            foreach (var entry in group.GetProperty("weights").EnumerateArray())
            {
                var tensor = ReadEntry(entry, buffer, ref offset, paths);
                result[tensor.Name] = tensor;
            }
            if (offset != buffer.Length)
            {
                throw new InvalidDataException($"Weights group {groupIndex} ({string.Join(", ", paths)}) in {folder} has {buffer.Length} bytes but its manifest describes {offset}.");
            }
        }
        return result;
    }

    private static TfTensor ReadEntry(JsonElement entry, ReadOnlySpan<byte> buffer, ref int offset, List<string> paths)
    {
        var name = entry.GetProperty("name").GetString()!;
        var dtype = entry.GetProperty("dtype").GetString();
        var shape = entry.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
        var count = shape.Aggregate(1, (a, d) => checked(a * d));
        string? quantDtype = null;
        float scale = 1, min = 0;
        if (entry.TryGetProperty("quantization", out var q) && q.ValueKind == JsonValueKind.Object)
        {
            quantDtype = q.GetProperty("dtype").GetString();
            if (quantDtype is "uint8" or "uint16")
            {
                scale = q.GetProperty("scale").GetSingle();
                min = q.GetProperty("min").GetSingle();
            }
        }
        var storedType = quantDtype ?? dtype;
        var width = storedType switch
        {
            "float32" or "int32" => 4,
            "float16" or "uint16" => 2,
            "uint8" or "bool" => 1,
            _ => throw new InvalidDataException($"Weight '{name}' in {string.Join(", ", paths)}: stored type '{storedType}' is not supported."),
        };
        var size = checked(count * width);
        if (offset + size > buffer.Length)
        {
            throw new InvalidDataException($"Weight '{name}' needs bytes {offset}..{offset + size} but {string.Join(", ", paths)} hold only {buffer.Length} (truncated shard?).");
        }
        var data = buffer.Slice(offset, size);
        offset += size;

        var floats = new float[count];
        for (var i = 0; i < count; i++)
        {
            floats[i] = storedType switch
            {
                "float32" => BinaryPrimitives.ReadSingleLittleEndian(data[(i * 4)..]),
                "int32" => BinaryPrimitives.ReadInt32LittleEndian(data[(i * 4)..]),
                "float16" => (float)BinaryPrimitives.ReadHalfLittleEndian(data[(i * 2)..]),
                "uint16" => BinaryPrimitives.ReadUInt16LittleEndian(data[(i * 2)..]) * scale + min,
                "uint8" => data[i] * scale + min,
                _ => data[i],
            };
        }
        return dtype is "int32" or "bool"
            ? new TfTensor(name, shape, null, floats.Select(f => (long)MathF.Round(f)).ToArray())
            : new TfTensor(name, shape, floats, null);
    }
}
