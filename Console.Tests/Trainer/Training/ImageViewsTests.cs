using VisionConsole.Domain.Imaging;
using VisionConsole.Trainer.Imaging;
using VisionConsole.Trainer.Training;

namespace VisionConsole.Tests.Trainer.Training;

public class ImageViewsTests
{
    /// <summary>A 16x12 image whose every pixel encodes its own position: R = 10x, G = 20y, B = 3(x + y).</summary>
    private static RgbImage Gradient(int width = 16, int height = 12)
    {
        var pixels = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var p = (y * width + x) * 3;
                pixels[p] = (byte)(10 * x);
                pixels[p + 1] = (byte)(20 * y);
                pixels[p + 2] = (byte)(3 * (x + y));
            }
        }
        return new RgbImage(width, height, pixels);
    }

    private static (byte R, byte G, byte B) At(RgbImage image, int x, int y)
    {
        var p = (y * image.Width + x) * 3;
        return (image.Pixels[p], image.Pixels[p + 1], image.Pixels[p + 2]);
    }

    [Fact]
    public void FlipHorizontal_Twice_IsIdentity()
    {
        var image = Gradient();

        var once = ImageViews.FlipHorizontal(image);
        var twice = ImageViews.FlipHorizontal(once);

        Assert.NotEqual(image.Pixels, once.Pixels);
        Assert.Equal(image.Pixels, twice.Pixels);
        Assert.Equal(At(image, 15, 3), At(once, 0, 3));
        Assert.Equal(At(image, 0, 11), At(once, 15, 11));
    }

    [Theory]
    [InlineData(CropAnchor.Center, 1, 0)]       // (16 - 14) / 2 = 1, (12 - 11) / 2 = 0.5 rounded down
    [InlineData(CropAnchor.TopLeft, 0, 0)]
    [InlineData(CropAnchor.TopRight, 2, 0)]
    [InlineData(CropAnchor.BottomLeft, 0, 1)]
    [InlineData(CropAnchor.BottomRight, 2, 1)]
    public void Crop_Fraction0875_HasRoundedSizeAndAnchoredContent(CropAnchor anchor, int expectedX, int expectedY)
    {
        var image = Gradient();

        var crop = ImageViews.Crop(image, 0.875, anchor);

        Assert.Equal(14, crop.Width);  // 16 * 0.875
        Assert.Equal(11, crop.Height); // 12 * 0.875 = 10.5, rounded away from zero
        Assert.Equal(14 * 11 * 3, crop.Pixels.Length);
        Assert.Equal(At(image, expectedX, expectedY), At(crop, 0, 0));
        Assert.Equal(At(image, expectedX + 13, expectedY + 10), At(crop, 13, 10));
    }

    [Fact]
    public void Crop_RectangleOutsideImage_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageViews.Crop(Gradient(), 10, 0, 7, 5));
    }

    [Fact]
    public void Jitter_SameSeed_SamePixelsAndDifferentSeedDiffers()
    {
        var image = Gradient();

        var first = ImageView.Parse("jitter-1").Apply(image);
        var again = ImageView.Jitter(1).Apply(image);
        var other = ImageView.Jitter(2).Apply(image);

        Assert.Equal(first.Pixels, again.Pixels);
        var jitter = ColorJitter.FromSeed(1);
        Assert.Equal(jitter, ColorJitter.FromSeed(1));
        Assert.NotEqual(jitter, ColorJitter.FromSeed(2));
        Assert.NotEqual(first.Pixels, other.Pixels);
        Assert.NotEqual(image.Pixels, first.Pixels);
        Assert.Equal((image.Width, image.Height), (first.Width, first.Height));
    }

    [Fact]
    public void Jitter_NeutralFactors_LeaveImageUnchanged()
    {
        var image = Gradient();

        var same = ImageViews.Jitter(image, new ColorJitter(1, 1, 1));

        Assert.Equal(image.Pixels, same.Pixels);
    }

    [Fact]
    public void Jitter_ZeroSaturation_GivesGrey()
    {
        var grey = ImageViews.Jitter(Gradient(), new ColorJitter(1, 1, 0));

        for (var p = 0; p < grey.Pixels.Length; p += 3)
        {
            Assert.Equal(grey.Pixels[p], grey.Pixels[p + 1]);
            Assert.Equal(grey.Pixels[p], grey.Pixels[p + 2]);
        }
    }

    [Fact]
    public void FromSeed_FactorsStayWithinStrength()
    {
        for (var seed = 0; seed < 50; seed++)
        {
            var jitter = ColorJitter.FromSeed(seed, 0.2);
            Assert.InRange(jitter.Brightness, 0.8, 1.2);
            Assert.InRange(jitter.Contrast, 0.8, 1.2);
            Assert.InRange(jitter.Saturation, 0.8, 1.2);
        }
    }

    [Fact]
    public void Resize_ConstantImage_StaysConstantAtNewSize()
    {
        var image = new RgbImage(5, 3, Enumerable.Repeat((byte)77, 5 * 3 * 3).ToArray());

        var resized = ImageViews.Resize(image, 8, 9);

        Assert.Equal(8 * 9 * 3, resized.Pixels.Length);
        Assert.All(resized.Pixels, v => Assert.Equal(77, v));
    }

    [Fact]
    public void Resize_HalvingGradient_AveragesNeighbours()
    {
        var image = new RgbImage(4, 1, [0, 0, 0, 100, 100, 100, 200, 200, 200, 250, 250, 250]);

        var half = ImageViews.Resize(image, 2, 1);

        // libvips' lanczos3 lands next to the pair means (50, 225), a level or so off from its lobes.
        Assert.Equal(6, half.Pixels.Length);
        Assert.All(half.Pixels[..3], v => Assert.InRange(v, 47, 53));
        Assert.All(half.Pixels[3..], v => Assert.InRange(v, 222, 228));
    }

    [Fact]
    public void Resize_PhotoToInputSize_SameAsTheCodecsDecodeAtThatSize()
    {
        var codec = new VipsImageCodec();
        var photo = File.ReadAllBytes(Path.Combine(SharedData.Hymenoptera, "train", "ants", "0013035.jpg"));
        var large = codec.DecodeRgb(photo, 448, 448, FitMode.CenterCrop);

        var resized = ImageViews.Resize(large, 224, 224);
        var decoded = codec.DecodeRgb(photo, 224, 224, FitMode.CenterCrop);

        // Both are libvips' resampling of the same photo: they may differ by rounding, not by method.
        var meanDifference = resized.Pixels.Zip(decoded.Pixels, (a, b) => Math.Abs(a - b)).Average();
        Assert.True(meanDifference < 3, $"mean |difference| {meanDifference}");
    }

    [Theory]
    [InlineData("orig")]
    [InlineData("flip")]
    [InlineData("crop-c-0.875")]
    [InlineData("crop-br-0.875")]
    [InlineData("crop-tl-0.5")]
    [InlineData("jitter-3")]
    [InlineData("crop-c-0.875-flip")]
    [InlineData("jitter-3-flip")]
    public void Parse_CanonicalId_RoundTrips(string id)
    {
        Assert.Equal(id, ImageView.Parse(id).Id);
    }

    [Theory]
    [InlineData("crop-tl-0.8750")]
    [InlineData("crop-xx-0.875")]
    [InlineData("crop-tl-1.5")]
    [InlineData("jitter--1")]
    [InlineData("rotate")]
    [InlineData("orig-flip")]
    [InlineData("flip-flip")]
    [InlineData("crop-c-0.875-flip-flip")]
    [InlineData("-flip")]
    public void Parse_UnknownOrNonCanonicalId_ThrowsQuotingIt(string id)
    {
        var error = Assert.Throws<FormatException>(() => ImageView.Parse(id));

        Assert.Contains($"'{id}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_CropDecodedAtDecodeSide_LandsOnInputSizeWithoutResampling()
    {
        var view = ImageView.Parse("crop-tr-0.875");
        var side = view.DecodeSide(224);
        var decoded = Gradient(side, side);

        var rendered = view.Render(decoded, 224);

        Assert.Equal(256, side);
        Assert.Equal((224, 224), (rendered.Width, rendered.Height));
        Assert.Equal(ImageViews.Crop(decoded, 32, 0, 224, 224).Pixels, rendered.Pixels);
    }

    [Fact]
    public void Render_MirroredCentreCrop_IsTheMirrorOfTheCentreCrop()
    {
        var crop = ImageView.Parse("crop-c-0.875");
        var mirrored = ImageView.Parse("crop-c-0.875-flip");
        var decoded = Gradient(crop.DecodeSide(224), crop.DecodeSide(224));

        Assert.Equal(crop.DecodeSide(224), mirrored.DecodeSide(224));
        Assert.Equal(ImageViews.FlipHorizontal(crop.Render(decoded, 224)).Pixels, mirrored.Render(decoded, 224).Pixels);
        Assert.NotEqual(crop.Render(decoded, 224).Pixels, mirrored.Render(decoded, 224).Pixels);
    }

    [Fact]
    public void Presets_PredictOnTheImageNetCentreCropThatTheyAlsoTrainOn()
    {
        foreach (var preset in ModelTypePresets.All)
        {
            Assert.Equal("crop-c-0.875", preset.PredictionView);
            Assert.Contains(preset.PredictionView, preset.TrainingViews);
            Assert.Equal(preset.TestTimeFlip ? ["crop-c-0.875", "crop-c-0.875-flip"] : ["crop-c-0.875"], preset.PredictionViews);
        }
    }

    [Fact]
    public void Presets_EveryViewIdParsesAndIdsAreTheAutoMlNames()
    {
        Assert.Equal(["mobile-low-latency-1", "mobile-versatile-1", "mobile-high-accuracy-1"], ModelTypePresets.All.Select(p => p.Id));
        foreach (var preset in ModelTypePresets.All)
        {
            Assert.All(preset.TrainingViews, id => Assert.Equal(id, ImageView.Parse(id).Id));
            Assert.Equal("mobilenetv2-12-int8", preset.BackboneId);
            Assert.Equal("centernet-mobilenetv3-coco", preset.FallbackBackboneId);
            Assert.All(preset.PredictionViews, id => Assert.Equal(id, ImageView.Parse(id).Id));
        }
        Assert.Equal(HeadKind.Mlp, ModelTypePresets.Get("mobile-high-accuracy-1").HeadOptions(HeadOutput.Softmax).Kind);
        Assert.Equal(HeadOutput.Sigmoid, ModelTypePresets.Get("mobile-versatile-1").HeadOptions(HeadOutput.Sigmoid).Output);
    }

    [Fact]
    public void Presets_UnknownId_ThrowsListingValidOnes()
    {
        var error = Assert.Throws<ArgumentException>(() => ModelTypePresets.Get("cloud-1"));

        Assert.Contains("mobile-versatile-1", error.Message, StringComparison.Ordinal);
    }
}
