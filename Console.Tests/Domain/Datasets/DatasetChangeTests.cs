using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Imaging;
using VisionConsole.Domain.Import;
using VisionConsole.Tests.Domain.Import;

namespace VisionConsole.Tests.Domain.Datasets;

/// <summary>Dataset changes are published once, after the commit, on a real SQLite file; refused changes publish nothing.</summary>
public sealed class DatasetChangeTests : IAsyncLifetime
{
    private TestDatabase _database = null!;

    private IDatasetService Service => _database.Get<IDatasetService>();

    public async Task InitializeAsync() => _database = await TestDatabase.CreateAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task ChangeLabelsAsync_TwoImages_PublishesOneChangeWithTheIdsAndUserAfterTheCommit()
    {
        var dataset = await Service.CreateAsync("insects", DatasetKind.MultiLabel, "ann");
        var bees = await Service.AddLabelAsync(dataset.Id, "bees", "ann");
        var first = await SeedImageAsync(dataset.Id, "a.jpg");
        var second = await SeedImageAsync(dataset.Id, "b.jpg");
        var changes = new List<DatasetChange>();
        var seenByHandler = new List<List<string>>();
        using var subscription = _database.Get<IDatasetChangeNotifier>().Subscribe(change =>
        {
            changes.Add(change);
            // A subscriber reloads from the database: the labels must already be committed when it is told.
            using var db = _database.OpenContext();
            seenByHandler.Add([.. db.ImageLabels.Where(il => change.ImageIds.Contains(il.ImageId)).Select(il => il.Label!.Name)]);
        });

        await Service.ChangeLabelsAsync(dataset.Id, new LabelChange([first, second], [bees.Id], []), "bob");

        var change = Assert.Single(changes);
        Assert.Equal(dataset.Id, change.DatasetId);
        Assert.Equal([first, second], change.ImageIds.Order());
        Assert.Equal((DatasetChangeKind.Labels, "bob", 2, false), (change.Kind, change.User, change.ImageCount, change.Many));
        Assert.Equal(["bees", "bees"], Assert.Single(seenByHandler));
    }

    [Fact]
    public async Task ChangeLabelsAsync_StaleVersionUnknownLabelOrNoChange_PublishesNothing()
    {
        var dataset = await Service.CreateAsync("insects", DatasetKind.SingleLabel, "ann");
        var ants = await Service.AddLabelAsync(dataset.Id, "ants", "ann");
        var image = await SeedImageAsync(dataset.Id, "a.jpg", ants.Id);
        var changes = new List<DatasetChange>();
        using var subscription = _database.Get<IDatasetChangeNotifier>().Subscribe(changes.Add);

        await Assert.ThrowsAsync<ConcurrencyConflictException>(() =>
            Service.ChangeLabelsAsync(dataset.Id, new LabelChange([image], [], [ants.Id], new Dictionary<long, long> { [image] = 1 }), "bob"));
        await Assert.ThrowsAsync<NotFoundException>(() => Service.ChangeLabelsAsync(dataset.Id, new LabelChange([image], [ants.Id + 100], []), "bob"));
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => Service.SetSplitAsync(dataset.Id, image, DataSplit.Test, expectedVersion: 1, "bob"));
        // Already labeled "ants": the images end as they were, nothing to tell anyone.
        var unchanged = await Service.ChangeLabelsAsync(dataset.Id, new LabelChange([image], [ants.Id], []), "bob");

        Assert.False(Assert.Single(unchanged).Changed);
        Assert.Empty(changes);
    }

    [Fact]
    public async Task SetSplitAsync_CurrentVersion_PublishesASplitChangeOfThatImage()
    {
        var dataset = await Service.CreateAsync("insects", DatasetKind.SingleLabel, "ann");
        var image = await SeedImageAsync(dataset.Id, "a.jpg");
        var changes = new List<DatasetChange>();
        using var subscription = _database.Get<IDatasetChangeNotifier>().Subscribe(changes.Add);

        await Service.SetSplitAsync(dataset.Id, image, DataSplit.Test, expectedVersion: 1, "carol");

        var change = Assert.Single(changes);
        Assert.Equal([image], change.ImageIds);
        Assert.Equal((DatasetChangeKind.Split, "carol"), (change.Kind, change.User));
    }

    [Fact]
    public void Of_MoreIdsThanTheCap_LeavesTheListEmptyAndCountsThemAsMany()
    {
        var at = DateTimeOffset.UnixEpoch;

        var many = DatasetChange.Of(7, Enumerable.Range(1, DatasetChange.MaxImageIds + 1).Select(i => (long)i), DatasetChangeKind.Labels, "ann", at);
        var few = DatasetChange.Of(7, [3, 3, 4], DatasetChangeKind.Labels, "ann", at);

        Assert.Empty(many.ImageIds);
        Assert.Equal((DatasetChange.MaxImageIds + 1, true), (many.ImageCount, many.Many));
        Assert.True(many.Affects(12345));
        Assert.Equal([3L, 4L], few.ImageIds);
        Assert.Equal((2, false), (few.ImageCount, few.Many));
        Assert.True(few.Affects(4));
        Assert.False(few.Affects(5));
    }

    [Fact]
    public void Publish_HandlerThrows_OtherHandlersStillGetTheChangeAndThePublisherDoesNotThrow()
    {
        var notifier = _database.Get<IDatasetChangeNotifier>();
        var received = 0;
        using var failing = notifier.Subscribe(_ => throw new InvalidOperationException("subscriber bug"));
        using var counting = notifier.Subscribe(_ => received++);

        notifier.Publish(DatasetChange.Of(1, [1], DatasetChangeKind.Labels, "ann", DateTimeOffset.UnixEpoch));

        Assert.Equal(1, received);
    }

    private async Task<long> SeedImageAsync(long datasetId, string fileName, params long[] labelIds)
    {
        await using var db = _database.OpenContext();
        var sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(fileName)));
        var image = new Image(datasetId, new StoredImage(sha, ImageFormat.Jpeg, 640, 480, 1234, false), fileName, "ann", DateTimeOffset.UtcNow);
        foreach (var id in labelIds)
        {
            image.AddLabel(await db.Labels.SingleAsync(l => l.Id == id));
        }
        db.Images.Add(image);
        await db.SaveChangesAsync();
        return image.Id;
    }
}

