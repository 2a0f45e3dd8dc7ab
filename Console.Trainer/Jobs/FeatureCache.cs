using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using VisionConsole.Domain;
using VisionConsole.Domain.Storage;

namespace VisionConsole.Trainer.Jobs;

/// <summary>
/// Backbone features on disk, keyed by (image sha256, backbone id, view id), so a second training on the same
/// images never runs the backbone again: pooled float vectors, and the uint8 activations at a fine-tuning cut
/// (<c>mobile-high-accuracy-1</c> trains the top above the cut, so it caches what comes out of the frozen part).
/// </summary>
/// <remarks>
/// One append-only file per (backbone, view): <c>&lt;data&gt;/features/{backbone}/{view}.f32</c> for vectors and
/// <c>{view}.u8</c> for activations, a 16-byte header (<c>VCFC</c>, format version, element count, reserved) then
/// fixed-size records of the raw 32-byte sha256 and the payload (floats or bytes). The index (sha256 to offset) is rebuilt by reading the keys when a file is first used
/// (10k images: 10k reads of 32 bytes). A record torn by a crash is cut off on open. Features are a
/// derived cache: deleting the folder only costs a recomputation. Entries of images no dataset holds any more are
/// removed by <see cref="RemoveUnreferencedAsync"/> (run by the storage sweep through <see cref="FeatureCacheSweep"/>),
/// which rewrites a file without them.
/// </remarks>
public sealed class FeatureCache : IDisposable
{
    private const int HeaderBytes = 16;
    private const int KeyBytes = 32;
    private const int FormatVersion = 1;
    private static readonly byte[] Magic = "VCFC"u8.ToArray();

    private readonly string _root;
    private static readonly string[] Extensions = [".f32", ".u8"];

    private readonly ConcurrentDictionary<(string Backbone, string View, string Extension), Lazy<Store>> _stores = new();
    private long _writes;
    private long _hits;
    private bool _disposed;

    /// <summary>Creates the cache under <c>&lt;data&gt;/features</c>.</summary>
    public FeatureCache(ConsoleOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _root = Path.Combine(options.DataFolder, "features");
    }

    /// <summary>Vectors written since start-up: each is one backbone run that the cache did not spare.</summary>
    public long WriteCount => Interlocked.Read(ref _writes);

    /// <summary>Vectors served from the cache since start-up.</summary>
    public long HitCount => Interlocked.Read(ref _hits);

    /// <summary>Copies the cached vector into <paramref name="destination"/>; false when it is not cached.</summary>
    public bool TryGet(string backboneId, string viewId, string sha256, int dimension, Span<float> destination)
    {
        if (destination.Length != dimension)
        {
            throw new ArgumentException($"The destination holds {destination.Length} floats; the dimension is {dimension}.", nameof(destination));
        }
        var store = GetStore(backboneId, viewId, ".f32", dimension);
        if (!store.TryGet(sha256, MemoryMarshal.AsBytes(destination)))
        {
            return false;
        }
        Interlocked.Increment(ref _hits);
        return true;
    }

    /// <summary>True when the vector is cached (no read).</summary>
    public bool Contains(string backboneId, string viewId, string sha256, int dimension) =>
        GetStore(backboneId, viewId, ".f32", dimension).Contains(sha256);

    /// <summary>Appends a vector unless one is already cached for the key.</summary>
    public void Add(string backboneId, string viewId, string sha256, ReadOnlySpan<float> vector)
    {
        var store = GetStore(backboneId, viewId, ".f32", vector.Length);
        if (store.Add(sha256, MemoryMarshal.AsBytes(vector)))
        {
            Interlocked.Increment(ref _writes);
        }
    }

    /// <summary>Copies the cached uint8 activation (at a backbone cut, see <see cref="CutId"/>) into <paramref name="destination"/>; false when it is not cached.</summary>
    public bool TryGetActivation(string cutId, string viewId, string sha256, Span<byte> destination)
    {
        if (!GetStore(cutId, viewId, ".u8", destination.Length).TryGet(sha256, destination))
        {
            return false;
        }
        Interlocked.Increment(ref _hits);
        return true;
    }

    /// <summary>True when the activation of <paramref name="length"/> bytes is cached (no read).</summary>
    public bool ContainsActivation(string cutId, string viewId, string sha256, int length) =>
        GetStore(cutId, viewId, ".u8", length).Contains(sha256);

    /// <summary>Appends an activation unless one is already cached for the key.</summary>
    public void AddActivation(string cutId, string viewId, string sha256, ReadOnlySpan<byte> activation)
    {
        if (GetStore(cutId, viewId, ".u8", activation.Length).Add(sha256, activation))
        {
            Interlocked.Increment(ref _writes);
        }
    }

    /// <summary>The cache's name for the activations of <paramref name="backboneId"/> at the value <paramref name="cutValue"/>.</summary>
    public static string CutId(string backboneId, string cutValue) => $"{backboneId}.cut-{cutValue}";

