using VisionConsole.Domain.Datasets;
using VisionConsole.Web.Components.Pages.Datasets;

namespace VisionConsole.Tests.Web.Components;

public sealed class DatasetHealthViewTests
{
    private static DatasetHealth Detection() => new(
        DatasetId: 7,
        Kind: DatasetKind.ObjectDetection,
        ImageCount: 1_212,
        UnlabeledCount: 3,
        BoxCount: 1_400,
        Labels: [new LabelHealth(1, "raccoon", 1_200, 1_380), new LabelHealth(2, "skunk", 9, 20)],
        Splits:
        [
            new SplitCount(DataSplit.Train, 1_000, 1_080),
            new SplitCount(DataSplit.Validation, 100, 112),
            new SplitCount(DataSplit.Test, 12, 20),
            new SplitCount(DataSplit.Unassigned, 100, 0),
        ],
        Duplicates:
        [
            new DuplicateGroup([new DuplicateImage(4, "raccoon-4.jpg", "ab12cd34", DataSplit.Train), new DuplicateImage(9, "raccoon-4 (1).jpg", "ef56ab12", DataSplit.Test)]),
            new DuplicateGroup([new DuplicateImage(5, "skunk-1.jpg", "cd34ef56", DataSplit.Train), new DuplicateImage(6, "skunk-1-small.jpg", "ab12ef56", DataSplit.Train)]),
        ],
        BoxAreas:
        [
            new BoxAreaBucket(0, 0.001, 2), new BoxAreaBucket(0.001, 0.01, 8), new BoxAreaBucket(0.01, 0.05, 90),
            new BoxAreaBucket(0.05, 0.1, 300), new BoxAreaBucket(0.1, 0.25, 600), new BoxAreaBucket(0.25, 0.5, 300), new BoxAreaBucket(0.5, 1, 100),
        ],
        TinyBoxCount: 2,
        TinyBoxes: [],
        Warnings:
        [
            new HealthWarning("imbalance", "Labels are imbalanced: 'raccoon' has 1200 images, 'skunk' only 9 (more than 100x).", 2),
            new HealthWarning("few-images", "Label 'skunk' has 9 image(s); at least 10 are needed to train and evaluate it.", 2),
            new HealthWarning("unlabeled", "3 image(s) have no label or box."),
            new HealthWarning("duplicates", "2 group(s) of near-identical images (4 images: the same picture resized, re-encoded or lightly edited); 1 of them span more than one split."),
        ])
    {
        DuplicateGroupCount = 120,
    };

