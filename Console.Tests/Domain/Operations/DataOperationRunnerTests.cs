using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Imaging;
using VisionConsole.Domain.Operations;
using VisionConsole.Domain.Training;
using VisionConsole.Trainer.Imaging;

namespace VisionConsole.Tests.Domain.Operations;

/// <summary>The hosted runner of import/export operations over a real SQLite file.</summary>
public sealed class DataOperationRunnerTests
{
    [Fact]
    public async Task Start_AfterACrash_FailsTheInterruptedImportRunsTheQueuedOneAndDeletesStaleUploadFolders()
    {
        await using var db = await TestDatabase.CreateAsync(services =>
        {
            services.AddVipsImaging();
            services.AddOptions<ImageStoreOptions>().Configure<ConsoleOptions>((store, console) => store.BlobFolder = console.BlobFolder);
            services.AddDataOperationRunner();
        });
        var dataset = await db.Get<IDatasetService>().CreateAsync("insects", DatasetKind.SingleLabel, "ann");
        long interrupted, queued;
        await using (var context = db.OpenContext())
        {
            var running = new TrainingOperation("import-data", dataset.Id, "{}", "ann", DateTimeOffset.UtcNow);
            running.Start(DateTimeOffset.UtcNow);
            // A queued import whose request cannot be read: the runner must fail it with the reason, not stall.
            var waiting = new TrainingOperation("import-data", dataset.Id, "not json", "ann", DateTimeOffset.UtcNow);
            var training = new TrainingOperation("train-classifier", dataset.Id, "{}", "ann", DateTimeOffset.UtcNow);
            context.TrainingOperations.AddRange(running, waiting, training);
            await context.SaveChangesAsync();
            (interrupted, queued) = (running.Id, waiting.Id);
        }
        var uploads = db.Options.UploadFolder;
        Directory.CreateDirectory(Path.Combine(uploads, interrupted.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Directory.CreateDirectory(Path.Combine(uploads, queued.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Directory.CreateDirectory(Path.Combine(uploads, "incoming-0123"));

        var runner = db.Services.GetServices<IHostedService>().OfType<DataOperationRunner>().Single();
        await runner.StartAsync(CancellationToken.None);
        try
        {
            var service = db.Get<DataOperationService>();
            for (var i = 0; i < 600 && !(await service.GetAsync(queued)).Done; i++)
                await Task.Delay(100);

            var first = await service.GetAsync(interrupted);
            Assert.Equal(OperationState.Failed, first.State);
            Assert.StartsWith("interrupted", first.Error, StringComparison.Ordinal);
            var second = await service.GetAsync(queued);
            Assert.Equal((OperationState.Failed, $"Operation {queued} has no readable import request."), (second.State, second.Error));
            Assert.Empty(Directory.EnumerateFileSystemEntries(uploads));
            // Kinds it has no job for are left to their own runner.
            await using var context = db.OpenContext();
            Assert.Equal(OperationState.Queued, (await context.TrainingOperations.SingleAsync(o => o.Kind == "train-classifier")).State);
        }
        finally
        {
            await runner.StopAsync(CancellationToken.None);
        }
    }
}
