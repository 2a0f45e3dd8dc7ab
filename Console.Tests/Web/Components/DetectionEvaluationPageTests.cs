using Bunit;
using Microsoft.AspNetCore.Components.Forms;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Models;
using VisionConsole.Domain.Operations;
using VisionConsole.Domain.Training;
using VisionConsole.Tests.Domain.Metrics;
using VisionConsole.Web.Components.Pages.Evaluation;
using VisionConsole.Web.Components.Pages.Models;
using VisionConsole.Web.Components.Pages.Operations;

namespace VisionConsole.Tests.Web.Components;

/// <summary>
/// A detector's evaluation page and prediction test page over the hand-worked <see cref="DetectionFixture"/> (figures
/// worked out there), stored as the training stores it.
/// </summary>
public sealed class DetectionEvaluationPageTests
{
    private static FakeTrainingServices Detector()
    {
        var fakes = new FakeTrainingServices();
        fakes.Models.Add(FakeTrainingServices.Detector(9));
        fakes.DetectionEvaluations[9] = FakeTrainingServices.DetectorEvaluation(9);
        return fakes;
    }

    private static async Task<(ConsoleTestContext Harness, IRenderedComponent<ModelEvaluation> Page)> RenderAsync(FakeTrainingServices fakes)
    {
        var harness = new ConsoleTestContext(configure: fakes.Register);
        var cut = await harness.RenderAsync<ModelEvaluation>(new Dictionary<string, object?> { [nameof(ModelEvaluation.ModelId)] = 9L });
        return (harness, cut);
    }

    private static string Text(IRenderedComponent<ModelEvaluation> cut, string test) => cut.Find($"[data-test={test}]").Text().Trim();

    private static List<string> Tiles(IRenderedComponent<ModelEvaluation> cut) =>
        cut.FindAll("[data-test=gallery] [data-test=gallery-tile]").Select(e => e.GetAttribute("data-image")!).ToList();

    [Fact]
    public async Task Detector_Opened_ShowsMapAtTheFourIousPerLabelApAndTheSuggestedConfidence()
    {
        var (harness, cut) = await RenderAsync(Detector());
        await using var _ = harness;

        Assert.Equal(["0.750", "0.250", "0.250", "0.250"], new[] { "map-30", "map-50", "map-75", "map-coco" }.Select(t => Text(cut, t)));
        // Starts at the suggested .90 and IoU .50: only A is found.
        Assert.Equal("0.90", Text(cut, "confidence-value"));
        Assert.Equal("0.50", Text(cut, "iou-value"));
        Assert.Equal(["1.000", "0.333"], new[] { "precision", "recall" }.Select(t => Text(cut, t)));
        var raccoon = cut.Find("tr[data-label=raccoon]").QuerySelectorAll("td").Select(td => td.TextContent.Trim()).ToList();
        Assert.Equal(["2", "0.500", "0.500", "0.500", "0.500", "1.000", "0.500"], raccoon);
        var dog = cut.Find("tr[data-label=dog]").QuerySelectorAll("td").Select(td => td.TextContent.Trim()).ToList();
        Assert.Equal(["1", "1.000", "0.000", "0.000", "0.000"], dog.Take(5));
        Assert.NotNull(cut.Find("[data-test=pr-curve]"));
    }

    [Fact]
    public async Task Sliders_ConfidenceThenIouMoved_FiguresAndGalleryFollow()
    {
        var (harness, cut) = await RenderAsync(Detector());
        await using var _ = harness;

        cut.Find("[data-test=confidence-slider] input[type=range]").Input("0.5");

        Assert.Equal("0.50", Text(cut, "confidence-value"));
        Assert.Equal(["0.250", "0.333", "0.286", "0.250"], new[] { "precision", "recall", "f1", "map-at-iou" }.Select(t => Text(cut, t)));
        Assert.Equal("False positives (2)", cut.Find("[data-test=gallery-false-positives]").TextContent.Trim());
        // The gallery opened on the missed objects (no false positive at the suggested .90) and stays there.
        Assert.Equal(["12", "14"], Tiles(cut));
        cut.Find("[data-test=gallery-false-positives]").Click();
        Assert.Equal(["13", "11"], Tiles(cut));
        cut.Find("[data-test=gallery-mislocalized]").Click();
        Assert.Equal(["12"], Tiles(cut));
        cut.Find("[data-test=gallery-missed]").Click();
        Assert.Equal(["12", "14"], Tiles(cut));

        cut.Find("[data-test=iou-slider] input[type=range]").Input("0.3");

        // The shifted dog box (IoU 1/3) now finds its dog.
        Assert.Equal("0.30", Text(cut, "iou-value"));
        Assert.Equal(["0.500", "0.667", "0.571", "0.750"], new[] { "precision", "recall", "f1", "map-at-iou" }.Select(t => Text(cut, t)));
        Assert.Equal(["14"], Tiles(cut));
        Assert.Equal("Mislocalized (0)", cut.Find("[data-test=gallery-mislocalized]").TextContent.Trim());
        Assert.Equal("1.000", cut.Find("tr[data-label=dog] [data-test=label-recall]").TextContent.Trim());
    }

