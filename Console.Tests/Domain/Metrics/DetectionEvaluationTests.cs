using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Metrics;

namespace VisionConsole.Tests.Domain.Metrics;

public class DetectionEvaluationTests
{
    private const double Tolerance = 1e-9;

    // The options the trainer stores reports with (ClassifierFiles.Json): camelCase, enums as strings.
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private static BoxRect R(double left, double top, double width, double height) => new(left, top, width, height);

    /// <summary>
    /// One label (raccoon); boxes as (left, top, width, height), all coordinates dyadic so every IoU below is exact.
    /// <code>
    /// image 1: object (0, 0, .5, .5); boxes .9 on it exactly (IoU 1), .8 at (0, 0, .5, .375) (IoU .75: a duplicate)
    /// image 2: object (.5, .5, .5, .5); no boxes (missed)
    /// image 3: no objects; box .7 at (0, 0, .25, .25) (a false positive on an empty image)
    /// image 4: object (0, 0, .5, .5); box .6 at (0, 0, .25, .5) (IoU exactly .5)
    /// </code>
    /// IoU .5, ranked: .9 T (P 1, R 1/3), .8 F (1/2, 1/3), .7 F (1/3, 1/3), .6 T (1/2, 2/3).
    /// AP = 1/3 * 1 + 1/3 * 1/2 = 1/2 (interpolated and step-wise agree here). IoU .3: the same, 1/2.
    /// IoU .75: image 4's box fails, .9 T (1, 1/3) then three F: AP 1/3; so does every COCO threshold above .5:
    /// COCO AP = (1/2 + 9 * 1/3) / 10 = 7/20.
    /// F1 per point at IoU .5: 2/4, 2/5, 2/6, 4/7: the suggested confidence threshold is .6.
    /// </summary>
    private static DetectionImage[] SingleLabelImages() =>
    [
        new(1, [new(0, R(0, 0, .5, .5))], [new(0, R(0, 0, .5, .5), .9f), new(0, R(0, 0, .5, .375), .8f)]),
        new(2, [new(0, R(.5, .5, .5, .5))], []),
        new(3, [], [new(0, R(0, 0, .25, .25), .7f)]),
        new(4, [new(0, R(0, 0, .5, .5))], [new(0, R(0, 0, .25, .5), .6f)]),
    ];

    private static DetectionEvaluation SingleLabelExample() => new(["raccoon"], SingleLabelImages());

    /// <summary>
    /// Labels cat (0) and dog (1).
    /// <code>
    /// image 10: cats g0 (0, 0, .5, .5) and g1 (.25, 0, .5, .5), overlapping.
    ///   p0 cat .9 (.1875, 0, .5, .5): IoU g0 5/11, g1 7/9
    ///   p1 cat .8 (.125, 0, .625, .5): IoU g0 1/2, g1 4/5 (overlaps both objects, best with the one p0 takes)
    ///   p2 dog .7 (0, 0, .5, .5): IoU 1 with cat g0 (wrong label), 1/3 with g1
    /// image 11: dog g0 (.5, .5, .5, .5); p0 dog .6 on it exactly; p1 cat .95 (0, 0, .25, .25) on nothing
    /// </code>
    /// IoU .5: p0 takes g1 (g0 is below .5 for it); p1 finds g1 taken and matches g0 at exactly 1/2 (its highest-IoU
    /// unmatched object). Cat ranked: .95 F (0, 0), .9 T (1/2, 1/2), .8 T (2/3, 1): AP = 2/3 (interpolated), 7/12
    /// step-wise. Dog: .7 F (0, 0), .6 T (1/2, 1): AP 1/2. mAP@.5 = 7/12; IoU .3 matches the same way: 7/12.
    /// IoU .75: p1 fails g0 and is a duplicate of g1 (IoU .8): cat .95 F, .9 T (1/2, 1/2), .8 F: AP 1/4; mAP 3/8.
    /// COCO, cat: .5 gives 2/3; .55 to .75 give 1/4; .8: p0 (7/9) fails, p1 takes g1 at exactly .8: .95 F, .9 F,
    /// .8 T (1/3, 1/2): 1/6; .85 to .95: nothing matches, 0. (2/3 + 5/4 + 1/6) / 10 = 5/24. Dog: 1/2 at every
    /// threshold. COCO mAP = (5/24 + 1/2) / 2 = 17/48.
    /// </summary>
    private static DetectionImage[] TwoLabelImages() =>
    [
        new(10,
            [new(0, R(0, 0, .5, .5)), new(0, R(.25, 0, .5, .5))],
            [new(0, R(.1875, 0, .5, .5), .9f), new(0, R(.125, 0, .625, .5), .8f), new(1, R(0, 0, .5, .5), .7f)]),
        new(11,
            [new(1, R(.5, .5, .5, .5))],
            [new(1, R(.5, .5, .5, .5), .6f), new(0, R(0, 0, .25, .25), .95f)]),
    ];

