using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Export;
using VisionConsole.Domain.Imaging;
using VisionConsole.Domain.Import;
using VisionConsole.Domain.Operations;
using VisionConsole.Domain.Training;
using VisionConsole.Trainer.Imaging;
using VisionConsole.Trainer.Jobs;

namespace VisionConsole.Tests.Domain.Operations;

/// <summary>Starting, cancelling and cleaning up import/export operations over a real SQLite file (no runner started).</summary>
public sealed class DataOperationServiceTests : IAsyncLifetime
{
    private TestDatabase _database = null!;

    private DataOperationService Service => _database.Get<DataOperationService>();

    public async Task InitializeAsync() => _database = await TestDatabase.CreateAsync(services =>
    {
        services.AddSingleton<IOperationQueue, OperationQueue>();
        services.AddVipsImaging();
        services.AddOptions<ImageStoreOptions>().Configure<ConsoleOptions>((store, console) => store.BlobFolder = console.BlobFolder);
    });

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task StartImportAsync_SpooledFolder_BecomesTheOperationsUploadFolderAndTheRequestPointsIntoIt()
    {
        var dataset = await _database.Get<IDatasetService>().CreateAsync("insects", DatasetKind.SingleLabel, "ann");
        var folder = Service.CreateUploadFolder();
        await File.WriteAllTextAsync(Path.Combine(folder, "000001"), "a,b");

        var operation = await Service.StartImportAsync(dataset.Id, folder, [new ImportFile("labels.csv", Path.Combine(folder, "000001"))], ImportFormat.Csv, "ann");

        Assert.Equal((ImportRequest.Kind, OperationState.Queued, (long?)dataset.Id, "ann"), (operation.Kind, operation.State, operation.DatasetId, operation.CreatedBy));
        var target = Path.Combine(_database.Options.UploadFolder, operation.Id.ToString(CultureInfo.InvariantCulture));
        Assert.False(Directory.Exists(folder));
        Assert.Equal("a,b", await File.ReadAllTextAsync(Path.Combine(target, "000001")));
        await using var db = _database.OpenContext();
        var request = Assert.IsType<ImportRequest>((await db.Operations.SingleAsync()).ReadRequest());
        Assert.Equal((dataset.Id, ImportFormat.Csv, "ann"), (request.DatasetId, request.Format, request.User));
        Assert.Equal([new ImportFile("labels.csv", Path.Combine(target, "000001"))], request.Files);
    }

    [Fact]
    public async Task StartImportAsync_UnknownDataset_IsNotFoundAndTheSpoolIsDeleted()
    {
        var folder = Service.CreateUploadFolder();
        await File.WriteAllTextAsync(Path.Combine(folder, "000001"), "x");

        await Assert.ThrowsAsync<NotFoundException>(() => Service.StartImportAsync(4242, folder, [new ImportFile("a.jpg", Path.Combine(folder, "000001"))], ImportFormat.Auto, "ann"));

        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public async Task CancelAsync_QueuedImport_IsCancelledAtOnceAndItsUploadDeleted_ACancelledOneRefusesASecondCancel()
    {
        var dataset = await _database.Get<IDatasetService>().CreateAsync("insects", DatasetKind.SingleLabel, "ann");
        var folder = Service.CreateUploadFolder();
        await File.WriteAllTextAsync(Path.Combine(folder, "000001"), "x");
        var operation = await Service.StartImportAsync(dataset.Id, folder, [new ImportFile("a.jpg", Path.Combine(folder, "000001"))], ImportFormat.Auto, "ann");

        var cancelled = await _database.Get<IOperationService>().CancelAsync(operation.Id, "bob");

        Assert.Equal((OperationState.Cancelled, true), (cancelled.State, cancelled.Done));
        Assert.False(Directory.Exists(Path.Combine(_database.Options.UploadFolder, operation.Id.ToString(CultureInfo.InvariantCulture))));
        var again = await Assert.ThrowsAsync<DomainException>(() => _database.Get<IOperationService>().CancelAsync(operation.Id, "bob"));
        Assert.Equal("invalid-transition", again.Code);
    }

    [Fact]
    public async Task StartExportAsync_FormatThatCannotHoldTheDataset_IsRefusedBeforeQueueing()
    {
        var dataset = await _database.Get<IDatasetService>().CreateAsync("cars", DatasetKind.ObjectDetection, "ann");

        var error = await Assert.ThrowsAsync<DomainException>(() => Service.StartExportAsync(dataset.Id, ExportFormat.FolderZip, "ann"));

        Assert.Equal("export-unsupported", error.Code);
        await using var db = _database.OpenContext();
        Assert.Equal(0, await db.Operations.CountAsync());
        var queued = await Service.StartExportAsync(dataset.Id, ExportFormat.Coco, "ann");
        Assert.Equal((ExportRequest.Kind, OperationState.Queued), (queued.Kind, queued.State));
    }

    [Fact]
    public async Task DeleteStaleUploadsAsync_KeepsOnlyTheFoldersOfQueuedImports()
    {
        var dataset = await _database.Get<IDatasetService>().CreateAsync("insects", DatasetKind.SingleLabel, "ann");
        var kept = Service.CreateUploadFolder();
        await File.WriteAllTextAsync(Path.Combine(kept, "000001"), "x");
        var queued = await Service.StartImportAsync(dataset.Id, kept, [new ImportFile("a.jpg", Path.Combine(kept, "000001"))], ImportFormat.Auto, "ann");
        var abandoned = Service.CreateUploadFolder();
        var ended = Path.Combine(_database.Options.UploadFolder, "999");
        Directory.CreateDirectory(ended);

        await Service.DeleteStaleUploadsAsync();

        Assert.Equal([queued.Id.ToString(CultureInfo.InvariantCulture)], Directory.EnumerateDirectories(_database.Options.UploadFolder).Select(Path.GetFileName));
        Assert.False(Directory.Exists(abandoned));
    }

    [Fact]
    public async Task ImportOperationJob_RequestOfAnotherKind_FailsWithTheReasonAndStillDeletesTheUpload()
    {
        var folder = Path.Combine(_database.Options.UploadFolder, "77");
        Directory.CreateDirectory(folder);
        var job = _database.Services.GetServices<IOperationJob>().Single(j => j.Kind == ImportRequest.Kind);

        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            job.RunAsync(new OperationRun(77, new ExportRequest(1, ExportFormat.Coco), "ann", new Progress<OperationProgress>()), CancellationToken.None));

        Assert.StartsWith("Operation 77's request is a ExportRequest, not an import request.", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public async Task GetAsync_CorruptRequestInTheRow_FailsLoudlyNamingTheOperation()
    {
        var dataset = await _database.Get<IDatasetService>().CreateAsync("cars", DatasetKind.ObjectDetection, "ann");
        var queued = await Service.StartExportAsync(dataset.Id, ExportFormat.Coco, "ann");
        await using (var db = _database.OpenContext())
        {
            await db.Database.ExecuteSqlRawAsync("UPDATE Operations SET RequestJson = {0} WHERE Id = {1}", """{"datasetId":"seven"}""", queued.Id);
        }

        var error = await Assert.ThrowsAsync<OperationDataException>(() => _database.Get<IOperationService>().GetAsync(queued.Id));

        Assert.StartsWith($"Operation {queued.Id} (export-data) has an unreadable request:", error.Message, StringComparison.Ordinal);
    }
}
