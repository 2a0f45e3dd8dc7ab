using System.Runtime.InteropServices;
using VisionConsole.Domain.Imaging;
using VisionConsole.Trainer.Zoo;

namespace VisionConsole.Tests.Trainer.Zoo;

/// <summary>
/// Real photos from /work/shared/datasets decoded by libvips into the backbone's input tensor.
/// A minimal test-side binding until the codec engineer's IImageCodec.DecodeRgb lands on main; the
/// parity checks only need both runtimes to see the same tensor, which this guarantees.
/// </summary>
internal static partial class TestImages
{
    public const string Datasets = "/work/shared/datasets";

    /// <summary>Two ants, one bee (hymenoptera) and two raccoons, fixed by name.</summary>
    public static readonly string[] ParityImages =
    [
        Path.Combine(Datasets, "hymenoptera/train/ants/0013035.jpg"),
        Path.Combine(Datasets, "hymenoptera/train/ants/1030023514_aad5c608f9.jpg"),
        Path.Combine(Datasets, "hymenoptera/val/bees/1032546534_06907fe3b3.jpg"),
        Path.Combine(Datasets, "raccoon/images/raccoon-1.jpg"),
        Path.Combine(Datasets, "raccoon/images/raccoon-10.jpg"),
    ];

    private const string Vips = "libvips.so.42";
    private static readonly Lazy<bool> Initialised = new(() => vips_init("vision-console-tests") == 0);

    /// <summary>Decodes, fits and normalises one image as <paramref name="p"/> says; returns the tensor and its dims (batch 1).</summary>
    public static (float[] Data, long[] Dims) Tensor(string path, Preprocessing p)
    {
        var rgb = DecodeRgb(path, p.Width, p.Height, p.Fit);
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

    private static byte[] DecodeRgb(string path, int width, int height, FitMode fit)
    {
        if (!Initialised.Value) throw new InvalidOperationException("libvips did not initialise.");
        // size FORCE (3) stretches; crop CENTRE (1) scales the short side and cuts the centre.
        var status = fit == FitMode.Stretch
            ? vips_thumbnail(path, out var thumb, width, "height", height, "size", 3, IntPtr.Zero)
            : vips_thumbnail(path, out thumb, width, "height", height, "crop", 1, IntPtr.Zero);
        if (status != 0) throw new InvalidOperationException($"libvips cannot read {path}: {Marshal.PtrToStringUTF8(vips_error_buffer())}");
        try
        {
            if (vips_colourspace(thumb, out var srgb, 22 /* sRGB */, IntPtr.Zero) != 0) throw new InvalidOperationException($"libvips colourspace failed for {path}");
            try
            {
                if (vips_extract_band(srgb, out var bands, 0, "n", 3, IntPtr.Zero) != 0) throw new InvalidOperationException($"libvips band extraction failed for {path}");
                try
                {
                    if (vips_image_get_width(bands) != width || vips_image_get_height(bands) != height)
                    {
                        throw new InvalidOperationException($"{path}: libvips made {vips_image_get_width(bands)}x{vips_image_get_height(bands)}, wanted {width}x{height}");
                    }
                    var memory = vips_image_write_to_memory(bands, out var size);
                    try
                    {
                        var bytes = new byte[(int)size];
                        Marshal.Copy(memory, bytes, 0, bytes.Length);
                        if (bytes.Length != width * height * 3) throw new InvalidOperationException($"{path}: decoded {bytes.Length} bytes, wanted 8-bit RGB");
                        return bytes;
                    }
                    finally { g_free(memory); }
                }
                finally { g_object_unref(bands); }
            }
            finally { g_object_unref(srgb); }
        }
        finally { g_object_unref(thumb); }
    }

    [LibraryImport(Vips, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int vips_init(string argv0);

    // Variadic C functions called with a fixed argument list and a NULL terminator, as NetVips does.
    [LibraryImport(Vips, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int vips_thumbnail(string filename, out IntPtr output, int width, string key1, int value1, string key2, int value2, IntPtr end);

    [LibraryImport(Vips)]
    private static partial int vips_colourspace(IntPtr input, out IntPtr output, int space, IntPtr end);

    [LibraryImport(Vips, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int vips_extract_band(IntPtr input, out IntPtr output, int band, string key, int n, IntPtr end);

    [LibraryImport(Vips)]
    private static partial int vips_image_get_width(IntPtr image);

    [LibraryImport(Vips)]
    private static partial int vips_image_get_height(IntPtr image);

    [LibraryImport(Vips)]
    private static partial IntPtr vips_image_write_to_memory(IntPtr image, out nuint size);

    [LibraryImport(Vips)]
    private static partial IntPtr vips_error_buffer();

    [LibraryImport(Vips)]
    private static partial void g_object_unref(IntPtr instance);

    [LibraryImport(Vips)]
    private static partial void g_free(IntPtr memory);
}
