using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Export;
using VisionConsole.Domain.Imaging;
using VisionConsole.Domain.Import;
using static VisionConsole.Tests.Domain.Import.ImportJobFixture;
using static VisionConsole.Tests.Domain.Import.ImportTestData;

namespace VisionConsole.Tests.Domain.Import;

/// <summary>The import job on a real SQLite file and the real libvips image store, with the real hymenoptera and raccoon sets.</summary>
public sealed class ImportJobTests
{
    private static readonly List<(string File, string Label, double XMin, double YMin, double XMax, double YMax, int Width, int Height)> Voc = RaccoonVocBoxes();

    [Fact]
    public async Task RunAsync_HymenopteraFolderZip_Imports245TrainAnd153ValidationInTheirLabelsAndRoundTripsThroughExports()
    {
        await using var db = await ImportJobFixture.CreateAsync();
        using var temp = new TempFolder();
        var files = HymenopteraFiles();
        var zip = WriteZip(temp.File("hymenoptera.zip"),
            files.Select(f => ($"hymenoptera_data/{f.Split}/{f.Label}/{Path.GetFileName(f.File)}", (string?)f.File, (byte[]?)null)));
        var datasets = db.Get<IDatasetService>();
        var dataset = await datasets.CreateAsync("insects", DatasetKind.SingleLabel, "ann");
        var reports = new List<ImportProgress>();

        var result = await db.ImportAsync(dataset.Id, [new ImportFile("hymenoptera.zip", zip)], new SyncProgress<ImportProgress>(reports.Add));

        // The GIF placeholder (train/ants/imageNotFound.gif, a real 300x300 GIF) passes intake like any photo.
        Assert.Equal((ImportFormat.FolderTree, 398, 398, 0, 0, 0, 0, 2, 398, 0),
            (result.Format, result.Items, result.Imported, result.Duplicates, result.Refused, result.Errors, result.Warnings, result.LabelsCreated, result.LabelsAssigned, result.BoxesAdded));
        var snapshot = await db.SnapshotAsync(dataset.Id);
        Assert.Equal(398, snapshot.Count);
        Assert.Equal(245, snapshot.Values.Count(i => i.Split == DataSplit.Train));
        Assert.Equal(153, snapshot.Values.Count(i => i.Split == DataSplit.Validation));
        foreach (var (split, label, file) in files)
        {
            var image = snapshot[Sha256Of(file)];
            Assert.Equal((Path.GetFileName(file), split == "train" ? DataSplit.Train : DataSplit.Validation), (image.FileName, image.Split));
            Assert.Equal([label], image.Labels);
        }
        Assert.Equal([("ants", 194), ("bees", 204)], (await datasets.ListLabelsAsync(dataset.Id)).Select(l => (l.Name, l.ImageCount)));
        await using (var context = db.OpenContext())
        {
            var gif = await context.Images.SingleAsync(i => i.DatasetId == dataset.Id && i.FileName == "imageNotFound.gif");
            Assert.Equal((ImageFormat.Gif, 300, 300, DataSplit.Train), (gif.Format, gif.Width, gif.Height, gif.Split));
            Assert.Equal(1, await context.AuditEvents.CountAsync(a => a.EntityType == "dataset" && a.Action == "imported"));
        }
        // Progress: one report per image after the reading step, ending at 398/398.
        Assert.Equal(ImportPhase.Reading, reports[0].Phase);
        Assert.Equal(Enumerable.Range(1, 398), reports.Where(r => r.Phase == ImportPhase.Importing).Select(r => r.Done));
        Assert.Equal((ImportPhase.Done, 398, 398, 398), (reports[^1].Phase, reports[^1].Done, reports[^1].Total, reports[^1].Imported));
        // The report exists and holds only its header.
        Assert.Equal([["severity", "source", "line", "entry", "message", "fix"]], ReadReport(Path.Combine(db.Options.DataFolder, result.ReportFile)));

        foreach (var format in new[] { ExportFormat.FolderZip, ExportFormat.AutoMlCsv })
        {
            var exported = await db.ExportAsync(dataset.Id, format);
            var copy = await datasets.CreateAsync($"insects {format}", DatasetKind.SingleLabel, "ann");
            var again = await db.ImportAsync(copy.Id, [new ImportFile(Path.GetFileName(exported), exported)]);
            Assert.Equal((398, 0, 0), (again.Imported, again.Refused, again.Errors));
            AssertSameContent(snapshot, await db.SnapshotAsync(copy.Id));
        }
    }