    private static DetectionEvaluation TwoLabelExample() => new(["cat", "dog"], TwoLabelImages());

    [Fact]
    public void IntersectionOverUnion_KnownRectangles_GivesExactRatios()
    {
        Assert.Equal(1, DetectionEvaluation.IntersectionOverUnion(R(.1, .2, .3, .4), R(.1, .2, .3, .4)), Tolerance);
        Assert.Equal(0.5, DetectionEvaluation.IntersectionOverUnion(R(0, 0, .5, .5), R(0, 0, .25, .5)));
        Assert.Equal(1.0 / 7, DetectionEvaluation.IntersectionOverUnion(R(0, 0, .5, .5), R(.25, .25, .5, .5)), Tolerance);
        Assert.Equal(0, DetectionEvaluation.IntersectionOverUnion(R(0, 0, .5, .5), R(.5, 0, .5, .5))); // touching edges
        Assert.Equal(0, DetectionEvaluation.IntersectionOverUnion(R(0, 0, .2, .2), R(.6, .6, .2, .2)));
        Assert.Equal(0, DetectionEvaluation.IntersectionOverUnion(R(.3, .3, 0, 0), R(.3, .3, 0, 0))); // no area
    }

    [Fact]
    public void IntersectionOverUnion_ExamplesBoxes_MatchTheWorkedValues()
    {
        var g0 = R(0, 0, .5, .5);
        var g1 = R(.25, 0, .5, .5);
        Assert.Equal(5.0 / 11, DetectionEvaluation.IntersectionOverUnion(R(.1875, 0, .5, .5), g0), Tolerance);
        Assert.Equal(7.0 / 9, DetectionEvaluation.IntersectionOverUnion(R(.1875, 0, .5, .5), g1), Tolerance);
        Assert.Equal(0.5, DetectionEvaluation.IntersectionOverUnion(R(.125, 0, .625, .5), g0));
        Assert.Equal(0.8, DetectionEvaluation.IntersectionOverUnion(R(.125, 0, .625, .5), g1));
        Assert.Equal(0.75, DetectionEvaluation.IntersectionOverUnion(R(0, 0, .5, .375), g0));
    }

    [Fact]
    public void AveragePrecision_DuplicatesMissesAndAnEmptyImage_MatchesHandComputedValues()
    {
        var evaluation = SingleLabelExample();

        Assert.Equal(3, evaluation.GroundTruths(0));
        Assert.Equal(0.5, evaluation.AveragePrecision(0, 0.5)!.Value, Tolerance);
        Assert.Equal(0.5, evaluation.AveragePrecision(0, 0.3)!.Value, Tolerance);
        Assert.Equal(1.0 / 3, evaluation.AveragePrecision(0, 0.75)!.Value, Tolerance);
        Assert.Equal(7.0 / 20, evaluation.CocoAveragePrecision(0)!.Value, Tolerance);
        var all = evaluation.MeanAveragePrecisions();
        Assert.Equal(0.5, all.Iou30!.Value, Tolerance);
        Assert.Equal(0.5, all.Iou50!.Value, Tolerance);
        Assert.Equal(1.0 / 3, all.Iou75!.Value, Tolerance);
        Assert.Equal(7.0 / 20, all.Iou50To95!.Value, Tolerance);
    }

