using Microsoft.EntityFrameworkCore;
using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Imaging;

namespace VisionConsole.Tests.Domain.Datasets;

public sealed class DatasetServiceTests : IAsyncLifetime
{
    private TestDatabase _database = null!;

    private IDatasetService Service => _database.Get<IDatasetService>();

    public async Task InitializeAsync() => _database = await TestDatabase.CreateAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task CreateAsync_ValidName_IsListedAndAudited()
    {
        var created = await Service.CreateAsync("  Ants and bees ", DatasetKind.MultiLabel, "ann");

        Assert.Equal("Ants and bees", created.DisplayName);
        Assert.Equal(DatasetKind.MultiLabel, created.Kind);
        Assert.Equal("ann", created.CreatedBy);
        var listed = Assert.Single(await Service.ListAsync());
        Assert.Equal(created, listed);
        await using var db = _database.OpenContext();
        var audit = await db.AuditEvents.SingleAsync();
        Assert.Equal(("ann", "dataset", created.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "created"), (audit.User, audit.EntityType, audit.EntityId, audit.Action));
        Assert.Contains("Ants and bees", audit.AfterJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListAsync_TwoDatasets_NewestFirstWithImageAndLabelCounts()
    {
        var first = await Service.CreateAsync("first", DatasetKind.SingleLabel, "ann");
        var second = await Service.CreateAsync("second", DatasetKind.ObjectDetection, "bob");
        await Service.AddLabelAsync(first.Id, "ants", "ann");
        await Service.AddLabelAsync(first.Id, "bees", "ann");
        await _database.SeedImageAsync(first.Id, "a.jpg");

        var list = await Service.ListAsync();

        Assert.Equal([second.Id, first.Id], list.Select(d => d.Id));
        Assert.Equal((1, 2), (list[1].ImageCount, list[1].LabelCount));
        Assert.Equal((0, 0), (list[0].ImageCount, list[0].LabelCount));
    }

    [Fact]
    public async Task ListPageAsync_SortedByImagesAndPaged_OrderedInTheDatabaseWithTotal()
    {
        var ants = await Service.CreateAsync("ants", DatasetKind.SingleLabel, "ann");
        var bees = await Service.CreateAsync("bees", DatasetKind.SingleLabel, "ann");
        var wasps = await Service.CreateAsync("wasps", DatasetKind.MultiLabel, "ann");
        await _database.SeedImageAsync(bees.Id, "b1.jpg");
        await _database.SeedImageAsync(bees.Id, "b2.jpg");
        await _database.SeedImageAsync(wasps.Id, "w1.jpg");

        var byImages = await Service.ListPageAsync(new DatasetListQuery(DatasetSortField.Images, Descending: true, Skip: 0, Take: 2));
        var rest = await Service.ListPageAsync(new DatasetListQuery(DatasetSortField.Images, Descending: true, Skip: 2, Take: 2));
        var byName = await Service.ListPageAsync(new DatasetListQuery(DatasetSortField.Name, Descending: false));

        Assert.Equal(3, byImages.Total);
        Assert.Equal([bees.Id, wasps.Id], byImages.Items.Select(d => d.Id));
        Assert.Equal([ants.Id], rest.Items.Select(d => d.Id));
        Assert.Equal(["ants", "bees", "wasps"], byName.Items.Select(d => d.DisplayName));
        var error = await Assert.ThrowsAsync<DomainException>(() => Service.ListPageAsync(new DatasetListQuery(Take: 0)));
        Assert.Equal("invalid-query", error.Code);
    }

    [Fact]
    public async Task GetAsync_UnknownId_ThrowsNotFound()
    {
        var error = await Assert.ThrowsAsync<NotFoundException>(() => Service.GetAsync(999));

        Assert.Equal("not-found", error.Code);
        Assert.Contains("999", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddLabelAsync_SameNameOtherCase_ThrowsDuplicateWithSuggestionAndKeepsOne()
    {
        var dataset = await Service.CreateAsync("insects", DatasetKind.SingleLabel, "ann");
        await Service.AddLabelAsync(dataset.Id, "Ants", "ann");

        var error = await Assert.ThrowsAsync<DomainException>(() => Service.AddLabelAsync(dataset.Id, "ANTS", "bob"));

        Assert.Equal("duplicate-label", error.Code);
        Assert.Contains("ANTS_2", error.Message, StringComparison.Ordinal);
        Assert.Equal(["Ants"], (await Service.ListLabelsAsync(dataset.Id)).Select(l => l.Name));
    }

    [Fact]
    public async Task AddLabelAsync_BadCharacters_ThrowsInvalidLabelWithSuggestion()
    {
        var dataset = await Service.CreateAsync("insects", DatasetKind.SingleLabel, "ann");

        var error = await Assert.ThrowsAsync<DomainException>(() => Service.AddLabelAsync(dataset.Id, "honey bee", "ann"));

        Assert.Equal("invalid-label", error.Code);
        Assert.Contains("honey_bee", error.Message, StringComparison.Ordinal);
        Assert.Empty(await Service.ListLabelsAsync(dataset.Id));
    }

    [Fact]
    public async Task QueryImagesAsync_EachFilter_ReturnsMatchingImagesOnly()
    {
        var dataset = await Service.CreateAsync("insects", DatasetKind.ObjectDetection, "ann");
        var other = await Service.CreateAsync("other", DatasetKind.SingleLabel, "ann");
        var ants = (await Service.AddLabelAsync(dataset.Id, "ants", "ann")).Id;
        var bees = (await Service.AddLabelAsync(dataset.Id, "bees", "ann")).Id;
        await _database.SeedImageAsync(dataset.Id, "ant_1.jpg", DataSplit.Train, labelIds: [ants]);
        await _database.SeedImageAsync(dataset.Id, "ant1.jpg", labelIds: [ants, bees]);
        await _database.SeedImageAsync(dataset.Id, "hive.jpg", boxLabelIds: [bees, bees]);
        await _database.SeedImageAsync(dataset.Id, "empty.jpg", DataSplit.Test);
        await _database.SeedImageAsync(dataset.Id, "Bee Photo.PNG");
        await _database.SeedImageAsync(other.Id, "ant_1.jpg", labelIds: []);

        async Task<string[]> Names(ImageQuery query) => (await Service.QueryImagesAsync(dataset.Id, query)).Items.Select(i => i.FileName).ToArray();

        Assert.Equal(["ant_1.jpg", "ant1.jpg", "hive.jpg", "empty.jpg", "Bee Photo.PNG"], await Names(new ImageQuery()));
        Assert.Equal(["ant_1.jpg"], await Names(new ImageQuery(Split: DataSplit.Train)));
        Assert.Equal(["ant1.jpg", "hive.jpg", "Bee Photo.PNG"], await Names(new ImageQuery(Split: DataSplit.Unassigned)));
        Assert.Equal(["ant_1.jpg", "ant1.jpg"], await Names(new ImageQuery(LabelId: ants)));
        Assert.Equal(["ant1.jpg", "hive.jpg"], await Names(new ImageQuery(LabelId: bees)));
        Assert.Equal(["empty.jpg", "Bee Photo.PNG"], await Names(new ImageQuery(UnlabeledOnly: true)));
        Assert.Equal(["empty.jpg"], await Names(new ImageQuery(Split: DataSplit.Test, UnlabeledOnly: true)));
        Assert.Equal(["Bee Photo.PNG"], await Names(new ImageQuery(Search: "photo")));
        Assert.Equal(["ant_1.jpg"], await Names(new ImageQuery(Search: "t_1")));
        var hiveSha = DatasetSeed.Sha("hive.jpg");
        Assert.Equal(["hive.jpg"], await Names(new ImageQuery(Search: hiveSha[..10].ToUpperInvariant())));

        var labeled = (await Service.QueryImagesAsync(dataset.Id, new ImageQuery(LabelId: bees))).Items;
        Assert.Equal(["ants", "bees"], labeled[0].Labels);
        Assert.Equal(["bees"], labeled[1].Labels);
        Assert.Equal([("ants", 2), ("bees", 2)], (await Service.ListLabelsAsync(dataset.Id)).Select(l => (l.Name, l.ImageCount)));
    }

    [Fact]
    public async Task QueryImagesAsync_SkipAndTake_ReturnsThatPageAndTheTotal()
    {
        var dataset = await Service.CreateAsync("insects", DatasetKind.SingleLabel, "ann");
        for (var i = 0; i < 7; i++)
        {
            await _database.SeedImageAsync(dataset.Id, $"img{i}.jpg");
        }

        var page = await Service.QueryImagesAsync(dataset.Id, new ImageQuery(Skip: 2, Take: 3));
        var last = await Service.QueryImagesAsync(dataset.Id, new ImageQuery(Skip: 6, Take: 3));

        Assert.Equal(7, page.Total);
        Assert.Equal(["img2.jpg", "img3.jpg", "img4.jpg"], page.Items.Select(i => i.FileName));
        Assert.Equal(["img6.jpg"], last.Items.Select(i => i.FileName));
        var item = page.Items[0];
        Assert.Equal((DatasetSeed.Sha("img2.jpg"), "Jpeg", 640, 480, 1234L, DataSplit.Unassigned, "ann"), (item.Sha256, item.Format, item.Width, item.Height, item.ByteSize, item.Split, item.AddedBy));
    }

    [Theory]
    [InlineData(-1, 10)]
    [InlineData(0, 0)]
    [InlineData(0, 1001)]
    public async Task QueryImagesAsync_BadPaging_ThrowsInvalidQuery(int skip, int take)
    {
        var dataset = await Service.CreateAsync("insects", DatasetKind.SingleLabel, "ann");

        var error = await Assert.ThrowsAsync<DomainException>(() => Service.QueryImagesAsync(dataset.Id, new ImageQuery(Skip: skip, Take: take)));

        Assert.Equal("invalid-query", error.Code);
    }

    [Fact]
    public async Task DeleteAsync_Dataset_RemovesItsRowsOnlyAndAudits()
    {
        var doomed = await Service.CreateAsync("doomed", DatasetKind.ObjectDetection, "ann");
        var kept = await Service.CreateAsync("kept", DatasetKind.SingleLabel, "ann");
        var label = (await Service.AddLabelAsync(doomed.Id, "bees", "ann")).Id;
        await _database.SeedImageAsync(doomed.Id, "a.jpg", labelIds: [label], boxLabelIds: [label]);
        await _database.SeedImageAsync(doomed.Id, "shared.jpg");
        await _database.SeedImageAsync(kept.Id, "shared.jpg");
        await Service.AddLabelAsync(kept.Id, "bees", "ann");

        await Service.DeleteAsync(doomed.Id, "bob");

        await Assert.ThrowsAsync<NotFoundException>(() => Service.GetAsync(doomed.Id));
        await using var db = _database.OpenContext();
        Assert.Equal([kept.Id], await db.Images.Select(i => i.DatasetId).ToListAsync());
        Assert.Equal([kept.Id], await db.Labels.Select(l => l.DatasetId).ToListAsync());
        Assert.Equal(0, await db.ImageLabels.CountAsync());
        Assert.Equal(0, await db.Boxes.CountAsync());
        var audit = await db.AuditEvents.SingleAsync(a => a.Action == "deleted");
        Assert.Equal(("bob", "dataset"), (audit.User, audit.EntityType));
        Assert.Contains("doomed", audit.BeforeJson, StringComparison.Ordinal);
        Assert.Equal(1, (await Service.GetAsync(kept.Id)).ImageCount);
    }

    [Fact]
    public async Task DeleteAsync_UnknownId_ThrowsNotFound()
    {
        await Assert.ThrowsAsync<NotFoundException>(() => Service.DeleteAsync(12345, "ann"));
    }

    [Fact]
    public async Task SetSplitAsync_CurrentVersion_OverridesAndStaleVersionIsRefused()
    {
        var dataset = await Service.CreateAsync("insects", DatasetKind.SingleLabel, "ann");
        var imageId = await _database.SeedImageAsync(dataset.Id, "a.jpg");

        var version = await Service.SetSplitAsync(dataset.Id, imageId, DataSplit.Validation, expectedVersion: 1, "ann");
        var stale = await Assert.ThrowsAsync<ConcurrencyConflictException>(() => Service.SetSplitAsync(dataset.Id, imageId, DataSplit.Test, expectedVersion: 1, "bob"));

        Assert.Equal(2, version);
        Assert.Equal("conflict", stale.Code);
        Assert.Equal(DataSplit.Validation, (await Service.QueryImagesAsync(dataset.Id, new ImageQuery())).Items.Single().Split);
    }
}
