using Bunit;
using Microsoft.Extensions.DependencyInjection;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Import;
using VisionConsole.Domain.Operations;
using VisionConsole.Domain.Training;
using VisionConsole.Web.Components.Pages.Operations;

namespace VisionConsole.Tests.Web.Components;

/// <summary>Operations pages in people's words, and the live page following a training as it runs.</summary>
public sealed class OperationPagesTests
{
    private static readonly DateTimeOffset Created = new(2026, 11, 2, 9, 0, 0, TimeSpan.Zero);

    private static InMemoryDatasetService Hive()
    {
        var datasets = new InMemoryDatasetService();
        datasets.AddDataset("Hive photos");
        return datasets;
    }

    private static OperationSummary Import(long id, OperationState state, ImportResult? result) =>
        new(id, ImportRequest.Kind, state, 1, new ImportRequest(1, [new ImportFile("hive.zip", "/tmp/hive.zip")], ImportFormat.Csv), null, result, null, null,
            Created, Created.AddSeconds(1), state == OperationState.Succeeded ? Created.AddSeconds(9) : null, "tester");

    [Fact]
    public async Task OperationPage_FinishedImport_NamesTheDatasetShowsCountsAndReportAndNoTrainerWait()
    {
        var fakes = new FakeTrainingServices();
        fakes.Operations.Add(Import(12, OperationState.Succeeded, new ImportResult(ImportFormat.Csv, 22, 20, 1, 1, 0, 1, 2, 20, 0, "reports/import-12.csv")));
        fakes.ImportReports[12] = new ImportReportPage([new ImportIssue(ImportSeverity.Error, "labels.csv", 7, null, "The image 'gs://b/x.jpg' is not in the upload.")], 1);
        await using var harness = new ConsoleTestContext(Hive(), fakes.Register);

        var cut = await harness.RenderAsync<OperationPage>(new Dictionary<string, object?> { [nameof(OperationPage.OperationId)] = 12L });

        Assert.Equal("Import into Hive photos", cut.Find(".operation-header h1").Text());
        Assert.Equal("Import", cut.Find("[data-test=kind]").Text());
        Assert.Equal("Hive photos", cut.Find("[data-test=dataset-link]").Text());
        Assert.Equal("20 images imported of 22 in the upload, 1 duplicate merged, 1 image refused; 2 new labels, 20 labels given.", cut.Find("[data-test=import-summary]").Text());
        Assert.Equal("20", cut.Find("[data-test=count-imported]").Text());
        Assert.Equal("api/imports/12/report", cut.Find("[data-test=import-report]").GetAttribute("href"));
        cut.WaitForAssertion(() => Assert.Equal("labels.csv, line 7", cut.Find("[data-test=import-report-rows] .import-issue-source").Text()));
        Assert.Equal("The image 'gs://b/x.jpg' is not in the upload.", cut.Find("[data-test=import-report-rows] .import-issue-message").Text());
        Assert.DoesNotContain("Waiting for a trainer", cut.Markup, StringComparison.Ordinal);
        Assert.DoesNotContain("Dataset 1", cut.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OperationPage_TrainingLive_FeatureBarWithEtaThenEachEpochPlottedAsItFinishes()
    {
        var fakes = new FakeTrainingServices();
        var embedding = new TrainingProgress(TrainingPhase.Embedding, 12, 40, 12, 0, 0, 0, [], 6.5, 21, "embedding 12/40");
        var operation = FakeTrainingServices.Operation(8, OperationState.Running, embedding);
        fakes.Operations.Add(operation);
        await using var harness = new ConsoleTestContext(Hive(), fakes.Register);
        var cut = await harness.RenderAsync<OperationPage>(new Dictionary<string, object?> { [nameof(OperationPage.OperationId)] = 8L });

        Assert.Equal("Ants and bees model", cut.Find(".operation-header h1").Text());
        Assert.Equal("Hive photos", cut.Find("[data-test=dataset-link]").Text());
        Assert.Equal("Training", cut.Find("[data-test=kind]").Text());
        Assert.Equal("12 / 40", cut.Find("[data-test=images]").Text());
        Assert.Equal("30", cut.Find("[data-test=features-bar]").GetAttribute("aria-valuenow"));
        Assert.Equal("21 s", cut.Find("[data-test=eta]").Text());
        Assert.Equal("Computing image features: 12 of 40 images ready.", cut.Find("[data-test=progress-message]").Text());
        Assert.Contains("once the image features are ready", cut.Find("[data-test=training-chart-empty]").Text(), StringComparison.Ordinal);

        var notifier = harness.Services.GetRequiredService<IOperationNotifier>();
        EpochPoint[] history = [new(1, 0.8, 0.9, 0.5)];
        notifier.Publish(new OperationUpdate(operation with { Progress = new TrainingProgress(TrainingPhase.Training, 40, 40, 40, 0, 1, 200, history, 9, 30, "epoch 1") }, Created));

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-test=training-chart] circle"), c => c.GetAttribute("fill") == TrainingChart.TrainLossColor));
        Assert.Equal("100", cut.Find("[data-test=features-bar]").GetAttribute("aria-valuenow"));
        Assert.Equal("Training: epoch 1 of at most 200, validation accuracy 50%.", cut.Find("[data-test=progress-message]").Text());

        EpochPoint[] twoEpochs = [.. history, new(2, 0.4, 0.6, 0.75)];
        notifier.Publish(new OperationUpdate(operation with { Progress = new TrainingProgress(TrainingPhase.Training, 40, 40, 40, 0, 2, 200, twoEpochs, 10, 28, "epoch 2") }, Created));

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-test=training-chart] circle").Count(c => c.GetAttribute("fill") == TrainingChart.TrainLossColor)));
        Assert.Equal("2 / 200", cut.Find("[data-test=epoch]").Text());
    }

