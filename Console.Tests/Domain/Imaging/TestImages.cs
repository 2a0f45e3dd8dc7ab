using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace VisionConsole.Tests.Domain.Imaging;

/// <summary>
/// Real image files for tests: the shared public datasets, and small files written byte by byte
/// here following each format's specification (PNG, BMP, ICO, GIF, JPEG EXIF segment).
/// </summary>
internal static class TestImages
{
    private static readonly Lazy<string> DatasetsRoot = new(() => SharedData.Datasets);

    /// <summary>The shared datasets folder (VISION_CONSOLE_DATASETS, or the nearest <c>shared/datasets</c> above the test binaries).</summary>
    public static string Datasets => DatasetsRoot.Value;

    public static string Hymenoptera(string relative) => Path.Combine(Datasets, "hymenoptera", relative);

    public static string Raccoon(string relative) => Path.Combine(Datasets, "raccoon", relative);

    public static byte[] Read(string path) => File.ReadAllBytes(path);

    /// <summary>A PNG with 1 (grey), 3 (RGB) or 4 (RGBA) channels; <paramref name="pixel"/> fills each pixel's channels.</summary>
    public static byte[] Png(int width, int height, int channels, Action<int, int, Span<byte>> pixel)
    {
        var colourType = channels switch { 1 => (byte)0, 3 => (byte)2, 4 => (byte)6, _ => throw new ArgumentOutOfRangeException(nameof(channels)) };
        var raw = new MemoryStream();
        using (var zlib = new ZLibStream(raw, CompressionLevel.Fastest, leaveOpen: true))
        {
            var row = new byte[1 + width * channels];
            for (var y = 0; y < height; y++)
            {
                row[0] = 0; // filter: none
                for (var x = 0; x < width; x++)
                {
                    pixel(x, y, row.AsSpan(1 + x * channels, channels));
                }
                zlib.Write(row);
            }
        }
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = colourType;
        var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        WritePngChunk(png, "IHDR", ihdr);
        WritePngChunk(png, "IDAT", raw.ToArray());
        WritePngChunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>
    /// Only the start of a PNG claiming <paramref name="width"/> x <paramref name="height"/>: signature, IHDR and
    /// the first bytes of an IDAT chunk. Its header is valid; any attempt to decode it fails.
    /// </summary>
    public static byte[] PngHeaderOnly(int width, int height)
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;
        ihdr[9] = 2;
        var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        WritePngChunk(png, "IHDR", ihdr);
        png.Write([0, 1, 0, 0, (byte)'I', (byte)'D', (byte)'A', (byte)'T', 0x78, 0x01]); // claims 64 KiB, holds 2 bytes
        return png.ToArray();
    }

