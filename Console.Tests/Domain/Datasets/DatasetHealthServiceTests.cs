using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using VisionConsole.Domain.Imaging;
using VisionConsole.Tests.Domain.Import;
using VisionConsole.Trainer.Imaging;

namespace VisionConsole.Tests.Domain.Datasets;

/// <summary>
/// The health statistics over rows in a real SQLite file; near-duplicates over real photos stored through the intake
/// (libvips). Rows seeded without blobs have no hash and take no part in the duplicate search.
/// </summary>
public sealed class DatasetHealthServiceTests : IAsyncLifetime
{
    private TestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await TestDatabase.CreateAsync(services => services.AddVipsImaging()
        .AddOptions<ImageStoreOptions>().Configure<ConsoleOptions>((store, console) => store.BlobFolder = console.BlobFolder));

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
    public async Task GetAsync_PhotosWithResizedCopies_GroupsEachPhotoWithItsCopyAndPutsTheGroupSpanningSplitsFirst()
    {
        var (datasetId, originals, copies) = await AddPhotosWithCopiesAsync();

        var health = await _database.Get<DatasetHealthService>().GetAsync(datasetId);

        Assert.Equal((8, 2), (health.ImageCount, health.DuplicateGroupCount));
        Assert.Equal(
            [([originals[1], copies[1]], true), ([originals[0], copies[0]], false)],
            health.Duplicates.Select(g => (g.Images.Select(i => i.ImageId).ToList(), g.CrossesSplits)));
        Assert.Equal([DataSplit.Train, DataSplit.Test], health.Duplicates[0].Images.Select(i => i.Split));
        Assert.Equal(["ant-1.jpg", "copy-of-ant-1.jpg"], health.Duplicates[0].Images.Select(i => i.FileName));
        var warning = Assert.Single(health.Warnings, w => w.Code == "duplicates");
        Assert.StartsWith("2 group(s) of near-identical images (4 images", warning.Message, StringComparison.Ordinal);
        Assert.Contains("1 of them span more than one split", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetAsync_ImagesStoredBeforeHashesWereKept_HashesThemFromTheirThumbnailsOnceAndFindsTheSameGroups()
    {
        var (datasetId, originals, copies) = await AddPhotosWithCopiesAsync();
        await using (var db = _database.OpenContext())
        {
            var stored = await db.Images.OrderBy(i => i.Id).Select(i => i.PerceptualHash).ToListAsync();
            Assert.All(stored, hash => Assert.NotNull(hash));
            await db.Images.ExecuteUpdateAsync(set => set.SetProperty(i => i.PerceptualHash, (long?)null));

            var health = await _database.Get<DatasetHealthService>().GetAsync(datasetId);

            Assert.Equal([[originals[1], copies[1]], [originals[0], copies[0]]], health.Duplicates.Select(g => g.Images.Select(i => i.ImageId).ToList()));
            Assert.Equal(stored, await db.Images.OrderBy(i => i.Id).Select(i => i.PerceptualHash).ToListAsync());
        }
    }

    [Fact]
    public async Task GetAsync_UnknownDataset_IsNotFound() =>
        await Assert.ThrowsAsync<NotFoundException>(() => _database.Get<DatasetHealthService>().GetAsync(4242));

    /// <summary>
    /// Six ant photos and resized, re-encoded copies of the first two: ant-0 and its copy both TRAIN, ant-1 TRAIN and
    /// its copy TEST. Returns the ids of ant-0, ant-1 and of the two copies.
    /// </summary>
    private async Task<(long DatasetId, long[] Originals, long[] Copies)> AddPhotosWithCopiesAsync()
    {
        var codec = _database.Get<IImageCodec>();
        var intake = _database.Get<IImageIntake>();
        var dataset = await _database.Get<IDatasetService>().CreateAsync("copies", DatasetKind.SingleLabel, "ann");
        var photos = Directory.EnumerateFiles(Path.Combine(ImportTestData.Hymenoptera, "train", "ants"), "*.jpg")
            .Order(StringComparer.Ordinal).Take(6).Select(File.ReadAllBytes).ToList();
        async Task<long> AddAsync(string name, byte[] bytes)
        {
            using var stream = new MemoryStream(bytes);
            var result = await intake.AddAsync(dataset.Id, name, stream, "ann");
            Assert.True(result.Accepted && !result.Duplicate, result.Error);
            return result.ImageId!.Value;
        }
        var ids = new List<long>();
        for (var i = 0; i < photos.Count; i++)
        {
            ids.Add(await AddAsync($"ant-{i}.jpg", photos[i]));
        }
        long[] copies = [await AddAsync("copy-of-ant-0.jpg", codec.MakeThumbnail(photos[0], 300)), await AddAsync("copy-of-ant-1.jpg", codec.MakeThumbnail(photos[1], 300))];
        await using var db = _database.OpenContext();
        foreach (var image in await db.Images.Where(i => i.DatasetId == dataset.Id).ToListAsync())
        {
            image.OverrideSplit(image.Id == copies[1] ? DataSplit.Test : DataSplit.Train);
        }
        await db.SaveChangesAsync();
        return (dataset.Id, [ids[0], ids[1]], copies);
    }

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
