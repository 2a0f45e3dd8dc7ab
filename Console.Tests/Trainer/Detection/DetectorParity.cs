using System.Globalization;
using System.Text.Json;
using Xunit.Sdk;

namespace VisionConsole.Tests.Trainer.Detection;

/// <summary>One detection, normalized <c>ymin, xmin, ymax, xmax</c> (the TFLite / TF.js order), label index and score.</summary>
internal sealed record Detection(double Ymin, double Xmin, double Ymax, double Xmax, int Label, double Score)
{
    public double Iou(Detection other)
    {
        var h = Math.Max(0, Math.Min(Ymax, other.Ymax) - Math.Max(Ymin, other.Ymin));
        var w = Math.Max(0, Math.Min(Xmax, other.Xmax) - Math.Max(Xmin, other.Xmin));
        var inter = h * w;
        var union = (Ymax - Ymin) * (Xmax - Xmin) + (other.Ymax - other.Ymin) * (other.Xmax - other.Xmin) - inter;
        return union <= 0 ? (inter <= 0 && this == other ? 1 : 0) : inter / union;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"[{Ymin:0.0000},{Xmin:0.0000},{Ymax:0.0000},{Xmax:0.0000}] #{Label} {Score:0.0000}");
}

/// <summary>Compares detector outputs from different runtimes (the exported files against the console's prediction).</summary>
internal static class DetectorParity
{
    /// <summary>The <c>detections</c> of <c>detector-onnx.mjs</c> or <c>tfjs-automl-detect.mjs</c>; string labels are looked up in <paramref name="labels"/>.</summary>
    public static List<List<Detection>> Parse(JsonElement detections, IReadOnlyList<string> labels) =>
        [.. detections.EnumerateArray().Select(image => image.EnumerateArray().Select(d =>
        {
            var box = d.GetProperty("box").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            var label = d.GetProperty("label");
            var index = label.ValueKind == JsonValueKind.String ? labels.ToList().IndexOf(label.GetString()!) : (int)label.GetDouble();
            if (index < 0) throw new XunitException($"Unknown label {label}.");
            return new Detection(box[0], box[1], box[2], box[3], index, d.GetProperty("score").GetDouble());
        }).ToList())];

    /// <summary>Greedy class-agnostic non-max suppression as tf.image.nonMaxSuppression does it (drops a box whose IoU with a kept one is at least <paramref name="iou"/>).</summary>
    public static List<Detection> Nms(IEnumerable<Detection> detections, double iou)
    {
        var kept = new List<Detection>();
        foreach (var d in detections.OrderByDescending(d => d.Score))
        {
            if (kept.All(k => k.Iou(d) < iou)) kept.Add(d);
        }
        return kept;
    }

    /// <summary>
    /// Same boxes one to one: every actual box matches an expected one (same label, IoU above <paramref name="minIou"/>, score
    /// within <paramref name="scoreTolerance"/>) and every expected box matches an actual one; boxes scoring within the
    /// tolerance of <paramref name="threshold"/> may be on either side of it.
    /// </summary>
    public static void AssertSame(string what, IReadOnlyList<Detection> expected, IReadOnlyList<Detection> actual, double threshold, double minIou, double scoreTolerance)
    {
        static bool Match(Detection a, Detection b, double minIou, double tolerance) => a.Label == b.Label && a.Iou(b) > minIou && Math.Abs(a.Score - b.Score) <= tolerance;
        foreach (var a in actual)
        {
            if (!expected.Any(e => e.Score >= threshold - scoreTolerance && Match(e, a, minIou, scoreTolerance)))
                throw new XunitException($"{what}: {a} matches none of the expected boxes: {string.Join("; ", expected.Where(e => e.Score >= threshold - scoreTolerance))}");
        }
        foreach (var e in expected.Where(e => e.Score >= threshold + scoreTolerance))
        {
            if (!actual.Any(a => Match(e, a, minIou, scoreTolerance)))
                throw new XunitException($"{what}: expected {e} is missing from {string.Join("; ", actual)}");
        }
    }
}
