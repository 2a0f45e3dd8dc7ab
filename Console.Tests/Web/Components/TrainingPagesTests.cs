using VisionConsole.Domain.Operations;
using VisionConsole.Domain.Training;
using VisionConsole.Web.Components.Pages.Evaluation;
using VisionConsole.Web.Components.Pages.Operations;

namespace VisionConsole.Tests.Web.Components;

/// <summary>Markup of the evaluation page, the live training chart and the operation page, rendered with HtmlRenderer.</summary>
public sealed class TrainingPagesTests
{
    private static readonly EpochPoint[] ThreeEpochs =
    [
        new(1, 0.8, 0.9, 0.5),
        new(2, 0.4, 0.6, 0.75),
        new(3, 0.2, 0.5, 1.0),
    ];

    [Fact]
    public async Task ModelEvaluation_SixImages_ShowsFiguresAtSuggestedThresholdConfusionCountsAndCurve()
    {
        var fakes = new FakeTrainingServices();
        fakes.Models.Add(FakeTrainingServices.Model(7));
        fakes.Evaluations[7] = FakeTrainingServices.SixImageEvaluation(7);
        await using var harness = new ConsoleTestContext(configure: fakes.Register);

        var document = await harness.RenderAsync<ModelEvaluation>(new Dictionary<string, object?> { [nameof(ModelEvaluation.ModelId)] = 7L });

        string Figure(string test) => document.QuerySelector($"[data-test={test}]")!.Text();
        Assert.Equal("0.550", Figure("threshold-value"));
        Assert.Equal("0.55", document.QuerySelector("input[type=range][data-test=threshold]")!.GetAttribute("value"));
        Assert.Equal("0.667", Figure("precision"));
        Assert.Equal("0.667", Figure("recall"));
        Assert.Equal("0.667", Figure("f1"));
        Assert.Equal("0.556", Figure("average-precision"));
        Assert.Equal("0.667", Figure("top1"));
        Assert.Equal("1.000", Figure("top5"));

        string Count(string cell) => document.QuerySelector($"[data-test=cell-{cell}]")!.GetAttribute("data-count")!;
        Assert.Equal(["2", "1", "0", "1", "2", "0"], new[] { "0-0", "0-1", "0-none", "1-0", "1-1", "1-none" }.Select(Count));
        Assert.Equal("2", document.QuerySelector("[data-test=cell-0-0] button")!.Text());
        Assert.Null(document.QuerySelector("[data-test=cell-0-none] button"));
        Assert.Equal(["ants", "bees", "none"], document.QuerySelectorAll(".confusion-matrix thead th").Skip(1).Select(th => th.Text()));

        // The micro PR curve has one point per distinct score (six), and the ring marks (recall 2/3, precision 2/3).
        var curve = document.QuerySelector("[data-test=pr-curve] path.line-chart-series")!.GetAttribute("d")!;
        Assert.StartsWith("M", curve, StringComparison.Ordinal);
        Assert.Equal(5, curve.Count(c => c == 'L'));
        var marker = document.QuerySelector("[data-test=pr-curve] circle.line-chart-marker")!;
        // Plot 304 x 262 inside margins 44 (left) and 10 (top): x = 44 + 304 * 2/3, y = 10 + 262 * (1 - 2/3).
        Assert.Equal("246.67", marker.GetAttribute("cx"));
        Assert.Equal("97.33", marker.GetAttribute("cy"));

        var antsRow = document.QuerySelector(".per-label tr[data-label=ants]")!.QuerySelectorAll("td").Select(td => td.Text()).ToList();
        Assert.Equal(["3", "0.556", "0.667", "0.667", "0.667", "1", "1"], antsRow);
        Assert.Null(document.QuerySelector(".evaluation-images"));
    }

    [Fact]
    public async Task TrainingChart_ThreeEpochs_DrawsEachSeriesThroughTheScaledPoints()
    {
        await using var harness = new ConsoleTestContext();

        var document = await harness.RenderAsync<TrainingChart>(new Dictionary<string, object?> { [nameof(TrainingChart.History)] = ThreeEpochs });

        // 480 x 260 box, plot 424 x 222 from (44, 10); x spans epochs 1..3, y spans 0..1.
        string Path(string series) => document.QuerySelector($"[data-test=training-chart] path[data-series='{series}']")!.GetAttribute("d")!;
        Assert.Equal("M44 54.4 L256 143.2 L468 187.6", Path("Train loss"));
        Assert.Equal("M44 32.2 L256 98.8 L468 121", Path("Validation loss"));
        Assert.Equal("M44 121 L256 65.5 L468 10", Path("Validation accuracy"));
        Assert.Equal(9, document.QuerySelectorAll("[data-test=training-chart] circle").Length);
        Assert.Equal(["Train loss", "Validation loss", "Validation accuracy"], document.QuerySelectorAll(".line-chart-legend").Select(l => l.Text()));
    }

    [Fact]
    public async Task TrainingChart_LossAboveOne_WidensTheScaleToTheLargestValue()
    {
        await using var harness = new ConsoleTestContext();
        EpochPoint[] history = [new(1, 2.0, null, null), new(2, 1.0, null, null)];

        var document = await harness.RenderAsync<TrainingChart>(new Dictionary<string, object?> { [nameof(TrainingChart.History)] = history });

        // y spans 0..2: 2.0 at the top (10), 1.0 halfway (10 + 111); epochs 1..2 span the width.
        Assert.Equal("M44 10 L468 121", document.QuerySelector("path[data-series='Train loss']")!.GetAttribute("d"));
        Assert.Null(document.QuerySelector("path[data-series='Validation loss']"));
    }