    [Fact]
    public async Task RunAsync_HymenopteraAutoMlCsvWithLooseImages_Imports245TrainAnd153Validation()
    {
        await using var db = await ImportJobFixture.CreateAsync();
        using var temp = new TempFolder();
        var files = HymenopteraFiles();
        var csv = new StringBuilder();
        foreach (var (split, label, file) in files)
            csv.Append(CultureInfo.InvariantCulture, $"{(split == "train" ? "TRAIN" : "VALIDATION")},gs://bucket/hymenoptera/{split}/{label}/{Path.GetFileName(file)},{label}\n");
        var csvPath = temp.Write("hymenoptera.csv", csv.ToString());
        var dataset = await db.Get<IDatasetService>().CreateAsync("insects", DatasetKind.SingleLabel, "ann");

        var result = await db.ImportAsync(dataset.Id,
            files.Select(f => new ImportFile($"{f.Split}/{f.Label}/{Path.GetFileName(f.File)}", f.File)).Prepend(new ImportFile("hymenoptera.csv", csvPath)));

        Assert.Equal((ImportFormat.Csv, 398, 398, 0, 0, 0), (result.Format, result.Items, result.Imported, result.Duplicates, result.Refused, result.Errors));
        var snapshot = await db.SnapshotAsync(dataset.Id);
        Assert.Equal(245, snapshot.Values.Count(i => i.Split == DataSplit.Train));
        Assert.Equal(153, snapshot.Values.Count(i => i.Split == DataSplit.Validation));
        foreach (var (split, label, file) in files)
            Assert.Equal((label, split == "train" ? DataSplit.Train : DataSplit.Validation), (string.Join(',', snapshot[Sha256Of(file)].Labels), snapshot[Sha256Of(file)].Split));
    }