    [Fact]
    public void OperationText_DoneTrainingAndZeroBudget_SpeakPlainWords()
    {
        var done = new TrainingProgress(TrainingPhase.Done, 22, 22, 22, 0, 9, 200, [], 40, null, "done: top-1 1 on 22 images, converged");
        Assert.Equal("Finished.", done.Sentence());
        Assert.Equal("Training", OperationText.KindName(TrainingRequest.ClassificationKind));
        Assert.Equal("Import", OperationText.KindName(ImportRequest.Kind));
        Assert.Equal("Export", OperationText.KindName(VisionConsole.Domain.Export.ExportRequest.Kind));
        Assert.Equal("Backup", OperationText.KindName(VisionConsole.Domain.Storage.BackupRequest.Kind));
        var finished = FakeTrainingServices.Operation(5, OperationState.Succeeded, done, stopReason: "converged", modelId: 7);
        Assert.Equal("Converged: validation loss stopped improving (early stopping).", finished.ListLine());
    }

    [Fact]
    public async Task OperationsPage_Rows_ShowDisplayNamesAndTheRightKind()
    {
        var fakes = new FakeTrainingServices();
        fakes.Operations.Add(FakeTrainingServices.Operation(5, OperationState.Succeeded, null, stopReason: "converged", modelId: 7));
        fakes.Operations.Add(Import(6, OperationState.Succeeded, new ImportResult(ImportFormat.FolderTree, 3, 3, 0, 0, 0, 0, 2, 3, 0, "reports/import-6.csv")));
        await using var harness = new ConsoleTestContext(Hive(), fakes.Register);

        var cut = await harness.RenderAsync<OperationsPage>();

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("tr.operation-row").Count));
        string Cell(long id, string test) => cut.Find($"tr.operation-{id} [data-test={test}]").Text();
        Assert.Equal("Import", Cell(6, "kind"));
        Assert.Equal("Import into Hive photos", Cell(6, "operation-link"));
        Assert.StartsWith("3 images imported", Cell(6, "progress"), StringComparison.Ordinal);
        Assert.Equal("Training", Cell(5, "kind"));
        Assert.Equal("Ants and bees model", Cell(5, "operation-link"));
        Assert.Contains("on Hive photos", cut.Find("tr.operation-5").Text(), StringComparison.Ordinal);
    }
}
