using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;

namespace VisionConsole.Tests.Domain.Datasets;

/// <summary>The labeling queue's leases and the review on a real SQLite file, with a clock the tests move.</summary>
public sealed class LabelingQueueTests : IAsyncLifetime
{
    private readonly ManualTimeProvider _clock = new(new DateTimeOffset(2026, 12, 4, 9, 0, 0, TimeSpan.Zero));
    private readonly List<DatasetChange> _published = [];
    private TestDatabase _database = null!;

    private LabelingQueue Queue => _database.Get<LabelingQueue>();

    private IDatasetService Datasets => _database.Get<IDatasetService>();

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync(services => services.AddSingleton<TimeProvider>(_clock));
        _database.Get<IDatasetChangeNotifier>().Subscribe(c => _published.Add(c));
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task NextAsync_TwoLabelers_EachGetsAnotherImageAndAgainTheirOwn()
    {
        var (dataset, _) = await InsectsAsync(3);

        var ann = await Queue.NextAsync(dataset, "ann");
        var bob = await Queue.NextAsync(dataset, "bob");
        var annAgain = await Queue.NextAsync(dataset, "ann");

        Assert.NotNull(ann);
        Assert.NotNull(bob);
        Assert.NotEqual(ann.ImageId, bob.ImageId);
        Assert.Equal(ann.ImageId, annAgain!.ImageId);
        Assert.Equal(1, bob.Waiting);
        Assert.Equal(_clock.GetUtcNow() + LabelingQueue.LeaseDuration, ann.LeaseExpiresAt);
    }

    [Fact]
    public async Task NextAsync_EightLabelersAtOnce_NeverTheSameImage()
    {
        var (dataset, _) = await InsectsAsync(8);

        var items = await Task.WhenAll(Enumerable.Range(0, 8).Select(n => Task.Run(() => Queue.NextAsync(dataset, $"labeler{n}"))));

        Assert.All(items, Assert.NotNull);
        Assert.Equal(8, items.Select(i => i!.ImageId).Distinct().Count());
        await using var db = _database.OpenContext();
        Assert.Equal(8, await db.ImageLeases.CountAsync());
    }

