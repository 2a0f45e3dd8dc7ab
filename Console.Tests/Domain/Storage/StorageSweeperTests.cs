using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Imaging;
using VisionConsole.Domain.Import;
using VisionConsole.Domain.Storage;
using VisionConsole.Tests.Domain.Import;
using VisionConsole.Trainer.Imaging;
using static VisionConsole.Tests.Domain.Import.ImportJobFixture;
using static VisionConsole.Tests.Domain.Import.ImportTestData;

namespace VisionConsole.Tests.Domain.Storage;

/// <summary>The storage sweep on a real SQLite file and the real libvips blob store, with real hymenoptera photos.</summary>
public sealed class StorageSweeperTests
{
    [Fact]
    public async Task DeleteAsync_OneOfTwoDatasetsSharingAnImage_SweepKeepsTheSharedBlobAndRemovesTheOthersWithThumbnails()
    {
        await using var db = await ImportJobFixture.CreateAsync();
        db.Options.SweepGracePeriod = TimeSpan.Zero;
        await using var sweeps = await SweepServiceRun.StartAsync(db);
        using var temp = new TempFolder();
        var files = HymenopteraFiles().Where(f => f.Label == "bees").Take(4).Select(f => f.File).ToList();
        var datasets = db.Get<IDatasetService>();
        var deleted = await datasets.CreateAsync("deleted", DatasetKind.SingleLabel, "ann");
        var kept = await datasets.CreateAsync("kept", DatasetKind.SingleLabel, "ann");
        await db.ImportAsync(deleted.Id, [new ImportFile("a.zip", Zip(temp, "a.zip", files[0], files[1], files[2]))]);
        await db.ImportAsync(kept.Id, [new ImportFile("b.zip", Zip(temp, "b.zip", files[2], files[3]))]);
        var store = (ImageStore)db.Get<IImageStore>();
        var shas = files.Select(Sha256Of).ToList();
        Assert.All(shas, sha => Assert.True(File.Exists(store.OriginalPath(sha)) && File.Exists(store.ThumbnailPath(sha)), sha));
        var onlyDeleted = shas[0..2];

        await datasets.DeleteAsync(deleted.Id, "ann");
        await db.Get<StorageSweepSignal>().WhenSweptAsync();

        foreach (var sha in onlyDeleted)
        {
            Assert.False(File.Exists(store.OriginalPath(sha)), $"original of {sha} should be removed");
            Assert.False(File.Exists(store.ThumbnailPath(sha)), $"thumbnail of {sha} should be removed");
        }
        foreach (var sha in shas[2..])
        {
            Assert.True(File.Exists(store.OriginalPath(sha)), $"original of {sha} should stay");
            Assert.True(File.Exists(store.ThumbnailPath(sha)), $"thumbnail of {sha} should stay");
            Assert.Equal(await File.ReadAllBytesAsync(files[shas.IndexOf(sha)]), await store.ReadOriginalAsync(sha));
        }
        // A second sweep finds nothing more: what it reports is what the first left.
        var again = await db.Get<StorageSweeper>().SweepAsync();
        Assert.Equal(new SweepTally(StorageSweeper.BlobsName, 0, 0), again.Single(t => t.Name == StorageSweeper.BlobsName));
    }

