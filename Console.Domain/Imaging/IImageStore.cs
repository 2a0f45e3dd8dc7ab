namespace VisionConsole.Domain.Imaging;

/// <summary>An image that passed every intake rule and now lives in the blob store.</summary>
/// <param name="Sha256">Lower-case hex sha256 of the original bytes: the blob's name.</param>
/// <param name="Format">Container format decided by content.</param>
/// <param name="Width">Width after EXIF orientation.</param>
/// <param name="Height">Height after EXIF orientation.</param>
/// <param name="ByteSize">Size of the original file.</param>
/// <param name="AlreadyStored">The same bytes were in the store before this call.</param>
/// <param name="PerceptualHash">The <see cref="Imaging.PerceptualHash"/> of the thumbnail, for finding near-duplicates.</param>
public sealed record StoredImage(string Sha256, ImageFormat Format, int Width, int Height, long ByteSize, bool AlreadyStored, long? PerceptualHash = null);

/// <summary>
/// Content-addressed storage of original images and their thumbnails, with the intake rules
/// (format by content, size and pixel limits, full decode) applied before anything is kept.
/// </summary>
public interface IImageStore
{
    /// <summary>
    /// Streams <paramref name="content"/> to a temporary file, checks every rule and keeps the bytes
    /// under their sha256 (once, however often they arrive), making the thumbnail.
    /// Throws <see cref="ImageRejectedException"/> whose message names <paramref name="fileName"/> and the reason.
    /// </summary>
    Task<StoredImage> StoreAsync(string fileName, Stream content, CancellationToken cancellationToken = default);

    /// <summary>Opens the original bytes for reading; throws <see cref="NotFoundException"/> when absent.</summary>
    Stream OpenOriginal(string sha256);

    /// <summary>Reads the original bytes whole (training reads images one at a time).</summary>
    Task<byte[]> ReadOriginalAsync(string sha256, CancellationToken cancellationToken = default);

    /// <summary>Opens the JPEG thumbnail (about 256 px), making and caching it on first use.</summary>
    Task<Stream> OpenThumbnailAsync(string sha256, CancellationToken cancellationToken = default);
}
