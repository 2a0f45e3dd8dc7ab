using VisionConsole.Domain.Imaging;
using VisionConsole.Trainer.Zoo;

namespace VisionConsole.Trainer.Export;

/// <summary>
/// The frozen backbone an exported classifier is built on: an ONNX file whose <paramref name="InputName"/>
/// takes a normalized NCHW float image and whose <paramref name="FeatureMapName"/> is the last
/// feature map <c>[N, D, h, w]</c> that the head's features are the global average of.
/// </summary>
/// <param name="OnnxPath">The backbone's ONNX file (the zoo's original or its ready file; extra outputs are pruned).</param>
/// <param name="InputName">The image input, float <c>[N, 3, H, W]</c>.</param>
/// <param name="FeatureMapName">The value whose spatial mean is the feature vector.</param>
/// <param name="FeatureDimension">D, channels of the feature map.</param>
/// <param name="Preprocessing">Size and per-channel normalization the input expects (layout must be NCHW).</param>
public sealed record ClassifierBackbone(string OnnxPath, string InputName, string FeatureMapName, int FeatureDimension, Preprocessing Preprocessing)
{
    /// <summary>
    /// The ONNX Model Zoo MobileNetV2 1.0 int8 (<c>mobilenetv2-12-int8.onnx</c>): input <c>input</c>
    /// [N,3,224,224], RGB/255 then ImageNet mean/std; features are the pooled <c>627</c> [N,1280,7,7].
    /// </summary>
    public static ClassifierBackbone MobileNetV2Int8(string onnxPath) => new(
        onnxPath,
        "input",
        "627",
        1280,
        new Preprocessing(224, 224, FitMode.CenterCrop, TensorLayout.Nchw, 1f / 255f, [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]));
}