    /// <summary>Only the file and info headers of a 24-bit BMP claiming the given size, and one row of pixels.</summary>
    public static byte[] BmpHeaderOnly(int width, int height)
    {
        var stride = (width * 3 + 3) & ~3;
        var bmp = new byte[14 + 40 + stride];
        bmp[0] = (byte)'B';
        bmp[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(2), 54 + stride * height);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(10), 54);
        WriteBitmapInfoHeader(bmp.AsSpan(14), width, height, 24, stride * height);
        return bmp;
    }

    public static byte[] SolidPng(int width, int height, byte r, byte g, byte b) =>
        Png(width, height, 3, (_, _, p) => { p[0] = r; p[1] = g; p[2] = b; });

    /// <summary>A 24-bit uncompressed bottom-up BMP (BITMAPINFOHEADER).</summary>
    public static byte[] Bmp(int width, int height, Func<int, int, (byte R, byte G, byte B)> pixel)
    {
        var stride = (width * 3 + 3) & ~3;
        var pixels = new byte[stride * height];
        for (var y = 0; y < height; y++)
        {
            var row = (height - 1 - y) * stride;
            for (var x = 0; x < width; x++)
            {
                var (r, g, b) = pixel(x, y);
                pixels[row + x * 3] = b;
                pixels[row + x * 3 + 1] = g;
                pixels[row + x * 3 + 2] = r;
            }
        }
        var bmp = new byte[14 + 40 + pixels.Length];
        bmp[0] = (byte)'B';
        bmp[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(2), bmp.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(10), 54);
        WriteBitmapInfoHeader(bmp.AsSpan(14), width, height, 24, pixels.Length);
        pixels.CopyTo(bmp, 54);
        return bmp;
    }

    /// <summary>An ICO with one 32-bit BGRA bitmap entry (the classic icon layout: XOR pixels, then the AND mask).</summary>
    public static byte[] Ico(int size, Func<int, int, (byte R, byte G, byte B)> pixel)
    {
        var xor = new byte[size * size * 4];
        for (var y = 0; y < size; y++)
        {
            var row = (size - 1 - y) * size * 4;
            for (var x = 0; x < size; x++)
            {
                var (r, g, b) = pixel(x, y);
                xor[row + x * 4] = b;
                xor[row + x * 4 + 1] = g;
                xor[row + x * 4 + 2] = r;
                xor[row + x * 4 + 3] = 255;
            }
        }
        var andStride = ((size + 31) / 32) * 4;
        var image = new byte[40 + xor.Length + andStride * size];
        // In an icon the DIB height counts the XOR and AND bitmaps together.
        WriteBitmapInfoHeader(image, size, size * 2, 32, xor.Length + andStride * size);
        xor.CopyTo(image, 40);
        var ico = new byte[6 + 16 + image.Length];
        ico[2] = 1; // type: icon
        ico[4] = 1; // one image
        ico[6] = (byte)(size >= 256 ? 0 : size);
        ico[7] = (byte)(size >= 256 ? 0 : size);
        BinaryPrimitives.WriteUInt16LittleEndian(ico.AsSpan(10), 1); // planes
        BinaryPrimitives.WriteUInt16LittleEndian(ico.AsSpan(12), 32); // bits per pixel
        BinaryPrimitives.WriteInt32LittleEndian(ico.AsSpan(14), image.Length);
        BinaryPrimitives.WriteInt32LittleEndian(ico.AsSpan(18), 22);
        image.CopyTo(ico, 22);
        return ico;
    }

    /// <summary>
    /// A GIF89a with a 128-colour palette. The LZW stream uses 8-bit codes that are all literals, with a
    /// clear code every 100 pixels so the decoder's table never grows past 8-bit codes.
    /// </summary>
    public static byte[] Gif(int width, int height, (byte R, byte G, byte B)[] palette, Func<int, int, int> index)
    {
        const int paletteSize = 128;
        const byte clear = 128, end = 129;
        var gif = new MemoryStream();
        gif.Write("GIF89a"u8);
        Span<byte> screen = stackalloc byte[7];
        BinaryPrimitives.WriteUInt16LittleEndian(screen, (ushort)width);
        BinaryPrimitives.WriteUInt16LittleEndian(screen[2..], (ushort)height);
        screen[4] = 0b1111_0110; // global colour table, 8-bit colour resolution, 2^(6+1) = 128 entries
        gif.Write(screen);
        for (var i = 0; i < paletteSize; i++)
        {
            var (r, g, b) = i < palette.Length ? palette[i] : ((byte)0, (byte)0, (byte)0);
            gif.Write([r, g, b]);
        }
        Span<byte> descriptor = stackalloc byte[10];
        descriptor[0] = (byte)',';
        BinaryPrimitives.WriteUInt16LittleEndian(descriptor[5..], (ushort)width);
        BinaryPrimitives.WriteUInt16LittleEndian(descriptor[7..], (ushort)height);
        gif.Write(descriptor);
        gif.WriteByte(7); // LZW minimum code size: codes start at 8 bits
        var codes = new List<byte> { clear };
        var sinceClear = 0;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                if (sinceClear == 100)
                {
                    codes.Add(clear);
                    sinceClear = 0;
                }
                codes.Add((byte)index(x, y));
                sinceClear++;
            }
        }
        codes.Add(end);
        for (var offset = 0; offset < codes.Count; offset += 255)
        {
            var count = Math.Min(255, codes.Count - offset);
            gif.WriteByte((byte)count);
            gif.Write(codes.GetRange(offset, count).ToArray());
        }
        gif.WriteByte(0); // end of image data
        gif.WriteByte((byte)';');
        return gif.ToArray();
    }

    /// <summary>The JPEG with an APP1 EXIF segment carrying only the given orientation, inserted right after SOI.</summary>
    public static byte[] WithExifOrientation(byte[] jpeg, ushort orientation)
    {
        if (jpeg[0] != 0xFF || jpeg[1] != 0xD8)
        {
            throw new ArgumentException("not a JPEG", nameof(jpeg));
        }
        var tiff = new byte[8 + 2 + 12 + 4];
        "MM\0*"u8.CopyTo(tiff);
        BinaryPrimitives.WriteUInt32BigEndian(tiff.AsSpan(4), 8); // first IFD offset
        BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(8), 1); // one entry
        BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(10), 0x0112); // Orientation
        BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(12), 3); // SHORT
        BinaryPrimitives.WriteUInt32BigEndian(tiff.AsSpan(14), 1); // count
        BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(18), orientation);
        // next IFD offset stays 0
        var payload = "Exif\0\0"u8.ToArray().Concat(tiff).ToArray();
        var segment = new byte[4 + payload.Length];
        segment[0] = 0xFF;
        segment[1] = 0xE1;
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), (ushort)(2 + payload.Length));
        payload.CopyTo(segment, 4);
        return [.. jpeg.AsSpan(0, 2), .. segment, .. jpeg.AsSpan(2)];
    }

    public static byte[] Text(string text) => Encoding.UTF8.GetBytes(text);

    private static void WriteBitmapInfoHeader(Span<byte> header, int width, int height, short bitsPerPixel, int imageSize)
    {
        BinaryPrimitives.WriteInt32LittleEndian(header, 40);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], width);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], height);
        BinaryPrimitives.WriteInt16LittleEndian(header[12..], 1);
        BinaryPrimitives.WriteInt16LittleEndian(header[14..], bitsPerPixel);
        BinaryPrimitives.WriteInt32LittleEndian(header[20..], imageSize);
        BinaryPrimitives.WriteInt32LittleEndian(header[24..], 2835);
        BinaryPrimitives.WriteInt32LittleEndian(header[28..], 2835);
    }

    private static void WritePngChunk(Stream png, string type, byte[] data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        png.Write(length);
        var typeAndData = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        png.Write(typeAndData);
        Span<byte> crc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typeAndData));
        png.Write(crc);
    }

    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
            }
        }
        return ~crc;
    }

}
