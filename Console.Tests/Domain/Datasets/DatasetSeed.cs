using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Imaging;

namespace VisionConsole.Tests.Domain.Datasets;

/// <summary>Image rows written straight to the database, for tests of the dataset services' queries and edits.</summary>
internal static class DatasetSeed
{
    /// <summary>The sha256 a seeded image named <paramref name="text"/> gets.</summary>
    public static string Sha(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>Adds a 640x480 JPEG row with the given split, whole-image labels and box labels; returns its id.</summary>
    public static async Task<long> SeedImageAsync(this TestDatabase database, long datasetId, string fileName, DataSplit split = DataSplit.Unassigned, long[]? labelIds = null, long[]? boxLabelIds = null)
    {
        await using var db = database.OpenContext();
        var image = new Image(datasetId, new StoredImage(Sha(fileName), ImageFormat.Jpeg, 640, 480, 1234, false), fileName, "ann", DateTimeOffset.UtcNow);
        image.OverrideSplit(split);
        foreach (var id in labelIds ?? [])
        {
            image.AddLabel(await db.Labels.SingleAsync(l => l.Id == id));
        }
        foreach (var id in boxLabelIds ?? [])
        {
            image.AddBox(await db.Labels.SingleAsync(l => l.Id == id), new BoxRect(0.1, 0.1, 0.2, 0.2), "ann", DateTimeOffset.UtcNow);
        }
        db.Images.Add(image);
        await db.SaveChangesAsync();
        return image.Id;
    }
}