    [Fact]
    public void PrecisionRecallCurve_SingleLabelExample_HasAPointPerScore()
    {
        var curve = SingleLabelExample().PrecisionRecallCurve(0, 0.5);

        Assert.Equal([.9f, .8f, .7f, .6f], curve.Select(p => p.Threshold));
        Assert.Equal([1, 0.5, 1.0 / 3, 0.5], curve.Select(p => p.Precision), (a, b) => Math.Abs(a - b) < Tolerance);
        Assert.Equal([1.0 / 3, 1.0 / 3, 1.0 / 3, 2.0 / 3], curve.Select(p => p.Recall), (a, b) => Math.Abs(a - b) < Tolerance);
        Assert.Equal([1, 1, 1, 2], curve.Select(p => p.TruePositives));
        Assert.Equal([0, 1, 2, 2], curve.Select(p => p.FalsePositives));
        Assert.Equal(4.0 / 7, curve[3].F1, Tolerance);
    }

    [Fact]
    public void AtThreshold_IouHalf_CountsDuplicateAndEmptyImageBoxAsFalsePositives()
    {
        var at = SingleLabelExample().AtThreshold(0.5f, 0.5);

        Assert.Equal(new MetricCounts(2, 2, 1), at.Micro);
        Assert.Equal(new MetricCounts(2, 2, 1), at.PerLabel[0].Counts);
        Assert.Equal(0.5, at.Micro.Precision!.Value, Tolerance);
        Assert.Equal(2.0 / 3, at.Micro.Recall!.Value, Tolerance);
        Assert.Equal(
            [
                new DetectionFalsePositive(1, 1, 0, R(0, 0, .5, .375), .8f, FalsePositiveKind.Duplicate, 0, 0.75),
                new DetectionFalsePositive(3, 0, 0, R(0, 0, .25, .25), .7f, FalsePositiveKind.Background, null, 0),
            ],
            at.FalsePositives);
        Assert.Empty(at.Mislocalized);
        Assert.Equal([new MissedObject(2, 0, 0, R(.5, .5, .5, .5))], at.Missed);
    }

    [Fact]
    public void AtThreshold_IouThreeQuarters_MovesTheHalfOverlapToMislocalizedAndMissed()
    {
        var at = SingleLabelExample().AtThreshold(0.5f, 0.75);

        Assert.Equal(new MetricCounts(1, 3, 2), at.Micro);
        Assert.Equal([FalsePositiveKind.Duplicate, FalsePositiveKind.Background], at.FalsePositives.Select(f => f.Kind));
        var mislocalized = Assert.Single(at.Mislocalized);
        Assert.Equal(new DetectionFalsePositive(4, 0, 0, R(0, 0, .25, .5), .6f, FalsePositiveKind.Mislocalized, 0, 0.5), mislocalized);
        Assert.Equal([(2L, 0), (4L, 0)], at.Missed.Select(m => (m.ImageId, m.GroundTruthIndex)));
        Assert.Equal(at.Micro.FalsePositives, at.FalsePositives.Count + at.Mislocalized.Count);
    }

