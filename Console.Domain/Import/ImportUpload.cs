using System.IO.Compression;

namespace VisionConsole.Domain.Import;

/// <summary>One uploaded file: its name as the client sent it (a relative path for folder uploads) and a way to read it.</summary>
/// <param name="Name">The upload's name, e.g. <c>labels.csv</c> or <c>hymenoptera/train/ants/1.jpg</c>.</param>
/// <param name="OpenRead">Opens the bytes; zips need a seekable stream (the web layer spools uploads to temporary files).</param>
public sealed record UploadedFile(string Name, Func<Stream> OpenRead)
{
    /// <summary>An upload kept in a file on disk (the usual case: the web layer spools every upload to a temporary file).</summary>
    public static UploadedFile FromPath(string path, string? name = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new UploadedFile(name ?? System.IO.Path.GetFileName(path),
            () => new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.SequentialScan));
    }
}

/// <summary>
/// The files of one upload and access to the images inside them. Zips are opened once, lazily, and read entry by
/// entry; no image is held in memory. Not thread-safe: read images one at a time (as intake does).
/// </summary>
public sealed class ImportUpload : IDisposable
{
    private readonly Dictionary<string, UploadedFile> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (Stream Stream, ZipArchive Archive)> _archives = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <summary>Creates an upload from its files; names must be distinct.</summary>
    public ImportUpload(IEnumerable<UploadedFile> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        foreach (var file in files)
        {
            if (!_files.TryAdd(file.Name, file))
                throw new ArgumentException($"Two uploaded files are named '{file.Name}'.", nameof(files));
            Files.Add(file);
        }
    }

    /// <summary>The uploaded files in the order given.</summary>
    public IList<UploadedFile> Files { get; } = new List<UploadedFile>();

    /// <summary>Greatest number of bytes <see cref="OpenImage"/> lets one image stream yield (the intake's limit).</summary>
    public long MaxImageBytes { get; init; } = new ZipLimits().MaxImageEntryBytes;

    /// <summary>
    /// Opens an image's bytes for streaming. For a zip entry the stream refuses to yield more bytes than the central
    /// directory declared or <see cref="MaxImageBytes"/>, so a lying header cannot inflate past the limit.
    /// </summary>
    public Stream OpenImage(ImageReference reference) => Open(reference, MaxImageBytes);

    internal Stream Open(ImageReference reference, long maxBytes)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(reference);
        if (!_files.TryGetValue(reference.UploadName, out var file))
            throw new FileNotFoundException($"No uploaded file is named '{reference.UploadName}'.");
        if (reference.EntryName is null)
            return file.OpenRead();
        var entry = Archive(reference.UploadName).GetEntry(reference.EntryName)
            ?? throw new FileNotFoundException($"'{reference.UploadName}' has no entry '{reference.EntryName}'.");
        var limit = Math.Min(entry.Length, maxBytes);
        if (entry.Length > maxBytes)
            throw new InvalidDataException($"Entry '{entry.FullName}' of '{reference.UploadName}' claims {Sizes.Format(entry.Length)} uncompressed, over the {Sizes.Format(maxBytes)} limit.");
        return new BoundedReadStream(entry.Open(), limit, $"Entry '{entry.FullName}' of '{reference.UploadName}'");
    }

    internal ZipArchive Archive(string uploadName)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_archives.TryGetValue(uploadName, out var open))
            return open.Archive;
        var stream = _files[uploadName].OpenRead();
        try
        {
            var archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: false);
            _archives[uploadName] = (stream, archive);
            return archive;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    internal UploadedFile File(string uploadName) => _files[uploadName];

    /// <summary>Closes every zip opened so far.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        foreach (var (stream, archive) in _archives.Values)
        {
            archive.Dispose();
            stream.Dispose();
        }
        _archives.Clear();
    }
}

/// <summary>Yields at most <c>limit</c> bytes and fails, rather than truncating silently, if the source holds more.</summary>
internal sealed class BoundedReadStream(Stream inner, long limit, string what) : Stream
{
    private long _read;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => limit;
    public override long Position { get => _read; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
            return 0;
        var allowed = limit - _read;
        if (allowed <= 0)
        {
            // One probe byte tells a clean end from a stream that inflates past what its header declared.
            Span<byte> probe = stackalloc byte[1];
            if (inner.Read(probe) > 0)
                throw new InvalidDataException($"{what} holds more than the {Sizes.Format(limit)} its header declared.");
            return 0;
        }
        var n = inner.Read(allowed < buffer.Length ? buffer[..(int)allowed] : buffer);
        _read += n;
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            inner.Dispose();
        base.Dispose(disposing);
    }
}

internal static class Sizes
{
    public static string Format(long bytes) => bytes switch
    {
        >= 1L << 30 => FormattableString.Invariant($"{bytes / (double)(1L << 30):0.0} GB"),
        >= 1L << 20 => FormattableString.Invariant($"{bytes / (double)(1L << 20):0.0} MB"),
        >= 1L << 10 => FormattableString.Invariant($"{bytes / 1024.0:0.0} KB"),
        _ => FormattableString.Invariant($"{bytes} bytes"),
    };
}
