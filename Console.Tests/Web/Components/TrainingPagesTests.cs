using VisionConsole.Domain.Operations;
using VisionConsole.Domain.Training;
using VisionConsole.Web.Components.Pages.Evaluation;
using VisionConsole.Web.Components.Pages.Operations;

namespace VisionConsole.Tests.Web.Components;

/// <summary>The evaluation page, the live training chart and the operation page as they render.</summary>
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
        Assert.Equal("0.55", Figure("threshold-value"));
        // The slider moves by 0.01 per arrow key.
        Assert.Equal("0.01", document.QuerySelector("input[type=range]")!.GetAttribute("step"));
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
        // Plot 312 x 274 inside margins 56 (left) and 10 (top): x = 56 + 312 * 2/3, y = 10 + 274 * (1 - 2/3).
        Assert.Equal("264", marker.GetAttribute("cx"));
        Assert.Equal("101.33", marker.GetAttribute("cy"));
        Assert.Equal("recall", document.QuerySelector("[data-test=pr-curve] .line-chart-xlabel")!.Text());
        Assert.Equal("precision", document.QuerySelector("[data-test=pr-curve] .line-chart-ylabel")!.Text());

        var antsRow = document.QuerySelector(".per-label tr[data-label=ants]")!.QuerySelectorAll("td").Select(td => td.Text()).ToList();
        Assert.Equal(["3", "0.556", "0.667", "0.667", "0.667", "1", "1"], antsRow);
        Assert.Null(document.QuerySelector("[data-test=drill-down-title]"));
    }

    [Fact]
    public async Task TrainingChart_ThreeEpochs_DrawsLossOnTheLeftAxisAndAccuracyOnTheRight()
    {
        await using var harness = new ConsoleTestContext();

        var document = await harness.RenderAsync<TrainingChart>(new Dictionary<string, object?> { [nameof(TrainingChart.History)] = ThreeEpochs });

        // 480 x 280 box, plot 368 x 234 from (56, 10); x spans epochs 1..3; loss 0..0.9 (its largest) on the left, accuracy 0..1 on the right.
        string Path(string series) => document.QuerySelector($"[data-test=training-chart] path[data-series='{series}']")!.GetAttribute("d")!;
        Assert.Equal("M56 36 L240 140 L424 192", Path("Train loss"));
        Assert.Equal("M56 10 L240 88 L424 114", Path("Validation loss"));
        Assert.Equal("M56 127 L240 68.5 L424 10", Path("Validation accuracy"));
        Assert.Equal(9, document.QuerySelectorAll("[data-test=training-chart] circle").Length);
        Assert.Equal(["Train loss", "Validation loss", "Validation accuracy (right axis)"], document.QuerySelectorAll(".line-chart-legend").Select(l => l.Text()));
        Assert.Equal("epoch", document.QuerySelector(".line-chart-xlabel")!.Text());
        Assert.Equal("loss", document.QuerySelector(".line-chart-ylabel")!.Text());
        Assert.Equal("validation accuracy", document.QuerySelector(".line-chart-y2label")!.Text());
        Assert.Equal(["0%", "25%", "50%", "75%", "100%"], document.QuerySelectorAll(".line-chart-y2tick").Select(t => t.Text()));
    }

    [Fact]
    public async Task TrainingChart_LossAboveOne_WidensTheLossScaleToTheLargestValue()
    {
        await using var harness = new ConsoleTestContext();
        EpochPoint[] history = [new(1, 2.0, null, null), new(2, 1.0, null, null)];

        var document = await harness.RenderAsync<TrainingChart>(new Dictionary<string, object?> { [nameof(TrainingChart.History)] = history });

        // Loss spans 0..2: 2.0 at the top (10), 1.0 halfway (10 + 117); epochs 1..2 span the plot's width.
        Assert.Equal("M56 10 L424 127", document.QuerySelector("path[data-series='Train loss']")!.GetAttribute("d"));
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
        Assert.Equal("30", document.QuerySelector("[data-test=features-bar]")!.GetAttribute("aria-valuenow"));
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
