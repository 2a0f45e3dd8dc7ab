using System.Collections.Concurrent;
using System.IO.Compression;
using Microsoft.EntityFrameworkCore;
using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Imaging;
using VisionConsole.Domain.Storage;
using VisionConsole.Tests.Domain.Datasets;
using VisionConsole.Tests.Domain.Import;

namespace VisionConsole.Tests.Domain.Storage;

/// <summary>
/// Backups of a real data folder (a SQLite file, real photos of <c>../shared/datasets</c> in the image store) restored into a
/// fresh folder, and a backup taken while twenty labelers write.
/// </summary>
public sealed class DataBackupTests : IAsyncLifetime
{
    private TestDatabase _database = null!;
    private readonly List<string> _folders = [];

    public async Task InitializeAsync() => _database = await ImportJobFixture.CreateAsync();

    public async Task DisposeAsync()
    {
        await _database.DisposeAsync();
        _folders.ForEach(TestDatabase.DeleteFolder);
    }

    [Fact]
    public async Task RestoreAsync_BackupOfALabeledDataFolder_SameDatasetsLabelsBoxesAndImages()
    {
        var datasets = _database.Get<IDatasetService>();
        var intake = _database.Get<IImageIntake>();
        var insects = await datasets.CreateAsync("insects", DatasetKind.SingleLabel, "ann");
        var ants = await datasets.AddLabelAsync(insects.Id, "ants", "ann");
        var bees = await datasets.AddLabelAsync(insects.Id, "bees", "ann");
        foreach (var (label, file) in Photos("hymenoptera/train/ants", 3).Select(f => (ants, f)).Concat(Photos("hymenoptera/train/bees", 3).Select(f => (bees, f))))
        {
            await using var stream = File.OpenRead(file);
            var added = await intake.AddAsync(insects.Id, Path.GetFileName(file), stream, "ann");
            await datasets.ChangeLabelsAsync(insects.Id, new LabelChange([added.ImageId!.Value], [label.Id], []), "ann");
        }
        var raccoons = await datasets.CreateAsync("raccoons", DatasetKind.ObjectDetection, "bob");
        var raccoon = await datasets.AddLabelAsync(raccoons.Id, "raccoon", "bob");
        foreach (var file in Photos("raccoon/images", 2))
        {
            await using var stream = File.OpenRead(file);
            var added = await intake.AddAsync(raccoons.Id, Path.GetFileName(file), stream, "bob");
            await _database.Get<IBoxLabeling>().AddBoxAsync(raccoons.Id, added.ImageId!.Value, raccoon.Id, new BoxRect(0.1, 0.2, 0.3, 0.4), null, "bob");
        }
        var options = _database.Options;
        // A model version's files are kept; what the console makes again (thumbnails, features) and staging are not.
        WriteFile(Path.Combine(options.DataFolder, "models", "7", "v1", "model.onnx"), "model");
        WriteFile(Path.Combine(options.DataFolder, "models", ".staging", "op-9", "model.onnx"), "half-written");
        WriteFile(Path.Combine(options.BlobFolder, DataFolderUsage.ThumbnailFolderName, "ab", "thumb.webp"), "thumbnail");
        WriteFile(Path.Combine(options.DataFolder, "features", "mobilenet", "x.bin"), "features");
        var backup = Path.Combine(NewFolder(), "backup.zip");

        var written = await DataBackup.WriteAsync(options, backup);
        var restoredFolder = NewFolder();
        var restored = await DataBackup.RestoreAsync(backup, new ConsoleOptions { DataFolder = restoredFolder });

        Assert.Equal(written, restored);
        Assert.Equal((2L, 3L, 8L, 6L, 2L), (written.Counts.Datasets, written.Counts.Labels, written.Counts.Images, written.Counts.ImageLabels, written.Counts.Boxes));
        using (var zip = ZipFile.OpenRead(backup))
        {
            var names = zip.Entries.Select(e => e.FullName).ToList();
            Assert.Contains("models/7/v1/model.onnx", names);
            Assert.DoesNotContain(names, n => n.Contains(".staging", StringComparison.Ordinal) || n.Contains("thumbs/", StringComparison.Ordinal) || n.StartsWith("features/", StringComparison.Ordinal));
        }
        await using var copy = TestDatabase.CreateUninitialized(ImportJobFixture.AddImaging, restoredFolder);
        await copy.Get<ConsoleDatabase>().InitializeAsync();
        Assert.Equal(await Describe(_database), await Describe(copy));
        var integrity = await copy.Get<IntegrityCheck>().RunAsync();
        Assert.True(integrity.Clean, string.Join("; ", integrity.Problems.Select(p => p.What)));
        Assert.Equal(8, integrity.Images);
        // Every image's bytes came along: the restored store serves the same photo.
        await using var db = copy.OpenContext();
        foreach (var sha in await db.Images.Select(i => i.Sha256).ToListAsync())
        {
            Assert.Equal(await _database.Get<IImageStore>().ReadOriginalAsync(sha), await copy.Get<IImageStore>().ReadOriginalAsync(sha));
        }
        Assert.Equal("model", await File.ReadAllTextAsync(Path.Combine(restoredFolder, "models", "7", "v1", "model.onnx")));
    }

