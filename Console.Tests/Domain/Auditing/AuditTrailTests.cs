using VisionConsole.Domain;
using VisionConsole.Domain.Auditing;
using VisionConsole.Domain.Datasets;
using VisionConsole.Tests.Domain.Datasets;

namespace VisionConsole.Tests.Domain.Auditing;

/// <summary>A dataset's and an image's history read back from the audit table of a real SQLite file.</summary>
public sealed class AuditTrailTests : IAsyncLifetime
{
    private TestDatabase _database = null!;

    private AuditTrail Trail => _database.Get<AuditTrail>();

    private IDatasetService Datasets => _database.Get<IDatasetService>();

    public async Task InitializeAsync() => _database = await TestDatabase.CreateAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task ForDatasetAsync_LabelAndReviewChanges_NewestFirstNamedAndNotAnotherDatasets()
    {
        var dataset = (await Datasets.CreateAsync("insects", DatasetKind.SingleLabel, "ann")).Id;
        var ants = (await Datasets.AddLabelAsync(dataset, "ants", "ann")).Id;
        var image = await _database.SeedImageAsync(dataset, "a1.jpg");
        await Datasets.ChangeLabelsAsync(dataset, new LabelChange([image], [ants], []), "bob");
        var version = (await Datasets.QueryImagesAsync(dataset, new ImageQuery())).Items.Single().Version;
        await _database.Get<LabelingQueue>().ReviewAsync(dataset, image, accept: true, null, version, "rita");
        var other = (await Datasets.CreateAsync("other", DatasetKind.SingleLabel, "zed")).Id;
        await Datasets.AddLabelAsync(other, "cats", "zed");

        var page = await Trail.ForDatasetAsync(dataset);

        Assert.Equal(4, page.Total);
        Assert.Equal(["review-accepted", "labels-changed", "created", "created"], page.Items.Select(e => e.Action));
        Assert.Equal(("rita", "image", "a1.jpg"), (page.Items[0].User, page.Items[0].EntityType, page.Items[0].EntityName));
        Assert.Contains("ants", page.Items[1].AfterJson, StringComparison.Ordinal);
        Assert.Equal(("label", "ants"), (page.Items[2].EntityType, page.Items[2].EntityName));
        Assert.DoesNotContain(page.Items, e => e.User == "zed");
    }

    [Fact]
    public async Task ForDatasetAsync_SecondPage_TheOlderEntries()
    {
        var dataset = (await Datasets.CreateAsync("insects", DatasetKind.SingleLabel, "ann")).Id;
        foreach (var name in new[] { "a", "b", "c" })
        {
            await Datasets.AddLabelAsync(dataset, name, "ann");
        }

        var page = await Trail.ForDatasetAsync(dataset, skip: 2, take: 2);

        Assert.Equal(4, page.Total);
        Assert.Equal(["a", null], page.Items.Select(e => e.EntityName)); // label a, then the dataset itself
    }

    [Fact]
    public async Task ForImageAsync_ImageOfAnotherDataset_NotFound()
    {
        var dataset = (await Datasets.CreateAsync("insects", DatasetKind.SingleLabel, "ann")).Id;
        var other = (await Datasets.CreateAsync("other", DatasetKind.SingleLabel, "ann")).Id;
        var image = await _database.SeedImageAsync(other, "x.jpg");

        await Assert.ThrowsAsync<NotFoundException>(() => Trail.ForImageAsync(dataset, image));
        var refused = await Assert.ThrowsAsync<DomainException>(() => Trail.ForDatasetAsync(dataset, take: 0));
        Assert.Equal("invalid-query", refused.Code);
    }
}
