using System.Security.Cryptography;
using System.Text;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Imaging;

namespace VisionConsole.Tests.Domain.Datasets;

public class SplitAssignmentTests
{
    private static string Sha(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    [Theory]
    // First 64 bits mod 100, worked out independently (Python hashlib): "1" -> 13, "5" -> 83, "8" -> 95.
    [InlineData("1", DataSplit.Train)]
    [InlineData("5", DataSplit.Validation)]
    [InlineData("8", DataSplit.Test)]
    public void ForSha256_KnownHash_GivesPinnedSplit(string text, DataSplit expected)
    {
        Assert.Equal(expected, SplitAssignment.ForSha256(Sha(text)));
    }

    [Fact]
    public void ForSha256_SameHashTwice_SameSplit()
    {
        var hashes = Enumerable.Range(0, 200).Select(i => Sha($"image-{i}")).ToList();

        var first = hashes.Select(SplitAssignment.ForSha256).ToList();
        var second = hashes.Select(SplitAssignment.ForSha256).ToList();

        Assert.Equal(first, second);
    }

    [Fact]
    public void ForSha256_ThousandHashes_RoughlyEightyTenTen()
    {
        var counts = Enumerable.Range(0, 1000)
            .Select(i => SplitAssignment.ForSha256(Sha($"photo-{i}.jpg")))
            .GroupBy(s => s)
            .ToDictionary(g => g.Key, g => g.Count());

        Assert.InRange(counts[DataSplit.Train], 750, 850);
        Assert.InRange(counts[DataSplit.Validation], 70, 130);
        Assert.InRange(counts[DataSplit.Test], 70, 130);
        Assert.False(counts.ContainsKey(DataSplit.Unassigned));
    }

    [Fact]
    public void Resolve_UserChoseSplit_ChoiceWinsOverHash()
    {
        var trainByHash = Sha("1");

        Assert.Equal(DataSplit.Test, SplitAssignment.Resolve(DataSplit.Test, trainByHash));
        Assert.Equal(DataSplit.Train, SplitAssignment.Resolve(DataSplit.Unassigned, trainByHash));
    }

    [Fact]
    public void OverrideSplit_OnImage_ChangesEffectiveSplitAndVersion()
    {
        var image = new Image(1, new StoredImage(Sha("1"), ImageFormat.Jpeg, 10, 10, 100, false), "a.jpg", "ann", DateTimeOffset.UnixEpoch);
        Assert.Equal(DataSplit.Train, image.EffectiveSplit);

        image.OverrideSplit(DataSplit.Validation);

        Assert.Equal(DataSplit.Validation, image.Split);
        Assert.Equal(DataSplit.Validation, image.EffectiveSplit);
        Assert.Equal(2, image.Version);

        image.OverrideSplit(DataSplit.Unassigned);
        Assert.Equal(DataSplit.Train, image.EffectiveSplit);
    }
}
