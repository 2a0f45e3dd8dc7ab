using VisionConsole.Domain.Metrics;

namespace VisionConsole.Trainer.Detection;

/// <summary>The training targets of one image view on the output grid.</summary>
/// <param name="Heatmap"><c>[classes, height, width]</c>: Gaussian peaks (1 at each object's centre cell), the max where objects overlap.</param>
/// <param name="Centres">The centre cell (<c>y * width + x</c>) of each object, one per object kept.</param>
/// <param name="Distances"><c>[objects, 4]</c>: left, top, right, bottom distances from the centre cell's point to the box edges, in cells.</param>
public sealed record CenterNetTarget(float[] Heatmap, int[] Centres, float[] Distances);

/// <summary>
/// CenterNet ("Objects as Points", Zhou et al. 2019) training targets: a class heatmap with a Gaussian around each object's
/// centre cell, its radius from the box size (the CornerNet radius at IoU 0.7, sigma = (2r + 1) / 6), and for the centre
/// cell the box as distances to its four edges. The distances are the pretrained CenterNet head's box encoding (its
/// <c>wh</c> output is left, top, right, bottom in input pixels from the cell's point <c>stride * (x, y)</c>), which is
/// why they are used instead of width/height plus offset: the pretrained box head is the starting point. Written by hand:
/// the target rule is the paper's, no library here has it.
/// </summary>
public static class CenterNetTargets
{
    /// <summary>The Gaussian radius (in cells) of a box <paramref name="height"/> x <paramref name="width"/> cells: the largest corner shift keeping IoU at least <paramref name="minOverlap"/> (CornerNet's three cases, the smallest).</summary>
    public static double GaussianRadius(double height, double width, double minOverlap = 0.7)
    {
        var b1 = height + width;
        var c1 = width * height * (1 - minOverlap) / (1 + minOverlap);
        var r1 = (b1 + Math.Sqrt(b1 * b1 - 4 * c1)) / 2;
        var b2 = 2 * (height + width);
        var c2 = (1 - minOverlap) * width * height;
        var r2 = (b2 + Math.Sqrt(b2 * b2 - 16 * c2)) / 2;
        var a3 = 4 * minOverlap;
        var b3 = -2 * minOverlap * (height + width);
        var c3 = (minOverlap - 1) * width * height;
        var r3 = (b3 + Math.Sqrt(b3 * b3 - 4 * a3 * c3)) / 2;
        return Math.Min(r1, Math.Min(r2, r3));
    }

    /// <summary>The targets of one view: boxes normalized to the view (0-1), on a <paramref name="height"/> x <paramref name="width"/> grid.</summary>
    /// <param name="boxes">The view's boxes (for a mirrored view, the mirrored boxes: see <see cref="Mirror"/>).</param>
    /// <param name="classes">Heatmap channels.</param>
    /// <param name="height">Grid rows.</param>
    /// <param name="width">Grid columns.</param>
    public static CenterNetTarget Build(IReadOnlyList<GroundTruthBox> boxes, int classes, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        var heatmap = new float[classes * height * width];
        var centres = new List<int>(boxes.Count);
        var distances = new List<float>(boxes.Count * 4);
        foreach (var box in boxes)
        {
            if (box.Label < 0 || box.Label >= classes)
                throw new ArgumentException($"A box has label {box.Label}; the heatmap has {classes} classes.", nameof(boxes));
            var x1 = box.Box.Left * width;
            var y1 = box.Box.Top * height;
            var x2 = (box.Box.Left + box.Box.Width) * width;
            var y2 = (box.Box.Top + box.Box.Height) * height;
            if (!(x2 > x1 && y2 > y1))
                continue;
            var cx = Math.Clamp((int)Math.Floor((x1 + x2) / 2), 0, width - 1);
            var cy = Math.Clamp((int)Math.Floor((y1 + y2) / 2), 0, height - 1);
            var radius = Math.Max(0, (int)GaussianRadius(y2 - y1, x2 - x1));
            DrawGaussian(heatmap.AsSpan(box.Label * height * width, height * width), height, width, cx, cy, radius);
            centres.Add(cy * width + cx);
            distances.Add((float)(cx - x1));
            distances.Add((float)(cy - y1));
            distances.Add((float)(x2 - cx));
            distances.Add((float)(y2 - cy));
        }
        return new CenterNetTarget(heatmap, [.. centres], [.. distances]);
    }

    /// <summary>The boxes of the horizontally mirrored image.</summary>
    public static IReadOnlyList<GroundTruthBox> Mirror(IReadOnlyList<GroundTruthBox> boxes)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        return boxes.Select(b => b with { Box = b.Box with { Left = 1 - b.Box.Left - b.Box.Width } }).ToArray();
    }

    /// <summary>Distances (left, top, right, bottom, in cells, from the point of cell <c>(x, y)</c>) as the decoder's size and centre offset.</summary>
    public static (float Width, float Height, float OffsetX, float OffsetY) ToSizeAndOffset(float left, float top, float right, float bottom) =>
        (left + right, top + bottom, (right - left) / 2, (bottom - top) / 2);

    private static void DrawGaussian(Span<float> channel, int height, int width, int cx, int cy, int radius)
    {
        var sigma = (2 * radius + 1) / 6.0;
        for (var y = Math.Max(0, cy - radius); y <= Math.Min(height - 1, cy + radius); y++)
        {
            for (var x = Math.Max(0, cx - radius); x <= Math.Min(width - 1, cx + radius); x++)
            {
                var d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
                var v = (float)Math.Exp(-d2 / (2 * sigma * sigma));
                ref var cell = ref channel[y * width + x];
                if (v > cell)
                    cell = v;
            }
        }
    }
}
