using VisionConsole.Domain.Imaging;

namespace VisionConsole.Trainer.Zoo;

/// <summary>Memory order of the backbone's image input.</summary>
public enum TensorLayout { Nchw, Nhwc }

/// <summary>
/// How pixels become the backbone's input: fit to <see cref="Width"/> x <see cref="Height"/>, then
/// <c>value = (pixel * Scale - Mean[c]) / Std[c]</c> per RGB channel, in <see cref="Layout"/> order.
/// </summary>
public sealed record Preprocessing(int Width, int Height, FitMode Fit, TensorLayout Layout, float Scale, float[] Mean, float[] Std);

/// <summary>A pretrained backbone the zoo can provide.</summary>
/// <param name="Id">Stable id, e.g. <c>mobilenetv2-12-int8</c>.</param>
/// <param name="DisplayName">Name shown to people.</param>
/// <param name="License">SPDX id of the weights' license.</param>
/// <param name="Source">Where the weights come from (npm package, URL with mirror file name).</param>
/// <param name="Preprocessing">What the ONNX input expects.</param>
/// <param name="InputName">Name of the image input of the ready ONNX file.</param>
/// <param name="FeatureOutputName">Name of the pooled feature output of the ready ONNX file.</param>
/// <param name="FeatureDimension">Length of one pooled feature vector.</param>
public sealed record BackboneInfo(string Id, string DisplayName, string License, string Source, Preprocessing Preprocessing, string InputName, string FeatureOutputName, int FeatureDimension);

/// <summary>The catalog of pretrained backbones and the ready-to-run ONNX file of each.</summary>
public interface IModelZoo
{
    /// <summary>Every backbone the zoo knows, available or not on this machine.</summary>
    IReadOnlyList<BackboneInfo> Catalog { get; }

    /// <summary>
    /// The path of the backbone's ready ONNX file (features exposed), fetching from its source chain
    /// (cache, mirror folder, registry or URL), converting and caching as needed.
    /// </summary>
    Task<string> GetModelPathAsync(string backboneId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Whether the backbone's ready ONNX file is in the cache, read from the folder alone (no fetching, no hashing:
    /// <see cref="GetModelPathAsync"/> still checks the file before use), for status pages.
    /// </summary>
    ZooCacheState CacheState(string backboneId);
}

/// <summary>A backbone's place in the zoo cache.</summary>
/// <param name="BackboneId">The backbone.</param>
/// <param name="Folder">Its cache folder.</param>
/// <param name="Cached">True when the ready ONNX file and its manifest are there.</param>
/// <param name="Bytes">Size of everything in the folder (0 when absent).</param>
public sealed record ZooCacheState(string BackboneId, string Folder, bool Cached, long Bytes);