    [Fact]
    public async Task NextAsync_LabelerLeftAndLeaseLapsed_ImageGoesToTheNextLabeler()
    {
        var (dataset, _) = await InsectsAsync(1);
        var ann = await Queue.NextAsync(dataset, "ann");
        Assert.Null(await Queue.NextAsync(dataset, "bob")); // held: nothing for bob

        _clock.Advance(LabelingQueue.LeaseDuration + TimeSpan.FromSeconds(1));
        var bob = await Queue.NextAsync(dataset, "bob");

        Assert.Equal(ann!.ImageId, bob!.ImageId);
        var lost = await Assert.ThrowsAsync<DomainException>(() => Queue.RenewAsync(dataset, ann.ImageId, "ann"));
        Assert.Equal("lease-lost", lost.Code);
        Assert.Contains("bob took it", lost.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NextAsync_Skipping_HandsAnotherAndTheSkippedOneGoesToTheNextLabeler()
    {
        var (dataset, _) = await InsectsAsync(2);
        var first = await Queue.NextAsync(dataset, "ann");

        var second = await Queue.NextAsync(dataset, "ann", skipping: first!.ImageId);
        var bob = await Queue.NextAsync(dataset, "bob");

        Assert.NotEqual(first.ImageId, second!.ImageId);
        Assert.Equal(first.ImageId, bob!.ImageId);
    }

    [Fact]
    public async Task RenewAsync_Holder_ExtendsFromNow()
    {
        var (dataset, _) = await InsectsAsync(1);
        var ann = await Queue.NextAsync(dataset, "ann");
        _clock.Advance(TimeSpan.FromMinutes(4));

        var expires = await Queue.RenewAsync(dataset, ann!.ImageId, "ann");
        _clock.Advance(TimeSpan.FromMinutes(4));

        Assert.Equal(_clock.GetUtcNow() - TimeSpan.FromMinutes(4) + LabelingQueue.LeaseDuration, expires);
        Assert.Null(await Queue.NextAsync(dataset, "bob"));
    }

    [Fact]
    public async Task NextAsync_AfterLabeling_ReleasesTheImageAndHandsTheNext()
    {
        var (dataset, ants) = await InsectsAsync(2);
        var first = await Queue.NextAsync(dataset, "ann");

        await Datasets.ChangeLabelsAsync(dataset, new LabelChange([first!.ImageId], [ants], []), "ann");
        var second = await Queue.NextAsync(dataset, "ann");
        var third = await Queue.NextAsync(dataset, "bob");

        Assert.NotEqual(first.ImageId, second!.ImageId);
        Assert.Null(third); // the labeled one is done, the other is ann's
        await using var db = _database.OpenContext();
        Assert.Equal([second.ImageId], await db.ImageLeases.Select(l => l.ImageId).ToListAsync());
    }

    [Fact]
    public async Task ReviewAsync_Rejected_BackToTheQueueFirstWithTheComment()
    {
        var (dataset, ants) = await InsectsAsync(3);
        var images = await ImageIdsAsync(dataset);
        await Datasets.ChangeLabelsAsync(dataset, new LabelChange([images[2]], [ants], []), "ann");
        var version = await VersionAsync(images[2]);

        var rejected = await Queue.ReviewAsync(dataset, images[2], accept: false, "That is a wasp, not an ant.", version, "rita");
        var next = await Queue.NextAsync(dataset, "bob");

        Assert.Equal((ImageReviewState.Rejected, version + 1), (rejected.State, rejected.Version));
        Assert.Equal((images[2], ImageReviewState.Rejected, "That is a wasp, not an ant.", "rita"), (next!.ImageId, next.ReviewState, next.ReviewComment, next.ReviewedBy));
        Assert.Contains(_published, c => c.Kind == DatasetChangeKind.Review && c.ImageIds.SequenceEqual([images[2]]));
        await using var db = _database.OpenContext();
        var audit = await db.AuditEvents.SingleAsync(a => a.Action == "review-rejected");
        Assert.Equal(("rita", "image", images[2].ToString(System.Globalization.CultureInfo.InvariantCulture)), (audit.User, audit.EntityType, audit.EntityId));
        Assert.Contains("That is a wasp", audit.AfterJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReviewAsync_LabelsChangedSinceTheReviewerLooked_RefusedAndNothingChanges()
    {
        var (dataset, ants) = await InsectsAsync(1);
        var image = (await ImageIdsAsync(dataset))[0];
        await Datasets.ChangeLabelsAsync(dataset, new LabelChange([image], [ants], []), "ann");
        var seen = await Queue.NextForReviewAsync(dataset);
        await Datasets.ChangeLabelsAsync(dataset, new LabelChange([image], [], [ants]), "bob");

        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => Queue.ReviewAsync(dataset, image, accept: true, null, seen!.Version, "rita"));

        await using var db = _database.OpenContext();
        Assert.Equal(ImageReviewState.Unreviewed, (await db.Images.SingleAsync()).ReviewState);
    }

    [Theory]
    [InlineData(false, "", "invalid-comment")]
    [InlineData(true, null, "not-labeled")]
    public async Task ReviewAsync_NoCommentOrNothingToReview_RefusedWithTheReason(bool accept, string? comment, string code)
    {
        var (dataset, ants) = await InsectsAsync(1);
        var image = (await ImageIdsAsync(dataset))[0];
        if (!accept)
        {
            await Datasets.ChangeLabelsAsync(dataset, new LabelChange([image], [ants], []), "ann");
        }
        var version = await VersionAsync(image);

        var refused = await Assert.ThrowsAsync<DomainException>(() => Queue.ReviewAsync(dataset, image, accept, comment, version, "rita"));

        Assert.Equal(code, refused.Code);
        Assert.Equal(version, await VersionAsync(image));
    }

    [Fact]
    public async Task ProgressAsync_LabeledAcceptedRejected_CountsPerStateAndPerPerson()
    {
        var (dataset, ants) = await InsectsAsync(5);
        var images = await ImageIdsAsync(dataset);
        await Datasets.ChangeLabelsAsync(dataset, new LabelChange([images[0], images[1]], [ants], []), "ann");
        await Datasets.ChangeLabelsAsync(dataset, new LabelChange([images[2]], [ants], []), "bob");
        await Queue.ReviewAsync(dataset, images[0], accept: true, null, await VersionAsync(images[0]), "rita");
        await Queue.ReviewAsync(dataset, images[2], accept: false, "wrong", await VersionAsync(images[2]), "rita");
        await Queue.NextAsync(dataset, "carl");

        var progress = await Queue.ProgressAsync(dataset);

        Assert.Equal((2, 1, 1, 1, 1), (progress.Unlabeled, progress.AwaitingReview, progress.Accepted, progress.Rejected, progress.Leased));
        Assert.Equal([new LabelerCounts("ann", 2, 1, 0), new LabelerCounts("bob", 1, 0, 1)], progress.People);
    }

    [Fact]
    public async Task NextAsync_DetectionDataset_HandsImagesWithoutBoxesOrNoObjects()
    {
        var dataset = (await Datasets.CreateAsync("raccoons", DatasetKind.ObjectDetection, "ann")).Id;
        var raccoon = (await Datasets.AddLabelAsync(dataset, "raccoon", "ann")).Id;
        await _database.SeedImageAsync(dataset, "boxed.jpg", boxLabelIds: [raccoon]);
        var open = await _database.SeedImageAsync(dataset, "open.jpg");

        var item = await Queue.NextAsync(dataset, "ann");

        Assert.Equal(open, item!.ImageId);
        Assert.Null(await Queue.NextAsync(dataset, "bob"));
    }

    private async Task<(long Dataset, long Ants)> InsectsAsync(int images)
    {
        var dataset = (await Datasets.CreateAsync("insects", DatasetKind.SingleLabel, "ann")).Id;
        var ants = (await Datasets.AddLabelAsync(dataset, "ants", "ann")).Id;
        await Datasets.AddLabelAsync(dataset, "bees", "ann");
        for (var i = 0; i < images; i++)
        {
            await _database.SeedImageAsync(dataset, $"i{i}.jpg");
        }
        return (dataset, ants);
    }

    private async Task<List<long>> ImageIdsAsync(long dataset)
    {
        await using var db = _database.OpenContext();
        return await db.Images.Where(i => i.DatasetId == dataset).OrderBy(i => i.Id).Select(i => i.Id).ToListAsync();
    }

    private async Task<long> VersionAsync(long image)
    {
        await using var db = _database.OpenContext();
        return await db.Images.Where(i => i.Id == image).Select(i => i.Version).SingleAsync();
    }
}
