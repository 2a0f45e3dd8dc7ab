using VisionConsole.Domain.Imaging;
using VisionConsole.Trainer.Imaging;

namespace VisionConsole.Tests.Domain.Imaging;

public sealed class PerceptualHashTests
{
    private static readonly VipsImageCodec Codec = new();

    [Fact]
    public void FromRgb_DarkeningLeftToRightInEveryRow_SetsEveryBit()
    {
        var image = Cells((x, _) => (byte)(250 - (25 * x)));

        Assert.Equal(-1L, PerceptualHash.FromRgb(image));
    }

    [Fact]
    public void FromRgb_BrighterCellOnlyAtTheStartOfRowThree_SetsOnlyThatRowsFirstBit()
    {
        var image = Cells((x, y) => (byte)(y == 3 && x == 0 ? 200 : 100));

        Assert.Equal(1L << (3 * 8), PerceptualHash.FromRgb(image));
    }

    [Fact]
    public void FromRgb_WrongSize_ThrowsNamingTheSizes()
    {
        var error = Assert.Throws<ArgumentException>(() => PerceptualHash.FromRgb(new RgbImage(9, 8, new byte[9 * 8 * 3])));

        Assert.Contains("36 x 32", error.Message, StringComparison.Ordinal);
        Assert.Contains("got 9 x 8", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compute_PhotoAndItsResizedReencodedCopy_AreWithinTheDuplicateDistanceAndOtherPhotosAreNot()
    {
        var folder = Path.Combine(Import.ImportTestData.Hymenoptera, "train", "bees");
        var photos = Directory.EnumerateFiles(folder, "*.jpg").Order(StringComparer.Ordinal).Take(12).Select(File.ReadAllBytes).ToList();
        var hashes = photos.Select(p => PerceptualHash.Compute(Codec, Codec.MakeThumbnail(p, 256))).ToList();

        for (var i = 0; i < photos.Count; i++)
        {
            // What a user's second copy typically is: smaller and re-encoded.
            var copy = Codec.MakeThumbnail(photos[i], 300);
            var copyHash = PerceptualHash.Compute(Codec, Codec.MakeThumbnail(copy, 256));
            Assert.InRange(PerceptualHash.Distance(hashes[i], copyHash), 0, VisionConsole.Domain.Datasets.DatasetHealthService.MaxDuplicateDistance);
            for (var j = i + 1; j < photos.Count; j++)
            {
                Assert.True(PerceptualHash.Distance(hashes[i], hashes[j]) > VisionConsole.Domain.Datasets.DatasetHealthService.MaxDuplicateDistance, $"photos {i} and {j}");
            }
        }
    }

    /// <summary>A 36 x 32 grey image whose 4 x 4 cells take the value the function gives for cell (x, y).</summary>
    private static RgbImage Cells(Func<int, int, byte> cell)
    {
        var pixels = new byte[36 * 32 * 3];
        for (var y = 0; y < 32; y++)
        {
            for (var x = 0; x < 36; x++)
            {
                pixels.AsSpan(3 * ((y * 36) + x), 3).Fill(cell(x / 4, y / 4));
            }
        }
        return new RgbImage(36, 32, pixels);
    }
}
