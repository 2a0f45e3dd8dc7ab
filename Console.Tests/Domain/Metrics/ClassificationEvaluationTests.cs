using VisionConsole.Domain.Metrics;

namespace VisionConsole.Tests.Domain.Metrics;

public class ClassificationEvaluationTests
{
    private const double Tolerance = 1e-9;

    /// <summary>
    /// Worked multi-label example: 6 images, labels A and B (truth in brackets).
    /// <code>
    /// image  A score [A?]   B score [B?]
    ///   1    0.9 [yes]      0.1 [no]
    ///   2    0.8 [no]       0.9 [yes]
    ///   3    0.7 [yes]      0.4 [yes]
    ///   4    0.6 [no]       0.4 [no]
    ///   5    0.5 [yes]      0.3 [no]
    ///   6    0.2 [no]       0.8 [no]
    /// </code>
    /// A, ranked: 0.9 T (P 1, R 1/3), 0.8 F (1/2, 1/3), 0.7 T (2/3, 2/3), 0.6 F (1/2, 2/3), 0.5 T (3/5, 1), 0.2 F (1/2, 1).
    /// Interpolated precision at recall 1/3, 2/3, 1: 1, 2/3, 3/5, so AP(A) = (1 + 2/3 + 3/5) / 3 = 34/45.
    /// B, ranked: 0.9 T (1, 1/2), 0.8 F (1/2, 1/2), 0.4 {T, F} together (2/4, 1), 0.3 F (2/5, 1), 0.1 F (2/6, 1).
    /// AP(B) = 1/2 * 1 + 1/2 * 1/2 = 3/4. mAP = (34/45 + 3/4) / 2 = 271/360.
    /// Micro (12 candidates, 5 positives): 0.9 {T,T} (1, 2/5), 0.8 {F,F} (1/2, 2/5), 0.7 T (3/5, 3/5),
    /// 0.6 F (1/2, 3/5), 0.5 T (4/7, 4/5), 0.4 {T,F} (5/9, 1), 0.3 F, 0.2 F, 0.1 F.
    /// Micro AP = 2/5 * 1 + 1/5 * 3/5 + 1/5 * 4/7 + 1/5 * 5/9 = 1174/1575.
    /// Micro F1 = 2TP / (2TP + FP + FN) per point: the best is at 0.4 (TP 5, FP 4, FN 0): 10/14 = 5/7.
    /// </summary>
    private static ClassificationEvaluation MultiLabelExample() => new(
        ["A", "B"],
        [
            new ScoredImage(1, [0], [0.9f, 0.1f]),
            new ScoredImage(2, [1], [0.8f, 0.9f]),
            new ScoredImage(3, [0, 1], [0.7f, 0.4f]),
            new ScoredImage(4, [], [0.6f, 0.4f]),
            new ScoredImage(5, [0], [0.5f, 0.3f]),
            new ScoredImage(6, [], [0.2f, 0.8f]),
        ],
        PredictionRule.Independent);

