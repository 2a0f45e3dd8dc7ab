using Bunit;
using Microsoft.Extensions.DependencyInjection;
using VisionConsole.Domain;
using VisionConsole.Domain.Operations;
using VisionConsole.Domain.Storage;
using VisionConsole.Tests.Domain;
using VisionConsole.Trainer.Zoo;
using VisionConsole.Web.Components.Pages.Settings;

namespace VisionConsole.Tests.Web.Components;

public sealed class SettingsPageTests : IAsyncDisposable
{
    private readonly string _folder = TestDatabase.NewFolder();
    private TestDatabase? _database;

    public async ValueTask DisposeAsync()
    {
        if (_database is not null) await _database.DisposeAsync();
        TestDatabase.DeleteFolder(_folder);
    }

    /// <summary>
    /// A real data folder and zoo over <see cref="_folder"/> (nothing is fetched: the page only reads the cache), and the
    /// domain's backup and operation services over a database there (created only by the tests that need one).
    /// </summary>
    private void DataFolder(IServiceCollection services)
    {
        var zoo = new ZooOptions(_folder, AllowDownloads: false);
        services.AddSingleton(new ConsoleOptions { DataFolder = _folder });
        services.AddSingleton(zoo);
        services.AddSingleton<IModelZoo>(new ModelZoo(zoo));
        _database ??= TestDatabase.CreateUninitialized(folder: _folder);
        services.AddSingleton(_database.Get<BackupService>());
        services.AddSingleton(_database.Get<IOperationService>());
        services.AddSingleton(_database.Get<IntegrityCheck>());
    }

