using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Metrics;
using VisionConsole.Trainer.Detection;

namespace VisionConsole.Tests.Trainer.Detection;

public class CenterNetDecoderTests
{
    private const int H = 8;
    private const int W = 8;
    private const float Tolerance = 1e-6f;

    /// <summary>Maps for an 8x8 grid: an empty heatmap of <paramref name="classes"/> channels, sizes of 1x1 cell, no offsets.</summary>
    private sealed class Maps(int classes)
    {
        public int Classes { get; } = classes;
        public float[] Heat { get; } = new float[classes * H * W];
        public float[] Size { get; } = Enumerable.Repeat(1f, 2 * H * W).ToArray();
        public float[] Offset { get; } = new float[2 * H * W];

        public Maps Peak(int c, int y, int x, float score, float width = 1, float height = 1, float offsetX = 0, float offsetY = 0)
        {
            Heat[c * H * W + y * W + x] = score;
            Size[y * W + x] = width;
            Size[H * W + y * W + x] = height;
            Offset[y * W + x] = offsetX;
            Offset[H * W + y * W + x] = offsetY;
            return this;
        }

        public DetectorOutput Decode(CenterNetDecoderOptions? options = null) =>
            CenterNetDecoder.Decode(Heat, Size, Offset, Classes, H, W, options);
    }

    [Fact]
    public void Decode_OnePeak_BoxFromSizeAndOffsetInTfliteOrder()
    {
        // Centre (3 + .5, 2 + .25) cells, 2 wide and 4 high: x 2.5-4.5, y .25-4.25, over 8 cells.
        var output = new Maps(1).Peak(0, 2, 3, 0.9f, width: 2, height: 4, offsetX: 0.5f, offsetY: 0.25f).Decode();

        Assert.Equal(1, output.Count);
        Assert.Equal([0.03125f, 0.3125f, 0.53125f, 0.5625f], output.Boxes[..4]);
        Assert.Equal(0.9f, output.Scores[0]);
        Assert.Equal(0f, output.Classes[0]);
        var detection = Assert.Single(output.Detections());
        Assert.Equal(new BoxRect(0.3125f, 0.03125f, 0.25f, 0.5f), detection.ToBoxRect());
    }

