using System.Reflection;
using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Export;
using VisionConsole.Domain.Import;
using VisionConsole.Domain.Operations;
using VisionConsole.Domain.Training;

namespace VisionConsole.Tests.Domain.Operations;

/// <summary>Request, progress and result are typed records; the row keeps them through the kind's codec, which fails loudly on bad data.</summary>
public sealed class OperationCodecTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);

    private static Operation RunningImport()
    {
        var operation = new Operation(new ImportRequest(3, [new ImportFile("a.zip", "/tmp/a.zip")], ImportFormat.FolderTree, DefaultSplit: DataSplit.Train, User: "ann"), 3, "ann", Now);
        operation.Start(Now);
        return operation;
    }

    [Fact]
    public void Complete_ImportResult_SucceedsWithTheTypedResultAndNoModel()
    {
        var operation = RunningImport();
        var result = new ImportResult(ImportFormat.FolderTree, 400, 398, 2, 0, 2, 0, 2, 398, 0, "reports/import-1.csv");

        operation.Complete(result, "completed", Now.AddMinutes(1));

        Assert.Equal((OperationState.Succeeded, "completed", (long?)null, Now.AddMinutes(1)),
            (operation.State, operation.StopReason, operation.ResultModelVersionId, operation.FinishedAt));
        Assert.Equal(result, operation.ReadResult());
        Assert.True(operation.IsFinished);
    }

    [Fact]
    public void Complete_TrainingResult_KeepsTheModelVersionColumn()
    {
        var operation = new Operation(new TrainingRequest("insects", 3), 3, "ann", Now);
        operation.Start(Now);

        operation.Complete(new TrainingResult(7, 70), "converged", Now);

        Assert.Equal((OperationKinds.TrainClassifier.Name, (long?)70), (operation.Kind, operation.ResultModelVersionId));
        Assert.Equal(new TrainingResult(7, 70), operation.ReadResult());
    }

    [Fact]
    public void Complete_Queued_IsAnIllegalTransition()
    {
        var operation = new Operation(new ExportRequest(3, ExportFormat.Coco), 3, "ann", Now);

        var error = Assert.Throws<DomainException>(() => operation.Complete(new ExportResult(ExportFormat.Coco, 1, 10, "exports/1.zip"), "completed", Now));

        Assert.Equal("invalid-transition", error.Code);
        Assert.Equal(OperationState.Queued, operation.State);
    }

    [Fact]
    public void New_Request_RoundTripsThroughTheKindsCodec()
    {
        var request = new ImportRequest(3, [new ImportFile("a.zip", "/tmp/a.zip")], ImportFormat.Csv, CocoBoxUnits.Auto, DataSplit.Test, "ann");

        var operation = new Operation(request, 3, "ann", Now);

        Assert.Equal(ImportRequest.Kind, operation.Kind);
        var read = Assert.IsType<ImportRequest>(operation.ReadRequest());
        Assert.Equal((request.DatasetId, request.Format, request.DefaultSplit, request.User), (read.DatasetId, read.Format, read.DefaultSplit, read.User));
        Assert.Equal(request.Files, read.Files);
        Assert.DoesNotContain("$kind", operation.RequestJson, StringComparison.Ordinal);
    }

    [Fact]
    public void ReportProgress_ProgressOfAnotherKind_IsRefusedAndNothingChanges()
    {
        var operation = RunningImport();
        var version = operation.Version;

        var error = Assert.Throws<ArgumentException>(() => operation.ReportProgress(new ExportProgress(1, 2, "copying")));

        Assert.Contains("ImportProgress", error.Message, StringComparison.Ordinal);
        Assert.Null(operation.ProgressJson);
        Assert.Equal(version, operation.Version);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"phase":"Sideways","done":1}""")]
    [InlineData("null")]
    public void ReadProgress_CorruptRow_ThrowsNamingTheOperationAndPart(string stored)
    {
        var operation = RunningImport();
        operation.ReportProgress(new ImportProgress(ImportPhase.Importing, 1, 2, 1, 0, 0, 0, 0, "importing 1/2"));
        // What a damaged file or another build could leave in the column.
        typeof(Operation).GetProperty(nameof(Operation.ProgressJson))!.SetValue(operation, stored, BindingFlags.NonPublic, null, null, null);

        var error = Assert.Throws<OperationDataException>(() => operation.ReadProgress());

        Assert.Equal("progress", error.Part);
        Assert.StartsWith("Operation 0 (import-data) has an unreadable progress", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Of_UnknownKind_ThrowsWithTheKnownKinds()
    {
        var error = Assert.Throws<OperationDataException>(() => OperationKinds.Of("train-unicorn", 12));

        Assert.Equal("Operation 12 (train-unicorn) has an unreadable kind: this build knows only train-classifier, train-detector, import-data, export-data, export-model, backup, batch-predict", error.Message);
    }

    [Fact]
    public void DetectorTrainingRequest_WrittenAndRead_KeepsItsKindAndFields()
    {
        var request = new DetectorTrainingRequest("raccoons", 4, "mobile-versatile-1", 250, null, 9);
        var kind = OperationKinds.ForRequest(request);

        var back = kind.ReadRequest(kind.WriteRequest(request), 1);

        Assert.Equal("train-detector", kind.Name);
        Assert.Equal(request, back);
        Assert.Equal(new TrainingRequest("raccoons", 4, "mobile-versatile-1", 250, null, 9), request.AsTrainingRequest());
    }

    [Fact]
    public void ModelExport_RequestAndResultWrittenAndRead_KeepTheirKindAndFields()
    {
        var request = new VisionConsole.Domain.Models.ModelExportRequest(5, 2, VisionConsole.Domain.Models.ModelFormat.Tflite, "ann");
        var result = new VisionConsole.Domain.Models.ModelExportResult(VisionConsole.Domain.Models.ModelFormat.Tflite, 2, 2_700_000, "models/5/v2/model.tflite");
        var kind = OperationKinds.ForRequest(request);

        Assert.Equal("export-model", kind.Name);
        Assert.Equal(request, kind.ReadRequest(kind.WriteRequest(request), 1));
        Assert.Equal(result, kind.ReadResult(kind.WriteResult(result), 1));
        Assert.Contains("\"format\":\"Tflite\"", kind.WriteRequest(request), StringComparison.Ordinal);
    }

    [Fact]
    public void BatchPredict_RequestProgressAndResultWrittenAndRead_KeepTheirKindAndFields()
    {
        var request = new VisionConsole.Domain.Models.BatchPredictRequest(5, [new VisionConsole.Domain.Import.ImportFile("photos.zip", "/data/uploads/7/000001")], 0.25f, "ann");
        var progress = new VisionConsole.Domain.Models.BatchPredictProgress(3, 9, 1);
        var result = new VisionConsole.Domain.Models.BatchPredictResult(9, 1, "predictions/batch-7.jsonl", 4096);
        var kind = OperationKinds.ForRequest(request);

        var back = (VisionConsole.Domain.Models.BatchPredictRequest)kind.ReadRequest(kind.WriteRequest(request), 7);

        Assert.Equal("batch-predict", kind.Name);
        Assert.Equal((5L, 0.25f, "ann"), (back.ModelId, back.ScoreThreshold, back.User));
        Assert.Equal(request.Files, back.Files);
        Assert.Equal(progress, kind.ReadProgress(kind.WriteProgress(progress), 7));
        Assert.Equal(result, kind.ReadResult(kind.WriteResult(result), 7));
    }

    [Fact]
    public void Progress_AsTheBaseType_TravelsWithItsKind()
    {
        OperationProgress progress = new ExportProgress(3, 9, "copying 3/9");

        var json = System.Text.Json.JsonSerializer.Serialize(progress, OperationKinds.Json);
        var back = System.Text.Json.JsonSerializer.Deserialize<OperationProgress>(json, OperationKinds.Json);

        Assert.Contains("\"$kind\":\"export-data\"", json, StringComparison.Ordinal);
        Assert.Equal(progress, back);
    }
}
