using VisionConsole.Web.Components.Pages.Evaluation;

namespace VisionConsole.Tests.Web.Components;

/// <summary>
/// The recomputation behind the evaluation page's slider, on six images with hand-computed figures.
/// Top scores: 1 ants 0.9 (true ants), 2 ants 0.6 (ants), 3 bees 0.7 (ants), 4 bees 0.8 (bees), 5 bees 0.55 (bees), 6 ants 0.65 (bees).
/// </summary>
public sealed class ThresholdExplorerTests
{
    private const double Tolerance = 1e-9;

    [Fact]
    public void Constructor_SixImages_StartsAtSuggestedThresholdWithItsFigures()
    {
        var explorer = new ThresholdExplorer(FakeTrainingServices.SixImageEvaluation());

        // Pooled candidates 0.9 TP, 0.8 TP, 0.7 FP, 0.65 FP, 0.6 TP, 0.55 TP: best F1 8/12 at 0.55.
        Assert.Equal(0.55f, explorer.SuggestedThreshold);
        Assert.Equal(0.55f, explorer.Threshold);
        Assert.Equal((4, 2, 2), (explorer.Metrics.Micro.TruePositives, explorer.Metrics.Micro.FalsePositives, explorer.Metrics.Micro.FalseNegatives));
        Assert.Equal(4.0 / 6, explorer.Top1Accuracy!.Value, Tolerance);
        Assert.Equal(1.0, explorer.Top5Accuracy!.Value, Tolerance);
        // Interpolated AP: recall steps 1/6, 1/6 at precision 1, then 1/6, 1/6 at envelope 2/3.
        Assert.Equal(1.0 / 6 + 1.0 / 6 + 2.0 / 3 / 6 + 2.0 / 3 / 6, explorer.AveragePrecision!.Value, Tolerance);
    }

    [Fact]
    public void SetThreshold_HalfThenThreeQuartersThenAboveAll_PrecisionRecallF1AndConfusionFollow()
    {
        var explorer = new ThresholdExplorer(FakeTrainingServices.SixImageEvaluation());

        explorer.SetThreshold(0.5f);
        Assert.Equal(4.0 / 6, explorer.Metrics.Micro.Precision!.Value, Tolerance);
        Assert.Equal(4.0 / 6, explorer.Metrics.Micro.Recall!.Value, Tolerance);
        Assert.Equal(8.0 / 12, explorer.Metrics.Micro.F1!.Value, Tolerance);
        var matrix = explorer.Confusion!;
        Assert.Equal([1L, 2L], Cell(explorer, 0, 0));
        Assert.Equal([3L], Cell(explorer, 0, 1));
        Assert.Equal([6L], Cell(explorer, 1, 0));
        Assert.Equal([4L, 5L], Cell(explorer, 1, 1));
        Assert.Equal(0, matrix.Count(0, null));
        Assert.Equal([6L], explorer.Metrics.PerLabel[0].FalsePositiveImageIds);
        Assert.Equal([3L], explorer.Metrics.PerLabel[0].FalseNegativeImageIds);

        // Only 1 (ants 0.9) and 4 (bees 0.8) stay predicted: TP 2, FP 0, FN 4.
        explorer.SetThreshold(0.75f);
        Assert.Equal(1.0, explorer.Metrics.Micro.Precision!.Value, Tolerance);
        Assert.Equal(2.0 / 6, explorer.Metrics.Micro.Recall!.Value, Tolerance);
        Assert.Equal(4.0 / 8, explorer.Metrics.Micro.F1!.Value, Tolerance);
        Assert.Equal([1L], Cell(explorer, 0, 0));
        Assert.Equal([2L, 3L], Cell(explorer, 0, null));
        Assert.Equal([4L], Cell(explorer, 1, 1));
        Assert.Equal([5L, 6L], Cell(explorer, 1, null));
        Assert.Equal(0, explorer.Confusion!.Count(0, 1));
        Assert.Empty(explorer.Metrics.PerLabel[0].FalsePositiveImageIds);

        // Nothing predicted: precision has no denominator, recall and F1 are 0, every image is "none".
        explorer.SetThreshold(0.95f);
        Assert.Null(explorer.Metrics.Micro.Precision);
        Assert.Equal(0.0, explorer.Metrics.Micro.Recall!.Value, Tolerance);
        Assert.Equal(0.0, explorer.Metrics.Micro.F1!.Value, Tolerance);
        Assert.Equal([1L, 2L, 3L], Cell(explorer, 0, null));
        Assert.Equal([4L, 5L, 6L], Cell(explorer, 1, null));
    }

    [Theory]
    [InlineData("0.42", true, 0.42f)]
    [InlineData("1", true, 1f)]
    [InlineData("abc", false, 0f)]
    [InlineData(null, false, 0f)]
    public void TryParseThreshold_SliderValue_ParsesInvariantNumbersOnly(string? value, bool ok, float expected)
    {
        Assert.Equal(ok, ThresholdExplorer.TryParseThreshold(value, out var threshold));
        if (ok)
        {
            Assert.Equal(expected, threshold);
        }
    }

    [Fact]
    public void SetThreshold_OutsideZeroToOne_IsClamped()
    {
        var explorer = new ThresholdExplorer(FakeTrainingServices.SixImageEvaluation());

        explorer.SetThreshold(1.7f);
        Assert.Equal(1f, explorer.Threshold);
        explorer.SetThreshold(-3f);
        Assert.Equal(0f, explorer.Threshold);
        Assert.Equal(4, explorer.Metrics.Micro.TruePositives);
    }

    private static IReadOnlyList<long> Cell(ThresholdExplorer explorer, int truth, int? predicted) =>
        explorer.Confusion!.Cells.SingleOrDefault(c => c.TrueLabel == truth && c.PredictedLabel == predicted)?.ImageIds ?? [];
}