    /// <summary>
    /// Worked single-label example: labels cat(0), dog(1), fox(2); 7 images.
    /// <code>
    /// image true  scores cat/dog/fox   top (score)   top-2
    ///  10   cat   .70 .20 .10          cat .70       cat dog  (hit)
    ///  11   cat   .30 .60 .10          dog .60       dog cat  (hit)
    ///  12   dog   .10 .80 .10          dog .80       dog cat  (hit)
    ///  13   dog   .20 .35 .45          fox .45       fox dog  (hit)
    ///  14   fox   .50 .40 .10          cat .50       cat dog  (miss)
    ///  15   fox   .10 .10 .80          fox .80       fox cat  (hit)
    ///  16   cat   .40 .35 .25          cat .40       cat dog  (hit)
    /// </code>
    /// Top-1 = 4/7 (10, 12, 15, 16); top-2 = 6/7; top-5 = 1 (only 3 labels).
    /// At threshold 0.5 (top score &gt;= 0.5, else none): cat row: cat {10}, dog {11}, none {16};
    /// dog row: dog {12}, none {13}; fox row: cat {14}, fox {15}.
    /// cat: TP {10}, FP {14}, FN {11, 16}: P 1/2, R 1/3, F1 2/5. dog: TP {12}, FP {11}, FN {13}: 1/2, 1/2, 1/2.
    /// fox: TP {15}, FP none, FN {14}: 1, 1/2, 2/3. Micro TP 3, FP 2, FN 4: P 3/5, R 3/7, F1 1/2.
    /// AP: cat candidates .70 T (1, 1/3), .50 F (1/2, 1/3), .40 T (2/3, 2/3): AP = 1/3 + 1/3 * 2/3 = 5/9.
    /// dog candidates .80 T (1, 1/2), .60 F: AP 1/2. fox candidates .80 T (1, 1/2), .45 F: AP 1/2.
    /// mAP = (5/9 + 1/2 + 1/2) / 3 = 14/27. Micro (7 positives): .80 {T,T} (1, 2/7), .70 T (1, 3/7),
    /// .60 F, .50 F, .45 F, .40 T (4/7, 4/7): micro AP = 3/7 + 1/7 * 4/7 = 25/49.
    /// Micro F1 per point: 4/9, 6/10, 6/11, 6/12, 6/13, 8/14: suggested threshold 0.70 (F1 0.6).
    /// </summary>
    private static ClassificationEvaluation SingleLabelExample() => new(
        ["cat", "dog", "fox"],
        [
            new ScoredImage(10, [0], [0.70f, 0.20f, 0.10f]),
            new ScoredImage(11, [0], [0.30f, 0.60f, 0.10f]),
            new ScoredImage(12, [1], [0.10f, 0.80f, 0.10f]),
            new ScoredImage(13, [1], [0.20f, 0.35f, 0.45f]),
            new ScoredImage(14, [2], [0.50f, 0.40f, 0.10f]),
            new ScoredImage(15, [2], [0.10f, 0.10f, 0.80f]),
            new ScoredImage(16, [0], [0.40f, 0.35f, 0.25f]),
        ],
        PredictionRule.TopOne);

    [Fact]
    public void AveragePrecision_WorkedMultiLabelExample_MatchesHandComputedValues()
    {
        var evaluation = MultiLabelExample();

        Assert.Equal(34.0 / 45, evaluation.AveragePrecision(0)!.Value, Tolerance);
        Assert.Equal(3.0 / 4, evaluation.AveragePrecision(1)!.Value, Tolerance);
        Assert.Equal(271.0 / 360, evaluation.MeanAveragePrecision()!.Value, Tolerance);
        Assert.Equal(1174.0 / 1575, evaluation.AveragePrecision()!.Value, Tolerance);
    }

    [Fact]
    public void PrecisionRecallCurve_TiedScores_FormOnePoint()
    {
        var curve = MultiLabelExample().PrecisionRecallCurve(1);

        Assert.Equal([0.9f, 0.8f, 0.4f, 0.3f, 0.1f], curve.Select(p => p.Threshold));
        Assert.Equal([1.0, 0.5, 0.5, 0.4, 1.0 / 3], curve.Select(p => p.Precision));
        Assert.Equal([0.5, 0.5, 1.0, 1.0, 1.0], curve.Select(p => p.Recall));
        Assert.Equal(2, curve[2].TruePositives);
        Assert.Equal(2, curve[2].FalsePositives);
    }