    [Fact]
    public void AtThreshold_IouExactlyAtThreshold_Matches()
    {
        var evaluation = SingleLabelExample();

        // Image 4's box has IoU exactly 0.5: a match at 0.5, mislocalized just above it.
        Assert.Equal(2, evaluation.AtThreshold(0.5f, 0.5).Micro.TruePositives);
        var above = evaluation.AtThreshold(0.5f, Math.BitIncrement(0.5));
        Assert.Equal(1, above.Micro.TruePositives);
        Assert.Contains(above.Mislocalized, f => f.ImageId == 4 && f.Kind == FalsePositiveKind.Mislocalized);

        // Image 1's second box has IoU exactly 0.75 with the claimed object: a duplicate at 0.75, mislocalized above.
        Assert.Contains(evaluation.AtThreshold(0.5f, 0.75).FalsePositives, f => f.ImageId == 1 && f.Kind == FalsePositiveKind.Duplicate);
        Assert.Contains(evaluation.AtThreshold(0.5f, Math.BitIncrement(0.75)).Mislocalized, f => f.ImageId == 1 && f.Kind == FalsePositiveKind.Mislocalized);
    }

    [Fact]
    public void AtThreshold_ScoreExactlyAtConfidenceThreshold_IsPredicted()
    {
        var evaluation = SingleLabelExample();

        Assert.Equal(new MetricCounts(2, 2, 1), evaluation.AtThreshold(0.6f, 0.5).Micro);
        Assert.Equal(new MetricCounts(1, 2, 2), evaluation.AtThreshold(MathF.BitIncrement(0.6f), 0.5).Micro);
        Assert.Equal(new MetricCounts(0, 0, 3), evaluation.AtThreshold(MathF.BitIncrement(0.9f), 0.5).Micro);
        Assert.Null(evaluation.AtThreshold(MathF.BitIncrement(0.9f), 0.5).Micro.Precision);
    }

    [Fact]
    public void AtThreshold_ConfidenceBetweenABoxAndItsDuplicate_DropsOnlyTheDuplicate()
    {
        // Only image 1's .9 box is in play: it still matches its object; the .8 duplicate and everything lower are gone.
        var at = SingleLabelExample().AtThreshold(0.85f, 0.5);

        Assert.Equal(new MetricCounts(1, 0, 2), at.Micro);
        Assert.Empty(at.FalsePositives);
    }

    [Fact]
    public void SuggestThreshold_SingleLabelExample_PicksTheBestF1()
    {
        var suggestion = SingleLabelExample().SuggestThreshold(0.5);

        Assert.Equal(.6f, suggestion.Threshold);
        Assert.Equal(4.0 / 7, suggestion.F1, Tolerance);
    }

    [Fact]
    public void AveragePrecision_BoxOverlappingTwoObjects_MatchesItsBestUnmatchedObject()
    {
        var evaluation = TwoLabelExample();

        Assert.Equal(2.0 / 3, evaluation.AveragePrecision(0, 0.5)!.Value, Tolerance);
        Assert.Equal(7.0 / 12, evaluation.NonInterpolatedAveragePrecision(0, 0.5)!.Value, Tolerance);
        Assert.Equal(0.5, evaluation.AveragePrecision(1, 0.5)!.Value, Tolerance);
        Assert.Equal(0.25, evaluation.AveragePrecision(0, 0.75)!.Value, Tolerance);
        Assert.Equal(5.0 / 24, evaluation.CocoAveragePrecision(0)!.Value, Tolerance);
        Assert.Equal(0.5, evaluation.CocoAveragePrecision(1)!.Value, Tolerance);
        var map = evaluation.MeanAveragePrecisions();
        Assert.Equal(7.0 / 12, map.Iou30!.Value, Tolerance);
        Assert.Equal(7.0 / 12, map.Iou50!.Value, Tolerance);
        Assert.Equal(3.0 / 8, map.Iou75!.Value, Tolerance);
        Assert.Equal(17.0 / 48, map.Iou50To95!.Value, Tolerance);
    }

    [Fact]
    public void AtThreshold_OneBoxOverTwoObjects_TakesTheHigherIouOne()
    {
        // Only p0 (.9) and image 11's background cat (.95) are in play: at IoU .3 both cats qualify for p0 (5/11 and
        // 7/9); it takes g1, so g0 is missed.
        var at = TwoLabelExample().AtThreshold(0.85f, 0.3);

        Assert.Equal(new MetricCounts(1, 1, 1), at.PerLabel[0].Counts);
        Assert.Contains(at.Missed, m => m.ImageId == 10 && m.GroundTruthIndex == 0);
        Assert.DoesNotContain(at.Missed, m => m.ImageId == 10 && m.GroundTruthIndex == 1);
    }

