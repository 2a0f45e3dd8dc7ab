namespace VisionConsole.Domain.Imaging;

/// <summary>Image container formats the console accepts, decided by content, never by file name.</summary>
public enum ImageFormat { Jpeg, Png, Gif, Bmp, Ico, Webp, Tiff }

/// <summary>What a header read reveals without decoding pixels.</summary>
/// <param name="Format">Container format decided from the bytes.</param>
/// <param name="Width">Width in pixels after EXIF orientation is applied.</param>
/// <param name="Height">Height in pixels after EXIF orientation is applied.</param>
public sealed record ImageHeader(ImageFormat Format, int Width, int Height);

/// <summary>Interleaved 8-bit RGB pixels, row-major, <c>Width * Height * 3</c> bytes.</summary>
public sealed record RgbImage(int Width, int Height, byte[] Pixels);

/// <summary>How <see cref="IImageCodec.DecodeRgb"/> fits an image into the requested size.</summary>
public enum FitMode
{
    /// <summary>Scale each axis independently to exactly the requested size.</summary>
    Stretch,
    /// <summary>Scale the short side to the requested size, then cut the centre.</summary>
    CenterCrop,
}

/// <summary>An image was refused. The message says why in words a person can act on.</summary>
public sealed class ImageRejectedException(string reason) : Exception(reason);

/// <summary>
/// The native image decoder (libvips). All methods are thread-safe. Every method that decodes
/// applies EXIF orientation and fails on truncated or corrupt data with <see cref="ImageRejectedException"/>.
/// </summary>
public interface IImageCodec
{
    /// <summary>Reads the format and oriented size from the header only (no pixel decode), so limits can be checked before any large allocation.</summary>
    ImageHeader ReadHeader(ReadOnlySpan<byte> encoded);

    /// <summary>Decodes every pixel once to prove the file is whole (truncation is an error).</summary>
    void Verify(ReadOnlySpan<byte> encoded);

    /// <summary>Makes a JPEG thumbnail whose longer side is at most <paramref name="maxSide"/> pixels.</summary>
    byte[] MakeThumbnail(ReadOnlySpan<byte> encoded, int maxSide);

    /// <summary>Decodes to RGB (alpha flattened on white, grey expanded) at exactly <paramref name="width"/> x <paramref name="height"/>.</summary>
    RgbImage DecodeRgb(ReadOnlySpan<byte> encoded, int width, int height, FitMode fit);
}