    /// <summary>
    /// Removes the vectors of every sha256 <paramref name="references"/> does not hold, in every cache file on disk
    /// (opened or not): a file's keys are walked in sha256 order, asking the database one prefix at a time, and a
    /// file that lost entries is rewritten without them (reads and writes of that file wait meanwhile).
    /// </summary>
    /// <returns>Vectors removed and bytes given back.</returns>
    public async Task<SweepTally> RemoveUnreferencedAsync(ImageReferences references, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(references);
        ObjectDisposedException.ThrowIf(_disposed, this);
        long removed = 0;
        long bytes = 0;
        if (!Directory.Exists(_root))
        {
            return new SweepTally(FeatureCacheSweep.SweepName, 0, 0);
        }
        foreach (var folder in Directory.EnumerateDirectories(_root).Order(StringComparer.Ordinal))
        {
            var backboneId = System.IO.Path.GetFileName(folder);
            foreach (var file in Directory.EnumerateFiles(folder).Where(f => Extensions.Contains(System.IO.Path.GetExtension(f))).Order(StringComparer.Ordinal))
            {
                var viewId = System.IO.Path.GetFileNameWithoutExtension(file);
                var extension = System.IO.Path.GetExtension(file);
                if (!IsValidName(backboneId) || !IsValidName(viewId))
                {
                    continue;
                }
                var dimension = _stores.TryGetValue((backboneId, viewId, extension), out var open) && open.IsValueCreated
                    ? open.Value.Dimension
                    : ReadDimension(file);
                if (dimension is not { } known)
                {
                    continue; // Empty or not ours: nothing to remove.
                }
                var (count, freed) = await GetStore(backboneId, viewId, extension, known).RemoveUnreferencedAsync(references, cancellationToken).ConfigureAwait(false);
                removed += count;
                bytes += freed;
            }
        }
        return new SweepTally(FeatureCacheSweep.SweepName, removed, bytes);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        foreach (var store in _stores.Values.Where(s => s.IsValueCreated))
        {
            store.Value.Dispose();
        }
        _stores.Clear();
    }