    [Fact]
    public void Decode_Output_HasMaxDetectionsSlotsWithUnusedOnesZero()
    {
        var output = new Maps(1).Peak(0, 4, 4, 0.8f).Decode(new CenterNetDecoderOptions { MaxDetections = 5 });

        Assert.Equal(20, output.Boxes.Length);
        Assert.Equal(5, output.Scores.Length);
        Assert.Equal(5, output.Classes.Length);
        Assert.Equal(1, output.Count);
        Assert.All(output.Boxes[4..], v => Assert.Equal(0f, v));
        Assert.All(output.Scores[1..], v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Decode_NeighbouringCells_KeepsOnlyTheThreeByThreeMaximum()
    {
        var maps = new Maps(1).Peak(0, 3, 3, 0.9f).Peak(0, 3, 4, 0.8f).Peak(0, 4, 4, 0.85f) // one blob
            .Peak(0, 3, 6, 0.7f); // two columns from the 0.8, outside the blob's 3x3 windows: a peak of its own
        var detections = maps.Decode().Detections();

        Assert.Equal([(0.9f, 3, 3), (0.7f, 3, 6)], detections.Select(d => (d.Score, Row(d), Column(d))));
    }

    [Fact]
    public void Decode_EqualNeighbours_BothPeaksUnlessNmsMergesThem()
    {
        var maps = new Maps(1).Peak(0, 3, 3, 0.6f, width: 3, height: 3).Peak(0, 3, 4, 0.6f, width: 3, height: 3);

        Assert.Equal(2, maps.Decode().Count);
        // Shifted by one cell, 3x3 boxes overlap 6/12 = 0.5: above 0.4 suppresses the later one (higher index), at 0.5 not.
        var merged = maps.Decode(new CenterNetDecoderOptions { NmsIouThreshold = 0.4 }).Detections();
        Assert.Equal(3, Column(Assert.Single(merged)));
        Assert.Equal(2, maps.Decode(new CenterNetDecoderOptions { NmsIouThreshold = 0.5 }).Count);
    }

    [Fact]
    public void Decode_Nms_IsClassWise()
    {
        // The same large box twice, two cells apart (both peaks): suppressed within a class, kept across classes.
        var sameClass = new Maps(2).Peak(0, 4, 2, 0.9f, width: 6, height: 6).Peak(0, 4, 4, 0.8f, width: 6, height: 6);
        var twoClasses = new Maps(2).Peak(0, 4, 2, 0.9f, width: 6, height: 6).Peak(1, 4, 4, 0.8f, width: 6, height: 6);
        var options = new CenterNetDecoderOptions { NmsIouThreshold = 0.5 };

        Assert.Equal(2, sameClass.Decode().Count);
        Assert.Equal(0.9f, Assert.Single(sameClass.Decode(options).Detections()).Score);
        Assert.Equal([0, 1], twoClasses.Decode(options).Detections().Select(d => d.Label));
    }

    [Fact]
    public void Decode_TopK_KeepsTheHighestScores()
    {
        var maps = new Maps(1).Peak(0, 0, 0, 0.5f).Peak(0, 0, 4, 0.9f).Peak(0, 4, 0, 0.7f).Peak(0, 4, 4, 0.6f).Peak(0, 7, 7, 0.8f);

        var output = maps.Decode(new CenterNetDecoderOptions { MaxDetections = 3 });

        Assert.Equal(3, output.Count);
        Assert.Equal([0.9f, 0.8f, 0.7f], output.Scores);
    }

    [Fact]
    public void Decode_PerClassThresholds_ApplyPerChannelWithScoreAtThresholdKept()
    {
        var maps = new Maps(2).Peak(0, 1, 1, 0.6f).Peak(1, 5, 5, 0.6f).Peak(1, 1, 5, 0.8f);

        var detections = maps.Decode(new CenterNetDecoderOptions { ClassScoreThresholds = [0.6f, 0.8f] }).Detections();

        Assert.Equal([(1, 0.8f), (0, 0.6f)], detections.Select(d => (d.Label, d.Score)));
        Assert.Equal(1, maps.Decode(new CenterNetDecoderOptions { ClassScoreThresholds = [MathF.BitIncrement(0.6f), 0.8f] }).Count);
        Assert.Equal(3, maps.Decode(new CenterNetDecoderOptions { ScoreThreshold = 0.6f }).Count);
    }

    [Fact]
    public void Decode_BoxPastTheEdge_IsClippedToTheImage()
    {
        var detection = Assert.Single(new Maps(1).Peak(0, 0, 7, 0.9f, width: 4, height: 4, offsetX: 0.5f, offsetY: 0.5f).Decode().Detections());

        // Centre (7.5, .5), 4x4: x 5.5-9.5 and y -1.5-2.5 before clipping.
        Assert.Equal((0f, 5.5f / 8, 2.5f / 8, 1f), (detection.YMin, detection.XMin, detection.YMax, detection.XMax));
    }

    [Fact]
    public void Decode_LetterboxedContent_MapsBoxesIntoTheImageAndDropsPaddingOnlyOnes()
    {
        // The image fills rows 1-6 of 8 (top .125, height .75); a box in the top padding row is dropped.
        var maps = new Maps(1).Peak(0, 4, 4, 0.9f, width: 2, height: 3).Peak(0, 0, 0, 0.8f, width: 1, height: 1, offsetX: 0.5f, offsetY: 0.5f);

        var detection = Assert.Single(maps.Decode(new CenterNetDecoderOptions { Content = new BoxRect(0, 0.125, 1, 0.75) }).Detections());

        // y 2.5-5.5 cells = .3125-.6875 of the input = (.3125 - .125) / .75 - (.6875 - .125) / .75 of the image.
        Assert.Equal(0.25f, detection.YMin, Tolerance);
        Assert.Equal(0.75f, detection.YMax, Tolerance);
        Assert.Equal(3f / 8, detection.XMin, Tolerance);
        Assert.Equal(5f / 8, detection.XMax, Tolerance);
    }

    [Fact]
    public void Decode_NoOffsetMap_UsesTheCellCorner()
    {
        var maps = new Maps(1).Peak(0, 2, 2, 0.9f, width: 2, height: 2);

        var detection = Assert.Single(CenterNetDecoder.Decode(maps.Heat, maps.Size, default, 1, H, W).Detections());

        Assert.Equal((1f / 8, 1f / 8, 3f / 8, 3f / 8), (detection.YMin, detection.XMin, detection.YMax, detection.XMax));
    }

    [Fact]
    public void Decode_BadShapesOrOptions_SayWhatIsWrong()
    {
        var maps = new Maps(2);

        Assert.Contains("needs 64", Assert.Throws<ArgumentException>(() => CenterNetDecoder.Decode(maps.Heat, maps.Size, maps.Offset, 1, H, W)).Message, StringComparison.Ordinal);
        Assert.Contains("size map", Assert.Throws<ArgumentException>(() => CenterNetDecoder.Decode(maps.Heat, maps.Size.AsSpan(1), maps.Offset, 2, H, W)).Message, StringComparison.Ordinal);
        Assert.Contains("offset map", Assert.Throws<ArgumentException>(() => CenterNetDecoder.Decode(maps.Heat, maps.Size, maps.Offset.AsSpan(1), 2, H, W)).Message, StringComparison.Ordinal);
        Assert.Contains("2 classes", Assert.Throws<ArgumentException>(() => maps.Decode(new CenterNetDecoderOptions { ClassScoreThresholds = [0.5f] })).Message, StringComparison.Ordinal);
        Assert.Contains("MaxDetections", Assert.Throws<ArgumentException>(() => maps.Decode(new CenterNetDecoderOptions { MaxDetections = 0 })).Message, StringComparison.Ordinal);
        Assert.Contains("NmsIouThreshold", Assert.Throws<ArgumentException>(() => maps.Decode(new CenterNetDecoderOptions { NmsIouThreshold = 1.5 })).Message, StringComparison.Ordinal);
        Assert.Contains("Content", Assert.Throws<ArgumentException>(() => maps.Decode(new CenterNetDecoderOptions { Content = new BoxRect(0.5, 0, 0.75, 1) })).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_MapsDrawnFromObjects_EvaluateToPerfectAveragePrecision()
    {
        // Two images' objects written into maps as a trained head would give them (peak at the centre's cell, the
        // rest in offset and size), plus one weak peak on an image with no objects: decoded and evaluated, every
        // object is found at every IoU threshold, and only the weak box is a false positive.
        GroundTruthBox[] first = [new(0, new BoxRect(0.125, 0.25, 0.375, 0.5)), new(1, new BoxRect(0.5, 0.5, 0.5, 0.25))];
        GroundTruthBox[] second = [new(1, new BoxRect(0, 0, 0.25, 0.25))];
        var firstMaps = new Maps(2).Peak(0, 4, 2, 0.9f, width: 3, height: 4, offsetX: 0.5f).Peak(1, 5, 6, 0.8f, width: 4, height: 2);
        var secondMaps = new Maps(2).Peak(1, 1, 1, 0.7f, width: 2, height: 2);
        var emptyMaps = new Maps(2).Peak(0, 6, 1, 0.2f, width: 2, height: 2);

        var evaluation = new DetectionEvaluation(
            ["cat", "dog"],
            [
                new DetectionImage(1, first, firstMaps.Decode().ToPredictedBoxes()),
                new DetectionImage(2, second, secondMaps.Decode().ToPredictedBoxes()),
                new DetectionImage(3, [], emptyMaps.Decode().ToPredictedBoxes()),
            ]);

        Assert.Equal(new AveragePrecisionSet(1, 1, 1, 1), evaluation.MeanAveragePrecisions());
        var at = evaluation.AtThreshold(0.1f, 0.95);
        Assert.Equal(new MetricCounts(3, 1, 0), at.Micro);
        Assert.Equal((3L, FalsePositiveKind.Background), (Assert.Single(at.FalsePositives).ImageId, at.FalsePositives[0].Kind));
    }

    // The test peaks all have 1x1 boxes or known sizes; recover the cell from the box centre.
    private static int Row(DetectedObject d) => (int)MathF.Floor((d.YMin + d.YMax) / 2 * H);

    private static int Column(DetectedObject d) => (int)MathF.Floor((d.XMin + d.XMax) / 2 * W);
}