    [Fact]
    public void AtThreshold_WorkedMultiLabelExample_CountsAndImageIds()
    {
        var metrics = MultiLabelExample().AtThreshold(0.5f);

        var a = metrics.PerLabel[0];
        Assert.Equal([1L, 3, 5], a.TruePositiveImageIds);
        Assert.Equal([2L, 4], a.FalsePositiveImageIds);
        Assert.Empty(a.FalseNegativeImageIds);
        Assert.Equal(0.6, a.Counts.Precision!.Value, Tolerance);
        Assert.Equal(1.0, a.Counts.Recall!.Value, Tolerance);
        Assert.Equal(0.75, a.Counts.F1!.Value, Tolerance);

        var b = metrics.PerLabel[1];
        Assert.Equal([2L], b.TruePositiveImageIds);
        Assert.Equal([6L], b.FalsePositiveImageIds);
        Assert.Equal([3L], b.FalseNegativeImageIds);
        Assert.Equal(0.5, b.Counts.F1!.Value, Tolerance);

        Assert.Equal(new MetricCounts(4, 3, 1), metrics.Micro);
        Assert.Equal(4.0 / 7, metrics.Micro.Precision!.Value, Tolerance);
        Assert.Equal(0.8, metrics.Micro.Recall!.Value, Tolerance);
        Assert.Equal(2.0 / 3, metrics.Micro.F1!.Value, Tolerance);
    }

    [Fact]
    public void SuggestThreshold_WorkedMultiLabelExample_MaximizesMicroF1()
    {
        var suggestion = MultiLabelExample().SuggestThreshold();

        Assert.Equal(0.4f, suggestion.Threshold);
        Assert.Equal(5.0 / 7, suggestion.F1, Tolerance);
    }

    [Fact]
    public void TopKAccuracy_WorkedSingleLabelExample_MatchesHandCount()
    {
        var evaluation = SingleLabelExample();

        Assert.Equal(4.0 / 7, evaluation.TopKAccuracy(1)!.Value, Tolerance);
        Assert.Equal(6.0 / 7, evaluation.TopKAccuracy(2)!.Value, Tolerance);
        Assert.Equal(1.0, evaluation.TopKAccuracy(5)!.Value, Tolerance);
    }

    [Fact]
    public void ConfusionMatrix_WorkedSingleLabelExample_CellsHoldTheRightImages()
    {
        var matrix = SingleLabelExample().ConfusionMatrix(0.5f);

        Assert.Equal(
            [(0, (int?)0, new long[] { 10 }), (0, 1, [11]), (0, null, [16]), (1, 1, [12]), (1, null, [13]), (2, 0, [14]), (2, 2, [15])],
            matrix.Cells.Select(c => (c.TrueLabel, c.PredictedLabel, c.ImageIds.ToArray())));
        Assert.Equal(1, matrix.Count(0, null));
        Assert.Equal(0, matrix.Count(1, 0));
        Assert.Equal(7, matrix.Cells.Sum(c => c.Count));
    }

    [Fact]
    public void AtThreshold_WorkedSingleLabelExample_AgreesWithConfusionMatrix()
    {
        var metrics = SingleLabelExample().AtThreshold(0.5f);

        Assert.Equal(new MetricCounts(1, 1, 2), metrics.PerLabel[0].Counts);
        Assert.Equal([14L], metrics.PerLabel[0].FalsePositiveImageIds);
        Assert.Equal([11L, 16], metrics.PerLabel[0].FalseNegativeImageIds);
        Assert.Equal(0.4, metrics.PerLabel[0].Counts.F1!.Value, Tolerance);
        Assert.Equal(new MetricCounts(1, 1, 1), metrics.PerLabel[1].Counts);
        Assert.Equal([11L], metrics.PerLabel[1].FalsePositiveImageIds);
        Assert.Equal(new MetricCounts(1, 0, 1), metrics.PerLabel[2].Counts);
        Assert.Equal(1.0, metrics.PerLabel[2].Counts.Precision!.Value, Tolerance);
        Assert.Equal(new MetricCounts(3, 2, 4), metrics.Micro);
        Assert.Equal(0.5, metrics.Micro.F1!.Value, Tolerance);
    }

    [Fact]
    public void AveragePrecision_WorkedSingleLabelExample_MatchesHandComputedValues()
    {
        var evaluation = SingleLabelExample();

        Assert.Equal(5.0 / 9, evaluation.AveragePrecision(0)!.Value, Tolerance);
        Assert.Equal(0.5, evaluation.AveragePrecision(1)!.Value, Tolerance);
        Assert.Equal(0.5, evaluation.AveragePrecision(2)!.Value, Tolerance);
        Assert.Equal(14.0 / 27, evaluation.MeanAveragePrecision()!.Value, Tolerance);
        Assert.Equal(25.0 / 49, evaluation.AveragePrecision()!.Value, Tolerance);
        var suggestion = evaluation.SuggestThreshold();
        Assert.Equal(0.70f, suggestion.Threshold);
        Assert.Equal(0.6, suggestion.F1, Tolerance);
    }

