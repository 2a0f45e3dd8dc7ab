using VisionConsole.Trainer.Export;
using VisionConsole.Trainer.Training;

namespace VisionConsole.Trainer.Jobs;

/// <summary>
/// The training's export step over <c>Console.Trainer/Export</c>: one <c>model.onnx</c> (uint8 NHWC <c>image</c>
/// in, <c>scores</c> out), the TF.js graph model folder <c>tfjs/</c>, and the download zip <c>package.zip</c>.
/// Exports the MobileNetV2 int8 backbone (the classification default); other backbones keep the head files only.
/// </summary>
public sealed class ClassifierModelExporter : IModelExporter
{
    /// <summary>The exported ONNX file's name.</summary>
    public const string ModelFile = ModelPackageWriter.ModelEntry;

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
        var head = ToExportHead(request.Head, request.Labels);
        head.Validate(backbone.FeatureDimension);

        var onnx = ClassifierOnnxExporter.Export(backbone, head);
        File.WriteAllBytes(Path.Combine(request.OutputFolder, ModelFile), onnx);
        cancellationToken.ThrowIfCancellationRequested();
        var tfjs = Path.Combine(request.OutputFolder, ModelPackageWriter.TfjsFolder);
        ClassifierTfjsConverter.Write(tfjs, backbone, head);
        cancellationToken.ThrowIfCancellationRequested();
        using (var zip = File.Create(Path.Combine(request.OutputFolder, PackageFile)))
        {
            ModelPackageWriter.Write(zip, onnx, head.Labels, tfjs, PackageModelType.ImageLabeling);
        }
        return Task.FromResult<ExportedModelFiles?>(new ExportedModelFiles(ModelFile, ModelPackageWriter.TfjsFolder, PackageFile));
    }

    /// <summary>The export form of a trained head: the same standardization, hidden layers and logits layer.</summary>
    public static ClassifierHead ToExportHead(TrainedHead head, IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(head);
        var logits = head.Layers[^1];
        return new ClassifierHead(labels, head.FeatureMean, head.FeatureStd, logits.Weights, logits.Bias,
            head.Output == HeadOutput.Softmax ? HeadActivation.Softmax : HeadActivation.Sigmoid)
        {
            HiddenLayers = head.Layers.Take(head.Layers.Count - 1).Select(l => new HiddenLayer(l.Inputs, l.Outputs, l.Weights, l.Bias)).ToArray(),
        };
    }
}
