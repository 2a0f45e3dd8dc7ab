using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using VisionConsole.Domain;
using VisionConsole.Domain.Imaging;
using VisionConsole.Trainer.Imaging;

namespace VisionConsole.Tests.Domain.Imaging;

/// <summary>The image store with the real libvips codec, on a temporary blob folder.</summary>
public sealed class ImageStoreTests : IDisposable
{
    private static readonly VipsImageCodec Codec = new();
    private readonly string blobs = Path.Combine(Path.GetTempPath(), "vc-imagestore-" + Guid.NewGuid().ToString("N"));
    private readonly ImageStore store;

    public ImageStoreTests() => store = new ImageStore(Codec, Options.Create(new ImageStoreOptions { BlobFolder = blobs }));

    public void Dispose() => Directory.Delete(blobs, recursive: true);

    [Theory]
    [InlineData("train/ants/0013035.jpg", 768, 512)]
    [InlineData("train/ants/Nepenthes_rafflesiana_ant.jpg", 1488, 1984)]
    [InlineData("val/bees/abeja.jpg", 399, 300)]
    [InlineData("train/ants/formica.jpeg", 193, 130)]
    public async Task StoreAsync_HymenopteraPhoto_StoredUnderSha256WithThumbnail(string file, int width, int height)
    {
        var bytes = TestImages.Read(TestImages.Hymenoptera(file));

        var stored = await Store(Path.GetFileName(file), bytes);

        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var thumbnailBytes = await File.ReadAllBytesAsync(Path.Combine(blobs, "thumbs", sha[..2], sha + ".jpg"));
        Assert.Equal(new StoredImage(sha, ImageFormat.Jpeg, width, height, bytes.Length, AlreadyStored: false, PerceptualHash.Compute(Codec, thumbnailBytes)), stored);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(blobs, sha[..2], sha)));
        Assert.Equal(bytes, await store.ReadOriginalAsync(sha));
        var thumbnail = Codec.ReadHeader(thumbnailBytes);
        Assert.Equal(ImageFormat.Jpeg, thumbnail.Format);
        Assert.Equal(Math.Min(256, Math.Max(width, height)), Math.Max(thumbnail.Width, thumbnail.Height));
        AssertNoTemporaryFiles();
    }

    [Fact]
    public async Task StoreAsync_DatasetGifPlaceholder_AcceptedAsGif()
    {
        // The rules are about content and size, not about what a picture shows: a real 300 x 300 GIF is accepted.
        var stored = await Store("imageNotFound.gif", TestImages.Read(TestImages.Hymenoptera("train/ants/imageNotFound.gif")));

        Assert.Equal((ImageFormat.Gif, 300, 300), (stored.Format, stored.Width, stored.Height));
    }

    [Theory]
    [InlineData("images/raccoon-150.jpg", 275, 183)]
    [InlineData("images/raccoon-161.jpg", 500, 347)]
    public async Task StoreAsync_GrayscaleJpeg_Accepted(string file, int width, int height)
    {
        var stored = await Store(Path.GetFileName(file), TestImages.Read(TestImages.Raccoon(file)));

        Assert.Equal((ImageFormat.Jpeg, width, height), (stored.Format, stored.Width, stored.Height));
    }

    [Fact]
    public async Task StoreAsync_PngNamedJpg_AcceptedAsPng()
    {
        var stored = await Store("photo.jpg", TestImages.SolidPng(120, 80, 10, 20, 30));

        Assert.Equal((ImageFormat.Png, 120, 80), (stored.Format, stored.Width, stored.Height));
    }

    [Fact]
    public async Task StoreAsync_MadeGifBmpIco_AcceptedWithFormatAndSize()
    {
        var gif = await Store("made.gif", TestImages.Gif(90, 60, [(255, 0, 0), (0, 0, 255)], (x, _) => x / 45));
        var bmp = await Store("made.bmp", TestImages.Bmp(120, 70, (x, y) => ((byte)x, (byte)y, 0)));
        var ico = await Store("made.ico", TestImages.Ico(64, (_, _) => (0, 0, 255)));

        Assert.Equal((ImageFormat.Gif, 90, 60), (gif.Format, gif.Width, gif.Height));
        Assert.Equal((ImageFormat.Bmp, 120, 70), (bmp.Format, bmp.Width, bmp.Height));
        Assert.Equal((ImageFormat.Ico, 64, 64), (ico.Format, ico.Width, ico.Height));
        Assert.All(new[] { gif, bmp, ico }, s => Assert.True(File.Exists(Path.Combine(blobs, "thumbs", s.Sha256[..2], s.Sha256 + ".jpg"))));
    }

    [Fact]
    public async Task StoreAsync_ExifOrientation6_WidthAndHeightSwapped()
    {
        var rotated = TestImages.WithExifOrientation(TestImages.Read(TestImages.Hymenoptera("train/ants/formica.jpeg")), 6);

        var stored = await Store("rotated.jpg", rotated);

        Assert.Equal((130, 193), (stored.Width, stored.Height));
        var thumbnail = Codec.ReadHeader(await ReadAll(await store.OpenThumbnailAsync(stored.Sha256)));
        Assert.Equal((130, 193), (thumbnail.Width, thumbnail.Height));
    }

    [Fact]
    public async Task StoreAsync_JpegCutInHalf_RefusedAndNothingKept()
    {
        var photo = TestImages.Read(TestImages.Hymenoptera("train/ants/0013035.jpg"));

        var error = await Refused("half.jpg", photo[..(photo.Length / 2)]);

        Assert.StartsWith("half.jpg: the image data is truncated or corrupt", error, StringComparison.Ordinal);
        AssertNothingStored();
    }

    [Fact]
    public async Task StoreAsync_EmptyFile_Refused()
    {
        Assert.Equal("empty.jpg: the file is empty (0 bytes)", await Refused("empty.jpg", []));
        AssertNothingStored();
    }

    [Fact]
    public async Task StoreAsync_OnePixelImage_RefusedAsTooSmall()
    {
        Assert.Equal("dot.png: 1 x 1 px is below the 50 px minimum for a side", await Refused("dot.png", TestImages.SolidPng(1, 1, 0, 0, 0)));
        AssertNothingStored();
    }

    [Fact]
    public async Task StoreAsync_TextNamedPng_RefusedAsText()
    {
        var text = TestImages.Text("Holiday photos are in the shared drive.\nRegards, Ana\n");

        Assert.Equal("holiday.png: not an image (the content is text)", await Refused("holiday.png", text));
        AssertNothingStored();
    }

    [Fact]
    public async Task StoreAsync_HeifContent_RefusedAsNotAccepted()
    {
        byte[] heif = [0, 0, 0, 0x18, .. "ftypheic"u8, 0, 0, 0, 0, .. "mif1heic"u8, .. new byte[200]];

        Assert.StartsWith("IMG_0001.jpg: format HEIF is not accepted", await Refused("IMG_0001.jpg", heif), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StoreAsync_PngHeader20000Wide_RefusedFromHeaderWithoutDecoding()
    {
        // Only a header: decoding it would fail as truncated, so this message proves the header decided.
        var error = await Refused("wide.png", TestImages.PngHeaderOnly(20_000, 60));

        Assert.Equal("wide.png: 20000 x 60 px exceeds the 16000 px limit for a side", error);
        AssertNothingStored();
    }

    [Fact]
    public async Task StoreAsync_BmpHeader20000Wide_RefusedFromHeaderWithoutDecoding()
    {
        var error = await Refused("wide.bmp", TestImages.BmpHeaderOnly(20_000, 60));

        Assert.Equal("wide.bmp: 20000 x 60 px exceeds the 16000 px limit for a side", error);
    }

    [Fact]
    public async Task StoreAsync_DecompressionBombHeader_RefusedByPixelLimitBeforeDecoding()
    {
        var error = await Refused("bomb.png", TestImages.PngHeaderOnly(12_000, 12_000));

        Assert.Equal("bomb.png: 12000 x 12000 px is 144 megapixels, over the 100 megapixel limit", error);
    }

    [Fact]
    public async Task StoreAsync_StreamOver30MB_RefusedWithoutReadingTheRest()
    {
        var endless = new CountingStream(totalBytes: 200L * 1024 * 1024);

        var error = await Assert.ThrowsAsync<ImageRejectedException>(() => store.StoreAsync("huge.jpg", endless));

        Assert.Equal("huge.jpg: the file (more than 31,457,280 bytes) exceeds the 30 MB limit for a file", error.Message);
        Assert.True(endless.BytesRead <= 31_457_280 + 81_920, $"read {endless.BytesRead} bytes");
        AssertNothingStored();
    }

    [Fact]
    public async Task StoreAsync_SeekableFileOver30MB_RefusedWithItsSize()
    {
        var big = new byte[31 * 1024 * 1024];
        TestImages.Read(TestImages.Hymenoptera("train/ants/0013035.jpg")).CopyTo(big, 0);

        var error = await Refused("big.jpg", big);

        Assert.Equal("big.jpg: 31 MB (32,505,856 bytes) exceeds the 30 MB limit for a file", error);
        AssertNothingStored();
    }

    [Fact]
    public async Task StoreAsync_SameBytesTwice_StoredOnce()
    {
        var bytes = TestImages.Read(TestImages.Hymenoptera("train/bees/1092977343_cb42b38d62.jpg"));

        var first = await Store("a.jpg", bytes);
        var second = await Store("copy of a.jpg", bytes);

        Assert.False(first.AlreadyStored);
        Assert.True(second.AlreadyStored);
        Assert.Equal(first with { AlreadyStored = true }, second);
        Assert.Single(Directory.GetFiles(Path.Combine(blobs, first.Sha256[..2])));
        AssertNoTemporaryFiles();
    }

    [Fact]
    public async Task StoreAsync_SameBytesConcurrently_ExactlyOneStores()
    {
        var bytes = TestImages.Read(TestImages.Hymenoptera("val/bees/abeja.jpg"));

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Task.Run(() => Store($"upload{i}.jpg", bytes))));

        Assert.Single(results, r => !r.AlreadyStored);
        Assert.Single(results.Select(r => r.Sha256).Distinct());
        AssertNoTemporaryFiles();
    }

    [Fact]
    public async Task OpenThumbnailAsync_ThumbnailMissing_MadeAgainAtMost256()
    {
        var stored = await Store("big.jpg", TestImages.Read(TestImages.Hymenoptera("train/ants/Nepenthes_rafflesiana_ant.jpg")));
        var path = Path.Combine(blobs, "thumbs", stored.Sha256[..2], stored.Sha256 + ".jpg");
        File.Delete(path);

        var thumbnail = Codec.ReadHeader(await ReadAll(await store.OpenThumbnailAsync(stored.Sha256)));

        Assert.True(File.Exists(path));
        Assert.Equal(new ImageHeader(ImageFormat.Jpeg, 192, 256), thumbnail);
    }

    [Fact]
    public async Task OpenOriginal_UnknownSha_NotFound()
    {
        var unknown = new string('a', 64);

        Assert.Throws<NotFoundException>(() => store.OpenOriginal(unknown));
        await Assert.ThrowsAsync<NotFoundException>(() => store.ReadOriginalAsync(unknown));
        await Assert.ThrowsAsync<NotFoundException>(() => store.OpenThumbnailAsync("../../etc/passwd"));
    }

    [Fact]
    public void Constructor_AbandonedUploads_OnlyDayOldOnesRemoved()
    {
        var tmp = Path.Combine(blobs, "tmp");
        var abandoned = Path.Combine(tmp, "abandoned.upload");
        var live = Path.Combine(tmp, "live.upload");
        File.WriteAllBytes(abandoned, [1]);
        File.WriteAllBytes(live, [2]);
        File.SetLastWriteTimeUtc(abandoned, DateTime.UtcNow.AddDays(-2));

        _ = new ImageStore(Codec, Options.Create(new ImageStoreOptions { BlobFolder = blobs }));

        Assert.False(File.Exists(abandoned));
        Assert.True(File.Exists(live));
    }

    [Fact]
    public async Task AddVipsImaging_ResolvesWorkingStore()
    {
        using var provider = new ServiceCollection().AddVipsImaging(o => o.BlobFolder = blobs).BuildServiceProvider();
        var resolved = provider.GetRequiredService<IImageStore>();
        var bytes = TestImages.Read(TestImages.Hymenoptera("train/ants/formica.jpeg"));

        await using var content = new MemoryStream(bytes);
        var stored = await resolved.StoreAsync("formica.jpeg", content);

        Assert.Same(provider.GetRequiredService<IImageCodec>(), provider.GetRequiredService<IImageCodec>());
        Assert.IsType<VipsImageCodec>(provider.GetRequiredService<IImageCodec>());
        await using var original = store.OpenOriginal(stored.Sha256);
        Assert.Equal(bytes.Length, original.Length);
    }

    private async Task<StoredImage> Store(string name, byte[] bytes)
    {
        await using var content = new MemoryStream(bytes);
        return await store.StoreAsync(name, content);
    }

    private async Task<string> Refused(string name, byte[] bytes)
    {
        await using var content = new MemoryStream(bytes);
        var error = await Assert.ThrowsAsync<ImageRejectedException>(() => store.StoreAsync(name, content));
        return error.Message;
    }

    private static async Task<byte[]> ReadAll(Stream stream)
    {
        await using (stream)
        {
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            return copy.ToArray();
        }
    }

    private void AssertNothingStored() =>
        Assert.Empty(Directory.GetFiles(blobs, "*", SearchOption.AllDirectories));

    private void AssertNoTemporaryFiles() =>
        Assert.Empty(Directory.GetFiles(Path.Combine(blobs, "tmp")));

    /// <summary>A non-seekable stream of zeros that counts what was read from it.</summary>
    private sealed class CountingStream(long totalBytes) : Stream
    {
        public long BytesRead { get; private set; }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, totalBytes - BytesRead);
            Array.Clear(buffer, offset, n);
            BytesRead += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
