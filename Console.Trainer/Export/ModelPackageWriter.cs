using System.IO.Compression;
using System.Text.Json;

namespace VisionConsole.Trainer.Export;

/// <summary>What a download package holds, as written in its <c>manifest.json</c>.</summary>
public enum PackageModelType
{
    /// <summary><c>IMAGE_LABELING</c>: an image classifier.</summary>
    ImageLabeling,
    /// <summary><c>OBJECT_DETECTION</c>: an object detector.</summary>
    ObjectDetection,
}

/// <summary>
/// Writes the download zip of a trained model, the layout Firebase ML / AutoML Vision Edge users know:
/// <c>model.onnx</c>, <c>dict.txt</c> (one label a line, in output order), <c>manifest.json</c>
/// (<c>{"modelFile":"model.onnx","labelsFile":"dict.txt","modelType":"IMAGE_LABELING"}</c>) and a
/// <c>tfjs/</c> folder (<c>model.json</c>, <c>group1-shard*.bin</c>, <c>dict.txt</c>) that
/// <c>@tensorflow/tfjs-automl</c> loads unchanged. Nothing else is in the zip.
/// </summary>
public static class ModelPackageWriter
{
    /// <summary>Entry name of the ONNX model.</summary>
    public const string ModelEntry = "model.onnx";

    /// <summary>Entry name of the labels file.</summary>
    public const string LabelsEntry = "dict.txt";

    /// <summary>Entry name of the manifest.</summary>
    public const string ManifestEntry = "manifest.json";

    /// <summary>Folder (entry prefix, without the slash) of the TF.js graph model.</summary>
    public const string TfjsFolder = "tfjs";

    /// <summary>Exports a classifier to both formats and writes its zip to <paramref name="destination"/> (left open).</summary>
    public static void WriteClassifier(Stream destination, ClassifierBackbone backbone, ClassifierHead head, TfjsActivations activations = TfjsActivations.EmulateInt8)
    {
        ArgumentNullException.ThrowIfNull(head);
        var onnx = ClassifierOnnxExporter.Export(backbone, head);
        var scratch = Path.Combine(Path.GetTempPath(), $"vc-export-{Guid.NewGuid():N}");
        try
        {
            ClassifierTfjsConverter.Write(scratch, backbone, head, activations);
            Write(destination, onnx, head.Labels, scratch, PackageModelType.ImageLabeling);
        }
        finally
        {
            if (Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>Exports a classifier and writes its zip to <paramref name="zipPath"/> (through a temporary file).</summary>
    public static void WriteClassifier(string zipPath, ClassifierBackbone backbone, ClassifierHead head, TfjsActivations activations = TfjsActivations.EmulateInt8)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(zipPath))!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(zipPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = File.Create(temp))
            {
                WriteClassifier(stream, backbone, head, activations);
            }
            File.Move(temp, zipPath, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>
    /// Writes a zip from parts already exported: the ONNX bytes, the labels, and a TF.js folder whose files
    /// (<c>model.json</c>, shards, <c>dict.txt</c>; no subfolders) go under <c>tfjs/</c>.
    /// </summary>
    /// <param name="destination">The zip's stream (left open).</param>
    /// <param name="onnxModel">The <c>model.onnx</c> bytes.</param>
    /// <param name="labels">The labels in output order (<c>dict.txt</c>).</param>
    /// <param name="tfjsFolder">The TF.js graph model folder.</param>
    /// <param name="modelType">What the manifest says the model is.</param>
    /// <param name="manifestDetails">More manifest entries after the three standard ones (a detector's input and outputs), or null.</param>
    public static void Write(Stream destination, byte[] onnxModel, IReadOnlyList<string> labels, string tfjsFolder, PackageModelType modelType,
        IReadOnlyDictionary<string, object>? manifestDetails = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(onnxModel);
        ArgumentNullException.ThrowIfNull(labels);
        if (!File.Exists(Path.Combine(tfjsFolder, TfjsGraphModelWriter.ModelFileName)))
        {
            throw new FileNotFoundException($"{tfjsFolder}: no {TfjsGraphModelWriter.ModelFileName}; not a TF.js graph model folder.");
        }
        if (Directory.EnumerateDirectories(tfjsFolder).Any())
        {
            throw new IOException($"{tfjsFolder}: a TF.js model folder has no subfolders.");
        }
        var labelsBytes = TfjsGraphModelWriter.FormatLabels(labels);
        using var zip = new ZipArchive(destination, ZipArchiveMode.Create, leaveOpen: true);
        AddBytes(zip, ModelEntry, onnxModel);
        AddBytes(zip, LabelsEntry, labelsBytes);
        AddBytes(zip, ManifestEntry, Manifest(modelType, manifestDetails));
        foreach (var file in Directory.EnumerateFiles(tfjsFolder).Order(StringComparer.Ordinal))
        {
            zip.CreateEntryFromFile(file, $"{TfjsFolder}/{Path.GetFileName(file)}", CompressionLevel.Optimal);
        }
    }

    /// <summary>
    /// The <c>manifest.json</c> bytes: <c>modelFile</c>, <c>labelsFile</c>, <c>modelType</c> (<c>IMAGE_LABELING</c> or
    /// <c>OBJECT_DETECTION</c>), then <paramref name="details"/> (which cannot replace those three).
    /// </summary>
    public static byte[] Manifest(PackageModelType modelType, IReadOnlyDictionary<string, object>? details = null)
    {
        var manifest = new Dictionary<string, object>
        {
            ["modelFile"] = ModelEntry,
            ["labelsFile"] = LabelsEntry,
            ["modelType"] = modelType == PackageModelType.ImageLabeling ? "IMAGE_LABELING" : "OBJECT_DETECTION",
        };
        foreach (var (key, value) in details ?? new Dictionary<string, object>())
        {
            if (!manifest.TryAdd(key, value)) throw new ArgumentException($"The manifest's '{key}' is set by the writer.", nameof(details));
        }
        return JsonSerializer.SerializeToUtf8Bytes(manifest);
    }

    private static void AddBytes(ZipArchive zip, string name, byte[] bytes)
    {
        var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
        using var stream = entry.Open();
        stream.Write(bytes);
    }
}