    [Fact]
    public void AtThreshold_SeveralClasses_SortsErrorsByKind()
    {
        var at = TwoLabelExample().AtThreshold(0.5f, 0.75);

        Assert.Equal(new MetricCounts(2, 3, 1), at.Micro);
        Assert.Equal(new MetricCounts(1, 2, 1), at.PerLabel[0].Counts);
        Assert.Equal(new MetricCounts(1, 1, 0), at.PerLabel[1].Counts);
        Assert.Equal(
            [
                new DetectionFalsePositive(11, 1, 0, R(0, 0, .25, .25), .95f, FalsePositiveKind.Background, null, 0),
                new DetectionFalsePositive(10, 1, 0, R(.125, 0, .625, .5), .8f, FalsePositiveKind.Duplicate, 1, 0.8),
            ],
            at.FalsePositives);
        Assert.Equal([new DetectionFalsePositive(10, 2, 1, R(0, 0, .5, .5), .7f, FalsePositiveKind.WrongLabel, 0, 1)], at.Mislocalized);
        Assert.Equal([new MissedObject(10, 0, 0, R(0, 0, .5, .5))], at.Missed);
    }

    [Fact]
    public void AveragePrecision_LabelWithoutObjects_IsNullAndLeftOutOfMap()
    {
        DetectionImage[] images = [.. SingleLabelImages(), new(5, [], [new(1, R(.1, .1, .2, .2), .99f)])];
        var evaluation = new DetectionEvaluation(["raccoon", "dog"], images);

        Assert.Null(evaluation.AveragePrecision(1, 0.5));
        Assert.Null(evaluation.CocoAveragePrecision(1));
        Assert.Empty(evaluation.PrecisionRecallCurve(1, 0.5));
        Assert.Equal(0.5, evaluation.MeanAveragePrecision(0.5)!.Value, Tolerance);
        var dog = evaluation.AtThreshold(0.5f, 0.5).PerLabel[1].Counts;
        Assert.Equal(new MetricCounts(0, 1, 0), dog);
    }

    [Fact]
    public void Report_ImageWithNoObjectsAndNoBoxes_CountsOnlyInTheImageCount()
    {
        var without = SingleLabelExample().Report();
        var with = new DetectionEvaluation(["raccoon"], [.. SingleLabelImages(), new(99, [], [])]).Report();

        Assert.Equal(4, without.ImageCount);
        Assert.Equal(5, with.ImageCount);
        Assert.Equal(without.MeanAveragePrecision, with.MeanAveragePrecision);
        Assert.Equal(without.AtThreshold.Micro, with.AtThreshold.Micro);
    }

    [Fact]
    public void MeanAveragePrecision_NoObjectsAnywhere_IsNull()
    {
        var evaluation = new DetectionEvaluation(["raccoon"], [new(1, [], [new(0, R(0, 0, .5, .5), .9f)])]);

        Assert.Null(evaluation.MeanAveragePrecision(0.5));
        Assert.Null(evaluation.CocoMeanAveragePrecision());
        Assert.Equal(new ThresholdSuggestion(0.5f, 0), evaluation.SuggestThreshold(0.5));
        Assert.Equal(new MetricCounts(0, 1, 0), evaluation.AtThreshold(0.5f, 0.5).Micro);
    }

