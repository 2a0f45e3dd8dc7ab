using VisionConsole.Domain.Datasets;
using VisionConsole.Web.Components.Pages.Datasets;

namespace VisionConsole.Tests.Web.Components;

public sealed class UploadTests
{
    private static UploadBatch MixedBatch()
    {
        var batch = new UploadBatch();
        batch.Add(
        [
            new UploadFileInfo(0, "ant.jpg", 100_000),
            new UploadFileInfo(1, "bee.jpg", 200_000),
            new UploadFileInfo(2, "same-bee.jpg", 200_000),
            new UploadFileInfo(3, "placeholder.gif", 43),
            new UploadFileInfo(4, "big.png", 4_000_000),
            new UploadFileInfo(5, "later.jpg", 10_000),
        ]);
        batch.Apply(
        [
            new UploadReport(0, 100_000, 100_000, new IntakeResult("ant.jpg", true, 1, "aa", false, null)),
            new UploadReport(1, 200_000, 200_000, new IntakeResult("bee.jpg", true, 2, "bb", false, null)),
            new UploadReport(2, 200_000, 200_000, new IntakeResult("same-bee.jpg", true, 2, "bb", true, null)),
            new UploadReport(3, 43, 43, new IntakeResult("placeholder.gif", false, null, null, false, "placeholder.gif: the image is 1×1 pixels; images must be at least 16×16.")),
            new UploadReport(4, 1_000_000, 4_000_000),
        ]);
        return batch;
    }

    [Fact]
    public async Task UploadFileList_MixedOutcomes_RendersOneRowPerFileWithItsOutcome()
    {
        await using var harness = new ConsoleTestContext();

        var document = await harness.RenderAsync<UploadFileList>(new Dictionary<string, object?> { [nameof(UploadFileList.Batch)] = MixedBatch() });

        var rows = document.QuerySelectorAll(".upload-row");
        Assert.Equal(["added", "added", "duplicate", "failed", "uploading", "queued"], rows.Select(r => r.GetAttribute("data-status")));
        Assert.Equal(["added", "added", "duplicate", "failed", "25%", "waiting"], rows.Select(r => r.QuerySelector(".upload-outcome")!.Text()));
        Assert.Equal("placeholder.gif: the image is 1×1 pixels; images must be at least 16×16.", rows[3].QuerySelector(".upload-error")!.Text());
        Assert.Equal("25", rows[4].QuerySelector("[role=progressbar]")!.GetAttribute("aria-valuenow"));
        Assert.Equal("0", rows[5].QuerySelector("[role=progressbar]")!.GetAttribute("aria-valuenow"));
        Assert.All(rows.Take(4), r => Assert.Null(r.QuerySelector("[role=progressbar]")));
        Assert.Equal("4 of 6 files done 2 added 1 duplicate 1 failed", document.QuerySelector(".upload-summary")!.Text());
    }

    [Fact]
    public async Task ImageUploader_GivenBatch_RendersDropZoneInputAndRows()
    {
        await using var harness = new ConsoleTestContext();

        var document = await harness.RenderAsync<ImageUploader>(new Dictionary<string, object?>
        {
            [nameof(ImageUploader.DatasetId)] = 7L,
            [nameof(ImageUploader.Batch)] = MixedBatch(),
        });

        var input = document.QuerySelector(".upload-zone input[type=file]")!;
        Assert.True(input.HasAttribute("multiple"));
        Assert.Equal(6, document.QuerySelectorAll(".upload-row").Length);
        Assert.Contains("upload-zone-busy", document.QuerySelector(".upload-zone")!.ClassList);
    }

    [Fact]
    public void Apply_AllBytesSentWithoutAnswer_IsProcessingUntilResultArrives()
    {
        var batch = new UploadBatch();
        batch.Add([new UploadFileInfo(0, "ant.jpg", 1000)]);

        batch.Apply([new UploadReport(0, 1100, 1100)]);
        var file = Assert.Single(batch.Files);
        Assert.Equal(UploadStatus.Processing, file.Status);
        Assert.True(batch.IsRunning);

        batch.Apply([new UploadReport(0, 1100, 1100, Error: "ant.jpg: 413 Payload Too Large")]);
        Assert.Equal(UploadStatus.Failed, file.Status);
        Assert.Equal("ant.jpg: 413 Payload Too Large", file.Error);
        Assert.False(batch.IsRunning);
    }

    [Fact]
    public void Apply_ReportAfterOutcome_KeepsTheOutcome()
    {
        var batch = new UploadBatch();
        batch.Add([new UploadFileInfo(0, "ant.jpg", 1000)]);
        batch.Apply([new UploadReport(0, 1000, 1000, new IntakeResult("ant.jpg", true, 1, "aa", false, null))]);

        batch.Apply([new UploadReport(0, 10, 1000)]);

        Assert.Equal(UploadStatus.Added, Assert.Single(batch.Files).Status);
    }

    [Fact]
    public void ClearFinished_MixedBatch_KeepsOnlyFilesStillOnTheirWay()
    {
        var batch = MixedBatch();

        batch.ClearFinished();

        Assert.Equal(["big.png", "later.jpg"], batch.Files.Select(f => f.Name));
    }
}
