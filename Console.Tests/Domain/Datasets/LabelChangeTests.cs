using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Imaging;

namespace VisionConsole.Tests.Domain.Datasets;

/// <summary>Batch labeling on a real SQLite file: single- and multi-label rules, audit rows, stale versions.</summary>
public sealed class LabelChangeTests : IAsyncLifetime
{
    private TestDatabase _database = null!;

    private IDatasetService Service => _database.Get<IDatasetService>();

    public async Task InitializeAsync() => _database = await TestDatabase.CreateAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task ChangeLabelsAsync_SingleLabelDataset_ReplacesTheLabelAndAuditsBeforeAndAfter()
    {
        var dataset = await Service.CreateAsync("insects", DatasetKind.SingleLabel, "ann");
        var ants = await Service.AddLabelAsync(dataset.Id, "ants", "ann");
        var bees = await Service.AddLabelAsync(dataset.Id, "bees", "ann");
        var first = await SeedImageAsync(dataset.Id, "a.jpg", ants.Id);
        var second = await SeedImageAsync(dataset.Id, "b.jpg");

        var results = await Service.ChangeLabelsAsync(dataset.Id, new LabelChange([first, second], [bees.Id], []), "bob");

        Assert.All(results, r => Assert.Equal(["bees"], r.Labels));
        Assert.All(results, r => Assert.True(r.Changed));
        // Seeding with a label made the first image version 2; each change moves a version on by one.
        Assert.Equal([3L, 2L], results.Select(r => r.Version));
        var page = await Service.QueryImagesAsync(dataset.Id, new ImageQuery());
        Assert.All(page.Items, i => Assert.Equal(["bees"], i.Labels));
        Assert.Equal(0, (await Service.ListLabelsAsync(dataset.Id)).Single(l => l.Name == "ants").ImageCount);

        await using var db = _database.OpenContext();
        var audits = await db.AuditEvents.Where(a => a.Action == "labels-changed").OrderBy(a => a.EntityId).ToListAsync();
        Assert.Equal(2, audits.Count);
        var firstAudit = audits.Single(a => a.EntityId == first.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(("bob", "image"), (firstAudit.User, firstAudit.EntityType));
        Assert.Equal(["ants"], Labels(firstAudit.BeforeJson));
        Assert.Equal(["bees"], Labels(firstAudit.AfterJson));
        var secondAudit = audits.Single(a => a.EntityId == second.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(Labels(secondAudit.BeforeJson));
        Assert.Equal(["bees"], Labels(secondAudit.AfterJson));
    }

    [Fact]
    public async Task ChangeLabelsAsync_SingleLabelDatasetTwoLabels_IsRefusedAndNothingChanges()
    {
        var dataset = await Service.CreateAsync("insects", DatasetKind.SingleLabel, "ann");
        var ants = await Service.AddLabelAsync(dataset.Id, "ants", "ann");
        var bees = await Service.AddLabelAsync(dataset.Id, "bees", "ann");
        var image = await SeedImageAsync(dataset.Id, "a.jpg");

        var error = await Assert.ThrowsAsync<DomainException>(() => Service.ChangeLabelsAsync(dataset.Id, new LabelChange([image], [ants.Id, bees.Id], []), "bob"));

        Assert.Equal("invalid-label-change", error.Code);
        Assert.Contains("single-label", error.Message, StringComparison.Ordinal);
        Assert.Empty((await Service.QueryImagesAsync(dataset.Id, new ImageQuery())).Items.Single().Labels);
    }

    [Fact]
    public async Task ChangeLabelsAsync_MultiLabelDataset_AddsAndRemovesKeepingOthers()
    {
        var dataset = await Service.CreateAsync("scenes", DatasetKind.MultiLabel, "ann");
        var cat = await Service.AddLabelAsync(dataset.Id, "cat", "ann");
        var dog = await Service.AddLabelAsync(dataset.Id, "dog", "ann");
        var sofa = await Service.AddLabelAsync(dataset.Id, "sofa", "ann");
        var image = await SeedImageAsync(dataset.Id, "a.jpg", cat.Id, sofa.Id);
        var other = await SeedImageAsync(dataset.Id, "b.jpg", dog.Id);

        var results = await Service.ChangeLabelsAsync(dataset.Id, new LabelChange([image, other], [dog.Id], [sofa.Id]), "bob");

        Assert.Equal(["cat", "dog"], results[0].Labels);
        Assert.True(results[0].Changed);
        Assert.Equal(["dog"], results[1].Labels);
        Assert.False(results[1].Changed);
        Assert.Equal(2, results[1].Version);
        await using var db = _database.OpenContext();
        var audit = await db.AuditEvents.SingleAsync(a => a.Action == "labels-changed");
        Assert.Equal(image.ToString(System.Globalization.CultureInfo.InvariantCulture), audit.EntityId);
        Assert.Equal(["cat", "sofa"], Labels(audit.BeforeJson));
        Assert.Equal(["cat", "dog"], Labels(audit.AfterJson));
    }

    [Fact]
    public async Task ChangeLabelsAsync_StaleExpectedVersion_ThrowsConflictAndChangesNoImage()
    {
        var dataset = await Service.CreateAsync("insects", DatasetKind.SingleLabel, "ann");
        var ants = await Service.AddLabelAsync(dataset.Id, "ants", "ann");
        var bees = await Service.AddLabelAsync(dataset.Id, "bees", "ann");
        var image = await SeedImageAsync(dataset.Id, "a.jpg");
        var other = await SeedImageAsync(dataset.Id, "b.jpg");
        var seen = (await Service.QueryImagesAsync(dataset.Id, new ImageQuery())).Items.Single(i => i.Id == image).Version;
        await Service.ChangeLabelsAsync(dataset.Id, new LabelChange([image], [ants.Id], [], new Dictionary<long, long> { [image] = seen }), "ann");

        var error = await Assert.ThrowsAsync<ConcurrencyConflictException>(() =>
            Service.ChangeLabelsAsync(dataset.Id, new LabelChange([other, image], [bees.Id], [], new Dictionary<long, long> { [image] = seen }), "bob"));

        Assert.Equal("conflict", error.Code);
        Assert.Contains($"Image {image}", error.Message, StringComparison.Ordinal);
        var items = (await Service.QueryImagesAsync(dataset.Id, new ImageQuery())).Items;
        Assert.Equal(["ants"], items.Single(i => i.Id == image).Labels);
        Assert.Empty(items.Single(i => i.Id == other).Labels);
        await using var db = _database.OpenContext();
        Assert.Equal(1, await db.AuditEvents.CountAsync(a => a.Action == "labels-changed"));
    }

    [Fact]
    public async Task ChangeLabelsAsync_LabelOfAnotherDataset_ThrowsNotFound()
    {
        var dataset = await Service.CreateAsync("insects", DatasetKind.MultiLabel, "ann");
        var elsewhere = await Service.CreateAsync("other", DatasetKind.MultiLabel, "ann");
        var foreign = await Service.AddLabelAsync(elsewhere.Id, "cars", "ann");
        var image = await SeedImageAsync(dataset.Id, "a.jpg");

        var error = await Assert.ThrowsAsync<NotFoundException>(() => Service.ChangeLabelsAsync(dataset.Id, new LabelChange([image], [foreign.Id], []), "bob"));

        Assert.Contains($"Label {foreign.Id}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QueryImageIdsAsync_LabelFilter_ReturnsEveryMatchBeyondOnePage()
    {
        var dataset = await Service.CreateAsync("insects", DatasetKind.SingleLabel, "ann");
        var ants = await Service.AddLabelAsync(dataset.Id, "ants", "ann");
        var expected = new List<long>();
        for (var i = 0; i < 7; i++)
        {
            expected.Add(await SeedImageAsync(dataset.Id, $"ant-{i}.jpg", ants.Id));
            await SeedImageAsync(dataset.Id, $"other-{i}.jpg");
        }

        var ids = await Service.QueryImageIdsAsync(dataset.Id, new ImageQuery(LabelId: ants.Id, Take: 2));

        Assert.Equal(expected, ids);
    }

    private static List<string> Labels(string? json) =>
        [.. JsonDocument.Parse(json!).RootElement.GetProperty("labels").EnumerateArray().Select(e => e.GetString()!)];

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
