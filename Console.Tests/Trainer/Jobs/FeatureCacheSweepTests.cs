using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Imaging;
using VisionConsole.Domain.Import;
using VisionConsole.Domain.Storage;
using VisionConsole.Tests.Domain;
using VisionConsole.Trainer.Imaging;
using VisionConsole.Trainer.Jobs;
using static VisionConsole.Tests.Domain.Import.ImportJobFixture;
using static VisionConsole.Tests.Domain.Import.ImportTestData;

namespace VisionConsole.Tests.Trainer.Jobs;

/// <summary>
/// The feature cache's part of the storage sweep: a real SQLite file, real hymenoptera photos imported through the
/// real blob store, and the real cache files (the vectors are made up: the sweep only reads their keys).
/// </summary>
public sealed class FeatureCacheSweepTests
{
    private const int Dimension = 8;
    private const int ActivationBytes = 20;

    [Fact]
    public async Task SweepAsync_DatasetDeleted_RemovesFeaturesAndCutActivationsOfItsImagesAndKeepsTheOthers()
    {
        await using var db = await TestDatabase.CreateAsync(services =>
        {
            services.AddVipsImaging();
            services.AddOptions<ImageStoreOptions>().Configure<ConsoleOptions>((store, console) => store.BlobFolder = console.BlobFolder);
            services.AddSingleton<FeatureCache>();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IImageDataSweep, FeatureCacheSweep>());
        });
        db.Options.SweepGracePeriod = TimeSpan.Zero;
        using var temp = new TempFolder();
        var files = HymenopteraFiles().Where(f => f.Split == "val").Take(6).Select(f => f.File).ToList();
        var datasets = db.Get<IDatasetService>();
        var keptDataset = await datasets.CreateAsync("kept", DatasetKind.SingleLabel, "ann");
        var deletedDataset = await datasets.CreateAsync("deleted", DatasetKind.SingleLabel, "ann");
        await db.ImportAsync(keptDataset.Id, [new ImportFile("kept.zip", Zip(temp, "kept.zip", files[..4]))]);
        await db.ImportAsync(deletedDataset.Id, [new ImportFile("deleted.zip", Zip(temp, "deleted.zip", files[3..]))]);
        var shas = files.Select(Sha256Of).ToList();
        var kept = shas[..4];
        var removed = shas[4..];

        // One cache file written and closed by an earlier process, one open in this one.
        using (var earlier = new FeatureCache(db.Options))
        {
            foreach (var sha in shas)
                earlier.Add("backbone-a", "flip", sha, VectorOf(sha, 1));
        }
        var cache = db.Get<FeatureCache>();
        foreach (var sha in shas)
            cache.Add("backbone-b", "center", sha, VectorOf(sha, 2));
        // uint8 activations at a fine-tuning cut live beside the vectors and are swept the same way.
        var cut = FeatureCache.CutId("backbone-b", "452_quantized");
        foreach (var sha in shas)
            cache.AddActivation(cut, "center", sha, ActivationOf(sha));

        await datasets.DeleteAsync(deletedDataset.Id, "ann");
        var tallies = await db.Get<StorageSweeper>().SweepAsync();

        var recordBytes = 32 + Dimension * sizeof(float);
        var activationRecordBytes = 32 + ActivationBytes;
        Assert.Equal(new SweepTally(FeatureCacheSweep.SweepName, 3 * removed.Count, removed.Count * (2L * recordBytes + activationRecordBytes)), tallies.Single(t => t.Name == FeatureCacheSweep.SweepName));
        // The open cache answers at once; a fresh one reads the rewritten files.
        using var reopened = new FeatureCache(db.Options);
        foreach (var reader in new[] { cache, reopened })
        {
            AssertHolds(reader, "backbone-a", "flip", kept, removed, 1);
            AssertHolds(reader, "backbone-b", "center", kept, removed, 2);
            var activation = new byte[ActivationBytes];
            foreach (var sha in kept)
            {
                Assert.True(reader.TryGetActivation(cut, "center", sha, activation), $"{cut}/center lost {sha}");
                Assert.Equal(ActivationOf(sha), activation);
            }
            Assert.All(removed, sha => Assert.False(reader.ContainsActivation(cut, "center", sha, ActivationBytes), $"{cut}/center still holds {sha}"));
        }
        Assert.Equal(16 + kept.Count * activationRecordBytes, new FileInfo(Path.Combine(db.Options.DataFolder, "features", cut, "center.u8")).Length);
        Assert.Equal(16 + kept.Count * recordBytes, new FileInfo(Path.Combine(db.Options.DataFolder, "features", "backbone-a", "flip.f32")).Length);
        // The rewritten file takes new vectors where the old ones were.
        cache.Add("backbone-b", "center", removed[0], VectorOf(removed[0], 3));
        var back = new float[Dimension];
        Assert.True(cache.TryGet("backbone-b", "center", removed[0], Dimension, back));
        Assert.Equal(VectorOf(removed[0], 3), back);
    }

    private static void AssertHolds(FeatureCache cache, string backbone, string view, List<string> kept, List<string> removed, int salt)
    {
        var vector = new float[Dimension];
        foreach (var sha in kept)
        {
            Assert.True(cache.TryGet(backbone, view, sha, Dimension, vector), $"{backbone}/{view} lost {sha}");
            Assert.Equal(VectorOf(sha, salt), vector);
        }
        foreach (var sha in removed)
            Assert.False(cache.Contains(backbone, view, sha, Dimension), $"{backbone}/{view} still holds {sha}");
    }

    private static string Zip(TempFolder temp, string name, IEnumerable<string> files) =>
        WriteZip(temp.File(name), files.Select(f => ($"insects/{Path.GetFileName(f)}", (string?)f, (byte[]?)null)));

    private static byte[] ActivationOf(string sha256) => Convert.FromHexString(sha256[..(2 * ActivationBytes)]);

    private static float[] VectorOf(string sha256, int salt) =>
        Enumerable.Range(0, Dimension).Select(i => Convert.ToInt32(sha256.Substring(i * 2, 2), 16) + (salt * 1000f) + i).ToArray();
}
