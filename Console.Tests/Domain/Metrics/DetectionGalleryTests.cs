using VisionConsole.Domain.Metrics;

namespace VisionConsole.Tests.Domain.Metrics;

public class DetectionGalleryTests
{
    [Fact]
    public void Items_FalsePositivesAtHalf_BackgroundThenDuplicateWithTheObjectItRepeats()
    {
        var evaluation = DetectionFixture.Evaluation();
        var items = DetectionGallery.Items(evaluation, evaluation.AtThreshold(0.5f, 0.5), DetectionErrorKind.FalsePositive);

        Assert.Equal(2, items.Count);
        var background = items[0];
        Assert.Equal((13L, 0.7f, FalsePositiveKind.Background), (background.ImageId, background.Score!.Value, background.Reason!.Value));
        Assert.Null(background.Reference);
        Assert.Equal(0, background.Iou);
        var duplicate = items[1];
        Assert.Equal((11L, 0.6f, FalsePositiveKind.Duplicate), (duplicate.ImageId, duplicate.Score!.Value, duplicate.Reason!.Value));
        Assert.Equal(DetectionFixture.Duplicate, duplicate.Box);
        Assert.Equal(DetectionFixture.A, duplicate.Reference);
        Assert.Equal(0, duplicate.ReferenceLabel);
        // (.38 * .38) / (.16 + .16 - .1444)
        Assert.Equal(0.1444 / 0.1756, duplicate.Iou, 9);
    }

    [Fact]
    public void Items_MislocalizedAtHalf_ShiftedDogWithItsObject()
    {
        var evaluation = DetectionFixture.Evaluation();
        var item = Assert.Single(DetectionGallery.Items(evaluation, evaluation.AtThreshold(0.5f, 0.5), DetectionErrorKind.Mislocalized));

        Assert.Equal((12L, DetectionErrorKind.Mislocalized, FalsePositiveKind.Mislocalized, 1), (item.ImageId, item.Kind, item.Reason!.Value, item.Label));
        Assert.Equal(DetectionFixture.Shifted, item.Box);
        Assert.Equal(DetectionFixture.B, item.Reference);
        Assert.Equal(1.0 / 3, item.Iou, 9);
    }

    [Fact]
    public void Items_MissedAtHalf_EachObjectWithTheNearestBoxAtTheConfidenceOrNone()
    {
        var evaluation = DetectionFixture.Evaluation();
        var items = DetectionGallery.Items(evaluation, evaluation.AtThreshold(0.5f, 0.5), DetectionErrorKind.Missed);

        Assert.Equal([12L, 14L], items.Select(i => i.ImageId));
        var dog = items[0];
        Assert.Equal((1, DetectionFixture.B), (dog.Label, dog.Box));
        Assert.Null(dog.Reason);
        Assert.Equal(DetectionFixture.Shifted, dog.Reference);
        Assert.Equal((1, 0.8f), (dog.ReferenceLabel!.Value, dog.Score!.Value));
        Assert.Equal(1.0 / 3, dog.Iou, 9);
        // Image 14's only box (.3) is below the confidence, and would not overlap C anyway.
        var raccoon = items[1];
        Assert.Equal(DetectionFixture.C, raccoon.Box);
        Assert.Null(raccoon.Reference);
        Assert.Null(raccoon.Score);
        Assert.Equal(0, raccoon.Iou);
    }

    [Fact]
    public void Items_IouLoweredToThreeTenths_ShiftedDogCountsAndLeavesBothLists()
    {
        var evaluation = DetectionFixture.Evaluation();
        var metrics = evaluation.AtThreshold(0.5f, 0.3);

        Assert.Empty(DetectionGallery.Items(evaluation, metrics, DetectionErrorKind.Mislocalized));
        Assert.Equal([14L], DetectionGallery.Items(evaluation, metrics, DetectionErrorKind.Missed).Select(i => i.ImageId));
        Assert.Equal([13L, 11L], DetectionGallery.Items(evaluation, metrics, DetectionErrorKind.FalsePositive).Select(i => i.ImageId));
    }

    [Fact]
    public void Items_MissedWithTwoOverlappingBoxes_PicksTheHigherIouWhateverItsLabel()
    {
        var truth = new VisionConsole.Domain.Datasets.BoxRect(0, 0, 0.5, 0.5);
        var nearer = new VisionConsole.Domain.Datasets.BoxRect(0.1, 0, 0.5, 0.5); // IoU .4/.6 = 2/3, wrong label
        var farther = new VisionConsole.Domain.Datasets.BoxRect(0.25, 0, 0.5, 0.5); // IoU 1/3, right label but too far
        var evaluation = new DetectionEvaluation(["cat", "dog"],
            [new DetectionImage(1, [new GroundTruthBox(0, truth)], [new PredictedBox(0, farther, 0.9f), new PredictedBox(1, nearer, 0.6f)])]);

        var missed = Assert.Single(DetectionGallery.Items(evaluation, evaluation.AtThreshold(0.5f, 0.5), DetectionErrorKind.Missed));

        Assert.Equal(nearer, missed.Reference);
        Assert.Equal((1, 0.6f), (missed.ReferenceLabel!.Value, missed.Score!.Value));
        Assert.Equal(2.0 / 3, missed.Iou, 9);
    }

    [Fact]
    public void Items_MetricsOfAnotherEvaluation_ThrowsNamingTheImage()
    {
        var other = new DetectionEvaluation(["raccoon"], [new DetectionImage(99, [], [new PredictedBox(0, DetectionFixture.A, 0.9f)])]);

        var ex = Assert.Throws<ArgumentException>(() =>
            DetectionGallery.Items(DetectionFixture.Evaluation(), other.AtThreshold(0.5f, 0.5), DetectionErrorKind.FalsePositive));

        Assert.Contains("Image 99", ex.Message, StringComparison.Ordinal);
    }
}
