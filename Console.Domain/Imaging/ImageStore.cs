using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace VisionConsole.Domain.Imaging;

/// <summary>
/// <see cref="IImageStore"/> on a folder: originals at <c>&lt;blobs&gt;/&lt;sha[0..2]&gt;/&lt;sha&gt;</c>, JPEG
/// thumbnails at <c>&lt;blobs&gt;/thumbs/&lt;sha[0..2]&gt;/&lt;sha&gt;.jpg</c>, uploads in progress in
/// <c>&lt;blobs&gt;/tmp</c>. An upload is streamed to a temporary file while it is hashed and counted; it is
/// moved into place only after every intake rule held, so a refused or cancelled upload leaves nothing behind.
/// Thread-safe: concurrent uploads of the same bytes store them once. Blobs no image refers to are removed by
/// <see cref="Storage.StorageSweeper"/> through <see cref="ListShard"/> and <see cref="RemoveIfUnchangedSince"/>.
/// </summary>
public sealed class ImageStore : IImageStore
{
    private const int CopyBufferSize = 81_920;
    private readonly IImageCodec codec;
    private readonly ImageStoreOptions options;
    private readonly string root;
    private readonly string temporaryFolder;
    private readonly Lock placement = new();

    /// <summary>Creates the store; the blob folder is created when missing.</summary>
    public ImageStore(IImageCodec codec, IOptions<ImageStoreOptions> options)
    {
        ArgumentNullException.ThrowIfNull(codec);
        ArgumentNullException.ThrowIfNull(options);
        this.codec = codec;
        this.options = options.Value;
        if (string.IsNullOrWhiteSpace(this.options.BlobFolder))
        {
            throw new ArgumentException("ImageStoreOptions.BlobFolder must name the folder for image blobs.", nameof(options));
        }
        root = Path.GetFullPath(this.options.BlobFolder);
        temporaryFolder = Path.Combine(root, "tmp");
        Directory.CreateDirectory(temporaryFolder);
        RemoveAbandonedTemporaryFiles();
    }

    /// <inheritdoc />
    public async Task<StoredImage> StoreAsync(string fileName, Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var name = string.IsNullOrWhiteSpace(fileName) ? "(unnamed file)" : fileName.Trim();
        var temporaryPath = Path.Combine(temporaryFolder, $"{Guid.NewGuid():N}.upload");
        try
        {
            var (sha256, byteSize) = await CopyHashedAsync(name, content, temporaryPath, cancellationToken).ConfigureAwait(false);
            var bytes = await File.ReadAllBytesAsync(temporaryPath, cancellationToken).ConfigureAwait(false);
            var header = CheckRules(name, bytes);

            // The thumbnail is made before the original is kept: an image that cannot be thumbnailed is refused whole.
            var thumbnail = File.Exists(ThumbnailPath(sha256)) ? null : MakeThumbnail(name, bytes);

            var alreadyStored = Place(sha256, temporaryPath);
            if (thumbnail is null)
            {
                try
                {
                    thumbnail = await File.ReadAllBytesAsync(ThumbnailPath(sha256), cancellationToken).ConfigureAwait(false);
                }
                catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
                {
                    // A sweep removed the old copy between the check and now; Place stored the original again.
                    thumbnail = MakeThumbnail(name, bytes);
                    WriteThumbnail(sha256, thumbnail);
                }
            }
            else
            {
                WriteThumbnail(sha256, thumbnail);
            }
            var hash = PerceptualHash.Compute(codec, thumbnail);
            return new StoredImage(sha256, header.Format, header.Width, header.Height, byteSize, alreadyStored, hash);
        }
        finally
        {
            File.Delete(temporaryPath); // No-op once moved into place.
        }
    }

