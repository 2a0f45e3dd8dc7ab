using VisionConsole.Domain.Import;
using VisionConsole.Domain.Operations;
using VisionConsole.Domain.Training;
using VisionConsole.Web.Components.Pages.Datasets;

namespace VisionConsole.Tests.Web.Components;

public sealed class ImportFlowTests
{
    private static OperationSummary Operation(long id, OperationState state, ImportProgress? progress = null, ImportResult? result = null, string? error = null) =>
        new(id, ImportRequest.Kind, state, 1, new ImportRequest(1, []), progress, result, error, null, DateTimeOffset.UnixEpoch, null, null, "ann");

    [Fact]
    public void Stages_ChooseUploadImportFinish_EachStageShowsItsFigures()
    {
        var flow = new ImportFlow();
        Assert.Equal(ImportStage.Choosing, flow.Stage);
        Assert.False(flow.CanStart);

        flow.Choose([new ChosenFile("insects.zip", 1000), new ChosenFile("labels.csv", 24)]);
        Assert.True(flow.StartUpload());
        Assert.Equal((ImportStage.Uploading, 1024L), (flow.Stage, flow.Total));
        flow.UploadProgress(512, 1024);
        Assert.Equal(50, flow.UploadPercent);

        flow.UploadFinished(new UploadOutcome(7, null));
        flow.OperationUpdated(Operation(7, OperationState.Running, new ImportProgress(ImportPhase.Importing, 3, 12, 3, 0, 0, 0, 0, "importing 3/12")));
        Assert.Equal((ImportStage.Importing, "Importing", "3 / 12", 25.0), (flow.Stage, flow.PhaseText, flow.HandledText, flow.ImportPercent));

        flow.OperationUpdated(Operation(8, OperationState.Succeeded));
        Assert.Equal(ImportStage.Importing, flow.Stage);
        flow.OperationUpdated(Operation(7, OperationState.Running));
        Assert.Equal("3 / 12", flow.HandledText);

        flow.OperationUpdated(Operation(7, OperationState.Succeeded, result: new ImportResult(ImportFormat.FolderTree, 12, 10, 1, 1, 0, 1, 2, 10, 0, "reports/import-7.csv")));
        flow.ReportRead(new ImportReportPage([new ImportIssue(ImportSeverity.Error, "insects.zip!bees/x.txt", null, 4, "not an image")], 1));
        Assert.Equal((ImportStage.Finished, "Done", "12 / 12"), (flow.Stage, flow.PhaseText, flow.HandledText));
        Assert.Equal("not an image", Assert.Single(flow.Report!.Issues).Message);
    }

    [Fact]
    public void UploadFinished_WithoutOperation_BackToChoosingWithTheReasonAndLateProgressIgnored()
    {
        var flow = new ImportFlow();
        flow.Choose([new ChosenFile("big.zip", 10)]);
        flow.StartUpload();

        flow.UploadFinished(new UploadOutcome(null, "The upload was cancelled; nothing was imported."));
        flow.UploadProgress(5, 10);

        Assert.Equal(ImportStage.Choosing, flow.Stage);
        Assert.Equal("The upload was cancelled; nothing was imported.", flow.Error);
        Assert.Empty(flow.Chosen);
        Assert.Equal(0, flow.Sent);
        Assert.False(flow.StartUpload());
        Assert.Equal("Choose the files to import first.", flow.Error);
    }

    [Fact]
    public void Failed_ZeroImagesImported_FinishedWithTheOperationsReasonAndResetStartsOver()
    {
        var flow = new ImportFlow();
        flow.Choose([new ChosenFile("notes.jpg", 10)]);
        flow.StartUpload();
        flow.UploadFinished(new UploadOutcome(3, null));

        flow.OperationUpdated(Operation(3, OperationState.Failed, error: "Nothing was imported: none of the 1 image(s) in the upload could be added (1 error(s) in the report)."));

        Assert.Equal((ImportStage.Finished, "Failed"), (flow.Stage, flow.PhaseText));
        Assert.StartsWith("Nothing was imported", flow.Operation!.Error, StringComparison.Ordinal);
        flow.Reset();
        Assert.Equal((ImportStage.Choosing, (long?)null), (flow.Stage, flow.OperationId));
    }
}