    [Fact]
    public void Report_SingleLabelExample_UsesTheSuggestedThresholdAndIouHalf()
    {
        var report = SingleLabelExample().Report();

        Assert.Equal(4, report.ImageCount);
        Assert.Equal(3, report.GroundTruthCount);
        Assert.Equal(4, report.PredictionCount);
        Assert.Equal(.6f, report.SuggestedThreshold.Threshold);
        Assert.Equal(.6f, report.AtThreshold.ConfidenceThreshold);
        Assert.Equal(0.5, report.AtThreshold.IouThreshold);
        var label = Assert.Single(report.PerLabel);
        Assert.Equal(("raccoon", 3, 4), (label.Label, label.GroundTruths, label.Predictions));
        Assert.Equal(4, label.Curve.Count);
        Assert.Equal(7.0 / 20, label.AveragePrecision.Iou50To95!.Value, Tolerance);
    }

    [Fact]
    public void Report_SerializedAsStored_RoundTripsAndCanBeRecomputedFromStoredImages()
    {
        var report = TwoLabelExample().Report(0.5f, 0.75);

        var json = JsonSerializer.Serialize(report, Json);
        var read = JsonSerializer.Deserialize<DetectionEvaluationReport>(json, Json)!;

        Assert.Equal(json, JsonSerializer.Serialize(read, Json));
        Assert.Contains("\"kind\":\"WrongLabel\"", json, StringComparison.Ordinal);
        Assert.Equal(17.0 / 48, read.MeanAveragePrecision.Iou50To95!.Value, Tolerance);
        Assert.Equal(R(0, 0, .5, .5), read.AtThreshold.Missed[0].Box);

        // The per-image data (Evaluation.PerImageScoresJson) gives the same report back.
        var images = JsonSerializer.Deserialize<DetectionImage[]>(JsonSerializer.Serialize(TwoLabelImages(), Json), Json)!;
        Assert.Equal(json, JsonSerializer.Serialize(new DetectionEvaluation(["cat", "dog"], images).Report(0.5f, 0.75), Json));
    }

