using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Metrics;

namespace VisionConsole.Trainer.Detection;

/// <summary>One decoded detection: a label index, its score, and a box normalized to the image (0-1, origin top-left).</summary>
public readonly record struct DetectedObject(int Label, float Score, float YMin, float XMin, float YMax, float XMax)
{
    /// <summary>The box as the dataset and the metrics store rectangles.</summary>
    public BoxRect ToBoxRect() => new(XMin, YMin, XMax - XMin, YMax - YMin);
}

/// <summary>
/// Detections in the output layout of the TFLite Task Library's object detector (<c>TFLite_Detection_PostProcess</c>):
/// fixed-size arrays for <see cref="CenterNetDecoderOptions.MaxDetections"/> slots, the first <see cref="Count"/> filled
/// best first, the rest zero; so app code that reads a TFLite detector reads this unchanged.
/// </summary>
/// <param name="Boxes"><c>[MaxDetections, 4]</c> row-major: <c>ymin, xmin, ymax, xmax</c>, normalized.</param>
/// <param name="Classes"><c>[MaxDetections]</c>: label indices, as floats (TFLite writes them so).</param>
/// <param name="Scores"><c>[MaxDetections]</c>: scores, descending.</param>
/// <param name="Count">How many slots hold a detection.</param>
public sealed record DetectorOutput(float[] Boxes, float[] Classes, float[] Scores, int Count)
{
    /// <summary>The filled slots as boxes for <see cref="DetectionEvaluation"/>, best first.</summary>
    public IReadOnlyList<PredictedBox> ToPredictedBoxes() =>
        Detections().Select(d => new PredictedBox(d.Label, d.ToBoxRect(), d.Score)).ToArray();

    /// <summary>The filled slots as detections, best first.</summary>
    public IReadOnlyList<DetectedObject> Detections() =>
        Enumerable.Range(0, Count)
            .Select(k => new DetectedObject((int)Classes[k], Scores[k], Boxes[4 * k], Boxes[4 * k + 1], Boxes[4 * k + 2], Boxes[4 * k + 3]))
            .ToArray();
}

/// <summary>How <see cref="CenterNetDecoder"/> turns maps into detections.</summary>
public sealed record CenterNetDecoderOptions
{
    /// <summary>Top-K: at most this many detections (and the size of <see cref="DetectorOutput"/>'s arrays). 100 as AutoML's default.</summary>
    public int MaxDetections { get; init; } = 100;

    /// <summary>A peak is a candidate when its score is at least this (used for every class unless <see cref="ClassScoreThresholds"/> is set).</summary>
    public float ScoreThreshold { get; init; } = 0.1f;

    /// <summary>Per-class score thresholds, one per heatmap channel; null: <see cref="ScoreThreshold"/> for all.</summary>
    public IReadOnlyList<float>? ClassScoreThresholds { get; init; }

    /// <summary>
    /// Class-wise non-maximum suppression: a candidate whose IoU with a kept detection of the same class is above this
    /// is dropped. Null: no NMS (the 3x3 peak picking is CenterNet's own suppression).
    /// </summary>
    public double? NmsIouThreshold { get; init; }

    /// <summary>
    /// Where the image lies in the network input, normalized to the input (letterboxing pads around it): boxes are
    /// mapped into this region's coordinates and clipped to it. The default, the whole input, leaves them as they are.
    /// </summary>
    public BoxRect Content { get; init; } = new(0, 0, 1, 1);
}

