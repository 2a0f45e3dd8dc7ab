using System.Buffers.Binary;
using NetVips;
using VisionConsole.Domain.Imaging;
using Image = NetVips.Image;

namespace VisionConsole.Trainer.Imaging;

/// <summary>
/// <see cref="IImageCodec"/> over libvips 8.14 (Debian's <c>libvips.so.42</c>) through NetVips. The format is decided by content
/// (<see cref="ImageContent"/>); each format is read by the loader chosen for it, always with
/// <c>fail_on=error</c> so truncated or corrupt data is an error (libvips otherwise decodes a truncated
/// JPEG silently). BMP and ICO go through libvips' ImageMagick loader (<c>magickload_buffer</c>).
/// Stateless apart from the process-wide libvips start-up, so every method is thread-safe.
/// libvips' operation cache is off: with it, a repeated load of the same bytes with <c>fail_on</c> can return the
/// cached image instead of failing again, and the console decodes each image once anyway.
/// libvips' SIMD paths (orc 0.4.33, Debian 12's) are off too: with them, decoding on several threads at once corrupted
/// the heap or crashed inside orc's generated code within a minute (`bench/run.sh vips`), and without them it never did.
/// </summary>
public sealed class VipsImageCodec : IImageCodec
{
    static VipsImageCodec()
    {
        if (ModuleInitializer.VipsInitialized)
        {
            Cache.Max = 0;
            NetVips.NetVips.Vector = false;
        }
    }

    /// <summary>Checks that libvips started (NetVips loads it when its assembly loads).</summary>
    /// <exception cref="InvalidOperationException">libvips is missing or did not start; the message says what to install.</exception>
    public VipsImageCodec()
    {
        if (!ModuleInitializer.VipsInitialized)
        {
            throw new InvalidOperationException(
                $"libvips (libvips.so.42) could not be started: {ModuleInitializer.Exception?.Message ?? "unknown reason"}. Install Debian's libvips42 (scripts/setup.sh does).",
                ModuleInitializer.Exception);
        }
    }

    /// <summary>The libvips version in use, for example <c>8.14.1</c>.</summary>
    public static string LibraryVersion =>
        ModuleInitializer.VipsInitialized
            ? $"{NetVips.NetVips.Version(0)}.{NetVips.NetVips.Version(1)}.{NetVips.NetVips.Version(2)}"
            : "not loaded";

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
            return Orientation(image) is >= 5 and <= 8
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
            _ = image.Avg();
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
            using var thumbnail = Thumbnail(encoded, maxSide, maxSide, new VOption { { "size", Enums.Size.Down } });
            using var rgb = ToRgb8(thumbnail);
            // By name: libvips 8.14 calls metadata removal "strip" (later versions "keep", which NetVips' typed call uses).
            return (byte[])Operation.Call("jpegsave_buffer", new VOption { { "Q", 85 }, { "strip", true } }, rgb);
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
                fit == FitMode.Stretch ? new VOption { { "size", Enums.Size.Force } } : new VOption { { "crop", Enums.Interesting.Centre } });
            using var rgb = ToRgb8(fitted);
            if (rgb.Width != width || rgb.Height != height)
            {
                throw new VipsException($"thumbnail produced {rgb.Width} x {rgb.Height} instead of {width} x {height}");
            }
            return new RgbImage(width, height, rgb.WriteToMemory<byte>());
        }
        catch (VipsException exception)
        {
            throw Rejected(exception, "the image cannot be decoded");
        }
    }

    /// <summary>
    /// Resamples decoded pixels to exactly <paramref name="width"/> x <paramref name="height"/> with libvips' resize
    /// (lanczos3, the kernel its thumbnails use): the one resampling path for decodes, crops and training views.
    /// </summary>
    public static RgbImage Resize(RgbImage image, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        using var source = Image.NewFromMemory(image.Pixels, image.Width, image.Height, 3, Enums.BandFormat.Uchar);
        using var resized = source.Resize((double)width / image.Width, vscale: (double)height / image.Height);
        if (resized.Width != width || resized.Height != height)
        {
            throw new InvalidOperationException($"libvips resized {image.Width} x {image.Height} to {resized.Width} x {resized.Height} instead of {width} x {height}.");
        }
        return new RgbImage(width, height, resized.WriteToMemory<byte>());
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

    private static Image Load(ReadOnlySpan<byte> encoded, ImageFormat format) =>
        (Image)Operation.Call(
            LoaderFor(format),
            new VOption { { "fail_on", Enums.FailOn.Error }, { "access", Enums.Access.Sequential } },
            encoded.ToArray());

    /// <summary>EXIF orientation 1..8 (1 when the file has none).</summary>
    private static int Orientation(Image image) =>
        image.Contains("orientation") && image.Get("orientation") is int orientation ? orientation : 1;

    /// <summary>Shrink-on-load resize with EXIF auto-rotation, failing on truncated data.</summary>
    private static Image Thumbnail(ReadOnlySpan<byte> encoded, int width, int height, VOption fit)
    {
        fit.Add("height", height);
        fit.Add("option_string", "fail_on=error");
        return (Image)Operation.Call("thumbnail_buffer", fit, encoded.ToArray(), width);
    }

    /// <summary>sRGB (from grey, CMYK, 16-bit, ...), alpha flattened on white, 8-bit, exactly three bands.</summary>
    private static Image ToRgb8(Image image)
    {
        var current = image.Colourspace(Enums.Interpretation.Srgb);
        try
        {
            if (current.Format != Enums.BandFormat.Uchar)
            {
                Replace(ref current, current.Cast(Enums.BandFormat.Uchar));
            }
            if (current.HasAlpha())
            {
                Replace(ref current, current.Flatten(background: [255.0, 255.0, 255.0]));
                Replace(ref current, current.Cast(Enums.BandFormat.Uchar));
            }
            if (current.Bands > 3)
            {
                Replace(ref current, current.ExtractBand(0, n: 3));
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

    private static void Replace(ref Image current, Image next)
    {
        current.Dispose();
        current = next;
    }

    /// <summary>Turns a libvips failure into the refusal the contract promises, keeping libvips' words as detail.</summary>
    private static ImageRejectedException Rejected(VipsException exception, string reason)
    {
        // NetVips' message is "unable to call <operation>" followed by libvips' error buffer, one line each.
        var lines = exception.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var detail = string.Join("; ", lines.Skip(1));
        return new(detail.Length > 0 ? $"{reason} (libvips: {detail})" : $"{reason} ({exception.Message})");
    }
}
