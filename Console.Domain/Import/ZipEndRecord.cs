using System.Buffers.Binary;

namespace VisionConsole.Domain.Import;

/// <summary>
/// Reads a zip's end-of-central-directory record (and its Zip64 form) so the entry count can be checked before the
/// central directory itself is parsed into memory.
/// </summary>
internal static class ZipEndRecord
{
    private const uint EndSignature = 0x06054b50;
    private const uint Zip64LocatorSignature = 0x07064b50;
    private const uint Zip64EndSignature = 0x06064b50;

    /// <summary>The number of entries the archive declares, or null when no end record is found (not a zip).</summary>
    public static long? ReadEntryCount(Stream stream)
    {
        if (!stream.CanSeek || stream.Length < 22)
            return null;
        var tailLength = (int)Math.Min(stream.Length, 22 + 0xFFFF);
        var tail = new byte[tailLength];
        stream.Seek(-tailLength, SeekOrigin.End);
        stream.ReadExactly(tail);
        for (var i = tailLength - 22; i >= 0; i--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(i)) != EndSignature)
                continue;
            long count = BinaryPrimitives.ReadUInt16LittleEndian(tail.AsSpan(i + 10));
            if (count == 0xFFFF && i >= 20 && BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(i - 20)) == Zip64LocatorSignature)
            {
                var zip64EndOffset = BinaryPrimitives.ReadInt64LittleEndian(tail.AsSpan(i - 20 + 8));
                if (zip64EndOffset >= 0 && zip64EndOffset + 56 <= stream.Length)
                {
                    var record = new byte[56];
                    stream.Seek(zip64EndOffset, SeekOrigin.Begin);
                    stream.ReadExactly(record);
                    if (BinaryPrimitives.ReadUInt32LittleEndian(record) == Zip64EndSignature)
                        count = BinaryPrimitives.ReadInt64LittleEndian(record.AsSpan(32));
                }
            }
            stream.Seek(0, SeekOrigin.Begin);
            return count;
        }
        stream.Seek(0, SeekOrigin.Begin);
        return null;
    }
}