/// <summary>
/// CenterNet ("Objects as Points") decoding of one image's head outputs into boxes: peak picking on the class heatmap by
/// a 3x3 max, per-class score thresholds, top-K, boxes from the size and offset maps, optional class-wise NMS. Pure
/// arithmetic over arrays, so training-time evaluation, <c>:predict</c> and the exported graph's reference all share it.
/// </summary>
/// <remarks>
/// Maps are channel-first over the output grid of <c>H x W</c> cells (the input is <c>stride</c> times larger, which
/// cancels out of normalized coordinates). The heatmap <c>[C, H, W]</c> holds probabilities (apply the sigmoid first
/// if the head gives logits). A cell is a peak of its class when no cell of its 3x3 neighbourhood in that channel scores
/// higher (equal neighbours are both peaks, as CenterNet's <c>maxpool(heat) == heat</c>). The size map <c>[2, H, W]</c>
/// holds the box width (channel 0) and height (channel 1) in cells; the offset map <c>[2, H, W]</c> the centre's sub-cell
/// position, x (channel 0) and y (channel 1), so the centre of a peak at cell <c>(x, y)</c> is
/// <c>(x + offset_x, y + offset_y)</c> in cells (no offset map: the cell's corner, as CenterNet's targets floor the centre).
/// Candidates are the peaks at or above their class threshold, ranked by score (ties: class, then row, then column);
/// thresholding before top-K keeps up to K boxes above per-class thresholds. Boxes are clipped to
/// <see cref="CenterNetDecoderOptions.Content"/>; one that ends with no area is dropped.
/// </remarks>
public static class CenterNetDecoder
{
    /// <summary>Decodes one image's maps.</summary>
    /// <param name="heatmap">Class heatmap, <c>[classes, height, width]</c> row-major.</param>
    /// <param name="size">Width and height in cells, <c>[2, height, width]</c>.</param>
    /// <param name="offset">Centre offset in cells, <c>[2, height, width]</c>, or null for none.</param>
    /// <param name="classes">Heatmap channels.</param>
    /// <param name="height">Grid rows.</param>
    /// <param name="width">Grid columns.</param>
    /// <param name="options">Top-K, thresholds, NMS, content region; null: the defaults.</param>
    /// <exception cref="ArgumentException">A map's length does not match its shape, or an option is out of range.</exception>
    public static DetectorOutput Decode(
        ReadOnlySpan<float> heatmap, ReadOnlySpan<float> size, ReadOnlySpan<float> offset, int classes, int height, int width, CenterNetDecoderOptions? options = null)
    {
        options ??= new CenterNetDecoderOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        var cells = height * width;
        if (heatmap.Length != classes * cells)
            throw new ArgumentException($"The heatmap has {heatmap.Length} values; [{classes}, {height}, {width}] needs {classes * cells}.", nameof(heatmap));
        if (size.Length != 2 * cells)
            throw new ArgumentException($"The size map has {size.Length} values; [2, {height}, {width}] needs {2 * cells}.", nameof(size));
        if (!offset.IsEmpty && offset.Length != 2 * cells)
            throw new ArgumentException($"The offset map has {offset.Length} values; [2, {height}, {width}] needs {2 * cells} (or pass none).", nameof(offset));
        CheckOptions(options, classes);

        var candidates = new List<(float Score, int Index)>();
        for (var c = 0; c < classes; c++)
        {
            var threshold = options.ClassScoreThresholds?[c] ?? options.ScoreThreshold;
            var channel = heatmap.Slice(c * cells, cells);
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    var v = channel[y * width + x];
                    if (v >= threshold && IsPeak(channel, height, width, y, x, v))
                        candidates.Add((v, c * cells + y * width + x));
                }
            }
        }
        candidates.Sort((a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Index.CompareTo(b.Index));

        var k = options.MaxDetections;
        var output = new DetectorOutput(new float[4 * k], new float[k], new float[k], 0);
        var kept = new List<DetectedObject>();
        var content = options.Content;
        foreach (var (score, index) in candidates)
        {
            if (kept.Count == k)
                break;
            var c = index / cells;
            var cell = index % cells;
            var (y, x) = (cell / width, cell % width);
            var cx = x + (offset.IsEmpty ? 0 : offset[cell]);
            var cy = y + (offset.IsEmpty ? 0 : offset[cells + cell]);
            var (w, h) = (size[cell], size[cells + cell]);
            var detection = new DetectedObject(
                c,
                score,
                Map((cy - h / 2) / height, content.Top, content.Height),
                Map((cx - w / 2) / width, content.Left, content.Width),
                Map((cy + h / 2) / height, content.Top, content.Height),
                Map((cx + w / 2) / width, content.Left, content.Width));
            // Not "<= 0": NaN sizes must be dropped too.
            if (!(detection.XMax > detection.XMin && detection.YMax > detection.YMin))
                continue;
            if (options.NmsIouThreshold is { } nms && kept.Exists(d => d.Label == c && DetectionEvaluation.IntersectionOverUnion(d.ToBoxRect(), detection.ToBoxRect()) > nms))
                continue;
            var slot = kept.Count;
            kept.Add(detection);
            output.Boxes[4 * slot] = detection.YMin;
            output.Boxes[4 * slot + 1] = detection.XMin;
            output.Boxes[4 * slot + 2] = detection.YMax;
            output.Boxes[4 * slot + 3] = detection.XMax;
            output.Classes[slot] = c;
            output.Scores[slot] = score;
        }
        return output with { Count = kept.Count };
    }

    private static bool IsPeak(ReadOnlySpan<float> channel, int height, int width, int y, int x, float v)
    {
        for (var dy = -1; dy <= 1; dy++)
        {
            var row = y + dy;
            if (row < 0 || row >= height)
                continue;
            for (var dx = -1; dx <= 1; dx++)
            {
                var column = x + dx;
                if (column >= 0 && column < width && channel[row * width + column] > v)
                    return false;
            }
        }
        return true;
    }

    // Into the content region's coordinates, clipped to it.
    private static float Map(float value, double start, double extent) => (float)Math.Clamp((value - start) / extent, 0, 1);

    private static void CheckOptions(CenterNetDecoderOptions options, int classes)
    {
        if (options.MaxDetections < 1)
            throw new ArgumentException($"MaxDetections is {options.MaxDetections}; it must be at least 1.", nameof(options));
        if (!float.IsFinite(options.ScoreThreshold))
            throw new ArgumentException("ScoreThreshold must be a finite number.", nameof(options));
        if (options.ClassScoreThresholds is { } thresholds)
        {
            if (thresholds.Count != classes)
                throw new ArgumentException($"ClassScoreThresholds has {thresholds.Count} entries; the heatmap has {classes} classes.", nameof(options));
            if (thresholds.Any(t => !float.IsFinite(t)))
                throw new ArgumentException("ClassScoreThresholds must all be finite numbers.", nameof(options));
        }
        if (options.NmsIouThreshold is { } nms && !(nms >= 0 && nms <= 1))
            throw new ArgumentException($"NmsIouThreshold is {nms}; it must be in [0, 1].", nameof(options));
        var content = options.Content;
        if (!(content.Width > 0 && content.Height > 0 && content.Left >= 0 && content.Top >= 0
            && content.Left + content.Width <= 1 + 1e-9 && content.Top + content.Height <= 1 + 1e-9))
            throw new ArgumentException($"Content {content} must be a region of positive size inside the input (normalized 0-1).", nameof(options));
    }
}
