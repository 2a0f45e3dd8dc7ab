using VisionConsole.Domain.Imaging;
using VisionConsole.Tests.Domain.Imaging;
using VisionConsole.Trainer.Imaging;
using NetVips;

namespace VisionConsole.Tests.Trainer.Imaging;

/// <summary>The libvips codec on real files from the shared datasets and on files written here byte by byte.</summary>
public sealed class VipsImageCodecTests
{
    private static readonly (byte R, byte G, byte B)[] Palette = [(255, 0, 0), (0, 0, 255), (0, 200, 0)];
    private readonly VipsImageCodec codec = new();

    [Theory]
    [InlineData("train/ants/formica.jpeg", 193, 130)]
    [InlineData("train/ants/0013035.jpg", 768, 512)]
    [InlineData("train/ants/Nepenthes_rafflesiana_ant.jpg", 1488, 1984)]
    [InlineData("train/ants/ant photos.jpg", 343, 236)] // progressive
    [InlineData("val/ants/ants-devouring-remains-of-large-dead-insect-on-red-tile-in-Stellenbosch-South-Africa-closeup-1-DHD.jpg", 2592, 1944)]
    public void ReadHeader_HymenopteraJpeg_ReportsJpegAndSize(string file, int width, int height)
    {
        var header = codec.ReadHeader(TestImages.Read(TestImages.Hymenoptera(file)));

        Assert.Equal(new ImageHeader(ImageFormat.Jpeg, width, height), header);
    }

    [Fact]
    public void ReadHeader_DatasetGifPlaceholder_ReportsGif300x300()
    {
        var header = codec.ReadHeader(TestImages.Read(TestImages.Hymenoptera("train/ants/imageNotFound.gif")));

        Assert.Equal(new ImageHeader(ImageFormat.Gif, 300, 300), header);
    }

    [Fact]
    public void ReadHeader_MadeBmp_ReportsBmpAndSize()
    {
        var bmp = TestImages.Bmp(120, 70, (x, _) => x < 60 ? ((byte)255, (byte)0, (byte)0) : ((byte)0, (byte)0, (byte)255));

        Assert.Equal(new ImageHeader(ImageFormat.Bmp, 120, 70), codec.ReadHeader(bmp));
    }

    [Fact]
    public void ReadHeader_MadeIco_ReportsIcoAndSize()
    {
        var ico = TestImages.Ico(64, (_, _) => (0, 0, 255));

        Assert.Equal(new ImageHeader(ImageFormat.Ico, 64, 64), codec.ReadHeader(ico));
    }

    [Fact]
    public void ReadHeader_MadeGif_ReportsGifAndSize()
    {
        var gif = TestImages.Gif(90, 60, Palette, (x, _) => x / 30);

        Assert.Equal(new ImageHeader(ImageFormat.Gif, 90, 60), codec.ReadHeader(gif));
    }

    [Fact]
    public void ReadHeader_ExifOrientation6_SwapsWidthAndHeight()
    {
        var rotated = TestImages.WithExifOrientation(TestImages.Read(TestImages.Hymenoptera("train/ants/formica.jpeg")), 6);

        Assert.Equal(new ImageHeader(ImageFormat.Jpeg, 130, 193), codec.ReadHeader(rotated));
    }

    [Fact]
    public void ReadHeader_TruncatedJpeg_ReadsHeaderWithoutDecoding()
    {
        var photo = TestImages.Read(TestImages.Hymenoptera("train/ants/0013035.jpg"));

        Assert.Equal(new ImageHeader(ImageFormat.Jpeg, 768, 512), codec.ReadHeader(photo.AsSpan(0, photo.Length / 2)));
    }

    [Fact]
    public void ReadHeader_Text_RefusedAsText()
    {
        var error = Assert.Throws<ImageRejectedException>(() => codec.ReadHeader(TestImages.Text("holiday photos, see attached\n")));

        Assert.Equal("not an image (the content is text)", error.Message);
    }

