using System.Collections.Concurrent;
using System.IO.Compression;
using VisionConsole.Domain;
using VisionConsole.Domain.Models;
using VisionConsole.Trainer.Detection;
using VisionConsole.Trainer.Export.Tflite;
using VisionConsole.Trainer.Jobs;
using VisionConsole.Trainer.Training;
using VisionConsole.Trainer.Zoo;

namespace VisionConsole.Trainer.Export;

/// <summary>
/// The download zip of a model version (<see cref="ModelPackageWriter"/>'s layout), <c>package.zip</c> in the version
/// folder: the training's export step writes it (<see cref="ClassifierModelExporter"/>). For a version without it, made
/// on first use: when <c>model.onnx</c> and <c>tfjs/</c> are there they are zipped as they are; otherwise the version's head (<c>head.json</c>) is exported on the backbone it was
/// trained on. A version that predicts with test-time flip (<c>mobile-high-accuracy-1</c>) is exported with it: both graphs
/// average the scores of the image and its mirror image, as the console's prediction does. A detector version (its
/// <c>heads.json</c>) is zipped with <c>"modelType":"OBJECT_DETECTION"</c>, its <c>tfjs/</c> converted from the heads when missing.
/// </summary>
public sealed class ModelPackageBuilder(IModelZoo zoo, ConsoleOptions options) : IModelFormats
{
    /// <summary>The zip's file name in the version folder.</summary>
    public const string PackageFile = ClassifierModelExporter.PackageFile;

    /// <summary>The float32 TFLite model's file name in the version folder (made on first request).</summary>
    public const string Float32TfliteFile = "model-float32.tflite";

    /// <summary>The TF.js model's zip in the version folder (made on first request).</summary>
    public const string TfjsZipFile = "tfjs.zip";

