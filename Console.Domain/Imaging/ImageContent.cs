using System.Text;

namespace VisionConsole.Domain.Imaging;

/// <summary>
/// Decides what a file is from its first bytes (its signature), never from its name: one of the
/// accepted <see cref="ImageFormat"/>s, or a plain-words description of what it is instead.
/// </summary>
public static class ImageContent
{
    /// <summary>How many leading bytes <see cref="Identify"/> looks at.</summary>
    public const int SniffLength = 4096;

    /// <summary>
    /// Returns the accepted format the bytes start with; otherwise throws <see cref="ImageRejectedException"/>
    /// saying what the content is ("not an image (the content is text)", "format HEIF is not accepted").
    /// </summary>
    public static ImageFormat Identify(ReadOnlySpan<byte> content)
    {
        var format = TryIdentify(content, out var refusal);
        return format ?? throw new ImageRejectedException(refusal);
    }

    /// <summary>Returns the accepted format, or null with the reason it is refused.</summary>
    public static ImageFormat? TryIdentify(ReadOnlySpan<byte> content, out string refusal)
    {
        refusal = "";
        if (content.IsEmpty)
        {
            refusal = "the file is empty";
            return null;
        }
        if (Starts(content, [0xFF, 0xD8, 0xFF]))
        {
            return ImageFormat.Jpeg;
        }
        if (Starts(content, [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return ImageFormat.Png;
        }
        if (content.StartsWith("GIF87a"u8) || content.StartsWith("GIF89a"u8))
        {
            return ImageFormat.Gif;
        }
        if (content.Length >= 12 && content.StartsWith("RIFF"u8) && content[8..12].SequenceEqual("WEBP"u8))
        {
            return ImageFormat.Webp;
        }
        if (content.StartsWith("II*\0"u8) || content.StartsWith("MM\0*"u8))
        {
            return ImageFormat.Tiff;
        }
        // BMP: "BM", then the file header (14 bytes) and a DIB header whose size is one of the known ones.
        if (content.Length >= 18 && content.StartsWith("BM"u8) && IsBmpInfoHeaderSize(ReadUInt32LittleEndian(content[14..])))
        {
            return ImageFormat.Bmp;
        }
        // ICO: reserved 0, type 1 (2 is a cursor), at least one image.
        if (content.Length >= 6 && Starts(content, [0, 0, 1, 0]) && (content[4] | (content[5] << 8)) > 0)
        {
            return ImageFormat.Ico;
        }

        var other = NameOtherFormat(content);
        refusal = other is not null
            ? $"format {other} is not accepted (accepted: JPEG, PNG, GIF, BMP, ICO, WEBP, TIFF)"
            : LooksLikeText(content[..Math.Min(content.Length, SniffLength)])
                ? "not an image (the content is text)"
                : "not an image (the content is not a known image format)";
        return null;
    }

    private static bool Starts(ReadOnlySpan<byte> content, ReadOnlySpan<byte> prefix) => content.StartsWith(prefix);

    private static bool IsBmpInfoHeaderSize(uint size) => size is 12 or 16 or 40 or 52 or 56 or 64 or 108 or 124;

    private static uint ReadUInt32LittleEndian(ReadOnlySpan<byte> bytes) =>
        (uint)(bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24));

    private static string? NameOtherFormat(ReadOnlySpan<byte> content)
    {
        if (content.Length >= 12 && content[4..8].SequenceEqual("ftyp"u8))
        {
            var brand = Encoding.ASCII.GetString(content[8..12]);
            return brand switch
            {
                "avif" or "avis" => "AVIF",
                "heic" or "heix" or "hevc" or "hevx" or "heim" or "heis" or "mif1" or "msf1" => "HEIF",
                _ => "video or ISO media",
            };
        }
        if (Starts(content, [0xFF, 0x0A]) || Starts(content, [0, 0, 0, 0x0C, (byte)'J', (byte)'X', (byte)'L', (byte)' ']))
        {
            return "JPEG XL";
        }
        if (Starts(content, [0, 0, 0, 0x0C, (byte)'j', (byte)'P', (byte)' ', (byte)' ']) || Starts(content, [0xFF, 0x4F, 0xFF, 0x51]))
        {
            return "JPEG 2000";
        }
        if (Starts(content, [0, 0, 2, 0]))
        {
            return "CUR (cursor)";
        }
        if (content.StartsWith("%PDF"u8))
        {
            return "PDF";
        }
        if (content.StartsWith("8BPS"u8))
        {
            return "PSD";
        }
        if (content.StartsWith("PK\x03\x04"u8))
        {
            return "ZIP";
        }
        var head = Encoding.UTF8.GetString(content[..Math.Min(content.Length, 1024)]).TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        if (head.StartsWith("<svg", StringComparison.OrdinalIgnoreCase)
            || (head.StartsWith("<?xml", StringComparison.OrdinalIgnoreCase) && head.Contains("<svg", StringComparison.OrdinalIgnoreCase)))
        {
            return "SVG";
        }
        return null;
    }

    private static bool LooksLikeText(ReadOnlySpan<byte> head)
    {
        // Text: valid UTF-8 (a multi-byte character cut at the end of the sample is fine) without control characters other than whitespace.
        var decoder = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetDecoder();
        var chars = new char[head.Length];
        try
        {
            var count = decoder.GetChars(head, chars, flush: false);
            foreach (var c in chars.AsSpan(0, count))
            {
                if (char.IsControl(c) && c is not ('\t' or '\n' or '\r' or '\f'))
                {
                    return false;
                }
            }
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}