    [Fact]
    public void AtThreshold_SingleLabelAtZero_RecallEqualsTop1Accuracy()
    {
        var evaluation = SingleLabelExample();

        var micro = evaluation.AtThreshold(0f).Micro;

        Assert.Equal(evaluation.TopKAccuracy(1), micro.Recall);
        Assert.Equal(evaluation.TopKAccuracy(1), micro.Precision);
    }

    [Fact]
    public void ConfusionMatrix_MultiLabel_Throws()
    {
        Assert.Throws<InvalidOperationException>(() => MultiLabelExample().ConfusionMatrix(0.5f));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void AtThreshold_RandomScores_RecallNeverRisesWithThreshold(int seed)
    {
        var evaluation = RandomMultiLabel(seed, images: 60, labels: 4);
        var thresholds = Enumerable.Range(0, 102).Select(t => t / 100f).ToArray();

        var previous = evaluation.AtThreshold(thresholds[0]);
        foreach (var t in thresholds.Skip(1))
        {
            var current = evaluation.AtThreshold(t);
            Assert.True(current.Micro.Recall <= previous.Micro.Recall, $"micro recall rose at {t}");
            for (var c = 0; c < 4; c++)
                Assert.True(current.PerLabel[c].Counts.Recall <= previous.PerLabel[c].Counts.Recall, $"label {c} recall rose at {t}");
            previous = current;
        }
    }

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    public void AtThreshold_ZeroAndAboveMaxScore_GiveTheExtremes(int seed)
    {
        var evaluation = RandomMultiLabel(seed, images: 40, labels: 3);
        var maxScore = evaluation.Images.SelectMany(i => i.Scores).Max();

        var all = evaluation.AtThreshold(0f);
        var none = evaluation.AtThreshold(BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(maxScore) + 1));

        for (var c = 0; c < 3; c++)
        {
            Assert.Equal(1.0, all.PerLabel[c].Counts.Recall);
            Assert.Equal(evaluation.Positives(c), all.PerLabel[c].Counts.TruePositives);
            Assert.Equal(40 - evaluation.Positives(c), all.PerLabel[c].Counts.FalsePositives);
            Assert.Equal(0.0, none.PerLabel[c].Counts.Recall);
            Assert.Null(none.PerLabel[c].Counts.Precision);
            Assert.Equal(evaluation.Positives(c), none.PerLabel[c].Counts.FalseNegatives);
        }
        Assert.Equal(0, none.Micro.TruePositives + none.Micro.FalsePositives);
        Assert.Equal(0.0, none.Micro.F1);
    }

    [Theory]
    [InlineData(6)]
    [InlineData(7)]
    public void PrecisionRecallCurve_RandomScores_AgreesWithAtThresholdAndBoundsAp(int seed)
    {
        var evaluation = RandomMultiLabel(seed, images: 50, labels: 3);

        var curve = evaluation.PrecisionRecallCurve();

        Assert.Equal(1.0, curve[^1].Recall); // the lowest score predicts everything
        for (var k = 0; k < curve.Count; k++)
        {
            var at = evaluation.AtThreshold(curve[k].Threshold).Micro;
            Assert.Equal(at.TruePositives, curve[k].TruePositives);
            Assert.Equal(at.FalsePositives, curve[k].FalsePositives);
            Assert.Equal(at.Precision!.Value, curve[k].Precision, Tolerance);
            if (k > 0)
                Assert.True(curve[k].Threshold < curve[k - 1].Threshold && curve[k].Recall >= curve[k - 1].Recall);
        }
        var ap = evaluation.AveragePrecision()!.Value;
        Assert.InRange(ap, curve.Min(p => p.Precision), 1.0);
        var best = evaluation.SuggestThreshold();
        Assert.Equal(curve.Max(p => p.F1), best.F1, Tolerance);
    }