/// <summary>Imports and uploads publish their committed images: one change per import batch, one per uploaded file.</summary>
public sealed class ImportChangeTests : IAsyncLifetime
{
    private TestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await ImportJobFixture.CreateAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task RunAsync_HundredRealPhotos_PublishesOneChangePerCommittedBatchVisibleToTheHandler()
    {
        var service = _database.Get<IDatasetService>();
        var dataset = await service.CreateAsync("insects", DatasetKind.SingleLabel, "ann");
        var train = Path.Combine(ImportTestData.Hymenoptera, "train");
        var files = Directory.EnumerateFiles(Path.Combine(train, "ants"), "*.jpg").Order(StringComparer.Ordinal).Take(70)
            .Select(p => new ImportFile("ants/" + Path.GetFileName(p), p))
            .Concat(Directory.EnumerateFiles(Path.Combine(train, "bees"), "*.jpg").Order(StringComparer.Ordinal).Take(30)
                .Select(p => new ImportFile("bees/" + Path.GetFileName(p), p)))
            .ToList();
        var changes = new List<DatasetChange>();
        var visibleInHandler = new List<int>();
        using var subscription = _database.Get<IDatasetChangeNotifier>().Subscribe(change =>
        {
            changes.Add(change);
            using var db = _database.OpenContext();
            visibleInHandler.Add(db.Images.Count(i => change.ImageIds.Contains(i.Id)));
        });

        var result = await _database.ImportAsync(dataset.Id, files);

        Assert.Equal(100, result.Imported + result.Duplicates);
        // 100 images in batches of 64: two commits, two changes, not one per image.
        Assert.Equal(2, changes.Count);
        Assert.All(changes, c => Assert.Equal((dataset.Id, DatasetChangeKind.ImagesAdded, "ann"), (c.DatasetId, c.Kind, c.User)));
        Assert.Equal(changes.Select(c => c.ImageIds.Count), visibleInHandler);
        Assert.True(changes[0].ImageIds.Count <= VisionConsole.Domain.Import.ImportJob.BatchSize);
        var page = await service.QueryImagesAsync(dataset.Id, new ImageQuery(Take: 1000));
        Assert.Equal(page.Items.Select(i => i.Id).Order(), changes.SelectMany(c => c.ImageIds).Distinct().Order());
    }

    [Fact]
    public async Task RunAsync_CancelledAfterABatchWasCommitted_PublishesTheBatchThenOneRemovalOfEverything()
    {
        var dataset = await _database.Get<IDatasetService>().CreateAsync("insects", DatasetKind.SingleLabel, "ann");
        var files = Directory.EnumerateFiles(Path.Combine(ImportTestData.Hymenoptera, "train", "bees"), "*.jpg").Order(StringComparer.Ordinal)
            .Take(ImportJob.BatchSize + 6).Select(p => new ImportFile("bees/" + Path.GetFileName(p), p)).ToList();
        var changes = new List<DatasetChange>();
        using var subscription = _database.Get<IDatasetChangeNotifier>().Subscribe(changes.Add);
        using var cancel = new CancellationTokenSource();
        var progress = new SyncProgress<ImportProgress>(p =>
        {
            if (p.Phase == ImportPhase.Importing && p.Done == ImportJob.BatchSize + 3)
            {
                cancel.Cancel();
            }
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _database.ImportAsync(dataset.Id, files, progress, cancel.Token));

        Assert.Equal([DatasetChangeKind.ImagesAdded, DatasetChangeKind.ImagesRemoved], changes.Select(c => c.Kind));
        Assert.Equal(ImportJob.BatchSize, changes[0].ImageIds.Count);
        // The undo went over many rows at once: no ids, subscribers reload everything.
        Assert.True(changes[1].Many);
        Assert.Equal(ImportJob.BatchSize, changes[1].ImageCount);
    }

    [Fact]
    public async Task AddAsync_RealPhotoThenSameBytesAgain_PublishesTheAddedImageOnce()
    {
        var dataset = await _database.Get<IDatasetService>().CreateAsync("insects", DatasetKind.SingleLabel, "ann");
        var photo = Directory.EnumerateFiles(Path.Combine(ImportTestData.Hymenoptera, "train", "ants"), "*.jpg").Order(StringComparer.Ordinal).First();
        var changes = new List<DatasetChange>();
        using var subscription = _database.Get<IDatasetChangeNotifier>().Subscribe(changes.Add);
        var intake = _database.Get<IImageIntake>();

        IntakeResult added;
        await using (var stream = File.OpenRead(photo))
        {
            added = await intake.AddAsync(dataset.Id, Path.GetFileName(photo), stream, "dan");
        }
        await using (var again = File.OpenRead(photo))
        {
            Assert.True((await intake.AddAsync(dataset.Id, "copy.jpg", again, "dan")).Duplicate);
        }

        var change = Assert.Single(changes);
        Assert.Equal([added.ImageId!.Value], change.ImageIds);
        Assert.Equal((DatasetChangeKind.ImagesAdded, "dan"), (change.Kind, change.User));
    }
}
