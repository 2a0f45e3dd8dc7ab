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
/// (<c>{"modelFile":"model.onnx","labelsFile":"dict.txt","modelType":"IMAGE_LABELING"}</c>), a
/// <c>tfjs/</c> folder (<c>model.json</c>, <c>group1-shard*.bin</c>, <c>dict.txt</c>) that
/// <c>@tensorflow/tfjs-automl</c> loads unchanged, and <c>model.tflite</c> when the model has one. Nothing else is in
/// the zip. The Firebase layout (<see cref="WriteFirebase"/>) is <c>model.tflite</c>, <c>dict.txt</c> and a manifest
/// naming <c>model.tflite</c> only.
/// </summary>
public static class ModelPackageWriter
{
    /// <summary>Entry name of the ONNX model.</summary>
    public const string ModelEntry = "model.onnx";

    /// <summary>Entry name of the TFLite model.</summary>
    public const string TfliteEntry = "model.tflite";

    /// <summary>Entry name of the labels file.</summary>
    public const string LabelsEntry = "dict.txt";

    /// <summary>Entry name of the manifest.</summary>
    public const string ManifestEntry = "manifest.json";

    /// <summary>Folder (entry prefix, without the slash) of the TF.js graph model.</summary>
    public const string TfjsFolder = "tfjs";

    /// <summary>
    /// Exports a classifier to every format and writes its zip to <paramref name="destination"/> (left open); a
    /// <paramref name="tfliteModel"/> already made (calibrated by its training) is packed as it is.
    /// </summary>
    public static void WriteClassifier(Stream destination, ClassifierBackbone backbone, ClassifierHead head, TfjsActivations activations = TfjsActivations.EmulateInt8, byte[]? tfliteModel = null)
    {
        ArgumentNullException.ThrowIfNull(head);
        var onnx = ClassifierOnnxExporter.Export(backbone, head);
        var tflite = tfliteModel ?? Tflite.ClassifierTfliteConverter.Convert(backbone, head);
        var scratch = Path.Combine(Path.GetTempPath(), $"vc-export-{Guid.NewGuid():N}");
        try
        {
            ClassifierTfjsConverter.Write(scratch, backbone, head, activations);
            Write(destination, onnx, head.Labels, scratch, PackageModelType.ImageLabeling, tfliteModel: tflite);
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
    /// <param name="tfliteModel">The <c>model.tflite</c> bytes, when the model has one.</param>
    public static void Write(Stream destination, byte[] onnxModel, IReadOnlyList<string> labels, string tfjsFolder, PackageModelType modelType,
        IReadOnlyDictionary<string, object>? manifestDetails = null, byte[]? tfliteModel = null)
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
        if (tfliteModel is not null)
        {
            AddBytes(zip, TfliteEntry, tfliteModel);
        }
        foreach (var file in Directory.EnumerateFiles(tfjsFolder).Order(StringComparer.Ordinal))
        {
            zip.CreateEntryFromFile(file, $"{TfjsFolder}/{Path.GetFileName(file)}", CompressionLevel.Optimal);
        }
    }

    /// <summary>
    /// Writes the Firebase ML layout: <c>model.tflite</c>, <c>dict.txt</c> and <c>manifest.json</c> with
    /// <c>"modelFile":"model.tflite"</c>, as AutoML Vision Edge's TFLite export; nothing else.
    /// </summary>
    /// <param name="destination">The zip's stream (left open).</param>
    /// <param name="tfliteModel">The <c>model.tflite</c> bytes.</param>
    /// <param name="labels">The labels in output order.</param>
    /// <param name="modelType">What the manifest says the model is.</param>
    public static void WriteFirebase(Stream destination, byte[] tfliteModel, IReadOnlyList<string> labels, PackageModelType modelType)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(tfliteModel);
        ArgumentNullException.ThrowIfNull(labels);
        using var zip = new ZipArchive(destination, ZipArchiveMode.Create, leaveOpen: true);
        AddBytes(zip, TfliteEntry, tfliteModel);
        AddBytes(zip, LabelsEntry, TfjsGraphModelWriter.FormatLabels(labels));
        AddBytes(zip, ManifestEntry, Manifest(modelType, modelFile: TfliteEntry));
    }

    /// <summary>
    /// The <c>manifest.json</c> bytes: <c>modelFile</c> (<paramref name="modelFile"/>, <c>model.onnx</c> by default),
    /// <c>labelsFile</c>, <c>modelType</c> (<c>IMAGE_LABELING</c> or <c>OBJECT_DETECTION</c>), then <paramref name="details"/>
    /// (which cannot replace those three).
    /// </summary>
    public static byte[] Manifest(PackageModelType modelType, IReadOnlyDictionary<string, object>? details = null, string modelFile = ModelEntry)
    {
        var manifest = new Dictionary<string, object>
        {
            ["modelFile"] = modelFile,
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
