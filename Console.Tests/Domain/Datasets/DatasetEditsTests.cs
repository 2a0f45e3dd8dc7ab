using Microsoft.EntityFrameworkCore;
using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Imaging;
using VisionConsole.Domain.Storage;

namespace VisionConsole.Tests.Domain.Datasets;

/// <summary>Label rename, merge and delete; image delete with undo; splits for many images and the stratified re-split.</summary>
public sealed class DatasetEditsTests : IAsyncLifetime
{
    private TestDatabase _database = null!;
    private readonly List<DatasetChange> _published = [];

    private IDatasetService Datasets => _database.Get<IDatasetService>();

    private IDatasetEdits Edits => _database.Get<IDatasetEdits>();

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        _database.Get<IDatasetChangeNotifier>().Subscribe(c => _published.Add(c));
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task RenameLabelAsync_NewName_ImagesShowItAndVersionsKeep()
    {
        var (dataset, wasps, _) = await InsectsAsync();
        var image = await _database.SeedImageAsync(dataset, "w1.jpg", labelIds: [wasps]);

        var result = await Edits.RenameLabelAsync(dataset, wasps, "bees", "ann");

        Assert.Equal(("bees", 1), (result.Name, result.ImagesChanged));
        Assert.Equal(["ants", "bees"], (await Datasets.ListLabelsAsync(dataset)).Select(l => l.Name));
        Assert.Equal(["bees"], (await Datasets.QueryImagesAsync(dataset, new ImageQuery())).Items.Single(i => i.Id == image).Labels);
        Assert.Contains(_published, c => c.Kind == DatasetChangeKind.Labels && c.ImageIds.Contains(image));
        await using var db = _database.OpenContext();
        var audit = await db.AuditEvents.SingleAsync(a => a.Action == "renamed");
        Assert.Contains("wasps", audit.BeforeJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RenameLabelAsync_NameOfAnotherLabel_RefusedWithSuggestion()
    {
        var (dataset, wasps, _) = await InsectsAsync();

        var error = await Assert.ThrowsAsync<DomainException>(() => Edits.RenameLabelAsync(dataset, wasps, "ANTS", "ann"));

        Assert.Equal("duplicate-label", error.Code);
        Assert.Contains("Try 'ANTS_2'", error.Message, StringComparison.Ordinal);
        Assert.Equal(["ants", "wasps"], (await Datasets.ListLabelsAsync(dataset)).Select(l => l.Name));
    }

    [Fact]
    public async Task RenameLabelAsync_OnlyCaseChanges_Allowed()
    {
        var (dataset, wasps, _) = await InsectsAsync();

        var result = await Edits.RenameLabelAsync(dataset, wasps, "Wasps", "ann");

        Assert.Equal("Wasps", result.Name);
    }

    [Fact]
    public async Task MergeLabelAsync_MultiLabelImageWithBoth_KeepsOneAndSourceIsGone()
    {
        var dataset = (await Datasets.CreateAsync("multi", DatasetKind.MultiLabel, "ann")).Id;
        var wasps = (await Datasets.AddLabelAsync(dataset, "wasps", "ann")).Id;
        var bees = (await Datasets.AddLabelAsync(dataset, "bees", "ann")).Id;
        var both = await _database.SeedImageAsync(dataset, "both.jpg", labelIds: [wasps, bees]);
        var onlyWasp = await _database.SeedImageAsync(dataset, "w.jpg", labelIds: [wasps]);
        var versions = (await Datasets.QueryImagesAsync(dataset, new ImageQuery())).Items.Select(i => i.Version).ToList();

        var result = await Edits.MergeLabelAsync(dataset, wasps, bees, "ann");

        Assert.Equal((bees, 2), (result.LabelId, result.ImagesChanged));
        var labels = await Datasets.ListLabelsAsync(dataset);
        Assert.Equal([("bees", 2)], labels.Select(l => (l.Name, l.ImageCount)));
        var page = await Datasets.QueryImagesAsync(dataset, new ImageQuery());
        Assert.All(page.Items, i => Assert.Equal(["bees"], i.Labels));
        Assert.Equal(versions.Select(v => v + 1), page.Items.Select(i => i.Version));
        Assert.Equal([both, onlyWasp], page.Items.Select(i => i.Id));
    }

    [Fact]
    public async Task MergeLabelAsync_DetectionBoxes_Relabelled()
    {
        var dataset = (await Datasets.CreateAsync("cars", DatasetKind.ObjectDetection, "ann")).Id;
        var car = (await Datasets.AddLabelAsync(dataset, "car", "ann")).Id;
        var auto = (await Datasets.AddLabelAsync(dataset, "auto", "ann")).Id;
        await _database.SeedImageAsync(dataset, "street.jpg", boxLabelIds: [auto, auto, car]);

        await Edits.MergeLabelAsync(dataset, auto, car, "ann");

        await using var db = _database.OpenContext();
        Assert.Equal(3, await db.Boxes.CountAsync(b => b.LabelId == car));
        Assert.Equal([("car", 1)], (await Datasets.ListLabelsAsync(dataset)).Select(l => (l.Name, l.ImageCount)));
    }

    [Fact]
    public async Task MergeLabelAsync_IntoItself_Refused()
    {
        var (dataset, wasps, _) = await InsectsAsync();

        var error = await Assert.ThrowsAsync<DomainException>(() => Edits.MergeLabelAsync(dataset, wasps, wasps, "ann"));

        Assert.Equal("invalid-label-change", error.Code);
    }

    [Fact]
    public async Task DeleteLabelAsync_UsedByImagesAndBoxes_CountsThenRemovesEverywhere()
    {
        var dataset = (await Datasets.CreateAsync("cars", DatasetKind.ObjectDetection, "ann")).Id;
        var car = (await Datasets.AddLabelAsync(dataset, "car", "ann")).Id;
        var mistake = (await Datasets.AddLabelAsync(dataset, "wasps", "ann")).Id;
        var image = await _database.SeedImageAsync(dataset, "street.jpg", boxLabelIds: [mistake, mistake, car]);

        var version = (await Datasets.QueryImagesAsync(dataset, new ImageQuery())).Items.Single().Version;
        var usage = await Edits.GetLabelUsageAsync(dataset, mistake);
        var result = await Edits.DeleteLabelAsync(dataset, mistake, "ann");

        Assert.Equal((1, 2), (usage.Images, usage.Boxes));
        Assert.Equal((1, 2), (result.ImagesChanged, result.BoxesRemoved));
        Assert.Equal(["car"], (await Datasets.ListLabelsAsync(dataset)).Select(l => l.Name));
        await using var db = _database.OpenContext();
        Assert.Equal(1, await db.Boxes.CountAsync());
        Assert.Equal(version + 1, (await db.Images.SingleAsync(i => i.Id == image)).Version);
        await Assert.ThrowsAsync<NotFoundException>(() => Edits.GetLabelUsageAsync(dataset, mistake));
    }

    [Fact]
    public async Task DeleteImagesAsync_ThenUndo_ImagesBackWithLabelsAndSplits()
    {
        var (dataset, _, ants) = await InsectsAsync();
        var a = await _database.SeedImageAsync(dataset, "a.jpg", DataSplit.Test, [ants]);
        var b = await _database.SeedImageAsync(dataset, "b.jpg", labelIds: [ants]);
        var keep = await _database.SeedImageAsync(dataset, "c.jpg");

        var deletion = await Edits.DeleteImagesAsync(dataset, [a, b], "ann");

        Assert.Equal(2, deletion.Count);
        Assert.Equal([keep], (await Datasets.QueryImagesAsync(dataset, new ImageQuery())).Items.Select(i => i.Id));
        Assert.Equal(1, (await Datasets.GetAsync(dataset)).ImageCount);
        Assert.Equal(0, (await Datasets.ListLabelsAsync(dataset)).Single(l => l.Id == ants).ImageCount);
        Assert.Equal(deletion.Batch, (await Edits.GetLastDeletionAsync(dataset))!.Batch);
        Assert.Contains(_published, c => c.Kind == DatasetChangeKind.ImagesRemoved && c.ImageIds.SequenceEqual(new[] { a, b }));

        var restore = await Edits.UndoDeleteAsync(dataset, deletion.Batch, "ann");

        Assert.Equal((2, 0), (restore.Restored, restore.Skipped));
        var page = await Datasets.QueryImagesAsync(dataset, new ImageQuery());
        Assert.Equal([a, b, keep], page.Items.Select(i => i.Id));
        Assert.Equal(DataSplit.Test, page.Items[0].Split);
        Assert.Equal(["ants"], page.Items[1].Labels);
        Assert.Null(await Edits.GetLastDeletionAsync(dataset));
        var again = await Assert.ThrowsAsync<DomainException>(() => Edits.UndoDeleteAsync(dataset, deletion.Batch, "ann"));
        Assert.Equal("invalid-transition", again.Code);
    }

    [Fact]
    public async Task DeleteImagesAsync_SecondDelete_FirstCanNoLongerBeUndoneAndItsRowsAreGone()
    {
        var (dataset, _, _) = await InsectsAsync();
        var a = await _database.SeedImageAsync(dataset, "a.jpg");
        var b = await _database.SeedImageAsync(dataset, "b.jpg");

        var first = await Edits.DeleteImagesAsync(dataset, [a], "ann");
        var second = await Edits.DeleteImagesAsync(dataset, [b], "ann");

        Assert.Equal(second.Batch, (await Edits.GetLastDeletionAsync(dataset))!.Batch);
        await Assert.ThrowsAsync<DomainException>(() => Edits.UndoDeleteAsync(dataset, first.Batch, "ann"));
        await using var db = _database.OpenContext();
        Assert.Equal([b], await db.Images.IgnoreQueryFilters().Select(i => i.Id).ToListAsync());
    }

    [Fact]
    public async Task UndoDeleteAsync_SameBytesUploadedAgainMeanwhile_KeepsTheNewCopy()
    {
        var (dataset, _, ants) = await InsectsAsync();
        var old = await _database.SeedImageAsync(dataset, "a.jpg", labelIds: [ants]);
        var deletion = await Edits.DeleteImagesAsync(dataset, [old], "ann");
        var again = await _database.SeedImageAsync(dataset, "a.jpg");

        var restore = await Edits.UndoDeleteAsync(dataset, deletion.Batch, "ann");

        Assert.Equal((0, 1), (restore.Restored, restore.Skipped));
        Assert.Equal([again], (await Datasets.QueryImagesAsync(dataset, new ImageQuery())).Items.Select(i => i.Id));
    }

    [Fact]
    public async Task DeleteImagesAsync_UnknownImage_RefusedAndNothingDeleted()
    {
        var (dataset, _, _) = await InsectsAsync();
        var a = await _database.SeedImageAsync(dataset, "a.jpg");

        await Assert.ThrowsAsync<NotFoundException>(() => Edits.DeleteImagesAsync(dataset, [a, 999], "ann"));

        Assert.Equal(1, (await Datasets.GetAsync(dataset)).ImageCount);
    }

    [Fact]
    public async Task ImageReferences_DeletedImageAwaitingUndo_StillReferencesItsBlob()
    {
        var (dataset, _, _) = await InsectsAsync();
        var a = await _database.SeedImageAsync(dataset, "a.jpg");
        await Edits.DeleteImagesAsync(dataset, [a], "ann");

        var references = new ImageReferences(_database.Get<IDbContextFactory<ConsoleDbContext>>());
        var sha = DatasetSeed.Sha("a.jpg");

        Assert.Contains(sha, await references.InShardAsync(sha[..2], CancellationToken.None));
    }

    [Fact]
    public async Task SetSplitsAsync_Selection_MovesThemAndCountsChanges()
    {
        var (dataset, _, _) = await InsectsAsync();
        var a = await _database.SeedImageAsync(dataset, "a.jpg", DataSplit.Validation);
        var b = await _database.SeedImageAsync(dataset, "b.jpg");

        var changed = await Edits.SetSplitsAsync(dataset, [a, b], DataSplit.Validation, "ann");

        Assert.Equal(1, changed);
        Assert.All((await Datasets.QueryImagesAsync(dataset, new ImageQuery())).Items, i => Assert.Equal(DataSplit.Validation, i.Split));
        Assert.Contains(_published, c => c.Kind == DatasetChangeKind.Split && c.ImageIds.SequenceEqual(new[] { b }));
    }

    [Fact]
    public async Task ResplitAsync_TwoLabels_EachLabelSplit80_10_10AndDeterministic()
    {
        var (dataset, wasps, ants) = await InsectsAsync();
        for (var i = 0; i < 20; i++)
        {
            await _database.SeedImageAsync(dataset, $"ant{i}.jpg", DataSplit.Train, [ants]);
        }
        for (var i = 0; i < 10; i++)
        {
            await _database.SeedImageAsync(dataset, $"wasp{i}.jpg", labelIds: [wasps]);
        }

        var result = await Edits.ResplitAsync(dataset, onlyUnassigned: false, "ann");
        var first = (await Datasets.QueryImagesAsync(dataset, new ImageQuery())).Items.ToDictionary(i => i.Id, i => i.Split);
        var second = await Edits.ResplitAsync(dataset, onlyUnassigned: false, "ann");

        Assert.Equal((24, 3, 3), (result.Train, result.Validation, result.Test));
        Assert.Equal(0, second.Changed);
        var page = await Datasets.QueryImagesAsync(dataset, new ImageQuery());
        Assert.Equal(first, page.Items.ToDictionary(i => i.Id, i => i.Split));
        foreach (var label in new[] { "ants", "wasps" })
        {
            var splits = page.Items.Where(i => i.Labels.Contains(label)).GroupBy(i => i.Split).ToDictionary(g => g.Key, g => g.Count());
            Assert.True(splits[DataSplit.Validation] >= 1 && splits[DataSplit.Test] >= 1, $"{label}: every split has images");
        }
    }

    [Fact]
    public async Task ResplitAsync_OnlyUnassigned_LeavesChosenSplitsAlone()
    {
        var (dataset, _, ants) = await InsectsAsync();
        var chosen = await _database.SeedImageAsync(dataset, "chosen.jpg", DataSplit.Test, [ants]);
        for (var i = 0; i < 9; i++)
        {
            await _database.SeedImageAsync(dataset, $"a{i}.jpg", labelIds: [ants]);
        }

        var result = await Edits.ResplitAsync(dataset, onlyUnassigned: true, "ann");

        Assert.Equal(9, result.Train + result.Validation + result.Test);
        var page = await Datasets.QueryImagesAsync(dataset, new ImageQuery());
        Assert.Equal(DataSplit.Test, page.Items.Single(i => i.Id == chosen).Split);
        Assert.DoesNotContain(page.Items, i => i.Split == DataSplit.Unassigned);
    }

    [Theory]
    [InlineData(1, 1, 0)]
    [InlineData(3, 3, 0)]
    [InlineData(5, 3, 1)]
    [InlineData(10, 8, 1)]
    [InlineData(100, 80, 10)]
    public void Sizes_Count_TrainAtLeastOneAndTenPercentEach(int count, int train, int validation)
    {
        Assert.Equal((train, validation), StratifiedSplit.Sizes(count));
    }

    private async Task<(long Dataset, long Wasps, long Ants)> InsectsAsync()
    {
        var dataset = (await Datasets.CreateAsync("insects", DatasetKind.SingleLabel, "ann")).Id;
        var ants = (await Datasets.AddLabelAsync(dataset, "ants", "ann")).Id;
        var wasps = (await Datasets.AddLabelAsync(dataset, "wasps", "ann")).Id;
        return (dataset, wasps, ants);
    }
}
