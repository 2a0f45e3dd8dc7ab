using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Metrics;
using VisionConsole.Trainer.Detection;
using static TorchSharp.torch;

namespace VisionConsole.Tests.Trainer.Detection;

/// <summary>CenterNet targets and focal loss on hand-made grids.</summary>
public sealed class CenterNetTargetsTests
{
    [Fact]
    public void Build_OneBox_PeakAtTheCentreCellWithGaussianFalloffAndEdgeDistances()
    {
        // A box from cell x 2 to 6 and y 1 to 5 on an 8 x 8 grid: centre (4, 3), 4 x 4 cells.
        var box = new GroundTruthBox(0, new BoxRect(2 / 8.0, 1 / 8.0, 4 / 8.0, 4 / 8.0));

        var target = CenterNetTargets.Build([box], classes: 2, height: 8, width: 8);

        Assert.Equal(2 * 64, target.Heatmap.Length);
        Assert.Equal([3 * 8 + 4], target.Centres);
        Assert.Equal(1f, target.Heatmap[3 * 8 + 4]);
        // Only the box's own class channel has a peak; the other is all zero.
        Assert.All(target.Heatmap.Skip(64), v => Assert.Equal(0f, v));
        Assert.Equal(1, target.Heatmap.Take(64).Count(v => v == 1f));
        // Radius of a 4 x 4 box at IoU 0.7 (CornerNet's third case, the smallest): (-11.2 + sqrt(179.2)) / 2 = 1.093 -> 1,
        // so the 3 x 3 cells around the centre are set, sigma (2 + 1) / 6 = 0.5: a side neighbour gets exp(-2).
        Assert.Equal(1.0933, CenterNetTargets.GaussianRadius(4, 4), 3);
        Assert.Equal(9, target.Heatmap.Take(64).Count(v => v > 0));
        Assert.Equal((float)Math.Exp(-2), target.Heatmap[3 * 8 + 5], 6);
        Assert.Equal((float)Math.Exp(-4), target.Heatmap[2 * 8 + 3], 6);
        Assert.Equal([2f, 2f, 2f, 2f], target.Distances);
    }

    [Fact]
    public void Build_LargeBox_NeighboursGetTheGaussianValue()
    {
        // 20 x 20 cells on a 32 grid: radius (-56 + sqrt(4480)) / 2 = 5.47 -> 5, sigma 11 / 6.
        var box = new GroundTruthBox(0, new BoxRect(6 / 32.0, 6 / 32.0, 20 / 32.0, 20 / 32.0));

        var target = CenterNetTargets.Build([box], classes: 1, height: 32, width: 32);

        var radius = (int)CenterNetTargets.GaussianRadius(20, 20);
        Assert.Equal(5, radius);
        var sigma = (2 * radius + 1) / 6.0;
        Assert.Equal(1f, target.Heatmap[16 * 32 + 16]);
        Assert.Equal((float)Math.Exp(-1 / (2 * sigma * sigma)), target.Heatmap[16 * 32 + 17], 6);
        Assert.Equal((float)Math.Exp(-8 / (2 * sigma * sigma)), target.Heatmap[18 * 32 + 18], 6);
        Assert.True(target.Heatmap[16 * 32 + 21] > 0);
        Assert.Equal(0f, target.Heatmap[16 * 32 + 22]);
    }

    [Fact]
    public void Mirror_BoxOnTheLeft_EndsOnTheRightWithTheSameSize()
    {
        var mirrored = CenterNetTargets.Mirror([new GroundTruthBox(1, new BoxRect(0.1, 0.2, 0.3, 0.4))]);

        Assert.Equal(1, mirrored[0].Label);
        Assert.Equal(0.6, mirrored[0].Box.Left, 9);
        Assert.Equal((0.2, 0.3, 0.4), (mirrored[0].Box.Top, mirrored[0].Box.Width, mirrored[0].Box.Height));
    }

    [Fact]
    public void ToSizeAndOffset_Distances_GiveTheDecodersSizeAndCentre()
    {
        // Edges 1 left, 3 right of the cell's point: width 4, centre 1 cell to the right.
        Assert.Equal((4f, 6f, 1f, -0.5f), CenterNetTargets.ToSizeAndOffset(1, 3.5f, 3, 2.5f));
    }

    [Fact]
    public void FocalLoss_HandWorkedGrid_MatchesTheFormula()
    {
        // Two cells: a positive (target 1) predicted 0.8 and a negative (target 0.5) predicted 0.3.
        var p = new[] { 0.8, 0.3 };
        using var logits = tensor(p.Select(v => (float)Math.Log(v / (1 - v))).ToArray(), [1, 1, 1, 2]);
        using var target = tensor(new[] { 1f, 0.5f }, [1, 1, 1, 2]);

        using var loss = DetectorHeadTrainer.FocalLoss(logits, target);

        var positive = Math.Log(0.8) * Math.Pow(0.2, 2);
        var negative = Math.Log(0.7) * Math.Pow(0.3, 2) * Math.Pow(0.5, 4);
        Assert.Equal(-(positive + negative) / 1, loss.item<float>(), 5);
    }

    [Fact]
    public void FocalLoss_BetterPrediction_LowerLoss()
    {
        using var target = tensor(new[] { 1f, 0f, 0f, 0f }, [1, 1, 2, 2]);
        using var good = tensor(new[] { 3f, -3f, -3f, -3f }, [1, 1, 2, 2]);
        using var bad = tensor(new[] { -3f, 3f, 3f, 3f }, [1, 1, 2, 2]);

        using var low = DetectorHeadTrainer.FocalLoss(good, target);
        using var high = DetectorHeadTrainer.FocalLoss(bad, target);

        Assert.True(low.item<float>() < 0.01f);
        Assert.True(high.item<float>() > 10 * low.item<float>());
    }
}