    [Fact]
    public async Task WriteAsync_WhileTwentyLabelersWrite_RestoreHoldsEveryWriteAcknowledgedBeforeItStarted()
    {
        var datasets = _database.Get<IDatasetService>();
        var boxes = _database.Get<IBoxLabeling>();
        var dataset = await datasets.CreateAsync("busy", DatasetKind.ObjectDetection, "lead");
        var label = await datasets.AddLabelAsync(dataset.Id, "thing", "lead");
        var images = new List<long>();
        for (var i = 0; i < 20; i++)
            images.Add(await _database.SeedImageAsync(dataset.Id, $"image-{i}.jpg"));
        var acknowledged = new ConcurrentBag<(long BoxId, DateTimeOffset At)>();
        using var stop = new CancellationTokenSource();

        // Twenty labelers, each drawing boxes on its own image as fast as the database takes them.
        var labelers = images.Select((image, n) => Task.Run(async () =>
        {
            var random = new Random(n);
            while (!stop.IsCancellationRequested)
            {
                var added = await boxes.AddBoxAsync(dataset.Id, image, label.Id, new BoxRect(random.NextDouble() * 0.5, random.NextDouble() * 0.5, 0.2, 0.2), null, $"labeler{n}");
                acknowledged.Add((added.BoxId, DateTimeOffset.UtcNow));
            }
        })).ToList();
        while (acknowledged.Count < 100)
            await Task.Delay(20);
        var backup = Path.Combine(NewFolder(), "busy.zip");
        var manifest = await DataBackup.WriteAsync(_database.Options, backup);
        var afterBackup = acknowledged.Count;
        while (acknowledged.Count < afterBackup + 20)
            await Task.Delay(20);
        await stop.CancelAsync();
        await Task.WhenAll(labelers);

        var restoredFolder = NewFolder();
        await DataBackup.RestoreAsync(backup, new ConsoleOptions { DataFolder = restoredFolder });
        await using var copy = TestDatabase.CreateUninitialized(folder: restoredFolder);
        await using var db = copy.OpenContext();
        var restored = (await db.Boxes.Select(b => b.Id).ToListAsync()).ToHashSet();
        var before = acknowledged.Where(a => a.At < manifest.CreatedAt).Select(a => a.BoxId).ToList();
        Assert.True(before.Count >= 100, $"only {before.Count} writes were acknowledged before the backup");
        Assert.All(before, id => Assert.Contains(id, restored));
        Assert.Equal(manifest.Counts.Boxes, restored.Count);
        // The labelers kept writing while it ran: the live database holds more boxes than the snapshot.
        await using var live = _database.OpenContext();
        Assert.True(await live.Boxes.CountAsync() > restored.Count);
    }

