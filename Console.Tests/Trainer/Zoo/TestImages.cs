using System.Runtime.InteropServices;
using VisionConsole.Domain.Imaging;
using VisionConsole.Trainer.Imaging;
using VisionConsole.Trainer.Zoo;

namespace VisionConsole.Tests.Trainer.Zoo;

/// <summary>
/// Real photos from shared/datasets decoded by the product's codec (libvips) and normalised as the
/// backbone's <see cref="Preprocessing"/> says: both runtimes in a parity check see the same tensor.
/// </summary>
internal static class TestImages
{
    public static readonly string Datasets = SharedData.Datasets;

    /// <summary>Two ants, one bee (hymenoptera) and two raccoons, fixed by name.</summary>
    public static readonly string[] ParityImages =
    [
        Path.Combine(Datasets, "hymenoptera/train/ants/0013035.jpg"),
        Path.Combine(Datasets, "hymenoptera/train/ants/1030023514_aad5c608f9.jpg"),
        Path.Combine(Datasets, "hymenoptera/val/bees/1032546534_06907fe3b3.jpg"),
        Path.Combine(Datasets, "raccoon/images/raccoon-1.jpg"),
        Path.Combine(Datasets, "raccoon/images/raccoon-10.jpg"),
    ];

    private static readonly VipsImageCodec Codec = new();

    /// <summary>Decodes, fits and normalises one image as <paramref name="p"/> says; returns the tensor and its dims (batch 1).</summary>
    public static (float[] Data, long[] Dims) Tensor(string path, Preprocessing p)
    {
        var rgb = Codec.DecodeRgb(File.ReadAllBytes(path), p.Width, p.Height, p.Fit).Pixels;
        var plane = p.Width * p.Height;
        var data = new float[plane * 3];
        for (var i = 0; i < plane; i++)
        {
            for (var c = 0; c < 3; c++)
            {
                var value = (rgb[i * 3 + c] * p.Scale - p.Mean[c]) / p.Std[c];
                data[p.Layout == TensorLayout.Nhwc ? i * 3 + c : c * plane + i] = value;
            }
        }
        long[] dims = p.Layout == TensorLayout.Nhwc ? [1, p.Height, p.Width, 3] : [1, 3, p.Height, p.Width];
        return (data, dims);
    }

    public static void WriteF32(string file, float[] data) => File.WriteAllBytes(file, MemoryMarshal.AsBytes(data.AsSpan()).ToArray());
}
