using Bunit;
using VisionConsole.Domain.Datasets;
using VisionConsole.Web.Components.Pages.Evaluation;

namespace VisionConsole.Tests.Web.Components;

/// <summary>The evaluation page's slider, drill-down and image viewer, driven as a user drives them.</summary>
public sealed class EvaluationPageTests
{
    private static (FakeTrainingServices Fakes, InMemoryDatasetService Datasets) SixImages()
    {
        var fakes = new FakeTrainingServices();
        fakes.Models.Add(FakeTrainingServices.Model(7));
        fakes.Evaluations[7] = FakeTrainingServices.SixImageEvaluation(7);
        var datasets = new InMemoryDatasetService();
        // Dataset 1 (the model's): images 1-3 ants, 4-6 bees, so label ids are ants 1, bees 2.
        datasets.AddDataset("Hive photos", DatasetKind.SingleLabel,
            Enumerable.Range(1, 6).Select(i => InMemoryDatasetService.Image(i, DataSplit.Test, i <= 3 ? "ants" : "bees")));
        return (fakes, datasets);
    }

    private static string Count(IRenderedComponent<ModelEvaluation> cut, string cell) => cut.Find($"[data-test=cell-{cell}]").GetAttribute("data-count")!;

    private static List<string> DrillDownImages(IRenderedComponent<ModelEvaluation> cut) =>
        cut.FindAll("[data-test=drill-down] [data-image]").Select(e => e.GetAttribute("data-image")!).ToList();

    [Fact]
    public async Task Slider_MovedToThreeQuarters_RecomputesFiguresMatrixAndTheOpenDrillDown()
    {
        var (fakes, datasets) = SixImages();
        await using var harness = new ConsoleTestContext(datasets, fakes.Register);
        var cut = await harness.RenderAsync<ModelEvaluation>(new Dictionary<string, object?> { [nameof(ModelEvaluation.ModelId)] = 7L });

        // At the suggested 0.55, ants predicted as ants: images 1 and 2, shown beside the matrix.
        cut.Find("[data-test=cell-0-0] button").Click();
        Assert.Equal("ants predicted as ants (2)", cut.Find("[data-test=drill-down-title]").Text());
        Assert.Equal(["1", "2"], DrillDownImages(cut));

        cut.Find("input[type=range]").Input("0.75");

        // Only 1 (ants 0.9) and 4 (bees 0.8) reach 0.75: precision 1, recall 2/6; the rest fall into "none".
        Assert.Equal("0.75", cut.Find("[data-test=threshold-value]").Text());
        Assert.Equal("1.000", cut.Find("[data-test=precision]").Text());
        Assert.Equal("0.333", cut.Find("[data-test=recall]").Text());
        Assert.Equal(["1", "0", "2", "0", "1", "2"], new[] { "0-0", "0-1", "0-none", "1-0", "1-1", "1-none" }.Select(c => Count(cut, c)));
        // The open list follows: image 2 (ants 0.6) left the cell.
        Assert.Equal("ants predicted as ants (1)", cut.Find("[data-test=drill-down-title]").Text());
        Assert.Equal(["1"], DrillDownImages(cut));
        Assert.Contains("predicted: ants 0.90", cut.Find("[data-test=drill-down] [data-image='1']").Text(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task FalseNegatives_ThresholdRaised_ListGrowsWithTheImagesThatFellBelow()
    {
        var (fakes, datasets) = SixImages();
        await using var harness = new ConsoleTestContext(datasets, fakes.Register);
        var cut = await harness.RenderAsync<ModelEvaluation>(new Dictionary<string, object?> { [nameof(ModelEvaluation.ModelId)] = 7L });

        cut.Find("button[data-test=fn-0]").Click();
        Assert.Equal(["3"], DrillDownImages(cut));

        cut.Find("input[type=range]").Input("0.95");

        // Nothing reaches 0.95: every ants image is a false negative of ants.
        Assert.Equal("False negatives of ants (3)", cut.Find("[data-test=drill-down-title]").Text());
        Assert.Equal(["1", "2", "3"], DrillDownImages(cut));
    }

    [Fact]
    public async Task DrillDownImage_Opened_ShowsLabelsAndScoreAndFixTheLabelChangesTheDataset()
    {
        var (fakes, datasets) = SixImages();
        await using var harness = new ConsoleTestContext(datasets, fakes.Register);
        var providers = harness.RenderProviders();
        var cut = await harness.RenderAsync<ModelEvaluation>(new Dictionary<string, object?> { [nameof(ModelEvaluation.ModelId)] = 7L });

        // Image 3 is an ant the model calls a bee (0.7).
        cut.Find("[data-test=cell-0-1] button").Click();
        cut.Find("[data-test=drill-down] [data-image='3']").Click();

        providers.WaitForElement("[data-test=viewer-true]");
        Assert.Equal("ants", providers.Find("[data-test=viewer-true]").Text());
        Assert.Equal("bees", providers.Find("[data-test=viewer-predicted]").Text());
        Assert.StartsWith("0.700", providers.Find("[data-test=viewer-score]").Text(), StringComparison.Ordinal);
        Assert.Equal("api/blobs/" + new string('d', 64), providers.Find("img.viewer-image").GetAttribute("src"));

        // The fix starts at the predicted label: set it, and the dataset gets bees (2) on image 3 with ants (1) taken off.
        providers.Find("[data-test=fix-label-save]").Click();

        providers.WaitForElement("[data-test=fix-label-done]");
        var (change, user) = Assert.Single(datasets.LabelChanges);
        Assert.Equal([3L], change.ImageIds);
        Assert.Equal([2L], change.Add);
        Assert.Equal([1L], change.Remove);
        Assert.Equal("tester", user);
        Assert.Equal("photo-3.jpg is now labeled bees in the dataset.", providers.Find("[data-test=fix-label-done]").Text());
    }
}
