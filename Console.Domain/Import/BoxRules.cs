using System.Globalization;

namespace VisionConsole.Domain.Import;

/// <summary>The checks every imported box passes, whatever format it came from.</summary>
public static class BoxRules
{
    /// <summary>A box narrower or shorter than this fraction of the image is kept with a Warning (it rarely trains well).</summary>
    public const double TinyFraction = 0.01;

    /// <summary>Rounding slack: coordinates this far outside 0..1 are clamped, not refused.</summary>
    public const double Tolerance = 1e-6;

    /// <summary>
    /// Checks relative corners: all within 0..1, <c>x2 &gt; x1</c>, <c>y2 &gt; y1</c>. Returns the box, or null after adding an Error.
    /// Adds a Warning (box kept) when a side is under 1% of the image.
    /// </summary>
    public static ImportBox? FromCorners(string label, double x1, double y1, double x2, double y2,
        string source, int? line, int? entry, ICollection<ImportIssue> issues)
    {
        ArgumentNullException.ThrowIfNull(issues);
        var corners = $"({F(x1)}, {F(y1)}) - ({F(x2)}, {F(y2)})";
        if (!double.IsFinite(x1) || !double.IsFinite(y1) || !double.IsFinite(x2) || !double.IsFinite(y2)
            || Outside(x1) || Outside(y1) || Outside(x2) || Outside(y2))
        {
            issues.Add(new(ImportSeverity.Error, source, line, entry,
                $"Box '{label}' {corners} has coordinates outside 0-1; box dropped. Coordinates are fractions of the image's width and height."));
            return null;
        }
        x1 = Clamp(x1); y1 = Clamp(y1); x2 = Clamp(x2); y2 = Clamp(y2);
        if (x2 <= x1 || y2 <= y1)
        {
            issues.Add(new(ImportSeverity.Error, source, line, entry,
                $"Box '{label}' {corners} is empty or inverted (needs x2 > x1 and y2 > y1); box dropped."));
            return null;
        }
        var box = new ImportBox(label, x1, y1, x2 - x1, y2 - y1);
        if (box.Width < TinyFraction || box.Height < TinyFraction)
            issues.Add(new(ImportSeverity.Warning, source, line, entry,
                $"Box '{label}' {corners} is smaller than 1% of a side of the image; kept, but it may not train well."));
        return box;
    }

    /// <summary>
    /// Normalizes a pixel box by the image size, then applies <see cref="FromCorners"/>. Corners up to one pixel
    /// outside the image (1-based VOC coordinates) are clamped; further out is an Error.
    /// </summary>
    public static ImportBox? FromPixels(string label, double xMin, double yMin, double xMax, double yMax, int width, int height,
        string source, int? line, int? entry, ICollection<ImportIssue> issues)
    {
        ArgumentNullException.ThrowIfNull(issues);
        if (xMin < 0 && xMin >= -1) xMin = 0;
        if (yMin < 0 && yMin >= -1) yMin = 0;
        if (xMax > width && xMax <= width + 1) xMax = width;
        if (yMax > height && yMax <= height + 1) yMax = height;
        if (xMin < 0 || yMin < 0 || xMax > width || yMax > height)
        {
            issues.Add(new(ImportSeverity.Error, source, line, entry,
                $"Box '{label}' ({F(xMin)}, {F(yMin)}) - ({F(xMax)}, {F(yMax)}) px lies outside the {width}x{height} image; box dropped."));
            return null;
        }
        return FromCorners(label, xMin / width, yMin / height, xMax / width, yMax / height, source, line, entry, issues);
    }

    private static bool Outside(double v) => v < -Tolerance || v > 1 + Tolerance;

    private static double Clamp(double v) => Math.Clamp(v, 0, 1);

    private static string F(double v) => v.ToString("0.######", CultureInfo.InvariantCulture);
}
