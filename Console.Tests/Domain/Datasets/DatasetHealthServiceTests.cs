using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Imaging;

namespace VisionConsole.Tests.Domain.Datasets;

/// <summary>The health statistics over rows in a real SQLite file (image bytes play no part in them).</summary>
public sealed class DatasetHealthServiceTests : IAsyncLifetime
{
    private TestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await TestDatabase.CreateAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task GetAsync_ImbalancedClassificationSet_CountsPerLabelAndSplitAndWarnsImbalanceFewImagesAndUnlabeled()
    {
        var datasetId = await SeedAsync(DatasetKind.SingleLabel, db =>
        {
            var labels = db.Labels;
            var images = new List<Image>();
            // 202 "common" images (101 TRAIN, 101 UNASSIGNED), 2 "rare" (VALIDATION), 3 unlabeled, 1 label with none.
            for (var i = 0; i < 202; i++)
                images.Add(NewImage(db.Dataset, $"common-{i}", i % 2 == 0 ? DataSplit.Train : DataSplit.Unassigned, labels["common"]));
            for (var i = 0; i < 2; i++)
                images.Add(NewImage(db.Dataset, $"rare-{i}", DataSplit.Validation, labels["rare"]));
            for (var i = 0; i < 3; i++)
                images.Add(NewImage(db.Dataset, $"none-{i}", DataSplit.Test));
            return images;
        }, "common", "rare", "unused");

        var health = await _database.Get<DatasetHealthService>().GetAsync(datasetId);

        Assert.Equal((207, 3, 0), (health.ImageCount, health.UnlabeledCount, health.BoxCount));
        Assert.Equal([("common", 202), ("rare", 2), ("unused", 0)], health.Labels.Select(l => (l.Name, l.ImageCount)));
        var unassigned = Enumerable.Range(0, 202).Where(i => i % 2 == 1).Select(i => SplitAssignment.ForSha256(Sha($"common-{i}"))).ToList();
        Assert.Equal(
            [
                (DataSplit.Unassigned, 101, 0),
                (DataSplit.Train, 101, 101 + unassigned.Count(s => s == DataSplit.Train)),
                (DataSplit.Validation, 2, 2 + unassigned.Count(s => s == DataSplit.Validation)),
                (DataSplit.Test, 3, 3 + unassigned.Count(s => s == DataSplit.Test)),
            ],
            health.Splits.Select(s => (s.Split, s.Stored, s.Effective)));
        Assert.Equal(
            ["imbalance", "few-images:rare", "few-images:unused", "unlabeled"],
            health.Warnings.Select(w => w.Code + (w.Code == "few-images" ? ":" + health.Labels.Single(l => l.LabelId == w.LabelId).Name : "")));
        Assert.Contains("'common' has 202 images, 'rare' only 2", health.Warnings[0].Message, StringComparison.Ordinal);
        Assert.Empty(health.Duplicates);
        Assert.All(health.BoxAreas, b => Assert.Equal(0, b.Count));
    }

    [Fact]
    public async Task GetAsync_DetectionSet_BoxAreaHistogramTinyBoxesAndPerLabelBoxCounts()
    {
        var datasetId = await SeedAsync(DatasetKind.ObjectDetection, db =>
        {
            var labels = db.Labels;
            var a = NewImage(db.Dataset, "a", DataSplit.Train);
            a.AddBox(labels["car"], new BoxRect(0, 0, 1, 1), "ann", DateTimeOffset.UtcNow);             // area 1 -> last bucket
            a.AddBox(labels["car"], new BoxRect(0.1, 0.1, 0.2, 0.2), "ann", DateTimeOffset.UtcNow);     // 0.04 -> [0.01, 0.05)
            a.AddBox(labels["person"], new BoxRect(0.5, 0.5, 0.005, 0.5), "ann", DateTimeOffset.UtcNow); // 0.0025, tiny width
            var b = NewImage(db.Dataset, "b", DataSplit.Train);
            b.AddBox(labels["person"], new BoxRect(0.2, 0.2, 0.5, 0.6), "ann", DateTimeOffset.UtcNow);  // 0.3 -> [0.25, 0.5)
            b.AddBox(labels["person"], new BoxRect(0.0, 0.0, 0.02, 0.009), "ann", DateTimeOffset.UtcNow); // 0.00018 -> [0, 0.001), tiny height
            var c = NewImage(db.Dataset, "c", DataSplit.Validation);
            return [a, b, c];
        }, "car", "person");

        var health = await _database.Get<DatasetHealthService>().GetAsync(datasetId);

        Assert.Equal((3, 1, 5), (health.ImageCount, health.UnlabeledCount, health.BoxCount));
        Assert.Equal([("car", 1, 2), ("person", 2, 3)], health.Labels.Select(l => (l.Name, l.ImageCount, l.BoxCount)));
        Assert.Equal([1, 1, 1, 0, 0, 1, 1], health.BoxAreas.Select(b => b.Count));
        Assert.Equal([(0, 0.001), (0.001, 0.01), (0.01, 0.05), (0.05, 0.1), (0.1, 0.25), (0.25, 0.5), (0.5, 1.0)], health.BoxAreas.Select(b => (b.MinArea, b.MaxArea)));
        Assert.Equal(2, health.TinyBoxCount);
        Assert.Equal([("person", 0.005, 0.5), ("person", 0.02, 0.009)], health.TinyBoxes.Select(t => (t.Label, t.Width, t.Height)));
        Assert.Contains(health.Warnings, w => w.Code == "tiny-boxes" && w.Message.StartsWith("2 box(es)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetAsync_UnknownDataset_IsNotFound() =>
        await Assert.ThrowsAsync<NotFoundException>(() => _database.Get<DatasetHealthService>().GetAsync(4242));

    private sealed record Seed(Dataset Dataset, Dictionary<string, Label> Labels);

    private async Task<long> SeedAsync(DatasetKind kind, Func<Seed, List<Image>> images, params string[] labelNames)
    {
        var summary = await _database.Get<IDatasetService>().CreateAsync("health", kind, "ann");
        foreach (var name in labelNames)
            await _database.Get<IDatasetService>().AddLabelAsync(summary.Id, name, "ann");
        await using var db = _database.OpenContext();
        var dataset = db.Datasets.Single(d => d.Id == summary.Id);
        var labels = db.Labels.Where(l => l.DatasetId == summary.Id).ToDictionary(l => l.Name);
        db.Images.AddRange(images(new Seed(dataset, labels)));
        await db.SaveChangesAsync();
        return summary.Id;
    }

    private static Image NewImage(Dataset dataset, string name, DataSplit split, Label? label = null)
    {
        var image = new Image(dataset.Id, new StoredImage(Sha(name), ImageFormat.Jpeg, 640, 480, 1000, false), name + ".jpg", "ann", DateTimeOffset.UtcNow);
        image.OverrideSplit(split);
        if (label is not null)
            image.AddLabel(label);
        return image;
    }

    private static string Sha(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