    [Fact]
    public void ReadHeader_HeifSignature_RefusedAsNotAccepted()
    {
        byte[] heif = [0, 0, 0, 0x18, .. "ftypheic"u8, 0, 0, 0, 0, .. "mif1heic"u8, .. new byte[64]];

        var error = Assert.Throws<ImageRejectedException>(() => codec.ReadHeader(heif));

        Assert.StartsWith("format HEIF is not accepted", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_EveryDatasetImage_Passes()
    {
        var files = Directory.EnumerateFiles(TestImages.Datasets, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetExtension(f).ToLowerInvariant() is ".jpg" or ".jpeg" or ".gif")
            .ToList();
        Assert.True(files.Count >= 598, $"expected hymenoptera and raccoon images, found {files.Count}");

        var failures = files.AsParallel()
            .Select(file =>
            {
                try
                {
                    codec.Verify(File.ReadAllBytes(file));
                    return null;
                }
                catch (ImageRejectedException rejected)
                {
                    return $"{file}: {rejected.Message}";
                }
            })
            .Where(message => message is not null)
            .ToList();

        Assert.Empty(failures);
    }

    [Fact]
    public void Verify_JpegCutInHalf_RefusedAsTruncated()
    {
        var photo = TestImages.Read(TestImages.Hymenoptera("train/ants/0013035.jpg"));

        var error = Assert.Throws<ImageRejectedException>(() => codec.Verify(photo.AsSpan(0, photo.Length / 2)));

        Assert.StartsWith("the image data is truncated or corrupt", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_SameTruncatedJpegAgainAfterItsHeaderWasRead_RefusedEveryTime()
    {
        // libvips' operation cache would hand the second load the first one's image; intake turns it off.
        var photo = TestImages.Read(TestImages.Hymenoptera("train/bees/1092977343_cb42b38d62.jpg"));
        var truncated = photo.AsSpan(0, photo.Length * 2 / 3).ToArray();

        for (var attempt = 0; attempt < 3; attempt++)
        {
            codec.ReadHeader(truncated);
            var error = Assert.Throws<ImageRejectedException>(() => codec.Verify(truncated));
            Assert.StartsWith("the image data is truncated or corrupt (libvips: ", error.Message, StringComparison.Ordinal);
        }
        Assert.Equal(0, NetVips.Cache.Max);
    }

    [Fact]
    public void Verify_PngCutInHalf_RefusedAsTruncated()
    {
        var png = TestImages.Png(200, 200, 3, (x, y, p) => { p[0] = (byte)x; p[1] = (byte)y; p[2] = (byte)(x ^ y); });

        var error = Assert.Throws<ImageRejectedException>(() => codec.Verify(png.AsSpan(0, png.Length / 2)));

        Assert.StartsWith("the image data is truncated or corrupt", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("jpeg")]
    [InlineData("png")]
    [InlineData("gif")]
    [InlineData("bmp")]
    [InlineData("ico")]
    [InlineData("webp")]
    [InlineData("tiff")]
    public void Verify_FileCutInHalf_RefusedAsTruncated(string kind)
    {
        var whole = MadeImage(kind);
        codec.Verify(whole);

        var error = Assert.Throws<ImageRejectedException>(() => codec.Verify(whole.AsSpan(0, whole.Length / 2)));

        Assert.StartsWith("the image data is truncated or corrupt", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("webp", ImageFormat.Webp)]
    [InlineData("tiff", ImageFormat.Tiff)]
    public void ReadHeader_WebpAndTiffMadeWithLibvips_ReportFormatAndSize(string kind, ImageFormat format)
    {
        var bytes = MadeImage(kind);

        Assert.Equal(new ImageHeader(format, 200, 150), codec.ReadHeader(bytes));
        AssertNear((255, 0, 0), Pixel(codec.DecodeRgb(bytes, 20, 15, FitMode.Stretch), 3, 7), tolerance: 8);
    }

    [Fact]
    public void DecodeRgb_SolidRedPng_EveryPixelIsRed()
    {
        var red = TestImages.SolidPng(80, 60, 255, 0, 0);

        var rgb = codec.DecodeRgb(red, 32, 24, FitMode.Stretch);

        Assert.Equal((32, 24, 32 * 24 * 3), (rgb.Width, rgb.Height, rgb.Pixels.Length));
        for (var i = 0; i < rgb.Pixels.Length; i += 3)
        {
            Assert.Equal((255, 0, 0), (rgb.Pixels[i], rgb.Pixels[i + 1], rgb.Pixels[i + 2]));
        }
    }

    [Theory]
    [InlineData("train/ants/formica.jpeg")]
    [InlineData("train/ants/Nepenthes_rafflesiana_ant.jpg")]
    [InlineData("train/bees/1092977343_cb42b38d62.jpg")]
    public void DecodeRgb_HymenopteraJpeg_ExactSizeThreeChannels(string file)
    {
        var bytes = TestImages.Read(TestImages.Hymenoptera(file));

        foreach (var fit in new[] { FitMode.Stretch, FitMode.CenterCrop })
        {
            var rgb = codec.DecodeRgb(bytes, 224, 224, fit);
            Assert.Equal((224, 224, 224 * 224 * 3), (rgb.Width, rgb.Height, rgb.Pixels.Length));
            Assert.Contains(rgb.Pixels, b => b != rgb.Pixels[0]); // a photo, not a blank
        }
    }

    [Fact]
    public void DecodeRgb_WideStripes_StretchKeepsAllCenterCropKeepsMiddle()
    {
        // 300 x 100: blue | red | green, 100 px each.
        var stripes = TestImages.Png(300, 100, 3, (x, _, p) =>
        {
            var (r, g, b) = x < 100 ? (0, 0, 255) : x < 200 ? (255, 0, 0) : (0, 255, 0);
            (p[0], p[1], p[2]) = ((byte)r, (byte)g, (byte)b);
        });

        var stretched = codec.DecodeRgb(stripes, 30, 10, FitMode.Stretch);
        var cropped = codec.DecodeRgb(stripes, 50, 50, FitMode.CenterCrop);

        // The resampling kernel may ring by a level or two next to a stripe edge.
        AssertNear((0, 0, 255), Pixel(stretched, 2, 5), tolerance: 3);
        AssertNear((255, 0, 0), Pixel(stretched, 15, 5), tolerance: 3);
        AssertNear((0, 255, 0), Pixel(stretched, 27, 5), tolerance: 3);
        Assert.Equal((50, 50), (cropped.Width, cropped.Height));
        AssertNear((255, 0, 0), Pixel(cropped, 2, 2), tolerance: 3);
        AssertNear((255, 0, 0), Pixel(cropped, 47, 47), tolerance: 3);
    }

    [Theory]
    [InlineData("images/raccoon-150.jpg")]
    [InlineData("images/raccoon-152.jpg")]
    [InlineData("images/raccoon-161.jpg")]
    public void DecodeRgb_GrayscaleJpeg_ExpandedToThreeEqualChannels(string file)
    {
        var grey = TestImages.Read(TestImages.Raccoon(file));

        var rgb = codec.DecodeRgb(grey, 64, 48, FitMode.Stretch);

        Assert.Equal(64 * 48 * 3, rgb.Pixels.Length);
        for (var i = 0; i < rgb.Pixels.Length; i += 3)
        {
            Assert.True(rgb.Pixels[i] == rgb.Pixels[i + 1] && rgb.Pixels[i] == rgb.Pixels[i + 2], $"pixel {i / 3} is not grey");
        }
        Assert.Contains(rgb.Pixels, b => b != rgb.Pixels[0]);
    }

    [Fact]
    public void DecodeRgb_GreyPng_ExpandedToThreeChannels()
    {
        var grey = TestImages.Png(60, 60, 1, (_, _, p) => p[0] = 77);

        var rgb = codec.DecodeRgb(grey, 10, 10, FitMode.Stretch);

        Assert.Equal((77, 77, 77), Pixel(rgb, 5, 5));
    }

    [Fact]
    public void DecodeRgb_TransparentPng_FlattenedOnWhite()
    {
        // Left half fully transparent (its colour must not show), right half opaque red.
        var png = TestImages.Png(100, 60, 4, (x, _, p) => { p[0] = 255; p[1] = 0; p[2] = 0; p[3] = x < 50 ? (byte)0 : (byte)255; });

        var rgb = codec.DecodeRgb(png, 100, 60, FitMode.Stretch);

        Assert.Equal((255, 255, 255), Pixel(rgb, 10, 30));
        Assert.Equal((255, 0, 0), Pixel(rgb, 90, 30));
    }

    [Fact]
    public void DecodeRgb_MadeBmpIcoGif_ColoursSurvive()
    {
        var bmp = TestImages.Bmp(100, 60, (x, _) => x < 50 ? ((byte)255, (byte)0, (byte)0) : ((byte)0, (byte)0, (byte)255));
        var ico = TestImages.Ico(64, (_, _) => (0, 200, 0));
        var gif = TestImages.Gif(90, 60, Palette, (x, _) => x / 30);

        var bmpRgb = codec.DecodeRgb(bmp, 100, 60, FitMode.Stretch);
        var icoRgb = codec.DecodeRgb(ico, 32, 32, FitMode.Stretch);
        var gifRgb = codec.DecodeRgb(gif, 90, 60, FitMode.Stretch);

        Assert.Equal((255, 0, 0), Pixel(bmpRgb, 10, 10));
        Assert.Equal((0, 0, 255), Pixel(bmpRgb, 90, 50));
        Assert.Equal((0, 200, 0), Pixel(icoRgb, 16, 16));
        Assert.Equal((255, 0, 0), Pixel(gifRgb, 10, 30));
        Assert.Equal((0, 0, 255), Pixel(gifRgb, 45, 30));
        Assert.Equal((0, 200, 0), Pixel(gifRgb, 80, 30));
    }

    [Fact]
    public void DecodeRgb_ExifOrientation6_RotatesClockwise()
    {
        // A 200 x 100 JPEG, left half red, right half blue, tagged "rotate 90 degrees clockwise to display".
        var png = TestImages.Png(200, 100, 3, (x, _, p) => (p[0], p[1], p[2]) = x < 100 ? ((byte)255, (byte)0, (byte)0) : ((byte)0, (byte)0, (byte)255));
        var jpeg = TestImages.WithExifOrientation(codec.MakeThumbnail(png, 256), 6);

        var rgb = codec.DecodeRgb(jpeg, 100, 200, FitMode.Stretch);

        // Displayed 100 x 200: the stored left (red) becomes the top, the right (blue) the bottom.
        AssertNear((255, 0, 0), Pixel(rgb, 50, 30));
        AssertNear((0, 0, 255), Pixel(rgb, 50, 170));
    }

    [Fact]
    public void DecodeRgb_CmykJpeg_ConvertedToSrgb()
    {
        var cmyk = MakeCmykJpeg(TestImages.SolidPng(64, 64, 255, 0, 0));

        var rgb = codec.DecodeRgb(cmyk, 16, 16, FitMode.Stretch);

        var (r, g, b) = Pixel(rgb, 8, 8);
        Assert.True(r > 200 && g < 80 && b < 80, $"expected red, got ({r},{g},{b})");
    }

    [Fact]
    public void DecodeRgb_JpegCutInHalf_Refused()
    {
        var photo = TestImages.Read(TestImages.Hymenoptera("train/ants/0013035.jpg"));

        Assert.Throws<ImageRejectedException>(() => codec.DecodeRgb(photo.AsSpan(0, photo.Length / 2), 64, 64, FitMode.Stretch));
    }

    [Fact]
    public void MakeThumbnail_LargePhoto_JpegWithLongerSide256()
    {
        var photo = TestImages.Read(TestImages.Hymenoptera("train/ants/Nepenthes_rafflesiana_ant.jpg")); // 1488 x 1984

        var thumbnail = codec.MakeThumbnail(photo, 256);

        Assert.Equal(new ImageHeader(ImageFormat.Jpeg, 192, 256), codec.ReadHeader(thumbnail));
    }

    [Fact]
    public void MakeThumbnail_SmallPhoto_KeepsItsSize()
    {
        var photo = TestImages.Read(TestImages.Hymenoptera("train/ants/formica.jpeg")); // 193 x 130

        Assert.Equal(new ImageHeader(ImageFormat.Jpeg, 193, 130), codec.ReadHeader(codec.MakeThumbnail(photo, 256)));
    }

    [Fact]
    public void MakeThumbnail_ExifOrientation6_ThumbnailIsUpright()
    {
        var rotated = TestImages.WithExifOrientation(TestImages.Read(TestImages.Hymenoptera("train/ants/formica.jpeg")), 6);

        Assert.Equal(new ImageHeader(ImageFormat.Jpeg, 130, 193), codec.ReadHeader(codec.MakeThumbnail(rotated, 256)));
    }

    [Fact]
    public void DecodeRgb_ManyThreadsAtOnce_SameResultAsOneThread()
    {
        var files = Directory.GetFiles(TestImages.Hymenoptera("val/bees"), "*.jpg").Order(StringComparer.Ordinal).Take(16).ToArray();
        var expected = files.Select(f => codec.DecodeRgb(File.ReadAllBytes(f), 96, 96, FitMode.CenterCrop).Pixels).ToArray();

        var actual = new byte[files.Length][];
        Parallel.For(0, files.Length * 4, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var pixels = codec.DecodeRgb(File.ReadAllBytes(files[i % files.Length]), 96, 96, FitMode.CenterCrop).Pixels;
            if (i >= files.Length * 3)
            {
                actual[i % files.Length] = pixels;
            }
        });

        for (var i = 0; i < files.Length; i++)
        {
            Assert.Equal(expected[i], actual[i]);
        }
    }

    private static (int R, int G, int B) Pixel(RgbImage image, int x, int y)
    {
        var i = (y * image.Width + x) * 3;
        return (image.Pixels[i], image.Pixels[i + 1], image.Pixels[i + 2]);
    }

    /// <summary>Default tolerance 24: JPEG is lossy.</summary>
    private static void AssertNear((int R, int G, int B) expected, (int R, int G, int B) actual, int tolerance = 24)
    {
        Assert.True(
            Math.Abs(expected.R - actual.R) <= tolerance && Math.Abs(expected.G - actual.G) <= tolerance && Math.Abs(expected.B - actual.B) <= tolerance,
            $"expected about {expected}, got {actual}");
    }

    /// <summary>A 200 x 150 image (left half red, right half noise so it does not compress to nothing) in the given format.</summary>
    private byte[] MadeImage(string kind)
    {
        var random = new Random(7);
        var png = TestImages.Png(200, 150, 3, (x, _, p) =>
        {
            if (x < 100)
            {
                (p[0], p[1], p[2]) = ((byte)255, (byte)0, (byte)0);
            }
            else
            {
                random.NextBytes(p);
            }
        });
        return kind switch
        {
            "png" => png,
            "jpeg" => codec.MakeThumbnail(png, 256),
            "gif" => TestImages.Gif(200, 150, Palette, (x, y) => x < 100 ? 0 : (x * 7 + y * 13) % 3),
            "bmp" => TestImages.Bmp(200, 150, (x, y) => x < 100 ? ((byte)255, (byte)0, (byte)0) : ((byte)(x * y), (byte)(x + y), (byte)x)),
            "ico" => TestImages.Ico(128, (x, y) => ((byte)(x * y), (byte)(x + y), (byte)x)),
            "webp" => SaveWithLibvips(png, "webpsave_buffer", new VOption { { "lossless", true } }),
            "tiff" => SaveWithLibvips(png, "tiffsave_buffer", new VOption()),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
    }

    private static byte[] SaveWithLibvips(byte[] png, string saver, VOption options)
    {
        using var image = (NetVips.Image)Operation.Call("pngload_buffer", png);
        return (byte[])Operation.Call(saver, options, image);
    }

    /// <summary>A CMYK JPEG made with libvips itself: load the PNG, convert to CMYK, save.</summary>
    private static byte[] MakeCmykJpeg(byte[] png)
    {
        using var image = (NetVips.Image)Operation.Call("pngload_buffer", png);
        using var cmyk = image.IccExport(outputProfile: "cmyk");
        var bytes = (byte[])Operation.Call("jpegsave_buffer", new VOption(), cmyk);
        using var loaded = (NetVips.Image)Operation.Call("jpegload_buffer", bytes);
        Assert.Equal((4, Enums.Interpretation.Cmyk), (loaded.Bands, loaded.Interpretation));
        return bytes;
    }
}
