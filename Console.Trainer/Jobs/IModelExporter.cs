using VisionConsole.Trainer.Training;
using VisionConsole.Trainer.Zoo;

namespace VisionConsole.Trainer.Jobs;

/// <summary>What a trained classifier is made of, for an exporter to turn into deployable files.</summary>
/// <param name="OutputFolder">The (staging) folder of the model version; exporters write their files here.</param>
/// <param name="Labels">The labels in output order (also in <c>dict.txt</c> there).</param>
/// <param name="Head">The trained head (standardization and dense layers).</param>
/// <param name="Backbone">The zoo backbone the head was trained on.</param>
/// <param name="BackboneModelPath">The backbone's ready ONNX file (features exposed).</param>
/// <param name="Preset">The model type.</param>
/// <param name="MultiLabel">Sigmoid (true) or softmax (false) output.</param>
public sealed record ClassifierExportRequest(
    string OutputFolder,
    IReadOnlyList<string> Labels,
    TrainedHead Head,
    BackboneInfo Backbone,
    string BackboneModelPath,
    ModelTypePreset Preset,
    bool MultiLabel)
{
    /// <summary>The fine-tuned top above the backbone's cut (high-accuracy), or null for a head on the backbone's own features.</summary>
    public ConvTop? Top { get; init; }

    /// <summary>The uint8 backbone value <see cref="Top"/> reads (with it).</summary>
    public string? CutValue { get; init; }

    /// <summary>Pooled backbone features of training images as the model predicts them (the centre crop): the quantized <c>model.tflite</c>'s head is calibrated on them.</summary>
    public IReadOnlyList<float[]>? CalibrationFeatures { get; init; }
}

/// <summary>The files an exporter wrote, relative to <see cref="ClassifierExportRequest.OutputFolder"/>.</summary>
/// <param name="ModelFile">The single ONNX model (for example <c>model.onnx</c>).</param>
/// <param name="TfjsFolder">The TF.js graph model folder, when written.</param>
/// <param name="PackageFile">The download zip (<c>model.onnx</c>, <c>dict.txt</c>, <c>manifest.json</c>, <c>tfjs/</c>, <c>model.tflite</c>), when written.</param>
public sealed record ExportedModelFiles(string ModelFile, string? TfjsFolder, string? PackageFile = null)
{
    /// <summary>The quantized TFLite model (<c>model.tflite</c>), when written.</summary>
    public string? TfliteFile { get; init; }
}

/// <summary>
/// Turns a trained classifier into deployable files (one <c>model.onnx</c>, a TF.js folder). The training job
/// calls the registered exporter as its export step and then evaluates the exported <c>model.onnx</c>, which is also what
/// online prediction runs: a training needs an exporter for its backbone.
/// </summary>
public interface IModelExporter
{
    /// <summary>
    /// Writes the files into <see cref="ClassifierExportRequest.OutputFolder"/>; honours cancellation. Null when this
    /// exporter cannot export the backbone (the training then fails with <c>export-unsupported</c>).
    /// </summary>
    Task<ExportedModelFiles?> ExportClassifierAsync(ClassifierExportRequest request, CancellationToken cancellationToken);
}
