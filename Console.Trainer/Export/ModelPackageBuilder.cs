using System.Collections.Concurrent;
using System.IO.Compression;
using VisionConsole.Domain;
using VisionConsole.Domain.Models;
using VisionConsole.Trainer.Detection;
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
public sealed class ModelPackageBuilder(IModelZoo zoo, ConsoleOptions options)
{
    /// <summary>The zip's file name in the version folder.</summary>
    public const string PackageFile = ClassifierModelExporter.PackageFile;

    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);

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
    /// A detector version (its <c>heads.json</c>): its <c>model.onnx</c> and <c>tfjs/</c> zipped; a <c>tfjs/</c> missing (a version
    /// trained before detectors had one) is converted from the heads on the CenterNet source it was trained on, into scratch.
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
            await using var stream = File.Create(temp);
            ModelPackageWriter.Write(stream, onnx, labels, scratch ?? tfjsFolder, PackageModelType.ObjectDetection, DetectorOnnxExporter.ManifestDetails(side));
        }
        finally
        {
            if (scratch is not null && Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true);
        }
    }

    private async Task BuildAsync(string folder, string zipPath, TrainingRecord? training, CancellationToken cancellationToken)
    {
        var labelsPath = Path.Combine(folder, ClassifierFiles.LabelsFile);
        if (!File.Exists(labelsPath))
        {
            throw new NotFoundException($"The files of model version folder {folder}");
        }
        var labels = (await File.ReadAllLinesAsync(labelsPath, cancellationToken).ConfigureAwait(false)).Where(l => l.Length > 0).ToList();
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
                await using var stream = File.Create(temp);
                ModelPackageWriter.Write(stream, onnx, labels, tfjsFolder, PackageModelType.ImageLabeling);
            }
            else
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
                await Task.Run(() =>
                {
                    using var stream = File.Create(temp);
                    ModelPackageWriter.WriteClassifier(stream, backbone, exported);
                }, cancellationToken).ConfigureAwait(false);
            }
            File.Move(temp, zipPath, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