    /// <summary>The store of (backbone, view) for float vectors (<c>.f32</c>) or uint8 activations (<c>.u8</c>) of <paramref name="dimension"/> elements.</summary>
    private Store GetStore(string backboneId, string viewId, string extension, int dimension)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckName(backboneId, nameof(backboneId));
        CheckName(viewId, nameof(viewId));
        var lazy = _stores.GetOrAdd((backboneId, viewId, extension), key => new Lazy<Store>(() =>
            new Store(Path.Combine(_root, key.Backbone, key.View + key.Extension), dimension, key.Extension == ".f32" ? sizeof(float) : 1)));
        var store = lazy.Value;
        if (store.Dimension != dimension)
        {
            throw new InvalidOperationException($"Feature cache {store.Path} holds {store.Dimension}-element records; {dimension} were asked for.");
        }
        return store;
    }

    private static void CheckName(string name, string parameter)
    {
        if (!IsValidName(name))
        {
            throw new ArgumentException($"'{name}' cannot name a feature cache file.", parameter);
        }
    }

    private static bool IsValidName(string name) =>
        !string.IsNullOrEmpty(name) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') && !name.Contains("..", StringComparison.Ordinal);

    /// <summary>The vector dimension in a cache file's header; null when the file has no valid header.</summary>
    private static int? ReadDimension(string path)
    {
        Span<byte> header = stackalloc byte[HeaderBytes];
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        if (RandomAccess.GetLength(file) < HeaderBytes || RandomAccess.Read(file, header, 0) != HeaderBytes
            || !header[..4].SequenceEqual(Magic) || BitConverter.ToInt32(header[4..]) != FormatVersion)
        {
            return null;
        }
        var dimension = BitConverter.ToInt32(header[8..]);
        return dimension > 0 ? dimension : null;
    }

    private static byte[] KeyOf(string sha256)
    {
        if (sha256 is not { Length: 64 })
        {
            throw new ArgumentException($"'{sha256}' is not a hex sha256.", nameof(sha256));
        }
        return Convert.FromHexString(sha256);
    }

    private sealed class Store : IDisposable
    {
        private SafeFileHandle _file;
        private readonly Dictionary<string, long> _index = new(StringComparer.Ordinal);
        private readonly Lock _gate = new();
        private readonly int _recordBytes;
        private long _length;

        public Store(string path, int dimension, int elementBytes)
        {
            Path = path;
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            _file = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
            var length = RandomAccess.GetLength(_file);
            Span<byte> header = stackalloc byte[HeaderBytes];
            if (length < HeaderBytes)
            {
                Magic.CopyTo(header);
                BitConverter.TryWriteBytes(header[4..], FormatVersion);
                BitConverter.TryWriteBytes(header[8..], dimension);
                RandomAccess.SetLength(_file, 0);
                RandomAccess.Write(_file, header, 0);
                length = HeaderBytes;
                Dimension = dimension;
            }
            else
            {
                RandomAccess.Read(_file, header, 0);
                if (!header[..4].SequenceEqual(Magic) || BitConverter.ToInt32(header[4..]) != FormatVersion)
                {
                    throw new InvalidOperationException($"{path} is not a feature cache file of format {FormatVersion}; delete it to rebuild the cache.");
                }
                Dimension = BitConverter.ToInt32(header[8..]);
            }
            _recordBytes = KeyBytes + Dimension * elementBytes;
            var whole = (length - HeaderBytes) / _recordBytes;
            _length = HeaderBytes + whole * _recordBytes;
            if (_length != length)
            {
                // A record torn by a crash: drop it, it is recomputed on demand.
                RandomAccess.SetLength(_file, _length);
            }
            var key = new byte[KeyBytes];
            for (long offset = HeaderBytes; offset < _length; offset += _recordBytes)
            {
                RandomAccess.Read(_file, key, offset);
                _index[Convert.ToHexStringLower(key)] = offset + KeyBytes;
            }
        }

        public string Path { get; }

        public int Dimension { get; }

        public bool Contains(string sha256)
        {
            lock (_gate)
            {
                return _index.ContainsKey(sha256);
            }
        }

        public bool TryGet(string sha256, Span<byte> destination)
        {
            // Read under the lock: a sweep's rewrite moves records and swaps the file.
            lock (_gate)
            {
                if (!_index.TryGetValue(sha256, out var offset))
                {
                    return false;
                }
                var read = RandomAccess.Read(_file, destination, offset);
                if (read != destination.Length)
                {
                    throw new IOException($"Feature cache {Path} ended inside the record of {sha256}.");
                }
                return true;
            }
        }

        public bool Add(string sha256, ReadOnlySpan<byte> vector)
        {
            var key = KeyOf(sha256);
            var record = new byte[_recordBytes];
            key.CopyTo(record, 0);
            vector.CopyTo(record.AsSpan(KeyBytes));
            lock (_gate)
            {
                if (_index.ContainsKey(sha256))
                {
                    return false;
                }
                RandomAccess.Write(_file, record, _length);
                _index[sha256] = _length + KeyBytes;
                _length += _recordBytes;
                return true;
            }
        }

        public async Task<(long Removed, long Bytes)> RemoveUnreferencedAsync(ImageReferences references, CancellationToken cancellationToken)
        {
            string[] keys;
            lock (_gate)
            {
                keys = [.. _index.Keys];
            }
            Array.Sort(keys, StringComparer.Ordinal);
            var dead = new HashSet<string>(StringComparer.Ordinal);
            for (var start = 0; start < keys.Length;)
            {
                var prefix = keys[start][..2];
                var end = start;
                while (end < keys.Length && keys[end].StartsWith(prefix, StringComparison.Ordinal))
                {
                    end++;
                }
                var referenced = await references.InShardAsync(prefix, cancellationToken).ConfigureAwait(false);
                for (var k = start; k < end; k++)
                {
                    if (!referenced.Contains(keys[k]))
                    {
                        dead.Add(keys[k]);
                    }
                }
                start = end;
            }
            if (dead.Count == 0)
            {
                return (0, 0);
            }
            cancellationToken.ThrowIfCancellationRequested();
            lock (_gate)
            {
                Rewrite(dead);
            }
            return (dead.Count, (long)dead.Count * _recordBytes);
        }

        /// <summary>Copies every record but <paramref name="dead"/> to a new file and puts it in place of this one.</summary>
        private void Rewrite(HashSet<string> dead)
        {
            var temporary = Path + ".sweep";
            var index = new Dictionary<string, long>(StringComparer.Ordinal);
            long length = HeaderBytes;
            var header = new byte[HeaderBytes];
            RandomAccess.Read(_file, header, 0);
            using (var output = File.OpenHandle(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                RandomAccess.Write(output, header, 0);
                var record = new byte[_recordBytes];
                for (long offset = HeaderBytes; offset < _length; offset += _recordBytes)
                {
                    RandomAccess.Read(_file, record, offset);
                    var sha256 = Convert.ToHexStringLower(record.AsSpan(0, KeyBytes));
                    if (dead.Contains(sha256))
                    {
                        continue;
                    }
                    RandomAccess.Write(output, record, length);
                    index[sha256] = length + KeyBytes;
                    length += _recordBytes;
                }
                RandomAccess.FlushToDisk(output);
            }
            _file.Dispose();
            File.Move(temporary, Path, overwrite: true);
            _file = File.OpenHandle(Path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
            _index.Clear();
            foreach (var (sha256, offset) in index)
            {
                _index[sha256] = offset;
            }
            _length = length;
        }

        public void Dispose() => _file.Dispose();
    }
}