    [Fact]
    public void AveragePrecision_PerfectRanking_IsOne()
    {
        var evaluation = new ClassificationEvaluation(["x"],
            [new ScoredImage(1, [0], [0.9f]), new ScoredImage(2, [0], [0.8f]), new ScoredImage(3, [], [0.1f])],
            PredictionRule.Independent);

        Assert.Equal(1.0, evaluation.AveragePrecision(0));
    }

    [Fact]
    public void AveragePrecision_LabelWithoutPositives_IsNullAndLeftOutOfMean()
    {
        var evaluation = new ClassificationEvaluation(["x", "y"],
            [new ScoredImage(1, [0], [0.9f, 0.2f]), new ScoredImage(2, [], [0.3f, 0.8f])],
            PredictionRule.Independent);

        Assert.Null(evaluation.AveragePrecision(1));
        Assert.Empty(evaluation.PrecisionRecallCurve(1));
        Assert.Equal(1.0, evaluation.MeanAveragePrecision());
    }

    [Fact]
    public void Report_SingleLabel_UsesSuggestedThresholdByDefault()
    {
        var report = SingleLabelExample().Report();

        Assert.Equal(0.70f, report.AtThreshold.Threshold);
        Assert.NotNull(report.ConfusionMatrix);
        Assert.Equal(0.70f, report.ConfusionMatrix.Threshold);
        Assert.Equal(4.0 / 7, report.Top1Accuracy!.Value, Tolerance);
        Assert.Equal(3, report.PerLabel.Count);
        Assert.Equal(5.0 / 9, report.PerLabel[0].AveragePrecision!.Value, Tolerance);
    }

    [Fact]
    public void Constructor_WrongScoreCount_ThrowsNamingTheImage()
    {
        var error = Assert.Throws<ArgumentException>(() => new ClassificationEvaluation(["a", "b"],
            [new ScoredImage(1, [0], [0.5f, 0.5f]), new ScoredImage(42, [1], [0.5f])], PredictionRule.TopOne));

        Assert.Contains("Image 42 has 1 scores", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_SingleLabelImageWithTwoLabels_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => new ClassificationEvaluation(["a", "b"],
            [new ScoredImage(7, [0, 1], [0.5f, 0.5f])], PredictionRule.TopOne));

        Assert.Contains("Image 7 has 2 true labels", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_RepeatedImageId_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => new ClassificationEvaluation(["a"],
            [new ScoredImage(3, [0], [0.5f]), new ScoredImage(3, [], [0.1f])], PredictionRule.Independent));

        Assert.Contains("Image 3 appears more than once", error.Message, StringComparison.Ordinal);
    }

    private static ClassificationEvaluation RandomMultiLabel(int seed, int images, int labels)
    {
        var rng = new Random(seed);
        var list = new List<ScoredImage>();
        for (var i = 0; i < images; i++)
        {
            var truth = Enumerable.Range(0, labels).Where(_ => rng.NextDouble() < 0.4).ToArray();
            // Scores loosely follow the truth, rounded to 0.05 so ties occur.
            var scores = Enumerable.Range(0, labels)
                .Select(c => MathF.Round((float)Math.Clamp((truth.Contains(c) ? 0.3 : 0) + rng.NextDouble() * 0.7, 0, 1) * 20) / 20)
                .ToArray();
            list.Add(new ScoredImage(i + 1, truth, scores));
        }
        // Every label needs a positive for the recall-at-zero property.
        for (var c = 0; c < labels; c++)
        {
            if (!list.Any(i => i.TrueLabels.Contains(c)))
                list[c] = list[c] with { TrueLabels = [.. list[c].TrueLabels, c] };
        }
        return new ClassificationEvaluation(Enumerable.Range(0, labels).Select(c => $"l{c}").ToArray(), list, PredictionRule.Independent);
    }
}