    [Fact]
    public async Task SweepAsync_DatasetDeleted_ReportsTheImagesAndBytesItRemoved()
    {
        await using var db = await ImportJobFixture.CreateAsync();
        db.Options.SweepGracePeriod = TimeSpan.Zero;
        using var temp = new TempFolder();
        var files = HymenopteraFiles().Where(f => f.Label == "ants").Take(3).Select(f => f.File).ToList();
        var datasets = db.Get<IDatasetService>();
        var dataset = await datasets.CreateAsync("ants", DatasetKind.SingleLabel, "ann");
        await db.ImportAsync(dataset.Id, [new ImportFile("a.zip", Zip(temp, "a.zip", [.. files]))]);
        var store = (ImageStore)db.Get<IImageStore>();
        var bytes = files.Select(Sha256Of).Sum(sha => new FileInfo(store.OriginalPath(sha)).Length + new FileInfo(store.ThumbnailPath(sha)).Length);
        await datasets.DeleteAsync(dataset.Id, "ann");

        var tallies = await db.Get<StorageSweeper>().SweepAsync();

        Assert.Equal(new SweepTally(StorageSweeper.BlobsName, 3, bytes), tallies.Single(t => t.Name == StorageSweeper.BlobsName));
        Assert.Empty(StoredOriginals(db));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(db.Options.BlobFolder, "thumbs"), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task RunAsync_CancelledAfterABatchWasCommitted_SweepLeavesNoBlobsBehind()
    {
        await using var db = await ImportJobFixture.CreateAsync();
        db.Options.SweepGracePeriod = TimeSpan.Zero;
        await using var sweeps = await SweepServiceRun.StartAsync(db);
        var files = HymenopteraFiles().Where(f => f.Label == "bees").Take(ImportJob.BatchSize + 6).ToList();
        using var temp = new TempFolder();
        var zip = WriteZip(temp.File("bees.zip"), files.Select(f => ($"bees/{Path.GetFileName(f.File)}", (string?)f.File, (byte[]?)null)));
        var dataset = await db.Get<IDatasetService>().CreateAsync("insects", DatasetKind.SingleLabel, "ann");
        using var cancel = new CancellationTokenSource();
        var blobsBeforeCancel = 0;
        var progress = new SyncProgress<ImportProgress>(p =>
        {
            if (p.Phase == ImportPhase.Importing && p.Done == ImportJob.BatchSize + 3)
            {
                blobsBeforeCancel = StoredOriginals(db).Count;
                cancel.Cancel();
            }
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => db.ImportAsync(dataset.Id, [new ImportFile("bees.zip", zip)], progress, cancel.Token));
        await db.Get<StorageSweepSignal>().WhenSweptAsync();

        // The import had stored (and committed rows for) more than a batch; the sweep it asked for removed them all.
        Assert.Equal(ImportJob.BatchSize + 3, blobsBeforeCancel);
        await using (var check = db.OpenContext())
        {
            Assert.Equal(0, await check.Images.CountAsync());
        }
        Assert.Empty(StoredOriginals(db));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(db.Options.BlobFolder, "thumbs"), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task SweepAsync_UnreferencedBlobNewerThanTheGracePeriod_IsKeptAndAnOlderOneRemoved()
    {
        await using var db = await ImportJobFixture.CreateAsync();
        db.Options.SweepGracePeriod = TimeSpan.FromHours(1);
        var store = (ImageStore)db.Get<IImageStore>();
        var files = HymenopteraFiles().Where(f => f.Label == "ants").Take(2).Select(f => f.File).ToList();
        // Stored as an intake does before it commits the row: no image refers to either yet.
        var fresh = await StoreAsync(store, files[0]);
        var old = await StoreAsync(store, files[1]);
        Backdate(store, old.Sha256, TimeSpan.FromHours(2));

        var tallies = await db.Get<StorageSweeper>().SweepAsync();

        Assert.True(File.Exists(store.OriginalPath(fresh.Sha256)) && File.Exists(store.ThumbnailPath(fresh.Sha256)));
        Assert.False(File.Exists(store.OriginalPath(old.Sha256)) || File.Exists(store.ThumbnailPath(old.Sha256)));
        var blobs = tallies.Single(t => t.Name == StorageSweeper.BlobsName);
        Assert.Equal((1L, 1L), (blobs.Removed, blobs.Deferred));
    }

    [Fact]
    public async Task SweepService_UnreferencedBlobTooYoungAtTheSweep_IsRemovedOneGracePeriodLaterWithoutAnotherRequest()
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var db = await TestDatabase.CreateAsync(services =>
        {
            services.AddVipsImaging();
            services.AddOptions<ImageStoreOptions>().Configure<ConsoleOptions>((store, console) => store.BlobFolder = console.BlobFolder);
            services.AddSingleton<TimeProvider>(clock);
        });
        db.Options.SweepGracePeriod = TimeSpan.FromHours(1);
        await using var sweeps = await SweepServiceRun.StartAsync(db);
        var store = (ImageStore)db.Get<IImageStore>();
        var signal = db.Get<StorageSweepSignal>();
        // What a cancelled import leaves: a blob no row refers to, written just now.
        var orphan = await StoreAsync(store, HymenopteraFiles().First(f => f.Label == "ants").File);

        await signal.RequestSweep();
        Assert.True(File.Exists(store.OriginalPath(orphan.Sha256)), "Inside the grace period the blob is kept.");

        // Only the clock moves: the service's own follow-up sweep removes it.
        clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(2));
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (File.Exists(store.OriginalPath(orphan.Sha256)) || File.Exists(store.ThumbnailPath(orphan.Sha256)))
        {
            Assert.False(patience.IsCancellationRequested, "No follow-up sweep removed the blob after the clock passed the grace period.");
            await signal.WhenSweptAsync();
            await Task.Delay(20, CancellationToken.None);
        }
    }

    [Fact]
    public async Task SweepAsync_OldBlobStoredAgainBeforeItsRowCommits_IsKept()
    {
        await using var db = await ImportJobFixture.CreateAsync();
        db.Options.SweepGracePeriod = TimeSpan.FromHours(1);
        var store = (ImageStore)db.Get<IImageStore>();
        var file = HymenopteraFiles().First(f => f.Label == "bees").File;
        var first = await StoreAsync(store, file);
        Backdate(store, first.Sha256, TimeSpan.FromHours(2));

        // An upload of the same bytes finds them stored (old, unreferenced) and is about to commit its row.
        var again = await StoreAsync(store, file);
        var tallies = await db.Get<StorageSweeper>().SweepAsync();

        Assert.True(again.AlreadyStored);
        Assert.True(File.Exists(store.OriginalPath(first.Sha256)));
        Assert.Equal(0, tallies.Single(t => t.Name == StorageSweeper.BlobsName).Removed);
    }

    private static async Task<StoredImage> StoreAsync(IImageStore store, string path)
    {
        await using var stream = File.OpenRead(path);
        return await store.StoreAsync(Path.GetFileName(path), stream);
    }

    private static void Backdate(ImageStore store, string sha256, TimeSpan age)
    {
        var then = DateTime.UtcNow - age;
        File.SetLastWriteTimeUtc(store.OriginalPath(sha256), then);
        File.SetLastWriteTimeUtc(store.ThumbnailPath(sha256), then);
    }

    private static List<string> StoredOriginals(TestDatabase db) =>
        Directory.EnumerateDirectories(db.Options.BlobFolder)
            .Where(d => Path.GetFileName(d).Length == 2)
            .SelectMany(Directory.EnumerateFiles)
            .ToList();

    private static string Zip(TempFolder temp, string name, params string[] files) =>
        WriteZip(temp.File(name), files.Select(f => ($"bees/{Path.GetFileName(f)}", (string?)f, (byte[]?)null)));
}

/// <summary>The domain's hosted <see cref="StorageSweepService"/> running over a test database, as the console runs it.</summary>
internal sealed class SweepServiceRun : IAsyncDisposable
{
    private readonly IHostedService _service;

    private SweepServiceRun(IHostedService service) => _service = service;

    /// <summary>Starts the service and waits for its start-up sweep, so the test's own files are not part of it.</summary>
    public static async Task<SweepServiceRun> StartAsync(TestDatabase db)
    {
        var service = db.Services.GetServices<IHostedService>().OfType<StorageSweepService>().Single();
        await service.StartAsync(CancellationToken.None);
        await db.Get<StorageSweepSignal>().WhenSweptAsync();
        return new SweepServiceRun(service);
    }

    public async ValueTask DisposeAsync() => await _service.StopAsync(CancellationToken.None);
}