    [Fact]
    public async Task TrainingChart_NoEpochYet_ShowsPlaceholderNotAnEmptyChart()
    {
        await using var harness = new ConsoleTestContext();

        var document = await harness.RenderAsync<TrainingChart>(new Dictionary<string, object?> { [nameof(TrainingChart.History)] = Array.Empty<EpochPoint>() });

        Assert.Null(document.QuerySelector("svg"));
        Assert.NotNull(document.QuerySelector("[data-test=training-chart-empty]"));
    }

    [Fact]
    public async Task OperationPage_Succeeded_ShowsDonePhaseChartStopReasonAndModelLinksWithoutCancel()
    {
        var fakes = new FakeTrainingServices();
        var done = new TrainingProgress(TrainingPhase.Done, 44, 44, 180, 0, 3, 200, ThreeEpochs, 43, null, "done: top-1 0.95 on 8 images, converged");
        fakes.Operations.Add(FakeTrainingServices.Operation(5, OperationState.Succeeded, done, stopReason: "converged", modelId: 7));
        await using var harness = new ConsoleTestContext(configure: fakes.Register);

        var document = await harness.RenderAsync<OperationPage>(new Dictionary<string, object?> { [nameof(OperationPage.OperationId)] = 5L });

        Assert.Equal("Ants and bees model", document.QuerySelector(".operation-header h1")!.Text());
        Assert.Equal("Succeeded", document.QuerySelector(".operation-state")!.Text());
        Assert.Equal("Done", document.QuerySelector("[data-test=phase]")!.Text());
        Assert.Equal("44 / 44", document.QuerySelector("[data-test=images]")!.Text());
        Assert.Equal("3 / 200", document.QuerySelector("[data-test=epoch]")!.Text());
        Assert.Equal("100.0%", document.QuerySelector("[data-test=val-accuracy]")!.Text().Replace(" ", "", StringComparison.Ordinal));
        Assert.Null(document.QuerySelector("[data-test=eta]"));
        Assert.Equal(3, document.QuerySelectorAll("[data-test=training-chart] path.line-chart-series").Length);
        Assert.StartsWith("Converged", document.QuerySelector("[data-test=stop-reason]")!.Text(), StringComparison.Ordinal);
        Assert.Equal("models/7", document.QuerySelector("[data-test=model-link]")!.GetAttribute("href"));
        Assert.Equal("models/7/evaluation", document.QuerySelector("[data-test=evaluation-link]")!.GetAttribute("href"));
        Assert.Null(document.QuerySelector("[data-test=cancel-operation]"));
        Assert.Null(document.QuerySelector(".operation-error"));
        Assert.Equal("mobile-versatile-1", document.QuerySelector("[data-test=model-type]")!.Text());
    }

    [Fact]
    public async Task OperationPage_Failed_ShowsErrorAndNoModelLinkOrCancel()
    {
        var fakes = new FakeTrainingServices();
        var embedding = new TrainingProgress(TrainingPhase.Embedding, 12, 40, 60, 0, 0, 0, [], 6.5, 13, "embedding 12/40");
        fakes.Operations.Add(FakeTrainingServices.Operation(6, OperationState.Failed, embedding, error: "No VALIDATION or TEST image could be read; there is nothing to evaluate on.", stopReason: "failed"));
        await using var harness = new ConsoleTestContext(configure: fakes.Register);

        var document = await harness.RenderAsync<OperationPage>(new Dictionary<string, object?> { [nameof(OperationPage.OperationId)] = 6L });

        Assert.Equal("Failed", document.QuerySelector(".operation-state")!.Text());
        Assert.Equal("Training failed. No VALIDATION or TEST image could be read; there is nothing to evaluate on.", document.QuerySelector(".operation-error")!.Text());
        Assert.Equal("12 / 40", document.QuerySelector("[data-test=images]")!.Text());
        Assert.Equal("30", document.QuerySelector(".progress")!.GetAttribute("aria-valuenow"));
        Assert.NotNull(document.QuerySelector("[data-test=training-chart-empty]"));
        Assert.Null(document.QuerySelector("[data-test=model-link]"));
        Assert.Null(document.QuerySelector("[data-test=cancel-operation]"));
        Assert.Null(document.QuerySelector("[data-test=stop-reason]"));
        Assert.Null(document.QuerySelector("[data-test=eta]"));
    }

    [Fact]
    public async Task OperationPage_Running_ShowsCancelAndEta()
    {
        var fakes = new FakeTrainingServices();
        var training = new TrainingProgress(TrainingPhase.Training, 40, 40, 200, 0, 2, 200, ThreeEpochs[..2], 9, 4, "epoch 2");
        fakes.Operations.Add(FakeTrainingServices.Operation(8, OperationState.Running, training));
        await using var harness = new ConsoleTestContext(configure: fakes.Register);

        var document = await harness.RenderAsync<OperationPage>(new Dictionary<string, object?> { [nameof(OperationPage.OperationId)] = 8L });

        Assert.Equal("Running", document.QuerySelector(".operation-state")!.Text());
        Assert.Equal("Cancel", document.QuerySelector("[data-test=cancel-operation]")!.Text());
        Assert.Equal("4 s", document.QuerySelector("[data-test=eta]")!.Text());
        Assert.Equal("Training the head", document.QuerySelector("[data-test=phase]")!.Text());
    }
}