    [Fact]
    public async Task RunAsync_RaccoonVoc_Gives196ImagesWith217BoxesMergingTheFourDuplicatePairsAndRoundTripsThroughEveryDetectionExport()
    {
        await using var db = await ImportJobFixture.CreateAsync();
        var datasets = db.Get<IDatasetService>();
        var dataset = await datasets.CreateAsync("raccoons", DatasetKind.ObjectDetection, "ann");

        var result = await db.ImportAsync(dataset.Id,
            Loose(Path.Combine(Raccoon, "annotations"), "raccoon/annotations/").Concat(Loose(Path.Combine(Raccoon, "images"), "raccoon/images/")));

        Assert.Equal((ImportFormat.PascalVoc, 200, 196, 4, 0, 0, 1, 217), (result.Format, result.Items, result.Imported, result.Duplicates, result.Refused, result.Errors, result.LabelsCreated, result.BoxesAdded));
        var snapshot = await db.SnapshotAsync(dataset.Id);
        AssertRaccoonBoxes(snapshot);
        // Each merged copy is a Warning naming both files.
        var merged = ReadReport(Path.Combine(db.Options.DataFolder, result.ReportFile)).Skip(1).Where(r => r[4].StartsWith("Same content", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, merged.Count);
        Assert.Contains(merged, r => r[0] == "Warning" && r[1] == "raccoon/images/raccoon-74.jpg" && r[4].Contains("'raccoon/images/raccoon-52.jpg' earlier in this upload", StringComparison.Ordinal));
        Assert.Equal(4, result.Warnings);

        foreach (var format in new[] { ExportFormat.PascalVoc, ExportFormat.Coco, ExportFormat.AutoMlCsv })
        {
            var exported = await db.ExportAsync(dataset.Id, format);
            var copy = await datasets.CreateAsync($"raccoons {format}", DatasetKind.ObjectDetection, "ann");
            var again = await db.ImportAsync(copy.Id, [new ImportFile("export.zip", exported)]);
            Assert.Equal((196, 0, 0, 217), (again.Imported, again.Duplicates, again.Errors, again.BoxesAdded));
            AssertSameContent(snapshot, await db.SnapshotAsync(copy.Id));
        }
    }

    [Fact]
    public async Task RunAsync_RaccoonCsvConvertedToAutoMl_Gives217BoxesWithTrainAndTestSplits()
    {
        await using var db = await ImportJobFixture.CreateAsync();
        using var temp = new TempFolder();
        var test = File.ReadAllLines(Path.Combine(Raccoon, "data", "test_labels.csv")).Skip(1).Select(l => l.Split(',')[0]).ToHashSet(StringComparer.Ordinal);
        var csv = new StringBuilder();
        foreach (var line in File.ReadAllLines(Path.Combine(Raccoon, "data", "raccoon_labels.csv")).Skip(1))
        {
            var f = line.Split(',');
            double D(int i) => double.Parse(f[i], CultureInfo.InvariantCulture);
            var (w, h) = (D(1), D(2));
            csv.Append(CultureInfo.InvariantCulture, $"{(test.Contains(f[0]) ? "TEST" : "TRAIN")},gs://raccoon-bucket/images/{f[0]},{f[3]},{Format(D(4) / w)},{Format(D(5) / h)},,,{Format(D(6) / w)},{Format(D(7) / h)},,\n");
        }
        var csvPath = temp.Write("raccoon_automl.csv", csv.ToString());
        var dataset = await db.Get<IDatasetService>().CreateAsync("raccoons", DatasetKind.ObjectDetection, "ann");

        var result = await db.ImportAsync(dataset.Id, Loose(Path.Combine(Raccoon, "images"), "images/").Prepend(new ImportFile("raccoon_automl.csv", csvPath)));

        Assert.Equal((ImportFormat.Csv, 200, 196, 4, 0, 0, 217), (result.Format, result.Items, result.Imported, result.Duplicates, result.Refused, result.Errors, result.BoxesAdded));
        var snapshot = await db.SnapshotAsync(dataset.Id);
        AssertRaccoonBoxes(snapshot);
        var testShas = test.Select(f => Sha256Of(Path.Combine(Raccoon, "images", f))).ToHashSet(StringComparer.Ordinal);
        Assert.All(snapshot, kv => Assert.Equal(testShas.Contains(kv.Key) ? DataSplit.Test : DataSplit.Train, kv.Value.Split));
    }

    [Fact]
    public async Task RunAsync_RaccoonGeneratedCoco_Gives217PixelBoxesNormalized()
    {
        await using var db = await ImportJobFixture.CreateAsync();
        using var temp = new TempFolder();
        var byFile = Voc.GroupBy(b => b.File).ToList();
        var coco = new
        {
            images = byFile.Select((g, i) => new { id = i + 1, file_name = g.Key, width = g.First().Width, height = g.First().Height }),
            categories = new[] { new { id = 7, name = "raccoon" } },
            annotations = byFile.SelectMany((g, i) => g.Select(b => new { image_id = i + 1, category_id = 7, bbox = new[] { b.XMin, b.YMin, b.XMax - b.XMin, b.YMax - b.YMin } }))
                .Select((a, k) => new { id = k + 1, a.image_id, a.category_id, a.bbox }),
        };
        var json = temp.Write("instances.json", JsonSerializer.Serialize(coco));
        var dataset = await db.Get<IDatasetService>().CreateAsync("raccoons", DatasetKind.ObjectDetection, "ann");

        var result = await db.ImportAsync(dataset.Id, Loose(Path.Combine(Raccoon, "images"), "images/").Prepend(new ImportFile("instances.json", json)));

        Assert.Equal((ImportFormat.Coco, 200, 196, 4, 0, 0, 217), (result.Format, result.Items, result.Imported, result.Duplicates, result.Refused, result.Errors, result.BoxesAdded));
        AssertRaccoonBoxes(await db.SnapshotAsync(dataset.Id));
    }

    [Fact]
    public async Task RunAsync_NothingImportable_FailsWithTheReasonAndTheReportListsTheRefusals()
    {
        await using var db = await ImportJobFixture.CreateAsync();
        using var temp = new TempFolder();
        var dataset = await db.Get<IDatasetService>().CreateAsync("insects", DatasetKind.SingleLabel, "ann");
        var notes = temp.Write("notes.jpg", "these are notes, not a photo");

        var error = await Assert.ThrowsAsync<VisionConsole.Domain.DomainException>(() => db.ImportAsync(dataset.Id, [new ImportFile("notes.jpg", notes)]));

        Assert.Equal("dataset-corrupt", error.Code);
        Assert.StartsWith("Nothing was imported: none of the 1 image(s) in the upload could be added", error.Message, StringComparison.Ordinal);
        var reports = Directory.GetFiles(db.Options.ReportFolder, "import-*.csv");
        var report = await ImportJob.ReadReportAsync(Assert.Single(reports), take: 100);
        Assert.Equal(report.Total, report.Issues.Count);
        Assert.Contains(report.Issues, i => i.Severity == ImportSeverity.Error && i.Message.Contains("notes.jpg", StringComparison.Ordinal));
        Assert.Equal(error.Message, report.Issues[^1].Message);
        Assert.Empty(await db.Get<IDatasetService>().ListLabelsAsync(dataset.Id));
    }

    [Fact]
    public async Task ReadReportAsync_MoreFindingsThanAsked_FirstOnesAndTheTotal()
    {
        using var temp = new TempFolder();
        var path = Path.Combine(temp.Path, "report.csv");
        var issues = Enumerable.Range(1, 150).Select(i => new ImportIssue(i % 2 == 0 ? ImportSeverity.Warning : ImportSeverity.Error, "labels.csv", i, null, $"row {i}, with \"quotes\"", i == 1 ? "ants" : null));
        await ImportJob.WriteReportAsync(path, issues);

        var page = await ImportJob.ReadReportAsync(path, take: 100);

        Assert.Equal(150, page.Total);
        Assert.Equal(100, page.Issues.Count);
        Assert.Equal(new ImportIssue(ImportSeverity.Error, "labels.csv", 1, null, "row 1, with \"quotes\"", "ants"), page.Issues[0]);
        Assert.Equal(ImportSeverity.Warning, page.Issues[1].Severity);
    }

    [Fact]
    public async Task RunAsync_CancelledMidImport_LeavesTheDatasetExactlyAsItWas()
    {
        await using var db = await ImportJobFixture.CreateAsync();
        using var temp = new TempFolder();
        var files = HymenopteraFiles().Where(f => f.Split == "train").Take(60).ToList();
        var dataset = await db.Get<IDatasetService>().CreateAsync("insects", DatasetKind.MultiLabel, "ann");
        // Before: 5 images labeled "first".
        var before = files.Take(5).Select(f => Invariant($"TRAIN,{Path.GetFileName(f.File)},first"));
        await db.ImportAsync(dataset.Id, files.Take(5).Select(f => new ImportFile(Path.GetFileName(f.File), f.File))
            .Prepend(new ImportFile("before.csv", temp.Write("before.csv", string.Join('\n', before)))));
        var snapshot = await db.SnapshotAsync(dataset.Id);
        int labelsBefore, auditsBefore;
        await using (var context = db.OpenContext())
            (labelsBefore, auditsBefore) = (await context.Labels.CountAsync(), await context.AuditEvents.CountAsync());

        // The import re-labels the 5 (merged into the existing rows), adds new images and a new label (committed at once, on
        // its own), and is cancelled after 40 of its 60 images.
        var rows = files.Select(f => Invariant($"VALIDATION,{Path.GetFileName(f.File)},second"));
        var csv = temp.Write("second.csv", string.Join('\n', rows));
        using var cancel = new CancellationTokenSource();
        var seen = 0;
        var progress = new SyncProgress<ImportProgress>(p =>
        {
            seen = p.Done;
            if (p.Phase == ImportPhase.Importing && p.Done == 40)
                cancel.Cancel();
        });
        await using (var context = db.OpenContext())
            Assert.Equal(5, await context.Images.CountAsync());

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            db.ImportAsync(dataset.Id, files.Select(f => new ImportFile(Path.GetFileName(f.File), f.File)).Prepend(new ImportFile("second.csv", csv)), progress, cancel.Token));

        Assert.Equal(40, seen);
        AssertSameContent(snapshot, await db.SnapshotAsync(dataset.Id));
        await using (var context = db.OpenContext())
        {
            Assert.Equal(labelsBefore, await context.Labels.CountAsync());
            Assert.Equal(5, await context.Images.CountAsync());
            Assert.Equal(auditsBefore, await context.AuditEvents.CountAsync());
        }
    }