    [Fact]
    public async Task Render_IntegrityCheckFoundAMissingModelFile_ShowsTheProblemAndItsPath()
    {
        await using var harness = new ConsoleTestContext(configure: DataFolder);
        await _database!.Get<ConsoleDatabase>().InitializeAsync();
        await using (var db = _database.OpenContext())
        {
            var model = new VisionConsole.Domain.Models.Model(1, null, "insects", VisionConsole.Domain.Datasets.DatasetKind.SingleLabel, ["ants"], "ann", DateTimeOffset.UtcNow);
            model.AddVersion("mobile-versatile-1", new VisionConsole.Domain.Models.ModelFiles("models/1/v1/model.onnx", "models/1/v1/dict.txt"), null, DateTimeOffset.UtcNow);
            db.Models.Add(model);
            await db.SaveChangesAsync();
        }
        await _database.Get<IntegrityCheck>().RunAsync();

        var cut = await harness.RenderAsync<SettingsPage>();

        Assert.Equal("problems", cut.Find("[data-test=integrity]").GetAttribute("data-state"));
        Assert.StartsWith("2 missing files: 0 images, 1 model versions and 0 hosted versions checked", System.Text.RegularExpressions.Regex.Replace(cut.Find("[data-test=integrity-summary]").TextContent, @"\s+", " ").Trim(), StringComparison.Ordinal);
        var rows = cut.FindAll("[data-test=integrity-problem]");
        Assert.Equal(2, rows.Count);
        Assert.Contains("Version 1 of model 1 has no model.onnx.", rows[0].TextContent, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(_folder, "models/1/v1/model.onnx"), rows[0].TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BackUpNow_BackupsFolderWithOne_ListsItAndQueuesABackupOperation()
    {
        Directory.CreateDirectory(Path.Combine(_folder, "backups"));
        File.WriteAllBytes(Path.Combine(_folder, "backups", "vision-console-20261203-120000-op1.zip"), new byte[2048]);
        await using var harness = new ConsoleTestContext(configure: DataFolder);
        await _database!.Get<ConsoleDatabase>().InitializeAsync();

        var cut = await harness.RenderAsync<SettingsPage>();

        var row = cut.Find("tr[data-backup='vision-console-20261203-120000-op1.zip']");
        Assert.Equal("api/backups/vision-console-20261203-120000-op1.zip", row.QuerySelector("[data-test=backup-download]")!.GetAttribute("href"));
        cut.Find("button[data-test=backup-start]").Click();
        // No runner in this test: the operation stays queued, and the panel says it is backing up.
        cut.WaitForAssertion(() => Assert.Equal("queued", cut.Find("[data-test=backups]").GetAttribute("data-state")));
        Assert.StartsWith("Backing up", cut.Find("[data-test=backup-progress]").TextContent, StringComparison.Ordinal);
        Assert.True(cut.Find("button[data-test=backup-start]").HasAttribute("disabled"));
        var queued = Assert.Single(await _database.Get<IOperationService>().ListAsync(new OperationQuery()));
        Assert.Equal((BackupRequest.Kind, "tester"), (queued.Kind, queued.CreatedBy));
    }

    [Fact]
    public async Task Render_DataFolderWithImagesAndOneCachedBackbone_ShowsUsagePerAreaAndCacheState()
    {
        Directory.CreateDirectory(Path.Combine(_folder, "blobs", "ab"));
        File.WriteAllBytes(Path.Combine(_folder, "blobs", "ab", "abcd"), new byte[3 * 1024]);
        var backbone = new ModelZoo(new ZooOptions(_folder)).Catalog[0].Id;
        Directory.CreateDirectory(Path.Combine(_folder, "zoo", backbone));
        File.WriteAllBytes(Path.Combine(_folder, "zoo", backbone, "model.onnx"), new byte[2 * 1024 * 1024]);
        File.WriteAllText(Path.Combine(_folder, "zoo", backbone, "manifest.json"), "{}");
        await using var harness = new ConsoleTestContext(configure: DataFolder);

        var cut = await harness.RenderAsync<SettingsPage>();

        cut.WaitForAssertion(() => Assert.Equal("3 KB", cut.Find("tr[data-area=Images] [data-test=bytes]").Text()));
        Assert.Equal("0 B", cut.Find("tr[data-area=Thumbnails] [data-test=bytes]").Text());
        Assert.Equal("2 MB", cut.Find("tr[data-area='Zoo cache'] [data-test=bytes]").Text());
        Assert.StartsWith("cached, 2 MB", cut.Find($"tr[data-backbone='{backbone}'] [data-test=cache]").Text(), StringComparison.Ordinal);
        Assert.All(cut.FindAll("tr[data-backbone]").Where(r => r.GetAttribute("data-backbone") != backbone),
            row => Assert.StartsWith("not cached", row.QuerySelector("[data-test=cache]")!.Text(), StringComparison.Ordinal));

        // A new file shows after "Measure again".
        File.WriteAllBytes(Path.Combine(_folder, "blobs", "ab", "abce"), new byte[1024]);
        cut.Find("button[data-test=measure]").Click();
        cut.WaitForAssertion(() => Assert.Equal("4 KB", cut.Find("tr[data-area=Images] [data-test=bytes]").Text()));
    }

    [Fact]
    public async Task Render_GivenEnvironment_ShowsPathsAndVersions()
    {
        await using var harness = new ConsoleTestContext(configure: DataFolder);

        var document = await harness.RenderAsync<SettingsPage>();

        Assert.Equal("/srv/vision", document.QuerySelector("[data-test=data-folder]")!.Text());
        Assert.Equal("/srv/vision/console.db", document.QuerySelector("[data-test=database-path]")!.Text());
        var versions = document.QuerySelectorAll(".settings-list").Last().QuerySelectorAll("dt").Select(d => d.Text()).ToList();
        Assert.Equal(["Data folder", "Database", "Image store"], document.QuerySelectorAll(".settings-list").First().QuerySelectorAll("dt").Select(d => d.Text()));
        Assert.Equal(["Vision Console", ".NET", "Operating system", "libvips"], versions);
        Assert.Contains(document.QuerySelectorAll("dd"), d => d.Text() == "8.14.1");
        Assert.Equal("Inference: ONNX Runtime 1.31.1 (Cpu package) on CPU", document.QuerySelector("[data-test=ort-provider]")!.Text());
        Assert.Null(document.QuerySelector("[data-test=ort-fallback]"));
    }

    [Fact]
    public async Task Render_CudaFellBackToCpu_ShowsProviderAndReason()
    {
        await using var harness = new ConsoleTestContext(configure: services =>
        {
            DataFolder(services);
            services.AddSingleton<VisionConsole.Trainer.Inference.IExecutionProviderInfo>(
                new TestExecutionProvider("CPU", "libcublasLt.so.13: cannot open shared object file", true, "Cuda", "1.31.0"));
        });

        var document = await harness.RenderAsync<SettingsPage>();

        var line = document.QuerySelector("[data-test=ort-provider]")!.Text();
        Assert.StartsWith("Inference: ONNX Runtime 1.31.0 (Cuda package) on CPU", line, StringComparison.Ordinal);
        Assert.Equal("; CUDA was requested but is not used: libcublasLt.so.13: cannot open shared object file", document.QuerySelector("[data-test=ort-fallback]")!.Text());
    }
}
