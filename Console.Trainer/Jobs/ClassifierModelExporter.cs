using VisionConsole.Trainer.Export;
using VisionConsole.Trainer.Export.Tflite;
using VisionConsole.Trainer.Training;

namespace VisionConsole.Trainer.Jobs;

/// <summary>
/// The training's export step over <c>Console.Trainer/Export</c>: one <c>model.onnx</c> (uint8 NHWC <c>image</c>
/// in, <c>scores</c> out), the TF.js graph model folder <c>tfjs/</c>, the quantized <c>model.tflite</c> (its head calibrated
/// on the request's training features), and the download zip <c>package.zip</c> holding them all.
/// Exports the MobileNetV2 int8 backbone (the classification default); other backbones keep the head files only.
/// A model type with test-time flip is exported with it (<see cref="ClassifierHead.TestTimeFlip"/>), so the files score
/// what the console's prediction scores.
/// </summary>
public sealed class ClassifierModelExporter : IModelExporter
{
    /// <summary>The exported ONNX file's name.</summary>
    public const string ModelFile = ModelPackageWriter.ModelEntry;

    /// <summary>The quantized TFLite model's name.</summary>
    public const string TfliteFile = ModelPackageWriter.TfliteEntry;

    /// <summary>The download zip's name.</summary>
    public const string PackageFile = "package.zip";

    /// <inheritdoc />
    public Task<ExportedModelFiles?> ExportClassifierAsync(ClassifierExportRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Backbone.Id != ModelTypePresets.MobileNetV2Int8)
        {
            return Task.FromResult<ExportedModelFiles?>(null);
        }
        var backbone = ClassifierBackbone.MobileNetV2Int8(request.BackboneModelPath);
        var head = ToExportHead(request.Head, request.Labels, PredictionFraming.Views(request.Preset)) with { Top = request.Top, CutValue = request.CutValue };
        head.Validate(backbone.FeatureDimension);

        var onnx = ClassifierOnnxExporter.Export(backbone, head);
        File.WriteAllBytes(Path.Combine(request.OutputFolder, ModelFile), onnx);
        cancellationToken.ThrowIfCancellationRequested();
        var tfjs = Path.Combine(request.OutputFolder, ModelPackageWriter.TfjsFolder);
        ClassifierTfjsConverter.Write(tfjs, backbone, head);
        cancellationToken.ThrowIfCancellationRequested();
        var tflite = ClassifierTfliteConverter.Convert(backbone, head, new TfliteExportOptions { CalibrationFeatures = request.CalibrationFeatures });
        File.WriteAllBytes(Path.Combine(request.OutputFolder, TfliteFile), tflite);
        cancellationToken.ThrowIfCancellationRequested();
        using (var zip = File.Create(Path.Combine(request.OutputFolder, PackageFile)))
        {
            ModelPackageWriter.Write(zip, onnx, head.Labels, tfjs, PackageModelType.ImageLabeling, tfliteModel: tflite);
        }
        return Task.FromResult<ExportedModelFiles?>(new ExportedModelFiles(ModelFile, ModelPackageWriter.TfjsFolder, PackageFile) { TfliteFile = TfliteFile });
    }

    /// <summary>
    /// The export form of a trained head: the same standardization, hidden layers and logits layer, and test-time
    /// flip when the version predicts on a view and its mirror image (<see cref="HasTestTimeFlip"/>).
    /// </summary>
    /// <param name="head">The trained head.</param>
    /// <param name="labels">The labels in output order.</param>
    /// <param name="predictionViews">The views the console's prediction averages (<see cref="PredictionFraming.Views(ModelTypePreset)"/> of the version's record or preset).</param>
    /// <exception cref="NotSupportedException">The views are neither one view nor a view and its mirror image.</exception>
    public static ClassifierHead ToExportHead(TrainedHead head, IReadOnlyList<string> labels, IReadOnlyList<ImageView> predictionViews)
    {
        ArgumentNullException.ThrowIfNull(head);
        var logits = head.Layers[^1];
        return new ClassifierHead(labels, head.FeatureMean, head.FeatureStd, logits.Weights, logits.Bias,
            head.Output == HeadOutput.Softmax ? HeadActivation.Softmax : HeadActivation.Sigmoid)
        {
            HiddenLayers = head.Layers.Take(head.Layers.Count - 1).Select(l => new HiddenLayer(l.Inputs, l.Outputs, l.Weights, l.Bias)).ToArray(),
            TestTimeFlip = HasTestTimeFlip(predictionViews),
        };
    }

    /// <summary>
    /// Whether prediction views are a view and its mirror image (test-time flip: the exported graphs average the input and
    /// its mirror) rather than one view. The exported model's input is the first view's pixels (the centre crop).
    /// </summary>
    /// <exception cref="NotSupportedException">Any other list of views: a single exported graph could not reproduce it.</exception>
    public static bool HasTestTimeFlip(IReadOnlyList<ImageView> predictionViews)
    {
        ArgumentNullException.ThrowIfNull(predictionViews);
        if (predictionViews.Count == 1)
        {
            return false;
        }
        if (predictionViews.Count == 2)
        {
            var first = predictionViews[0];
            var mirror = first.Id == ImageView.Original.Id ? ImageView.Flip.Id
                : first.Id == ImageView.Flip.Id || first.Id.EndsWith("-flip", StringComparison.Ordinal) ? null
                : ImageView.Mirrored(first).Id;
            if (mirror is not null && predictionViews[1].Id == mirror)
            {
                return true;
            }
        }
        throw new NotSupportedException($"The prediction views [{string.Join(", ", predictionViews.Select(v => v.Id))}] cannot be exported: an exported model scores one view, or a view and its mirror image.");
    }
}
