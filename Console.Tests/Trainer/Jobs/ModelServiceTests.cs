using Microsoft.EntityFrameworkCore;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Models;
using VisionConsole.Trainer.Jobs;

namespace VisionConsole.Tests.Trainer.Jobs;

/// <summary>How a version was trained lives in the database; a version from before keeps it in training.json until first read.</summary>
public sealed class ModelServiceTests
{
    private static readonly DateTimeOffset Created = new(2026, 11, 20, 8, 0, 0, TimeSpan.Zero);

    private static TrainingRecord Record(string stopReason) => new(
        "mobile-versatile-1", "mobilenetv2-12-int8", 224, false, false, ["ants", "bees"], 1000, 42, stopReason, 17, null, 0.45f, 200, 0, 40, "VALIDATION")
    {
        PredictionViews = ["crop-c-0.875"],
    };

    [Fact]
    public async Task ListAsync_VersionWithOnlyALegacyTrainingJson_MovesItIntoTheDatabaseOnce()
    {
        await using var host = TrainingHost.Start();
        long modelId;
        await using (var db = host.OpenContext())
        {
            var project = await db.Projects.SingleAsync();
            var model = new Model(project.Id, null, "old insects", DatasetKind.SingleLabel, ["ants", "bees"], "ann", Created);
            db.Models.Add(model);
            await db.SaveChangesAsync();
            model.AddVersion("mobile-versatile-1", new ModelFiles($"models/{model.Id}/v1/model.onnx", $"models/{model.Id}/v1/dict.txt"), null, Created);
            await db.SaveChangesAsync();
            modelId = model.Id;
        }
        var folder = Directory.CreateDirectory(Path.Combine(host.Folder, "models", modelId.ToString(System.Globalization.CultureInfo.InvariantCulture), "v1")).FullName;
        var legacy = Path.Combine(folder, ClassifierFiles.LegacyRecordFile);
        await File.WriteAllTextAsync(legacy, TrainingRecord.Write(Record("converged")));

        var listed = Assert.Single(await host.Get<IModelService>().ListAsync());

        Assert.Equal(("converged", 0.45f, "crop-c-0.875"), (listed.Training!.StopReason, listed.Training.SuggestedThreshold, listed.Training.PredictionViews![0]));
        await using (var db = host.OpenContext())
        {
            Assert.Equal("converged", (await db.ModelVersions.SingleAsync()).ReadTraining()!.StopReason);
        }
        // Read from the row from now on: the file is no longer consulted.
        await File.WriteAllTextAsync(legacy, TrainingRecord.Write(Record("budget-reached")));
        Assert.Equal("converged", (await host.Get<IModelService>().GetAsync(modelId)).Training!.StopReason);
    }

    [Fact]
    public async Task ListAsync_CorruptLegacyTrainingJson_FailsNamingTheFile()
    {
        await using var host = TrainingHost.Start();
        long modelId;
        await using (var db = host.OpenContext())
        {
            var model = new Model((await db.Projects.SingleAsync()).Id, null, "broken", DatasetKind.SingleLabel, ["ants", "bees"], "ann", Created);
            db.Models.Add(model);
            await db.SaveChangesAsync();
            model.AddVersion("mobile-versatile-1", new ModelFiles($"models/{model.Id}/v1/model.onnx", $"models/{model.Id}/v1/dict.txt"), null, Created);
            await db.SaveChangesAsync();
            modelId = model.Id;
        }
        var folder = Directory.CreateDirectory(Path.Combine(host.Folder, "models", modelId.ToString(System.Globalization.CultureInfo.InvariantCulture), "v1")).FullName;
        await File.WriteAllTextAsync(Path.Combine(folder, ClassifierFiles.LegacyRecordFile), "{\"modelType\":");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.Get<IModelService>().ListAsync());

        Assert.Contains(ClassifierFiles.LegacyRecordFile, error.Message, StringComparison.Ordinal);
        Assert.Contains("is not valid", error.Message, StringComparison.Ordinal);
    }
}
