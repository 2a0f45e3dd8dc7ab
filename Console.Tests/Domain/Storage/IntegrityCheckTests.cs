using Microsoft.Extensions.DependencyInjection;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Imaging;
using VisionConsole.Domain.Models;
using VisionConsole.Domain.Storage;
using VisionConsole.Tests.Domain.Import;

namespace VisionConsole.Tests.Domain.Storage;

/// <summary>The start-up integrity check on a real data folder: real photos in the libvips image store, a model version's files.</summary>
public sealed class IntegrityCheckTests : IAsyncLifetime
{
    private TestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await ImportJobFixture.CreateAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task RunAsync_FilesRemovedBehindTheDatabase_NamesEachMissingFileAndRemovesOldStaging()
    {
        var datasets = _database.Get<IDatasetService>();
        var dataset = await datasets.CreateAsync("insects", DatasetKind.SingleLabel, "ann");
        var shas = new List<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(SharedData.Datasets, "hymenoptera", "train", "ants")).Order(StringComparer.Ordinal).Take(3))
        {
            await using var stream = File.OpenRead(file);
            shas.Add((await _database.Get<IImageIntake>().AddAsync(dataset.Id, Path.GetFileName(file), stream, "ann")).Sha256!);
        }
        var options = _database.Options;
        var version = Path.Combine(options.DataFolder, "models", "1", "v1");
        Directory.CreateDirectory(version);
        await File.WriteAllTextAsync(Path.Combine(version, "model.onnx"), "onnx");
        await File.WriteAllTextAsync(Path.Combine(version, "dict.txt"), "ants\n");
        await using (var db = _database.OpenContext())
        {
            var projectId = (await db.Datasets.FindAsync(dataset.Id))!.ProjectId;
            var trained = new Model(projectId, dataset.Id, "insects", DatasetKind.SingleLabel, ["ants"], "ann", DateTimeOffset.UtcNow);
            trained.AddVersion("mobile-versatile-1", new ModelFiles("models/1/v1/model.onnx", "models/1/v1/dict.txt"), null, DateTimeOffset.UtcNow);
            db.Models.Add(trained);
            await db.SaveChangesAsync();
        }
        var check = _database.Get<IntegrityCheck>();
        var clean = await check.RunAsync();

        // A crash's leftovers: an image's original gone, a model file gone, a half-written model folder.
        var store = (ImageStore)_database.Get<IImageStore>();
        File.Delete(store.OriginalPath(shas[1]));
        File.Delete(Path.Combine(version, "dict.txt"));
        var staging = Directory.CreateDirectory(Path.Combine(options.DataFolder, "models", ".staging", "op-7-abc"));
        await File.WriteAllTextAsync(Path.Combine(staging.FullName, "model.onnx"), "half");
        Directory.SetLastWriteTimeUtc(staging.FullName, DateTime.UtcNow.AddMinutes(-5));
        var broken = await check.RunAsync(removeStagingBefore: DateTimeOffset.UtcNow);

        Assert.True(clean.Clean);
        Assert.Equal((3, 1, 0), (clean.Images, clean.ModelVersions, clean.StagingRemoved));
        Assert.False(broken.Clean);
        Assert.Equal(2, broken.ProblemCount);
        var image = Assert.Single(broken.Problems, p => p.Area == "Images");
        Assert.Contains($"of dataset {dataset.Id} has no original", image.What, StringComparison.Ordinal);
        Assert.Equal(store.OriginalPath(shas[1]), image.Path);
        var model = Assert.Single(broken.Problems, p => p.Area == "Models");
        Assert.Equal("Version 1 of model 1 has no dict.txt.", model.What);
        Assert.Equal(1, broken.StagingRemoved);
        Assert.False(Directory.Exists(staging.FullName));
        Assert.Same(broken, check.Latest);
    }

    [Fact]
    public async Task RunAsync_StagingNewerThanTheCutoff_Kept()
    {
        var staging = Directory.CreateDirectory(Path.Combine(_database.Options.DataFolder, "models", ".staging", "op-8-running"));

        var report = await _database.Get<IntegrityCheck>().RunAsync(removeStagingBefore: DateTimeOffset.UtcNow.AddMinutes(-1));

        Assert.Equal(0, report.StagingRemoved);
        Assert.True(Directory.Exists(staging.FullName));
    }
}