    [Fact]
    public async Task GalleryTile_MissedDog_DrawsTheObjectAndTheNearestBoxAndLinksToItsLabelingPage()
    {
        var (harness, cut) = await RenderAsync(Detector());
        await using var _ = harness;
        cut.Find("[data-test=confidence-slider] input[type=range]").Input("0.5");
        cut.Find("[data-test=gallery-missed]").Click();

        var tile = cut.Find("[data-test=gallery-tile][data-image='12']");

        Assert.Equal("a", tile.TagName.ToLowerInvariant());
        Assert.Equal("datasets/3/boxes/12", tile.GetAttribute("href"));
        Assert.Equal($"api/blobs/{new string('c', 64)}/thumbnail", tile.QuerySelector("img")!.GetAttribute("src"));
        Assert.Equal("left:50%;top:50%;width:40%;height:40%", tile.QuerySelector("[data-test=tile-truth]")!.GetAttribute("style"));
        var near = tile.QuerySelector("[data-test=tile-near]")!;
        Assert.Equal("left:70%;top:50%;width:40%;height:40%", near.GetAttribute("style"));
        Assert.Equal("dog 0.80", near.TextContent.Trim());
        Assert.Contains("raccoon-12.jpg: missed dog", tile.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GalleryTile_ImageDeletedSinceTheEvaluation_ShownWithoutALink()
    {
        var (harness, cut) = await RenderAsync(Detector());
        await using var _ = harness;
        cut.Find("[data-test=confidence-slider] input[type=range]").Input("0.5");
        cut.Find("[data-test=gallery-false-positives]").Click();

        var tile = cut.Find("[data-test=gallery-tile][data-image='13']");

        Assert.Equal("div", tile.TagName.ToLowerInvariant());
        Assert.Contains("image 13: raccoon on background (image deleted)", tile.TextContent, StringComparison.Ordinal);
        Assert.Equal("a", cut.Find("[data-test=gallery-tile][data-image='11']").TagName.ToLowerInvariant());
    }

    [Fact]
    public async Task Gallery_NoFalsePositives_OpensOnTheMissedObjects()
    {
        var fakes = Detector();
        var view = fakes.DetectionEvaluations[9];
        fakes.DetectionEvaluations[9] = view with { Images = view.Images.Select(i => i with { Predictions = [] }).ToArray() };
        var (harness, cut) = await RenderAsync(fakes);
        await using var _ = harness;

        Assert.Equal("False positives (0)", cut.Find("[data-test=gallery-false-positives]").TextContent.Trim());
        Assert.Contains("mud-button-filled", cut.Find("[data-test=gallery-missed]").ClassName, StringComparison.Ordinal);
        Assert.DoesNotContain("mud-button-filled", cut.Find("[data-test=gallery-false-positives]").ClassName, StringComparison.Ordinal);
        Assert.NotEmpty(Tiles(cut));
        Assert.Empty(cut.FindAll("[data-test=gallery-empty]"));
    }

    [Fact]
    public async Task Detector_NoEvaluation_SaysSo()
    {
        var fakes = new FakeTrainingServices();
        fakes.Models.Add(FakeTrainingServices.Detector(9));
        var (harness, cut) = await RenderAsync(fakes);
        await using var _ = harness;

        Assert.Contains("The evaluation of model 9", Text(cut, "detection-load-error"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predict_Detector_DrawsTheBoxesReachingTheThresholdOverTheImage()
    {
        var fakes = Detector();
        fakes.Detections[1] =
        [
            new DetectedBox(0, "raccoon", DetectionFixture.A, 0.93f),
            new DetectedBox(1, "dog", DetectionFixture.Far, 0.42f),
        ];
        await using var harness = new ConsoleTestContext(configure: fakes.Register);
        var cut = await harness.RenderAsync<PredictPage>(new Dictionary<string, object?> { [nameof(PredictPage.ModelId)] = 9L });
        // The detector's suggested confidence (its evaluation's best F1).
        Assert.Equal("0.90", cut.Find("[data-test=predict-threshold-value]").Text());

        cut.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromBinary([1, 2, 3], "raccoon.jpg", contentType: "image/jpeg"));

        cut.WaitForAssertion(() => Assert.Equal("1 box at or above 0.90: 1 raccoon", cut.Find("[data-test=predict-verdict]").Text().Trim()));
        Assert.Equal([(int?)1], fakes.PredictedVersions);
        var drawn = cut.Find("[data-test=predict-boxes]");
        Assert.StartsWith("data:image/jpeg;base64,", drawn.QuerySelector("img")!.GetAttribute("src"), StringComparison.Ordinal);
        var box = Assert.Single(drawn.QuerySelectorAll("[data-test=predict-box]"));
        Assert.Equal("left:10%;top:10%;width:40%;height:40%", box.GetAttribute("style"));
        Assert.Equal("raccoon 0.93", box.TextContent.Trim());

        // Moved inside the retry: under load the upload's last render can replace the slider after it was found.
        cut.WaitForAssertion(() =>
        {
            cut.Find("input[type=range]").Input("0.4");
            Assert.Equal("2 boxes at or above 0.40: 1 raccoon, 1 dog", cut.Find("[data-test=predict-verdict]").Text().Trim());
        });
        Assert.Equal(2, cut.FindAll("[data-test=predict-boxes] [data-test=predict-box]").Count);
        Assert.Equal(["raccoon", "dog"], cut.FindAll("[data-test=predict-box-row]").Select(r => r.GetAttribute("data-label")!));

        cut.WaitForAssertion(() =>
        {
            cut.Find("input[type=range]").Input("0.95");
            Assert.Equal("No box reaches the threshold 0.95 (best: raccoon 0.930).", cut.Find("[data-test=predict-verdict]").Text().Trim());
        });
        Assert.Empty(cut.FindAll("[data-test=predict-box]"));
    }

    [Fact]
    public async Task OperationPage_DetectorTrained_SaysItsMapAtHalfInsteadOfTopOne()
    {
        var fakes = Detector();
        var done = new TrainingProgress(TrainingPhase.Done, 4, 4, 0, 0, 3, 200, [], 43, null, "done");
        fakes.Operations.Add(FakeTrainingServices.Operation(5, OperationState.Succeeded, done, stopReason: "converged", modelId: 9) with { Kind = DetectorTrainingRequest.DetectionKind });
        await using var harness = new ConsoleTestContext(configure: fakes.Register);

        var document = await harness.RenderAsync<OperationPage>(new Dictionary<string, object?> { [nameof(OperationPage.OperationId)] = 5L });

        Assert.Contains("The model is ready: mAP 0.250 at IoU 0.5 on 4 held-out images.", document.QuerySelector(".operation-result")!.TextContent, StringComparison.Ordinal);
        Assert.Null(document.QuerySelector(".operation-error"));
    }

    [Fact]
    public async Task ModelsPage_DetectorBesideAClassifier_ListsBothWithTheDetectorsMapAsItsAp()
    {
        var fakes = Detector();
        fakes.Models.Add(FakeTrainingServices.Model(7));
        fakes.Evaluations[7] = FakeTrainingServices.SixImageEvaluation(7);
        await using var harness = new ConsoleTestContext(configure: fakes.Register);

        var cut = await harness.RenderAsync<ModelsPage>();

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("tr.model-row").Count));
        Assert.Equal("0.250", cut.Find("tr.model-9 [data-test=ap]").TextContent.Trim());
        Assert.Equal("—", cut.Find("tr.model-9 [data-test=top1]").TextContent.Trim());
        Assert.NotEqual("—", cut.Find("tr.model-7 [data-test=top1]").TextContent.Trim());
    }
}