    /// <summary>The Firebase-layout zip in the version folder (made on first request).</summary>
    public const string FirebaseZipFile = "firebase.zip";

    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Path, long Length, DateTime Written), string> _hashes = new();

    /// <summary>
    /// The lowercase hex SHA-256 of a version's file (Firebase ML's <c>modelHash</c>, and the stable URLs' <c>ETag</c>); a
    /// version's files are written once, so the hash is computed once per file (keyed by path, size and write time).
    /// </summary>
    public async Task<string> HashAsync(string path, CancellationToken cancellationToken = default)
    {
        var info = new FileInfo(path);
        var key = (info.FullName, info.Length, info.LastWriteTimeUtc);
        if (_hashes.TryGetValue(key, out var known))
        {
            return known;
        }
        await using var stream = File.OpenRead(path);
        var hash = Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
        _hashes[key] = hash;
        return hash;
    }

    /// <summary>
    /// The path of the version's zip, made on first use (one build at a time per version).
    /// </summary>
    /// <param name="versionFolder">The version folder relative to the data folder (<c>models/{id}/v{n}</c>).</param>
    /// <param name="training">How the version was trained (the database's record; null: the folder's legacy <c>training.json</c>).</param>
    /// <param name="cancellationToken">Stops the wait and the backbone download.</param>
    /// <exception cref="NotFoundException">The folder has no model files.</exception>
    /// <exception cref="DomainException"><c>export-unsupported</c>: the version's backbone or prediction views cannot be exported.</exception>
    public async Task<string> GetPackageAsync(string versionFolder, TrainingRecord? training, CancellationToken cancellationToken = default)
    {
        var folder = Path.GetFullPath(Path.Combine(options.DataFolder, versionFolder));
        var zipPath = Path.Combine(folder, PackageFile);
        if (File.Exists(zipPath))
        {
            return zipPath;
        }
        var gate = _locks.GetOrAdd(folder, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!File.Exists(zipPath))
            {
                await BuildAsync(folder, zipPath, training, cancellationToken).ConfigureAwait(false);
            }
            return zipPath;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The <c>manifest.json</c> bytes inside a package zip.</summary>
    public static byte[] ReadManifest(string zipPath)
    {
        using var zip = ZipFile.OpenRead(zipPath);
        var entry = zip.GetEntry(ModelPackageWriter.ManifestEntry)
            ?? throw new InvalidDataException($"{zipPath} has no {ModelPackageWriter.ManifestEntry}.");
        using var stream = entry.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>
    /// A detector version (its <c>heads.json</c>): its <c>model.onnx</c>, <c>model.tflite</c> and <c>tfjs/</c> zipped; a <c>tfjs/</c>
    /// or <c>model.tflite</c> missing (a version trained before detectors had one) is converted from the heads on the CenterNet
    /// source it was trained on.
    /// </summary>
    private async Task WriteDetectorAsync(string folder, string temp, IReadOnlyList<string> labels, TrainingRecord? training, CancellationToken cancellationToken)
    {
        var onnxPath = Path.Combine(folder, ModelPackageWriter.ModelEntry);
        if (!File.Exists(onnxPath))
        {
            throw new NotFoundException($"The model.onnx of detector version folder {folder}");
        }
        var onnx = await File.ReadAllBytesAsync(onnxPath, cancellationToken).ConfigureAwait(false);
        var side = training?.InputSize ?? DetectorInference.InputSide;
        var tfjsFolder = Path.Combine(folder, ModelPackageWriter.TfjsFolder);
        var scratch = File.Exists(Path.Combine(tfjsFolder, TfjsGraphModelWriter.ModelFileName)) ? null : Path.Combine(Path.GetTempPath(), $"vc-export-{Guid.NewGuid():N}");
        try
        {
            if (scratch is not null)
            {
                var heads = await DetectionTrainingJob.ReadHeadsAsync(folder, cancellationToken).ConfigureAwait(false);
                var backbone = await zoo.GetModelPathAsync(training?.BackboneId ?? DetectorPresets.CenterNetBackbone, cancellationToken).ConfigureAwait(false);
                await Task.Run(() => DetectorTfjsConverter.Write(scratch, DetectionTrainingJob.SourceFolder(backbone), heads, side, labels, training?.TestTimeFlip ?? false), cancellationToken).ConfigureAwait(false);
            }
            var tflite = await File.ReadAllBytesAsync(await BuildTfliteAsync(folder, training, TfliteVariant.Quantized, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            await using var stream = File.Create(temp);
            ModelPackageWriter.Write(stream, onnx, labels, scratch ?? tfjsFolder, PackageModelType.ObjectDetection, DetectorOnnxExporter.ManifestDetails(side), tflite);
        }
        finally
        {
            if (scratch is not null && Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true);
        }
    }

    private async Task BuildAsync(string folder, string zipPath, TrainingRecord? training, CancellationToken cancellationToken)
    {
        var labels = await ReadLabelsAsync(folder, cancellationToken).ConfigureAwait(false);
        var onnxPath = Path.Combine(folder, ModelPackageWriter.ModelEntry);
        var tfjsFolder = Path.Combine(folder, ModelPackageWriter.TfjsFolder);
        var temp = Path.Combine(folder, $".{PackageFile}.{Guid.NewGuid():N}.tmp");
        try
        {
            if (File.Exists(Path.Combine(folder, DetectionTrainingJob.HeadsFile)))
            {
                await WriteDetectorAsync(folder, temp, labels, training, cancellationToken).ConfigureAwait(false);
            }
            else if (File.Exists(onnxPath) && File.Exists(Path.Combine(tfjsFolder, TfjsGraphModelWriter.ModelFileName)))
            {
                var onnx = await File.ReadAllBytesAsync(onnxPath, cancellationToken).ConfigureAwait(false);
                var tflite = await File.ReadAllBytesAsync(await BuildTfliteAsync(folder, training, TfliteVariant.Quantized, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
                await using var stream = File.Create(temp);
                ModelPackageWriter.Write(stream, onnx, labels, tfjsFolder, PackageModelType.ImageLabeling, tfliteModel: tflite);
            }
            else
            {
                var (backbone, exported) = await LoadClassifierAsync(folder, labels, training, cancellationToken).ConfigureAwait(false);
                var tflitePath = Path.Combine(folder, ClassifierModelExporter.TfliteFile);
                var tflite = File.Exists(tflitePath) ? await File.ReadAllBytesAsync(tflitePath, cancellationToken).ConfigureAwait(false) : null;
                await Task.Run(() =>
                {
                    using var stream = File.Create(temp);
                    ModelPackageWriter.WriteClassifier(stream, backbone, exported, tfliteModel: tflite);
                }, cancellationToken).ConfigureAwait(false);
            }
            File.Move(temp, zipPath, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>
    /// The path of one download of a version, made on first use: the zip, <c>model.onnx</c>, the quantized or float32
    /// <c>model.tflite</c>, the TF.js folder as <c>tfjs.zip</c>, or the Firebase layout <c>firebase.zip</c>.
    /// </summary>
    /// <param name="versionFolder">The version folder relative to the data folder.</param>
    /// <param name="training">How the version was trained (null: the folder's legacy record).</param>
    /// <param name="download">Which file.</param>
    /// <param name="cancellationToken">Stops the wait and the build.</param>
    /// <exception cref="NotFoundException">The folder has no model files.</exception>
    /// <exception cref="DomainException"><c>export-unsupported</c>: the version cannot be exported to that format.</exception>
    public async Task<string> GetFileAsync(string versionFolder, TrainingRecord? training, ModelFormat download, CancellationToken cancellationToken = default)
    {
        if (download == ModelFormat.Package)
        {
            return await GetPackageAsync(versionFolder, training, cancellationToken).ConfigureAwait(false);
        }
        var folder = Path.GetFullPath(Path.Combine(options.DataFolder, versionFolder));
        if (!File.Exists(Path.Combine(folder, ClassifierFiles.LabelsFile)))
        {
            throw new NotFoundException($"The files of model version folder {folder}");
        }
        switch (download)
        {
            case ModelFormat.Onnx:
                var onnx = Path.Combine(folder, ModelPackageWriter.ModelEntry);
                return File.Exists(onnx) ? onnx : throw new NotFoundException($"The model.onnx of model version folder {folder}");
            case ModelFormat.Tflite:
                return await BuildTfliteAsync(folder, training, TfliteVariant.Quantized, cancellationToken).ConfigureAwait(false);
            case ModelFormat.TfliteFloat32:
                return await BuildTfliteAsync(folder, training, TfliteVariant.Float32, cancellationToken).ConfigureAwait(false);
            case ModelFormat.Tfjs:
            {
                var package = await GetPackageAsync(versionFolder, training, cancellationToken).ConfigureAwait(false);
                return await BuildOnceAsync(Path.Combine(folder, TfjsZipFile), path =>
                {
                    // The TF.js files as the package holds them, at the zip's root: what tfjs-automl's loadImageClassification reads.
                    using var source = ZipFile.OpenRead(package);
                    using var target = ZipFile.Open(path, ZipArchiveMode.Create);
                    foreach (var entry in source.Entries.Where(e => e.FullName.StartsWith(ModelPackageWriter.TfjsFolder + "/", StringComparison.Ordinal)))
                    {
                        using var from = entry.Open();
                        using var to = target.CreateEntry(entry.FullName[(ModelPackageWriter.TfjsFolder.Length + 1)..], CompressionLevel.Optimal).Open();
                        from.CopyTo(to);
                    }
                    return Task.CompletedTask;
                }, cancellationToken).ConfigureAwait(false);
            }
            case ModelFormat.Firebase:
            {
                var tflite = await BuildTfliteAsync(folder, training, TfliteVariant.Quantized, cancellationToken).ConfigureAwait(false);
                var labels = await ReadLabelsAsync(folder, cancellationToken).ConfigureAwait(false);
                return await BuildOnceAsync(Path.Combine(folder, FirebaseZipFile), async path =>
                {
                    var bytes = await File.ReadAllBytesAsync(tflite, cancellationToken).ConfigureAwait(false);
                    var kind = File.Exists(Path.Combine(folder, DetectionTrainingJob.HeadsFile)) ? PackageModelType.ObjectDetection : PackageModelType.ImageLabeling;
                    await using var stream = File.Create(path);
                    ModelPackageWriter.WriteFirebase(stream, bytes, labels, kind);
                }, cancellationToken).ConfigureAwait(false);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(download), download, null);
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<ModelFormatFile> List(ModelVersionSummary version)
    {
        ArgumentNullException.ThrowIfNull(version);
        var folder = Path.GetFullPath(Path.Combine(options.DataFolder, version.Folder));
        long? Size(string name) => File.Exists(Path.Combine(folder, name)) ? new FileInfo(Path.Combine(folder, name)).Length : null;
        var tfjs = Path.Combine(folder, ModelPackageWriter.TfjsFolder);
        long? tfjsSize = Directory.Exists(tfjs) ? Directory.EnumerateFiles(tfjs).Sum(f => new FileInfo(f).Length) : Size(TfjsZipFile);
        var files = new List<ModelFormatFile> { new(ModelFormat.Tflite, Size(ClassifierModelExporter.TfliteFile)) };
        // A detector's model.tflite is float inside already: it has no separate float32 variant.
        if (!File.Exists(Path.Combine(folder, DetectionTrainingJob.HeadsFile)))
        {
            files.Add(new(ModelFormat.TfliteFloat32, Size(Float32TfliteFile)));
        }
        files.Add(new(ModelFormat.Firebase, Size(FirebaseZipFile)));
        files.Add(new(ModelFormat.Onnx, Size(ModelPackageWriter.ModelEntry)));
        files.Add(new(ModelFormat.Tfjs, tfjsSize));
        files.Add(new(ModelFormat.Package, Size(PackageFile)));
        return files;
    }

    /// <inheritdoc />
    public Task<string> GetFileAsync(ModelVersionSummary version, ModelFormat format, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(version);
        return GetFileAsync(version.Folder, version.Training, format, cancellationToken);
    }

    /// <summary>
    /// The version's <c>model.tflite</c> (written by its training) or a classifier's <c>model-float32.tflite</c>, converted from
    /// its head (or a detector's heads) when missing. A detector has one TFLite file, float inside, whichever variant is asked.
    /// </summary>
    private async Task<string> BuildTfliteAsync(string folder, TrainingRecord? training, TfliteVariant variant, CancellationToken cancellationToken)
    {
        if (File.Exists(Path.Combine(folder, DetectionTrainingJob.HeadsFile)))
        {
            return await BuildOnceAsync(Path.Combine(folder, ClassifierModelExporter.TfliteFile), async target =>
            {
                var labels = await ReadLabelsAsync(folder, cancellationToken).ConfigureAwait(false);
                var heads = await DetectionTrainingJob.ReadHeadsAsync(folder, cancellationToken).ConfigureAwait(false);
                var backbone = await zoo.GetModelPathAsync(training?.BackboneId ?? DetectorPresets.CenterNetBackbone, cancellationToken).ConfigureAwait(false);
                var side = training?.InputSize ?? DetectorInference.InputSide;
                var bytes = await Task.Run(() => DetectorTfliteConverter.Convert(DetectionTrainingJob.SourceFolder(backbone), heads, side, labels, training?.TestTimeFlip ?? false), cancellationToken).ConfigureAwait(false);
                await File.WriteAllBytesAsync(target, bytes, cancellationToken).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
        }
        var path = Path.Combine(folder, variant == TfliteVariant.Quantized ? ClassifierModelExporter.TfliteFile : Float32TfliteFile);
        return await BuildOnceAsync(path, async target =>
        {
            // A version trained before TFLite export, or the float variant: converted from the head; without the training
            // images' features the quantized model's head runs in float between the int8 backbone and the uint8 output.
            var labels = await ReadLabelsAsync(folder, cancellationToken).ConfigureAwait(false);
            var (backbone, head) = await LoadClassifierAsync(folder, labels, training, cancellationToken).ConfigureAwait(false);
            var bytes = await Task.Run(() => ClassifierTfliteConverter.Convert(backbone, head, new TfliteExportOptions { Variant = variant }), cancellationToken).ConfigureAwait(false);
            await File.WriteAllBytesAsync(target, bytes, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="build"/> into a temporary file and moves it to <paramref name="path"/>, once per path even when called concurrently.</summary>
    private async Task<string> BuildOnceAsync(string path, Func<string, Task> build, CancellationToken cancellationToken)
    {
        if (File.Exists(path))
        {
            return path;
        }
        var gate = _locks.GetOrAdd(path, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!File.Exists(path))
            {
                var temp = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
                try
                {
                    await build(temp).ConfigureAwait(false);
                    File.Move(temp, path, overwrite: true);
                }
                finally
                {
                    File.Delete(temp);
                }
            }
            return path;
        }
        finally
        {
            gate.Release();
        }
    }

    private static async Task<List<string>> ReadLabelsAsync(string folder, CancellationToken cancellationToken)
    {
        var labelsPath = Path.Combine(folder, ClassifierFiles.LabelsFile);
        if (!File.Exists(labelsPath))
        {
            throw new NotFoundException($"The files of model version folder {folder}");
        }
        return [.. (await File.ReadAllLinesAsync(labelsPath, cancellationToken).ConfigureAwait(false)).Where(l => l.Length > 0)];
    }

    /// <summary>A classifier version's backbone and export head (with its fine-tuned top and test-time flip), from its <c>head.json</c>.</summary>
    private async Task<(ClassifierBackbone Backbone, ClassifierHead Head)> LoadClassifierAsync(string folder, IReadOnlyList<string> labels, TrainingRecord? training, CancellationToken cancellationToken)
    {
        var head = await ClassifierFiles.ReadHeadAsync(folder, cancellationToken).ConfigureAwait(false);
        var record = training ?? ClassifierFiles.ReadLegacyRecord(folder)
            ?? throw new NotFoundException($"How model version folder {folder} was trained (its record)");
        if (record.BackboneId != ModelTypePresets.MobileNetV2Int8)
        {
            throw new DomainException("export-unsupported", $"Models on backbone '{record.BackboneId}' cannot be exported yet; only {ModelTypePresets.MobileNetV2Int8} can.");
        }
        var backbone = ClassifierBackbone.MobileNetV2Int8(await zoo.GetModelPathAsync(record.BackboneId, cancellationToken).ConfigureAwait(false));
        ClassifierHead exported;
        try
        {
            exported = ClassifierModelExporter.ToExportHead(head, labels, PredictionFraming.Views(record));
        }
        catch (NotSupportedException ex)
        {
            throw new DomainException("export-unsupported", ex.Message);
        }
        if (await ClassifierFiles.ReadTopAsync(folder, cancellationToken).ConfigureAwait(false) is { } top)
        {
            // A fine-tuned top replaces the backbone's last convolution, reading the cut below it.
            var cut = BackboneCut.Find(VisionConsole.Trainer.Onnx.OnnxModelBuilder.Load(backbone.OnnxPath), backbone.FeatureMapName, top.Side);
            exported = exported with { Top = top, CutValue = cut.CutValue };
        }
        exported.Validate(backbone.FeatureDimension);
        return (backbone, exported);
    }
}

