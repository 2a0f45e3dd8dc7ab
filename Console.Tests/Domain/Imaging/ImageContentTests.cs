using VisionConsole.Domain.Imaging;

namespace VisionConsole.Tests.Domain.Imaging;

public sealed class ImageContentTests
{
    public static TheoryData<byte[], ImageFormat> Signatures => new()
    {
        { [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10], ImageFormat.Jpeg },
        { [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0], ImageFormat.Png },
        { [.. "GIF87a"u8, 1, 0], ImageFormat.Gif },
        { [.. "GIF89a"u8, 1, 0], ImageFormat.Gif },
        { [.. "RIFF"u8, 0x10, 0, 0, 0, .. "WEBPVP8 "u8], ImageFormat.Webp },
        { [.. "II*\0"u8, 8, 0, 0, 0], ImageFormat.Tiff },
        { [.. "MM\0*"u8, 0, 0, 0, 8], ImageFormat.Tiff },
        { TestImages.BmpHeaderOnly(60, 60), ImageFormat.Bmp },
        { [0, 0, 1, 0, 1, 0, 64, 64], ImageFormat.Ico },
    };

    [Theory]
    [MemberData(nameof(Signatures))]
    public void Identify_Signature_AcceptedFormat(byte[] content, ImageFormat format) =>
        Assert.Equal(format, ImageContent.Identify(content));

    [Theory]
    [InlineData("%PDF-1.7\n%\u00e2\u00e3", "format PDF is not accepted")]
    [InlineData("<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>", "format SVG is not accepted")]
    [InlineData("id,label\n1,ant\n", "not an image (the content is text)")]
    [InlineData("Grüße aus Köln – Fotos folgen", "not an image (the content is text)")]
    [InlineData("BMP is what this text starts with", "not an image (the content is text)")]
    public void Identify_OtherContent_RefusedWithWhatItIs(string content, string reason)
    {
        var error = Assert.Throws<ImageRejectedException>(() => ImageContent.Identify(TestImages.Text(content)));

        Assert.StartsWith(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Identify_CursorZipAndBinary_Refused()
    {
        Assert.StartsWith("format CUR (cursor) is not accepted", Reason([0, 0, 2, 0, 1, 0, 32, 32]), StringComparison.Ordinal);
        Assert.StartsWith("format ZIP is not accepted", Reason([.. "PK\x03\x04"u8, 20, 0]), StringComparison.Ordinal);
        Assert.Equal("not an image (the content is not a known image format)", Reason([0x00, 0x01, 0x02, 0xFE, 0x80, 0x81]));
        Assert.Equal("the file is empty", Reason([]));
    }

    private static string Reason(byte[] content) =>
        Assert.Throws<ImageRejectedException>(() => ImageContent.Identify(content)).Message;
}