    [Fact]
    public async Task RestoreAsync_FolderWithADatabase_RefusedAndLeftAlone()
    {
        var backup = Path.Combine(NewFolder(), "backup.zip");
        await DataBackup.WriteAsync(_database.Options, backup);

        var error = await Assert.ThrowsAsync<DomainException>(() => DataBackup.RestoreAsync(backup, _database.Options));

        Assert.Equal("data-folder-in-use", error.Code);
        Assert.Contains(_database.Options.DatabasePath, error.Message, StringComparison.Ordinal);
        Assert.Equal(1, await _database.OpenContext().Projects.CountAsync());
    }

    [Fact]
    public async Task RestoreAsync_EntryOutsideTheDataFolder_RefusedWithItsName()
    {
        var backup = Path.Combine(NewFolder(), "backup.zip");
        await DataBackup.WriteAsync(_database.Options, backup);
        using (var zip = ZipFile.Open(backup, ZipArchiveMode.Update))
        {
            await using var entry = zip.CreateEntry("models/../../escaped.txt").Open();
            entry.Write("x"u8);
        }
        var target = NewFolder();

        var error = await Assert.ThrowsAsync<DomainException>(() => DataBackup.RestoreAsync(backup, new ConsoleOptions { DataFolder = Path.Combine(target, "data") }));

        Assert.Equal("invalid-backup", error.Code);
        Assert.Contains("models/../../escaped.txt", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(target, "escaped.txt")));
    }

    [Fact]
    public async Task RestoreAsync_NotABackup_RefusedWithTheReason()
    {
        var notZip = Path.Combine(NewFolder(), "photo.zip");
        await File.WriteAllTextAsync(notZip, "not a zip");
        var zipWithoutManifest = Path.Combine(NewFolder(), "other.zip");
        using (var zip = ZipFile.Open(zipWithoutManifest, ZipArchiveMode.Create))
            zip.CreateEntry("console.db");

        var first = await Assert.ThrowsAsync<DomainException>(() => DataBackup.RestoreAsync(notZip, new ConsoleOptions { DataFolder = NewFolder() }));
        var second = await Assert.ThrowsAsync<DomainException>(() => DataBackup.RestoreAsync(zipWithoutManifest, new ConsoleOptions { DataFolder = NewFolder() }));

        Assert.Equal(("invalid-backup", "invalid-backup"), (first.Code, second.Code));
        Assert.Contains("not a zip", first.Message, StringComparison.Ordinal);
        Assert.Contains("backup.json", second.Message, StringComparison.Ordinal);
    }

    /// <summary>Datasets with their labels, images (content hash, labels) and boxes, in a comparable text form.</summary>
    private static async Task<string> Describe(TestDatabase database)
    {
        await using var db = database.OpenContext();
        var lines = new List<string>();
        foreach (var dataset in await db.Datasets.OrderBy(d => d.Id).ToListAsync())
        {
            var labels = await db.Labels.Where(l => l.DatasetId == dataset.Id).OrderBy(l => l.Name).Select(l => l.Name).ToListAsync();
            lines.Add($"{dataset.Id} {dataset.DisplayName} {dataset.Kind} [{string.Join(",", labels)}]");
            var images = await db.Images.Where(i => i.DatasetId == dataset.Id).OrderBy(i => i.Id)
                .Select(i => new { i.Id, i.Sha256, i.FileName, Labels = i.Labels.Select(l => l.Label!.Name).OrderBy(n => n).ToList() }).ToListAsync();
            lines.AddRange(images.Select(i => $"  {i.Id} {i.Sha256} {i.FileName} [{string.Join(",", i.Labels)}]"));
            var rects = await db.Boxes.Where(b => b.Image!.DatasetId == dataset.Id).OrderBy(b => b.Id).Select(b => $"  box {b.Id} {b.ImageId} {b.LabelId} {b.Left} {b.Top} {b.Width} {b.Height}").ToListAsync();
            lines.AddRange(rects);
        }
        return string.Join('\n', lines);
    }

    private static IEnumerable<string> Photos(string folder, int count) =>
        Directory.GetFiles(Path.Combine(SharedData.Datasets, folder)).Order(StringComparer.Ordinal).Take(count);

    private static void WriteFile(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private string NewFolder()
    {
        var folder = TestDatabase.NewFolder();
        _folders.Add(folder);
        return folder;
    }
}