    [Fact]
    public async Task Render_ImbalancedDetectionDataset_ShowsCountsWarningsSplitsAndHistogram()
    {
        await using var harness = new ConsoleTestContext();

        var document = await harness.RenderAsync<DatasetHealthView>(new Dictionary<string, object?> { [nameof(DatasetHealthView.Health)] = Detection() });

        Assert.Equal("1,212", document.QuerySelector("[data-test=health-images]")!.TextContent);
        Assert.Equal("3", document.QuerySelector("[data-test=health-unlabeled]")!.TextContent);
        Assert.Equal("1,400", document.QuerySelector("[data-test=health-boxes]")!.TextContent);
        // The tile counts every group; the card lists the first ones.
        Assert.Equal("120", document.QuerySelector("[data-test=health-duplicates]")!.TextContent);
        Assert.Equal(["imbalance", "few-images", "unlabeled", "duplicates"],
            document.QuerySelectorAll(".health-warning").Select(w => w.GetAttribute("data-code")));
        Assert.Contains("more than 100x", document.QuerySelector(".health-warning[data-code=imbalance]")!.TextContent, StringComparison.Ordinal);

        var skunk = document.QuerySelector(".health-labels tr[data-label=skunk]")!;
        Assert.Equal("9", skunk.QuerySelector(".health-count")!.TextContent);
        Assert.Equal("20", skunk.QuerySelector(".health-box-count")!.TextContent);
        Assert.Contains("health-few", skunk.ClassList);
        Assert.DoesNotContain("health-few", document.QuerySelector(".health-labels tr[data-label=raccoon]")!.ClassList);
        // Bars are relative to the largest label.
        Assert.Equal("--health-share:100%", document.QuerySelector("tr[data-label=raccoon] .health-bar")!.GetAttribute("style"));
        Assert.Equal("--health-share:0.8%", skunk.QuerySelector(".health-bar")!.GetAttribute("style"));

        Assert.Equal("1,000", document.QuerySelector(".health-splits tr[data-split=Train] .health-stored")!.TextContent);
        Assert.Equal("1,080", document.QuerySelector(".health-splits tr[data-split=Train] .health-effective")!.TextContent);
        Assert.Equal("100", document.QuerySelector(".health-splits tr[data-split=Unassigned] .health-stored")!.TextContent);

        var buckets = document.QuerySelectorAll(".health-histogram .health-bucket");
        Assert.Equal(["2", "8", "90", "300", "600", "300", "100"], buckets.Select(b => b.GetAttribute("data-count")));
        Assert.Equal("10–25%", buckets[4].GetAttribute("data-range"));
        Assert.Equal("0–0.1%", buckets[0].GetAttribute("data-range"));
        // The tallest bucket fills the chart; the others scale with their counts.
        var heights = buckets.Select(b => double.Parse(b.QuerySelector("rect")!.GetAttribute("height")!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(140, heights[4]);
        Assert.Equal(70, heights[3]);
        Assert.Contains("2 box(es)", document.QuerySelector("[data-test=health-tiny]")!.TextContent, StringComparison.Ordinal);
        // Each group shows its images' thumbnails, names and splits; the one spanning splits is marked.
        var groups = document.QuerySelectorAll("[data-test=duplicate-group]");
        Assert.Equal(["true", "false"], groups.Select(g => g.GetAttribute("data-crosses-splits")));
        Assert.Equal(["/api/blobs/ab12cd34/thumbnail", "/api/blobs/ef56ab12/thumbnail"], groups[0].QuerySelectorAll("img").Select(i => i.GetAttribute("src")));
        Assert.Equal(["raccoon-4.jpg", "raccoon-4 (1).jpg"], groups[0].QuerySelectorAll("figcaption").Select(c => c.TextContent));
        Assert.Equal(["TRAIN", "TEST"], groups[0].QuerySelectorAll("figure .badge").Select(b => b.TextContent));
        Assert.Contains("spans splits", groups[0].TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain("spans splits", groups[1].TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_HealthyClassificationDataset_NoWarningsAndNoBoxHistogram()
    {
        await using var harness = new ConsoleTestContext();
        var health = new DatasetHealth(3, DatasetKind.SingleLabel, 40, 0, 0,
            [new LabelHealth(1, "ants", 20, 0), new LabelHealth(2, "bees", 20, 0)],
            [new SplitCount(DataSplit.Train, 32, 32), new SplitCount(DataSplit.Validation, 4, 4), new SplitCount(DataSplit.Test, 4, 4), new SplitCount(DataSplit.Unassigned, 0, 0)],
            [], [], 0, [], []);

        var document = await harness.RenderAsync<DatasetHealthView>(new Dictionary<string, object?> { [nameof(DatasetHealthView.Health)] = health });

        Assert.NotNull(document.QuerySelector("[data-test=health-ok]"));
        Assert.Empty(document.QuerySelectorAll(".health-warning"));
        Assert.Null(document.QuerySelector(".health-histogram"));
        Assert.Null(document.QuerySelector("[data-test=health-boxes]"));
        Assert.Null(document.QuerySelector(".health-box-count"));
        Assert.Equal(["ants", "bees"], document.QuerySelectorAll(".health-labels tbody tr").Select(r => r.GetAttribute("data-label")));
    }
}
