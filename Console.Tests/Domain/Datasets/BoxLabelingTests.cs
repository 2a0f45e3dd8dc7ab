using Microsoft.EntityFrameworkCore;
using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;
using VisionConsole.Tests.Domain.Imaging;

namespace VisionConsole.Tests.Domain.Datasets;

/// <summary>Box labeling over a real SQLite file and real raccoon photos: whole-image saves, per-box edits, versions, "no objects".</summary>
public sealed class BoxLabelingTests : IAsyncLifetime
{
    private TestDatabase _database = null!;
    private readonly List<DatasetChange> _published = [];

    private IBoxLabeling Boxes => _database.Get<IBoxLabeling>();

    private IDatasetService Datasets => _database.Get<IDatasetService>();

    public async Task InitializeAsync()
    {
        _database = await Import.ImportJobFixture.CreateAsync();
        _database.Get<IDatasetChangeNotifier>().Subscribe(c => _published.Add(c));
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task SaveBoxesAsync_NewImage_StoresNormalizedBoxesAuditsAndPublishes()
    {
        var (dataset, raccoon, dog, image) = await RaccoonsAsync();

        var saved = await Boxes.SaveBoxesAsync(dataset, image, 0, [Edit(raccoon, 0.1, 0.2, 0.3, 0.4), Edit(dog, 0.5, 0.5, 0.5, 0.5)], false, "ann");

        Assert.Equal((1L, BoxLabelState.Boxes, "ann"), (saved.Version, saved.State, saved.ChangedBy));
        Assert.Equal([("raccoon", 0.1, 0.2, 0.3, 0.4), ("dog", 0.5, 0.5, 0.5, 0.5)], saved.Boxes.Select(b => (b.Label, b.Left, b.Top, b.Width, b.Height)));
        Assert.Equal(saved, await Boxes.GetBoxesAsync(dataset, image), new ImageBoxesComparer());
        Assert.Contains(_published, c => c.Kind == DatasetChangeKind.Boxes && c.ImageIds.SequenceEqual([image]) && c.User == "ann");
        await using var db = _database.OpenContext();
        Assert.Equal(1, await db.AuditEvents.CountAsync(a => a.EntityType == "image" && a.Action == "boxes-saved"));
    }

    [Fact]
    public async Task SaveBoxesAsync_StaleVersion_RefusedNamingWhoSavedAndKeepsTheirBoxes()
    {
        var (dataset, raccoon, _, image) = await RaccoonsAsync();
        await Boxes.SaveBoxesAsync(dataset, image, 0, [Edit(raccoon, 0.1, 0.1, 0.2, 0.2)], false, "ann");

        var error = await Assert.ThrowsAsync<ImageChangedException>(() => Boxes.SaveBoxesAsync(dataset, image, 0, [Edit(raccoon, 0.6, 0.6, 0.2, 0.2)], false, "bob"));

        Assert.Equal(("conflict", 1L, "ann"), (error.Code, error.CurrentVersion, error.ChangedBy));
        Assert.NotNull(error.ChangedAt);
        Assert.Contains("by ann", error.Message, StringComparison.Ordinal);
        var now = await Boxes.GetBoxesAsync(dataset, image);
        Assert.Equal([0.1], now.Boxes.Select(b => b.Left));
    }

    [Fact]
    public async Task SaveBoxesAsync_ListedIdsKeptUnlistedRemovedNewAdded()
    {
        var (dataset, raccoon, dog, image) = await RaccoonsAsync();
        var first = await Boxes.SaveBoxesAsync(dataset, image, 0, [Edit(raccoon, 0.1, 0.1, 0.2, 0.2), Edit(raccoon, 0.5, 0.5, 0.2, 0.2)], false, "ann");
        var kept = first.Boxes[0];

        var second = await Boxes.SaveBoxesAsync(dataset, image, first.Version,
            [new BoxEdit(kept.Id, dog, new BoxRect(0.15, 0.1, 0.25, 0.2)), Edit(dog, 0.7, 0.7, 0.1, 0.1)], false, "ann");

        Assert.Equal(2, second.Version);
        Assert.Equal(2, second.Boxes.Count);
        Assert.Equal((kept.Id, "dog", 0.15, 0.25, 2L), (second.Boxes[0].Id, second.Boxes[0].Label, second.Boxes[0].Left, second.Boxes[0].Width, second.Boxes[0].Version));
        Assert.DoesNotContain(second.Boxes, b => b.Id == first.Boxes[1].Id);
        Assert.Equal(0.7, second.Boxes[1].Left);
    }

    [Fact]
    public async Task SaveBoxesAsync_SameBoxesAgain_VersionStaysAndNothingPublished()
    {
        var (dataset, raccoon, _, image) = await RaccoonsAsync();
        var saved = await Boxes.SaveBoxesAsync(dataset, image, 0, [Edit(raccoon, 0.1, 0.1, 0.2, 0.2)], false, "ann");
        _published.Clear();

        var again = await Boxes.SaveBoxesAsync(dataset, image, saved.Version, [new BoxEdit(saved.Boxes[0].Id, raccoon, new BoxRect(0.1, 0.1, 0.2, 0.2))], false, "ann");

        Assert.Equal(saved.Version, again.Version);
        Assert.Empty(_published);
    }

    [Fact]
    public async Task SaveBoxesAsync_BoxOfAnotherImageOrOutside_RefusedAndNothingChanges()
    {
        var (dataset, raccoon, _, image) = await RaccoonsAsync();
        var other = await AddPhotoAsync(dataset, "raccoon-2.jpg");
        var elsewhere = await Boxes.SaveBoxesAsync(dataset, other, 0, [Edit(raccoon, 0.1, 0.1, 0.2, 0.2)], false, "ann");

        var foreign = await Assert.ThrowsAsync<DomainException>(() => Boxes.SaveBoxesAsync(dataset, image, 0, [new BoxEdit(elsewhere.Boxes[0].Id, raccoon, new BoxRect(0.1, 0.1, 0.2, 0.2))], false, "ann"));
        var outside = await Assert.ThrowsAsync<DomainException>(() => Boxes.SaveBoxesAsync(dataset, image, 0, [Edit(raccoon, 0.9, 0.1, 0.2, 0.2)], false, "ann"));
        var both = await Assert.ThrowsAsync<DomainException>(() => Boxes.SaveBoxesAsync(dataset, image, 0, [Edit(raccoon, 0.1, 0.1, 0.2, 0.2)], true, "ann"));

        Assert.Equal(("invalid-argument", "invalid-box", "invalid-argument"), (foreign.Code, outside.Code, both.Code));
        Assert.Contains($"Box {elsewhere.Boxes[0].Id} is not on image {image}", foreign.Message, StringComparison.Ordinal);
        var now = await Boxes.GetBoxesAsync(dataset, image);
        Assert.Equal((0L, BoxLabelState.NotLabeled), (now.Version, now.State));
        Assert.Single((await Boxes.GetBoxesAsync(dataset, other)).Boxes);
    }

    [Fact]
    public async Task SetNoObjectsAsync_ImageWithBoxes_RefusedAndNoBoxRemoved()
    {
        var (dataset, raccoon, _, image) = await RaccoonsAsync();
        var saved = await Boxes.SaveBoxesAsync(dataset, image, 0, [Edit(raccoon, 0.1, 0.1, 0.2, 0.2)], false, "ann");

        var error = await Assert.ThrowsAsync<DomainException>(() => Boxes.SetNoObjectsAsync(dataset, image, true, saved.Version, "ann"));

        Assert.Equal("invalid-transition", error.Code);
        Assert.Contains("has 1 box(es)", error.Message, StringComparison.Ordinal);
        Assert.Single((await Boxes.GetBoxesAsync(dataset, image)).Boxes);
    }

    [Fact]
    public async Task SetNoObjectsAsync_ThenAddBox_NoObjectsIsLabeledAndDrawingClearsIt()
    {
        var (dataset, raccoon, _, image) = await RaccoonsAsync();
        var unlabeledBefore = await Datasets.QueryImageIdsAsync(dataset, new ImageQuery(UnlabeledOnly: true));

        var none = await Boxes.SetNoObjectsAsync(dataset, image, true, 0, "ann");
        var unlabeledAfter = await Datasets.QueryImageIdsAsync(dataset, new ImageQuery(UnlabeledOnly: true));
        var stale = await Assert.ThrowsAsync<ImageChangedException>(() => Boxes.AddBoxAsync(dataset, image, raccoon, new BoxRect(0.1, 0.1, 0.2, 0.2), 0, "bob"));
        var added = await Boxes.AddBoxAsync(dataset, image, raccoon, new BoxRect(0.1, 0.1, 0.2, 0.2), none.Version, "bob");

        Assert.Equal([image], unlabeledBefore);
        Assert.Equal((BoxLabelState.NoObjects, 1L), (none.State, none.Version));
        Assert.Empty(unlabeledAfter);
        Assert.Equal(1, stale.CurrentVersion);
        Assert.Equal((BoxLabelState.Boxes, 2L, "bob"), (added.Image.State, added.Image.Version, added.Image.ChangedBy));
        Assert.Equal(added.BoxId, Assert.Single(added.Image.Boxes).Id);
    }

    [Fact]
    public async Task UpdateBoxAndDeleteBox_StaleBoxVersion_RefusedCurrentOneApplied()
    {
        var (dataset, raccoon, dog, image) = await RaccoonsAsync();
        var added = await Boxes.AddBoxAsync(dataset, image, raccoon, new BoxRect(0.1, 0.1, 0.2, 0.2), null, "ann");

        var moved = await Boxes.UpdateBoxAsync(dataset, image, added.BoxId, 1, dog, new BoxRect(0.2, 0.2, 0.3, 0.3), "ann");
        var staleMove = await Assert.ThrowsAsync<ImageChangedException>(() => Boxes.UpdateBoxAsync(dataset, image, added.BoxId, 1, null, new BoxRect(0.5, 0.5, 0.1, 0.1), "bob"));
        var staleDelete = await Assert.ThrowsAsync<ImageChangedException>(() => Boxes.DeleteBoxAsync(dataset, image, added.BoxId, 1, "bob"));
        var deleted = await Boxes.DeleteBoxAsync(dataset, image, added.BoxId, 2, "bob");
        var missing = await Assert.ThrowsAsync<NotFoundException>(() => Boxes.DeleteBoxAsync(dataset, image, added.BoxId, 2, "bob"));

        Assert.Equal(("dog", 0.2, 2L), (moved.Boxes[0].Label, moved.Boxes[0].Left, moved.Boxes[0].Version));
        Assert.Contains($"box {added.BoxId} at version 1 (it is at 2)", staleMove.Message, StringComparison.Ordinal);
        Assert.Equal("ann", staleDelete.ChangedBy);
        Assert.Equal((BoxLabelState.NotLabeled, 3L), (deleted.State, deleted.Version));
        Assert.Equal("not-found", missing.Code);
    }

    [Fact]
    public async Task SaveBoxesAsync_AfterASplitChange_NotStale()
    {
        var (dataset, raccoon, _, image) = await RaccoonsAsync();
        var imageVersion = (await Datasets.QueryImagesAsync(dataset, new ImageQuery())).Items.Single().Version;
        await Datasets.SetSplitAsync(dataset, image, DataSplit.Test, imageVersion, "ann");

        var saved = await Boxes.SaveBoxesAsync(dataset, image, 0, [Edit(raccoon, 0.1, 0.1, 0.2, 0.2)], false, "bob");

        Assert.Equal(1, saved.Version);
    }

    [Fact]
    public async Task MergeLabelAsync_RelabelsBoxes_BoxSaveBasedOnBeforeIsStale()
    {
        var (dataset, raccoon, dog, image) = await RaccoonsAsync();
        var saved = await Boxes.SaveBoxesAsync(dataset, image, 0, [Edit(dog, 0.1, 0.1, 0.2, 0.2)], false, "ann");

        await _database.Get<IDatasetEdits>().MergeLabelAsync(dataset, dog, raccoon, "ann");

        await Assert.ThrowsAsync<ImageChangedException>(() => Boxes.SaveBoxesAsync(dataset, image, saved.Version, [], false, "bob"));
        Assert.Equal("raccoon", Assert.Single((await Boxes.GetBoxesAsync(dataset, image)).Boxes).Label);
    }

    [Fact]
    public async Task SaveBoxesAsync_ClassificationDataset_Refused()
    {
        var dataset = await Datasets.CreateAsync("pets", DatasetKind.SingleLabel, "ann");
        var label = await Datasets.AddLabelAsync(dataset.Id, "raccoon", "ann");
        var image = await AddPhotoAsync(dataset.Id, "raccoon-1.jpg");

        var error = await Assert.ThrowsAsync<DomainException>(() => Boxes.SaveBoxesAsync(dataset.Id, image, 0, [Edit(label.Id, 0.1, 0.1, 0.2, 0.2)], false, "ann"));

        Assert.Contains("is for classification", error.Message, StringComparison.Ordinal);
    }

    private static BoxEdit Edit(long label, double left, double top, double width, double height) => new(null, label, new BoxRect(left, top, width, height));

    private async Task<(long Dataset, long Raccoon, long Dog, long Image)> RaccoonsAsync()
    {
        var dataset = await Datasets.CreateAsync("raccoons", DatasetKind.ObjectDetection, "ann");
        var raccoon = await Datasets.AddLabelAsync(dataset.Id, "raccoon", "ann");
        var dog = await Datasets.AddLabelAsync(dataset.Id, "dog", "ann");
        return (dataset.Id, raccoon.Id, dog.Id, await AddPhotoAsync(dataset.Id, "raccoon-1.jpg"));
    }

    private async Task<long> AddPhotoAsync(long dataset, string file)
    {
        await using var content = File.OpenRead(TestImages.Raccoon($"images/{file}"));
        var result = await _database.Get<IImageIntake>().AddAsync(dataset, file, content, "ann");
        Assert.True(result.Accepted, result.Error);
        return result.ImageId!.Value;
    }

    /// <summary>Compares by value, boxes included (records compare lists by reference).</summary>
    private sealed class ImageBoxesComparer : IEqualityComparer<ImageBoxes>
    {
        public bool Equals(ImageBoxes? x, ImageBoxes? y) =>
            x is not null && y is not null && x with { Boxes = [] } == y with { Boxes = [] } && x.Boxes.SequenceEqual(y.Boxes);

        public int GetHashCode(ImageBoxes obj) => obj.ImageId.GetHashCode();
    }
}