    /// <inheritdoc />
    public Stream OpenOriginal(string sha256)
    {
        var path = OriginalPath(sha256);
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 4096, useAsync: true);
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new NotFoundException($"Image {sha256}");
        }
    }

    /// <inheritdoc />
    public async Task<byte[]> ReadOriginalAsync(string sha256, CancellationToken cancellationToken = default)
    {
        var path = OriginalPath(sha256);
        try
        {
            return await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new NotFoundException($"Image {sha256}");
        }
    }

    /// <inheritdoc />
    public async Task<Stream> OpenThumbnailAsync(string sha256, CancellationToken cancellationToken = default)
    {
        var path = ThumbnailPath(sha256);
        if (!File.Exists(path))
        {
            var original = await ReadOriginalAsync(sha256, cancellationToken).ConfigureAwait(false);
            WriteThumbnail(sha256, codec.MakeThumbnail(original, options.ThumbnailMaxSide));
        }
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 4096, useAsync: true);
    }

    /// <summary>
    /// The sha256 names of the originals and thumbnails stored under one shard (the first two hex digits), read
    /// from that shard's two folders only, so a sweep holds one shard's names at a time.
    /// </summary>
    public IReadOnlySet<string> ListShard(string shard)
    {
        if (shard is not { Length: 2 } || !shard.All(char.IsAsciiHexDigitLower))
        {
            throw new ArgumentException($"'{shard}' is not a shard (two lower-case hex digits).", nameof(shard));
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        var originals = Path.Combine(root, shard);
        if (Directory.Exists(originals))
        {
            names.UnionWith(new DirectoryInfo(originals).EnumerateFiles().Select(f => f.Name).Where(IsSha256));
        }
        var thumbnails = Path.Combine(root, "thumbs", shard);
        if (Directory.Exists(thumbnails))
        {
            names.UnionWith(new DirectoryInfo(thumbnails).EnumerateFiles("*.jpg").Select(f => Path.GetFileNameWithoutExtension(f.Name)).Where(IsSha256));
        }
        return names;
    }

    /// <summary>What <see cref="ImageStore.RemoveIfUnchangedSince"/> did with a blob.</summary>
    public enum BlobRemoval
    {
        /// <summary>Neither file was there.</summary>
        Absent,

        /// <summary>Kept: a file was written after the cut-off.</summary>
        TooRecent,

        /// <summary>Both files (those present) were deleted.</summary>
        Removed,
    }

    /// <summary>
    /// Removes the original and thumbnail of <paramref name="sha256"/> unless either was written after
    /// <paramref name="cutoffUtc"/>; <paramref name="freed"/> is the bytes given back.
    /// The check and the removal hold the same lock as an upload's placement, which refreshes the file time of
    /// bytes it finds already stored: an upload that reuses a blob either sees it removed (and stores it again)
    /// or makes it too new to remove.
    /// </summary>
    public BlobRemoval RemoveIfUnchangedSince(string sha256, DateTime cutoffUtc, out long freed)
    {
        freed = 0;
        var original = new FileInfo(OriginalPath(sha256));
        var thumbnail = new FileInfo(ThumbnailPath(sha256));
        lock (placement)
        {
            original.Refresh();
            thumbnail.Refresh();
            if (!original.Exists && !thumbnail.Exists)
            {
                return BlobRemoval.Absent;
            }
            if ((original.Exists && original.LastWriteTimeUtc > cutoffUtc) || (thumbnail.Exists && thumbnail.LastWriteTimeUtc > cutoffUtc))
            {
                return BlobRemoval.TooRecent;
            }
            foreach (var file in new[] { original, thumbnail }.Where(f => f.Exists))
            {
                freed += file.Length;
                file.Delete();
            }
            return BlobRemoval.Removed;
        }
    }

    /// <summary>Path of the original bytes for a sha256 (the file may not exist).</summary>
    public string OriginalPath(string sha256) => Path.Combine(root, ValidShard(sha256), sha256);

    /// <summary>Path of the JPEG thumbnail for a sha256 (the file may not exist).</summary>
    public string ThumbnailPath(string sha256) => Path.Combine(root, "thumbs", ValidShard(sha256), sha256 + ".jpg");

    /// <summary>Moves the checked upload into place; true when the bytes were stored already (their file time is refreshed then).</summary>
    private bool Place(string sha256, string temporaryPath)
    {
        var originalPath = OriginalPath(sha256);
        lock (placement)
        {
            if (File.Exists(originalPath))
            {
                Touch(originalPath);
                return true;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(originalPath)!);
            try
            {
                File.Move(temporaryPath, originalPath, overwrite: false);
                return false;
            }
            catch (IOException) when (File.Exists(originalPath))
            {
                Touch(originalPath); // Another process stored the same bytes first.
                return true;
            }
        }
    }

    /// <summary>An upload reusing stored bytes makes them new again, so the sweep's grace period covers its commit too.</summary>
    private static void Touch(string path)
    {
        try
        {
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow);
        }
        catch (IOException)
        {
            // Gone or locked meanwhile: the row's commit is then protected only by the grace period.
        }
        catch (UnauthorizedAccessException)
        {
            // A read-only store (for example a restored backup): nothing sweeps it either.
        }
    }

    private static bool IsSha256(string name) => name is { Length: 64 } && name.All(char.IsAsciiHexDigitLower);

    private async Task<(string Sha256, long ByteSize)> CopyHashedAsync(
        string name, Stream content, string temporaryPath, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[CopyBufferSize];
        long total = 0;
        await using (var file = new FileStream(temporaryPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, CopyBufferSize, useAsync: true))
        {
            int read;
            while ((read = await content.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                total += read;
                if (total > options.MaxFileBytes)
                {
                    // Stop here: the rest of an oversized upload is never read.
                    throw new ImageRejectedException($"{name}: {DescribeOversize(content, options.MaxFileBytes)} exceeds the {FormatMegabytes(options.MaxFileBytes)} limit for a file");
                }
                hash.AppendData(buffer, 0, read);
                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            }
            await file.FlushAsync(cancellationToken).ConfigureAwait(false);
            // Durable before it is renamed into the store.
            file.Flush(flushToDisk: true);
        }
        if (total == 0)
        {
            throw new ImageRejectedException($"{name}: the file is empty (0 bytes)");
        }
        return (Convert.ToHexStringLower(hash.GetHashAndReset()), total);
    }

    private ImageHeader CheckRules(string name, byte[] bytes)
    {
        ImageHeader header;
        try
        {
            header = codec.ReadHeader(bytes);
        }
        catch (ImageRejectedException rejected)
        {
            throw new ImageRejectedException($"{name}: {rejected.Message}");
        }

        var (width, height) = (header.Width, header.Height);
        if (width > options.MaxSide || height > options.MaxSide)
        {
            throw new ImageRejectedException($"{name}: {width} x {height} px exceeds the {options.MaxSide} px limit for a side");
        }
        if (width < options.MinSide || height < options.MinSide)
        {
            throw new ImageRejectedException($"{name}: {width} x {height} px is below the {options.MinSide} px minimum for a side");
        }
        var pixels = (long)width * height;
        if (pixels > options.MaxPixels)
        {
            throw new ImageRejectedException(string.Create(
                CultureInfo.InvariantCulture,
                $"{name}: {width} x {height} px is {pixels / 1e6:0.#} megapixels, over the {options.MaxPixels / 1e6:0.#} megapixel limit"));
        }
        try
        {
            codec.Verify(bytes);
        }
        catch (ImageRejectedException rejected)
        {
            throw new ImageRejectedException($"{name}: {rejected.Message}");
        }
        return header;
    }

    private byte[] MakeThumbnail(string name, byte[] original)
    {
        try
        {
            return codec.MakeThumbnail(original, options.ThumbnailMaxSide);
        }
        catch (ImageRejectedException rejected)
        {
            throw new ImageRejectedException($"{name}: {rejected.Message}");
        }
    }

    private void WriteThumbnail(string sha256, byte[] thumbnail)
    {
        var path = ThumbnailPath(sha256);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // Written aside and renamed, so a reader never sees half a thumbnail.
        var temporary = Path.Combine(temporaryFolder, $"{Guid.NewGuid():N}.thumb");
        try
        {
            File.WriteAllBytes(temporary, thumbnail);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>Uploads cut off by a crash leave temporary files; anything a day old is no live upload's.</summary>
    private void RemoveAbandonedTemporaryFiles()
    {
        var cutoff = DateTime.UtcNow.AddDays(-1);
        foreach (var file in new DirectoryInfo(temporaryFolder).EnumerateFiles())
        {
            if (file.LastWriteTimeUtc < cutoff)
            {
                try
                {
                    file.Delete();
                }
                catch (IOException)
                {
                    // In use or already gone: the next start tries again.
                }
            }
        }
    }

    private static string ValidShard(string sha256)
    {
        if (sha256 is not { Length: 64 } || !sha256.All(char.IsAsciiHexDigitLower))
        {
            throw new NotFoundException($"Image {sha256}");
        }
        return sha256[..2];
    }

    private static string DescribeOversize(Stream content, long limit)
    {
        long? length = null;
        try
        {
            length = content.CanSeek ? content.Length : null;
        }
        catch (NotSupportedException)
        {
        }
        return length is { } known && known > limit
            ? string.Create(CultureInfo.InvariantCulture, $"{known / 1048576.0:0.#} MB ({known:N0} bytes)")
            : string.Create(CultureInfo.InvariantCulture, $"the file (more than {limit:N0} bytes)");
    }

    private static string FormatMegabytes(long bytes) =>
        string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:0.#} MB");
}