    [Fact]
    public async Task RunAsync_CancelledAfterABatchWasCommitted_RemovesTheCommittedRowsToo()
    {
        await using var db = await ImportJobFixture.CreateAsync();
        var files = HymenopteraFiles().Where(f => f.Label == "bees").Take(ImportJob.BatchSize + 6).ToList();
        using var temp = new TempFolder();
        var zip = WriteZip(temp.File("bees.zip"), files.Select(f => ($"bees/{Path.GetFileName(f.File)}", (string?)f.File, (byte[]?)null)));
        var dataset = await db.Get<IDatasetService>().CreateAsync("insects", DatasetKind.SingleLabel, "ann");
        using var cancel = new CancellationTokenSource();
        var committedSeen = 0;
        var progress = new SyncProgress<ImportProgress>(p =>
        {
            if (p.Phase == ImportPhase.Importing && p.Done == ImportJob.BatchSize + 3)
            {
                // The first batch is in the database (visible to other connections) before the cancel.
                using var context = db.OpenContext();
                committedSeen = context.Images.Count(i => i.DatasetId == dataset.Id);
                cancel.Cancel();
            }
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => db.ImportAsync(dataset.Id, [new ImportFile("bees.zip", zip)], progress, cancel.Token));

        Assert.Equal(ImportJob.BatchSize, committedSeen);
        await using var check = db.OpenContext();
        Assert.Equal(0, await check.Images.CountAsync());
        Assert.Equal(0, await check.Labels.CountAsync());
        Assert.Equal(0, await check.ImageLabels.CountAsync());
        var report = ReadSingleReport(Path.Combine(db.Options.DataFolder, "reports"));
        Assert.Contains(report, r => r[0] == "Error" && r[4].Contains("cancelled", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_SameImagesAgainWithAnotherLabel_MergesIntoTheExistingImagesWithoutStoringTwice()
    {
        await using var db = await ImportJobFixture.CreateAsync();
        using var temp = new TempFolder();
        var files = HymenopteraFiles().Take(4).ToList();
        var dataset = await db.Get<IDatasetService>().CreateAsync("insects", DatasetKind.MultiLabel, "ann");
        var first = temp.Write("a.csv", string.Join('\n', files.Select(f => Invariant($"TRAIN,{Path.GetFileName(f.File)},ant"))));
        var second = temp.Write("b.csv", string.Join('\n', files.Select(f => Invariant($"TEST,{Path.GetFileName(f.File)},insect"))));
        await db.ImportAsync(dataset.Id, files.Select(f => new ImportFile(Path.GetFileName(f.File), f.File)).Prepend(new ImportFile("a.csv", first)));

        var result = await db.ImportAsync(dataset.Id, files.Select(f => new ImportFile(Path.GetFileName(f.File), f.File)).Prepend(new ImportFile("b.csv", second)));

        Assert.Equal((4, 0, 4, 4, 1), (result.Items, result.Imported, result.Duplicates, result.LabelsAssigned, result.LabelsCreated));
        var snapshot = await db.SnapshotAsync(dataset.Id);
        Assert.Equal(4, snapshot.Count);
        // Labels unioned; the split the images already had is kept (and the report says so).
        Assert.All(snapshot.Values, i => Assert.Equal(("ant,insect", DataSplit.Train), (string.Join(',', i.Labels), i.Split)));
        var report = ReadReport(Path.Combine(db.Options.DataFolder, result.ReportFile)).Skip(1).ToList();
        Assert.Equal(4, report.Count);
        Assert.All(report, r => Assert.Contains("already in the dataset; merged into that image (not stored twice), labels and boxes combined. Its split Test was not applied; the image keeps Train.", r[4], StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_SomeoneLabelsAnImageTheImportIsMergingInto_BothLabelsLandAndTheImportSucceeds()
    {
        await using var db = await ImportJobFixture.CreateAsync();
        using var temp = new TempFolder();
        var files = HymenopteraFiles().Take(6).ToList();
        var datasets = db.Get<IDatasetService>();
        var dataset = await datasets.CreateAsync("insects", DatasetKind.MultiLabel, "ann");
        var first = temp.Write("a.csv", string.Join('\n', files.Take(4).Select(f => Invariant($"TRAIN,{Path.GetFileName(f.File)},ant"))));
        await db.ImportAsync(dataset.Id, files.Take(4).Select(f => new ImportFile(Path.GetFileName(f.File), f.File)).Prepend(new ImportFile("a.csv", first)));
        var queen = await datasets.AddLabelAsync(dataset.Id, "queen", "bob");
        var firstImage = (await datasets.QueryImagesAsync(dataset.Id, new ImageQuery())).Items.Single(i => i.FileName == Path.GetFileName(files[0].File));

        // While the second import holds the first image (merged, not yet committed), bob labels that image: its version moves on
        // under the import, whose commit then finds the row changed.
        var labeledByBob = false;
        var progress = new SyncProgress<ImportProgress>(p =>
        {
            if (p.Phase == ImportPhase.Importing && p.Done == 3 && !labeledByBob)
            {
                labeledByBob = true;
                datasets.ChangeLabelsAsync(dataset.Id, new LabelChange([firstImage.Id], [queen.Id], []), "bob").GetAwaiter().GetResult();
            }
        });
        var second = temp.Write("b.csv", string.Join('\n', files.Select(f => Invariant($"TRAIN,{Path.GetFileName(f.File)},insect"))));
        var result = await db.ImportAsync(dataset.Id, files.Select(f => new ImportFile(Path.GetFileName(f.File), f.File)).Prepend(new ImportFile("b.csv", second)), progress);

        Assert.True(labeledByBob);
        Assert.Equal((6, 2, 4, 6, 1), (result.Items, result.Imported, result.Duplicates, result.LabelsAssigned, result.LabelsCreated));
        var snapshot = await db.SnapshotAsync(dataset.Id);
        Assert.Equal(6, snapshot.Count);
        Assert.Equal("ant,insect,queen", string.Join(',', snapshot[Sha256Of(files[0].File)].Labels));
        Assert.All(files.Skip(1).Take(3), f => Assert.Equal("ant,insect", string.Join(',', snapshot[Sha256Of(f.File)].Labels)));
        Assert.All(files.Skip(4), f => Assert.Equal("insect", string.Join(',', snapshot[Sha256Of(f.File)].Labels)));
        // Each merge is reported once, though the batch was applied twice.
        var report = ReadReport(Path.Combine(db.Options.DataFolder, result.ReportFile)).Skip(1).ToList();
        Assert.Equal(4, report.Count(r => r[4].Contains("merged into that image", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task RunAsync_VocBoxesIntoAClassificationDataset_ImportsTheImagesUnlabeledAndWarnsOnceWithTheCount()
    {
        await using var db = await ImportJobFixture.CreateAsync();
        var names = new[] { "raccoon-1", "raccoon-2", "raccoon-3" };
        var files = names.SelectMany(n => new[]
        {
            new ImportFile($"annotations/{n}.xml", Path.Combine(Raccoon, "annotations", n + ".xml")),
            new ImportFile($"images/{n}.jpg", Path.Combine(Raccoon, "images", n + ".jpg")),
        });
        var boxes = Voc.Count(b => names.Contains(Path.GetFileNameWithoutExtension(b.File)));
        var dataset = await db.Get<IDatasetService>().CreateAsync("not boxes", DatasetKind.SingleLabel, "ann");

        var result = await db.ImportAsync(dataset.Id, files);

        Assert.Equal((3, 0, 0, 1), (result.Imported, result.BoxesAdded, result.LabelsCreated, result.Warnings));
        var warning = Assert.Single(ReadReport(Path.Combine(db.Options.DataFolder, result.ReportFile)).Skip(1));
        Assert.Equal(("Warning", "import"), (warning[0], warning[1]));
        Assert.Equal($"{boxes} box(es) were ignored: this is a classification dataset, which holds whole-image labels only. Import them into an object detection dataset.", warning[4]);
    }

    private static void AssertRaccoonBoxes(Dictionary<string, ImageContent> snapshot)
    {
        Assert.Equal(196, snapshot.Count);
        Assert.Equal(217, snapshot.Values.Sum(i => i.Boxes.Count));
        // Expected boxes from the VOC files, by content: a duplicate pair's two annotations both land on the one image.
        var expected = Voc.GroupBy(b => Sha256Of(Path.Combine(Raccoon, "images", b.File)))
            .ToDictionary(g => g.Key, g => g.Select(b => (b.Label, Left: b.XMin / b.Width, Top: b.YMin / b.Height, Width: (b.XMax - b.XMin) / b.Width, Height: (b.YMax - b.YMin) / b.Height))
                .OrderBy(b => b.Left).ThenBy(b => b.Top).ThenBy(b => b.Width).ToList());
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), snapshot.Keys.Order(StringComparer.Ordinal));
        foreach (var (sha, boxes) in expected)
        {
            var actual = snapshot[sha].Boxes;
            Assert.Equal(boxes.Count, actual.Count);
            for (var k = 0; k < boxes.Count; k++)
            {
                Assert.Equal(boxes[k].Label, actual[k].Label);
                Assert.Equal(boxes[k].Left, actual[k].Left, 1e-6);
                Assert.Equal(boxes[k].Top, actual[k].Top, 1e-6);
                Assert.Equal(boxes[k].Width, actual[k].Width, 1e-6);
                Assert.Equal(boxes[k].Height, actual[k].Height, 1e-6);
            }
        }
    }

    private static List<string[]> ReadSingleReport(string folder) =>
        ImportJobFixture.ReadReport(Directory.EnumerateFiles(folder, "import-*.csv").Single());
}

/// <summary>An <see cref="IProgress{T}"/> that calls back on the reporting thread (Progress&lt;T&gt; posts to the pool).</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
