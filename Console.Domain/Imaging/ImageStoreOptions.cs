namespace VisionConsole.Domain.Imaging;

/// <summary>Where the image store keeps its files and the intake limits it applies.</summary>
public sealed class ImageStoreOptions
{
    /// <summary>Folder of the content-addressed blobs (originals, <c>thumbs/</c>, <c>tmp/</c>). Required.</summary>
    public string BlobFolder { get; set; } = "";

    /// <summary>Largest accepted file, in bytes (30 MB).</summary>
    public long MaxFileBytes { get; set; } = 30L * 1024 * 1024;

    /// <summary>Smallest accepted side, in pixels.</summary>
    public int MinSide { get; set; } = 50;

    /// <summary>Largest accepted side, in pixels.</summary>
    public int MaxSide { get; set; } = 16_000;

    /// <summary>Largest accepted pixel count (width x height), checked from the header before any decode: guards against decompression bombs.</summary>
    public long MaxPixels { get; set; } = 100_000_000;

    /// <summary>Longer side of the stored JPEG thumbnails, in pixels.</summary>
    public int ThumbnailMaxSide { get; set; } = 256;
}
