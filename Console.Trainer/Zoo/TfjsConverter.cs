using System.Text.Json;
using VisionConsole.Trainer.Onnx;

namespace VisionConsole.Trainer.Zoo;

/// <summary>An output of a converted model.</summary>
/// <param name="Source">TF node name (graph models) or Keras layer name (layers models).</param>
/// <param name="Name">Name of the ONNX graph output.</param>
/// <param name="Pooled">Global-average-pool the (NHWC) source to <c>[N,C]</c>; otherwise output it as is, in TF (NHWC) order.</param>
public sealed record TfjsOutput(string Source, string Name, bool Pooled = false);

/// <summary>The two TF.js model formats.</summary>
public enum TfjsModelFormat { GraphModel, LayersModel }

/// <summary>
/// Converts TF.js models (graph models and Keras layers models, float32, float16- or uint8/uint16-quantized
/// weights) to ONNX opset 13 that ONNX Runtime runs. The input keeps TF's contract (NHWC float image,
/// dynamic batch, same name); the graph runs NCHW inside; spatial outputs come back in NHWC.
/// </summary>
public static class TfjsConverter
{
    /// <summary>Default-domain opset of converted models.</summary>
    public const int Opset = 13;

    /// <summary>Reads the format of the TF.js model at <paramref name="modelJsonPath"/>.</summary>
    public static TfjsModelFormat DetectFormat(string modelJsonPath)
    {
        using var document = Open(modelJsonPath);
        return DetectFormat(document.RootElement, modelJsonPath);
    }

    /// <summary>Counts op types (graph model) or layer classes (layers model), for reports and diagnostics.</summary>
    public static IReadOnlyDictionary<string, int> CountOps(string modelJsonPath)
    {
        using var document = Open(modelJsonPath);
        return DetectFormat(document.RootElement, modelJsonPath) == TfjsModelFormat.GraphModel
            ? TfjsGraphModelConverter.CountOps(document.RootElement)
            : TfjsLayersModelConverter.CountLayers(document.RootElement);
    }

    /// <summary>Converts the model (its weight shards next to <paramref name="modelJsonPath"/>) and returns the ONNX bytes.</summary>
    /// <exception cref="InvalidDataException">The model is malformed or uses an unsupported op; the message names the file and node.</exception>
    public static byte[] Convert(string modelJsonPath, IReadOnlyList<TfjsOutput> outputs)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        if (outputs.Count == 0) throw new ArgumentException("At least one output is needed.", nameof(outputs));
        using var document = Open(modelJsonPath);
        var root = document.RootElement;
        var folder = Path.GetDirectoryName(Path.GetFullPath(modelJsonPath))!;
        var builder = OnnxModelBuilder.Create(Path.GetFileNameWithoutExtension(modelJsonPath), Opset);
        foreach (var output in outputs) builder.UniqueName(output.Name); // reserve the public names
        var emitter = new NchwEmitter(builder);
        try
        {
            if (DetectFormat(root, modelJsonPath) == TfjsModelFormat.GraphModel)
                TfjsGraphModelConverter.Convert(root, folder, emitter, outputs);
            else
                TfjsLayersModelConverter.Convert(root, folder, emitter, outputs);
        }
        catch (Exception ex) when (ex is InvalidDataException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{modelJsonPath}: {ex.Message}", ex);
        }
        emitter.Finish();
        builder.RemoveUnusedNodes();
        return builder.ToBytes();
    }

    private static JsonDocument Open(string modelJsonPath)
    {
        if (!File.Exists(modelJsonPath)) throw new FileNotFoundException($"TF.js model file {modelJsonPath} does not exist.", modelJsonPath);
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(modelJsonPath), new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{modelJsonPath}: not valid JSON (line {ex.LineNumber + 1}): {ex.Message}", ex);
        }
    }

    private static TfjsModelFormat DetectFormat(JsonElement root, string path)
    {
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("modelTopology", out var topology) && topology.ValueKind == JsonValueKind.Object)
        {
            if (topology.TryGetProperty("node", out _)) return TfjsModelFormat.GraphModel;
            if (topology.TryGetProperty("model_config", out _) || topology.TryGetProperty("class_name", out _)) return TfjsModelFormat.LayersModel;
        }
        throw new InvalidDataException($"{path}: not a TF.js model (no 'modelTopology' with graph nodes or a Keras model_config).");
    }
}
