namespace VisionConsole.Domain.Models;

/// <summary>The formats a model version is downloaded in.</summary>
public enum ModelFormat
{
    /// <summary>The quantized <c>model.tflite</c> (uint8 in and out, metadata and labels inside), for ML Kit and the TFLite Task Library.</summary>
    Tflite,
    /// <summary>The float32 <c>model.tflite</c>, made on first request.</summary>
    TfliteFloat32,
    /// <summary><c>model.onnx</c>, what the console itself runs.</summary>
    Onnx,
    /// <summary>The TF.js graph model as a zip (<c>model.json</c>, shards, <c>dict.txt</c>), for <c>@tensorflow/tfjs-automl</c>.</summary>
    Tfjs,
    /// <summary>The Firebase ML layout: <c>model.tflite</c>, <c>dict.txt</c>, <c>manifest.json</c> naming <c>model.tflite</c>.</summary>
    Firebase,
    /// <summary><c>package.zip</c>: every format with <c>dict.txt</c> and <c>manifest.json</c>.</summary>
    Package,
}

/// <summary>One format a version can be downloaded in, with its size once the file exists (null: made on first request).</summary>
/// <param name="Format">The format.</param>
/// <param name="SizeBytes">The file's size in bytes, or null when it is made on request.</param>
public sealed record ModelFormatFile(ModelFormat Format, long? SizeBytes);

/// <summary>The download formats of model versions.</summary>
public interface IModelFormats
{
    /// <summary>The formats a version offers (an object detector has no TFLite model yet), in the order the console lists them.</summary>
    IReadOnlyList<ModelFormatFile> List(ModelVersionSummary version);

    /// <summary>The version's file in <paramref name="format"/>, made on first use.</summary>
    /// <exception cref="DomainException"><c>export-unsupported</c>: the version has no such format.</exception>
    Task<string> GetFileAsync(ModelVersionSummary version, ModelFormat format, CancellationToken cancellationToken = default);
}
