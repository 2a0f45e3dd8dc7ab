using System.Buffers.Binary;
using VisionConsole.Domain.Imaging;
using VisionConsole.Trainer.Native.Vips;

namespace VisionConsole.Trainer.Imaging;

/// <summary>
/// <see cref="IImageCodec"/> over libvips 8.14. The format is decided by content
/// (<see cref="ImageContent"/>); each format is read by the loader chosen for it, always with
/// <c>fail_on=error</c> so truncated or corrupt data is an error (libvips otherwise decodes a truncated
/// JPEG silently). BMP and ICO go through libvips' ImageMagick loader (<c>magickload_buffer</c>).
/// Stateless apart from the process-wide libvips start-up, so every method is thread-safe.
/// </summary>
public sealed class VipsImageCodec : IImageCodec
{
    private const string FailOnError = "error";

    /// <summary>Starts libvips (once per process).</summary>
    public VipsImageCodec() => VipsRuntime.EnsureStarted();

    /// <summary>The libvips version in use.</summary>
    public static string LibraryVersion => VipsRuntime.Version;

    /// <summary>The libvips loader (operation nickname) used for a format.</summary>
    public static string LoaderFor(ImageFormat format) => format switch
    {
        ImageFormat.Jpeg => "jpegload_buffer",
        ImageFormat.Png => "pngload_buffer",
        ImageFormat.Gif => "gifload_buffer",
        ImageFormat.Webp => "webpload_buffer",
        ImageFormat.Tiff => "tiffload_buffer",
        // Debian's libvips has no loader of its own for these; its ImageMagick module reads both.
        ImageFormat.Bmp or ImageFormat.Ico => "magickload_buffer",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    /// <inheritdoc />
    public ImageHeader ReadHeader(ReadOnlySpan<byte> encoded)
    {
        var format = ImageContent.Identify(encoded);
        if (format == ImageFormat.Bmp)
        {
            // ImageMagick's BMP ping applies its own policy limits and fails on a short file with
            // "improper image header"; the BMP header is fixed-layout, so it is read here directly.
            return ReadBmpHeader(encoded);
        }
        try
        {
            // Building a loader reads the header only; pixels are decoded when something asks for them.
            using var image = Load(encoded, format);
            var (width, height) = (image.Width, image.Height);
            // EXIF orientations 5..8 are transposed: the image is shown with its sides swapped.
            return image.Orientation is >= 5 and <= 8
                ? new ImageHeader(format, height, width)
                : new ImageHeader(format, width, height);
        }
        catch (VipsException exception)
        {
            throw Rejected(exception, $"the {format.ToString().ToUpperInvariant()} header cannot be read");
        }
    }

    /// <inheritdoc />
    public void Verify(ReadOnlySpan<byte> encoded)
    {
        var format = ImageContent.Identify(encoded);
        try
        {
            using var image = Load(encoded, format);
            // avg reads every pixel once, top to bottom, without holding the image in memory.
            using var average = VipsOperation.Create("avg").Set("in", image).Build();
            _ = average.GetDouble("out");
        }
        catch (VipsException exception)
        {
            throw Rejected(exception, "the image data is truncated or corrupt");
        }
    }

    /// <inheritdoc />
    public byte[] MakeThumbnail(ReadOnlySpan<byte> encoded, int maxSide)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSide, 1);
        ImageContent.Identify(encoded);
        try
        {
            // size=down: a small image keeps its size, never blown up.
            using var thumbnail = Thumbnail(encoded, maxSide, maxSide, op => op.Set("size", "down"));
            using var rgb = ToRgb8(thumbnail);
            using var save = VipsOperation.Create("jpegsave_buffer")
                .Set("in", rgb)
                .Set("Q", 85)
                .Set("strip", true)
                .Build();
            return save.GetBuffer("buffer");
        }
        catch (VipsException exception)
        {
            throw Rejected(exception, "the image cannot be decoded");
        }
    }

    /// <inheritdoc />
    public RgbImage DecodeRgb(ReadOnlySpan<byte> encoded, int width, int height, FitMode fit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ImageContent.Identify(encoded);
        try
        {
            // Stretch: each axis scaled on its own (size=force). CenterCrop: short side fitted, centre cut.
            using var fitted = Thumbnail(
                encoded,
                width,
                height,
                fit == FitMode.Stretch ? op => op.Set("size", "force") : op => op.Set("crop", "centre"));
            using var rgb = ToRgb8(fitted);
            if (rgb.Width != width || rgb.Height != height)
            {
                throw new VipsException($"thumbnail produced {rgb.Width} x {rgb.Height} instead of {width} x {height}");
            }
            return new RgbImage(width, height, rgb.WriteToMemory());
        }
        catch (VipsException exception)
        {
            throw Rejected(exception, "the image cannot be decoded");
        }
    }

    /// <summary>Width and height from a BMP's info header (BITMAPCOREHEADER or BITMAPINFOHEADER and its successors).</summary>
    private static ImageHeader ReadBmpHeader(ReadOnlySpan<byte> bmp)
    {
        if (bmp.Length < 26)
        {
            throw new ImageRejectedException("the BMP header cannot be read (the file ends inside it)");
        }
        int width, height;
        if (BinaryPrimitives.ReadUInt32LittleEndian(bmp[14..]) == 12)
        {
            (width, height) = (BinaryPrimitives.ReadUInt16LittleEndian(bmp[18..]), BinaryPrimitives.ReadUInt16LittleEndian(bmp[20..]));
        }
        else
        {
            width = BinaryPrimitives.ReadInt32LittleEndian(bmp[18..]);
            // A negative height marks a top-down bitmap.
            height = Math.Abs(BinaryPrimitives.ReadInt32LittleEndian(bmp[22..]));
        }
        if (width <= 0 || height <= 0)
        {
            throw new ImageRejectedException($"the BMP header cannot be read (it gives {width} x {height} px)");
        }
        return new ImageHeader(ImageFormat.Bmp, width, height);
    }

    private static VipsImage Load(ReadOnlySpan<byte> encoded, ImageFormat format)
    {
        using var load = VipsOperation.Create(LoaderFor(format))
            .SetBuffer("buffer", encoded)
            .Set("fail_on", FailOnError)
            .Set("access", "sequential")
            .Build();
        return load.GetImage("out");
    }

    /// <summary>Shrink-on-load resize with EXIF auto-rotation, failing on truncated data.</summary>
    private static VipsImage Thumbnail(ReadOnlySpan<byte> encoded, int width, int height, Action<VipsOperation> fit)
    {
        using var thumbnail = VipsOperation.Create("thumbnail_buffer")
            .SetBuffer("buffer", encoded)
            .Set("width", width)
            .Set("height", height)
            .Set("option_string", $"fail_on={FailOnError}");
        fit(thumbnail);
        return thumbnail.Build().GetImage("out");
    }

    /// <summary>sRGB (from grey, CMYK, 16-bit, ...), alpha flattened on white, 8-bit, exactly three bands.</summary>
    private static VipsImage ToRgb8(VipsImage image)
    {
        var current = image.Apply("colourspace", op => op.Set("space", "srgb"));
        try
        {
            if (current.Format != VipsBandFormat.UChar)
            {
                Replace(ref current, current.Apply("cast", op => op.Set("format", "uchar")));
            }
            if (current.HasAlpha)
            {
                Replace(ref current, current.Apply("flatten", op => op.Set("background", 255.0, 255.0, 255.0)));
                Replace(ref current, current.Apply("cast", op => op.Set("format", "uchar")));
            }
            if (current.Bands > 3)
            {
                Replace(ref current, current.Apply("extract_band", op => op.Set("band", 0).Set("n", 3)));
            }
            if (current.Bands != 3)
            {
                throw new VipsException($"{current.Bands} bands after conversion to sRGB, expected 3");
            }
            return current;
        }
        catch
        {
            current.Dispose();
            throw;
        }
    }

    private static void Replace(ref VipsImage current, VipsImage next)
    {
        current.Dispose();
        current = next;
    }

    /// <summary>Turns a libvips failure into the refusal the contract promises, keeping libvips' words as detail.</summary>
    private static ImageRejectedException Rejected(VipsException exception, string reason) =>
        new(exception.Detail.Length > 0 ? $"{reason} (libvips: {exception.Detail})" : $"{reason} ({exception.Message})");
}
