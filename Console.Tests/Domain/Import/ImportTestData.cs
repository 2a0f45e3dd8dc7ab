using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Xml.Linq;
using VisionConsole.Domain.Import;

namespace VisionConsole.Tests.Domain.Import;

/// <summary>Paths to the shared real datasets and helpers to build uploads from them in a temporary folder.</summary>
internal static class ImportTestData
{
    public static string DatasetsRoot => SharedData.Datasets;

    public static string Raccoon => Path.Combine(DatasetsRoot, "raccoon");

    public static string Hymenoptera => Path.Combine(DatasetsRoot, "hymenoptera");

    public static IEnumerable<UploadedFile> RaccoonImages() =>
        Directory.EnumerateFiles(Path.Combine(Raccoon, "images")).Order(StringComparer.Ordinal).Select(p => UploadedFile.FromPath(p));

    /// <summary>One pixel box per VOC object, by image file name: (label, xmin, ymin, xmax, ymax, width, height).</summary>
    public static List<(string File, string Label, double XMin, double YMin, double XMax, double YMax, int Width, int Height)> RaccoonVocBoxes()
    {
        var result = new List<(string, string, double, double, double, double, int, int)>();
        foreach (var xml in Directory.EnumerateFiles(Path.Combine(Raccoon, "annotations"), "*.xml").Order(StringComparer.Ordinal))
        {
            var root = XDocument.Load(xml).Root!;
            var file = root.Element("filename")!.Value;
            var w = int.Parse(root.Element("size")!.Element("width")!.Value, CultureInfo.InvariantCulture);
            var h = int.Parse(root.Element("size")!.Element("height")!.Value, CultureInfo.InvariantCulture);
            foreach (var o in root.Elements("object"))
            {
                var b = o.Element("bndbox")!;
                double V(string n) => double.Parse(b.Element(n)!.Value, CultureInfo.InvariantCulture);
                result.Add((file, o.Element("name")!.Value, V("xmin"), V("ymin"), V("xmax"), V("ymax"), w, h));
            }
        }
        return result;
    }

    public static string Format(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A folder deleted when disposed.</summary>
    public sealed class TempFolder : IDisposable
    {
        public TempFolder() => Directory.CreateDirectory(Path);

        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "vc-import-" + Guid.NewGuid().ToString("N"));

        public string File(string name) => System.IO.Path.Combine(Path, name);

        public string Write(string name, string text)
        {
            var path = File(name);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            System.IO.File.WriteAllText(path, text);
            return path;
        }

        public void Dispose()
        {
            if (Directory.Exists(Path))
                Directory.Delete(Path, recursive: true);
        }
    }

    /// <summary>Writes a zip whose entries are (entry name, source file or literal bytes).</summary>
    public static string WriteZip(string zipPath, IEnumerable<(string Entry, string? SourceFile, byte[]? Bytes)> entries, CompressionLevel level = CompressionLevel.NoCompression)
    {
        using var stream = File.Create(zipPath);
        using var zip = new ZipArchive(stream, ZipArchiveMode.Create);
        foreach (var (entry, file, bytes) in entries)
        {
            var e = zip.CreateEntry(entry, level);
            using var target = e.Open();
            if (file is not null)
            {
                using var source = File.OpenRead(file);
                source.CopyTo(target);
            }
            else
            {
                target.Write(bytes ?? []);
            }
        }
        return zipPath;
    }

    /// <summary>A central-directory record as a reader of the raw bytes sees it.</summary>
    public sealed record CentralEntry(string Name, int RecordOffset, uint CompressedSize, uint UncompressedSize, uint LocalHeaderOffset);

    /// <summary>Parses the central directory of a (non-Zip64) zip from its bytes.</summary>
    public static List<CentralEntry> ReadCentralDirectory(byte[] zip)
    {
        var eocd = zip.Length - 22;
        while (BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(eocd)) != 0x06054b50)
            eocd--;
        var count = BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(eocd + 10));
        var offset = (int)BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(eocd + 16));
        var list = new List<CentralEntry>();
        for (var i = 0; i < count; i++)
        {
            Assert.Equal(0x02014b50u, BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(offset)));
            var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(offset + 28));
            var extraLength = BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(offset + 30));
            var commentLength = BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(offset + 32));
            var name = System.Text.Encoding.UTF8.GetString(zip, offset + 46, nameLength);
            list.Add(new CentralEntry(name, offset,
                BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(offset + 20)),
                BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(offset + 24)),
                BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(offset + 42))));
            offset += 46 + nameLength + extraLength + commentLength;
        }
        return list;
    }
}

/// <summary>Wraps a stream and records every byte range read from it.</summary>
internal sealed class ReadRecordingStream(Stream inner, List<(long Start, int Count)> reads) : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => inner.CanSeek;
    public override bool CanWrite => false;
    public override long Length => inner.Length;
    public override long Position { get => inner.Position; set => inner.Position = value; }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var start = inner.Position;
        var n = inner.Read(buffer);
        lock (reads)
            reads.Add((start, n));
        return n;
    }

    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            inner.Dispose();
        base.Dispose(disposing);
    }
}