    [Fact]
    public void Constructor_BadInput_NamesTheImageAndBox()
    {
        static string Fails(DetectionImage image, int labels = 1) =>
            Assert.Throws<ArgumentException>(() => new DetectionEvaluation(Enumerable.Repeat("x", labels).ToArray(), [image])).Message;

        Assert.Contains("Image 7: ground-truth box 0 has label index 1", Fails(new(7, [new(1, R(0, 0, .5, .5))], [])), StringComparison.Ordinal);
        Assert.Contains("Image 7: predicted box 0 has label index -1", Fails(new(7, [], [new(-1, R(0, 0, .5, .5), .5f)])), StringComparison.Ordinal);
        Assert.Contains("not a finite number", Fails(new(7, [], [new(0, R(double.NaN, 0, .5, .5), .5f)])), StringComparison.Ordinal);
        Assert.Contains("non-finite score", Fails(new(7, [], [new(0, R(0, 0, .5, .5), float.PositiveInfinity)])), StringComparison.Ordinal);
        Assert.Contains("negative width", Fails(new(7, [], [new(0, R(0, 0, -.5, .5), .5f)])), StringComparison.Ordinal);
        Assert.Contains("ground-truth box 0 has no area", Fails(new(7, [new(0, R(0, 0, 0, .5))], [])), StringComparison.Ordinal);
        Assert.Contains("Image 3 appears more than once",
            Assert.Throws<ArgumentException>(() => new DetectionEvaluation(["x"], [new(3, [], []), new(3, [], [])])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new DetectionEvaluation([], []));
    }

    [Fact]
    public void AtThreshold_IouOutOfRange_Throws()
    {
        var evaluation = SingleLabelExample();

        Assert.Throws<ArgumentOutOfRangeException>(() => evaluation.AtThreshold(0.5f, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => evaluation.AtThreshold(0.5f, 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => evaluation.PrecisionRecallCurve(0, double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => evaluation.AtThreshold(float.NaN, 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => evaluation.AveragePrecision(2, 0.5));
    }

    /// <summary>
    /// A classification-shaped case: every image has, per label, one whole-image box scored by the "classifier"
    /// and a whole-image object when it truly carries that label, so every box matches exactly when its image is
    /// a positive (IoU 1) and every object has a box. Scores are rounded to 0.05 so ties occur.
    /// scikit-learn's <c>average_precision_score</c> is the step-wise (non-interpolated) AP, so it is compared
    /// with <see cref="DetectionEvaluation.NonInterpolatedAveragePrecision(int, double)"/>; the interpolated AP is
    /// compared with the Pascal VOC envelope applied in numpy to sklearn's own <c>precision_recall_curve</c>.
    /// </summary>
    [Fact]
    public void AveragePrecision_ClassificationShapedCase_MatchesScikitLearn()
    {
        var random = new Random(20261202);
        const int imageCount = 60;
        var truth = new bool[2][];
        var scores = new float[2][];
        for (var c = 0; c < 2; c++)
        {
            truth[c] = new bool[imageCount];
            scores[c] = new float[imageCount];
            for (var i = 0; i < imageCount; i++)
            {
                truth[c][i] = random.NextDouble() < (c == 0 ? 0.4 : 0.25);
                // Positives score a little higher on average, so the curve is neither perfect nor random.
                scores[c][i] = (float)(Math.Round((random.NextDouble() + (truth[c][i] ? 0.3 : 0)) / 1.3 * 20) / 20);
            }
        }
        var whole = R(0, 0, 1, 1);
        var images = Enumerable.Range(0, imageCount).Select(i => new DetectionImage(
            i + 1,
            Enumerable.Range(0, 2).Where(c => truth[c][i]).Select(c => new GroundTruthBox(c, whole)).ToArray(),
            Enumerable.Range(0, 2).Select(c => new PredictedBox(c, whole, scores[c][i])).ToArray())).ToArray();
        var evaluation = new DetectionEvaluation(["a", "b"], images);

        var input = JsonSerializer.Serialize(Enumerable.Range(0, 2).Select(c => new
        {
            y = truth[c].Select(t => t ? 1 : 0).ToArray(),
            s = scores[c].Select(s => (double)s).ToArray(),
        }).ToArray());
        var reference = RunPython(
            """
            import json, sys
            import numpy as np
            from sklearn.metrics import average_precision_score, precision_recall_curve
            out = []
            for case in json.load(sys.stdin):
                y, s = np.array(case["y"]), np.array(case["s"])
                precision, recall, _ = precision_recall_curve(y, s)
                # recall descends; the envelope at each recall is the best precision at that recall or higher.
                envelope = np.maximum.accumulate(precision)
                voc = float(np.sum((recall[:-1] - recall[1:]) * envelope[:-1]))
                out.append([float(average_precision_score(y, s)), voc])
            print(json.dumps(out))
            """,
            input);
        var expected = JsonSerializer.Deserialize<double[][]>(reference)!;

        for (var c = 0; c < 2; c++)
        {
            Assert.True(truth[c].Count(t => t) > 3 && truth[c].Count(t => !t) > 3, "the case needs both positives and negatives");
            Assert.Equal(expected[c][0], evaluation.NonInterpolatedAveragePrecision(c, 0.5)!.Value, 1e-12);
            Assert.Equal(expected[c][1], evaluation.AveragePrecision(c, 0.5)!.Value, 1e-12);
            // The two definitions differ on this case, so each comparison checks its own definition.
            Assert.True(expected[c][1] - expected[c][0] > 1e-6, $"label {c}: interpolation should raise AP here");
        }
    }

    private static string RunPython(string script, string input)
    {
        const string python = "/usr/bin/python3";
        Assert.True(File.Exists(python), $"{python} is missing; scripts/setup.sh installs python3-sklearn.");
        var start = new ProcessStartInfo(python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(input);
        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            process.Kill();
            Assert.Fail("python3 did not finish within 120 s.");
        }
        Assert.True(process.ExitCode == 0,
            string.Create(CultureInfo.InvariantCulture, $"python3 exited {process.ExitCode} (is python3-sklearn installed? scripts/setup.sh installs it): {stderr.Result}"));
        return stdout.Result;
    }
}
