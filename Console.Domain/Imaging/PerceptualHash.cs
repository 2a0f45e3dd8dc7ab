using System.Numerics;

namespace VisionConsole.Domain.Imaging;

/// <summary>
/// A 64-bit difference hash (dHash) of an image: the image shrunk to 9 x 8 grey cells, one bit per horizontally
/// adjacent pair, set when the left pixel is brighter. Re-encoding, resizing, light compression or a small brightness
/// change keep most bits; a different photo differs in about half of them. It is computed from the stored thumbnail,
/// so it costs one tiny decode per new blob.
/// </summary>
public static class PerceptualHash
{
    /// <summary>Columns of the grey image the hash compares (one more than the bits per row).</summary>
    public const int Columns = 9;

    /// <summary>Rows of the grey image the hash compares.</summary>
    public const int Rows = 8;

    /// <summary>Each grey cell averages this many pixels a side of the decoded image, which smooths away resampling noise.</summary>
    public const int CellSide = 4;

    /// <summary>The hash of encoded image bytes (any format the codec reads; the thumbnail is enough).</summary>
    public static long Compute(IImageCodec codec, ReadOnlySpan<byte> encoded)
    {
        ArgumentNullException.ThrowIfNull(codec);
        return FromRgb(codec.DecodeRgb(encoded, Columns * CellSide, Rows * CellSide, FitMode.Stretch));
    }

    /// <summary>The hash of a 36 x 32 RGB image (<see cref="Columns"/> x <see cref="Rows"/> cells of <see cref="CellSide"/> pixels).</summary>
    /// <exception cref="ArgumentException">The image is not 36 x 32.</exception>
    public static long FromRgb(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        const int width = Columns * CellSide;
        const int height = Rows * CellSide;
        if (image.Width != width || image.Height != height || image.Pixels.Length != width * height * 3)
        {
            throw new ArgumentException($"A difference hash needs a {width} x {height} RGB image (got {image.Width} x {image.Height}).", nameof(image));
        }
        Span<int> grey = stackalloc int[Columns * Rows];
        var pixels = image.Pixels;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var p = 3 * ((y * width) + x);
                // ITU-R BT.601 luma in integers: the same bits on every machine.
                grey[((y / CellSide) * Columns) + (x / CellSide)] += (299 * pixels[p]) + (587 * pixels[p + 1]) + (114 * pixels[p + 2]);
            }
        }
        ulong hash = 0;
        var bit = 0;
        for (var y = 0; y < Rows; y++)
        {
            for (var x = 0; x < Columns - 1; x++, bit++)
            {
                if (grey[(y * Columns) + x] > grey[(y * Columns) + x + 1])
                {
                    hash |= 1UL << bit;
                }
            }
        }
        return unchecked((long)hash);
    }

    /// <summary>How many of the 64 bits differ.</summary>
    public static int Distance(long a, long b) => BitOperations.PopCount(unchecked((ulong)(a ^ b)));
}
