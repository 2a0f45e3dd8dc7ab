using System.Globalization;

namespace VisionConsole.Web.Components.Charts;

/// <summary>One point of a chart, in data units.</summary>
public readonly record struct ChartPoint(double X, double Y);

/// <summary>A named line of a chart; <see cref="Color"/> is any CSS colour; <see cref="SecondaryAxis"/> puts it on the right-hand y axis.</summary>
public sealed record LineSeries(string Name, string Color, IReadOnlyList<ChartPoint> Points, bool SecondaryAxis = false);

/// <summary>
/// Maps data to the SVG box of a <c>LineChart</c>: a plot area inside fixed margins, y growing upwards, with an
/// optional second y range on the right (<see cref="Y2Min"/>..<see cref="Y2Max"/>) for series of another unit.
/// Kept apart from the markup so the numbers a chart draws can be checked by hand.
/// </summary>
public sealed record ChartGeometry(double Width, double Height, double XMin, double XMax, double YMin, double YMax, double? Y2Min = null, double? Y2Max = null)
{
    /// <summary>Room for the y tick labels and the y axis title.</summary>
    public const double Left = 56;

    /// <summary>Right margin without a second axis.</summary>
    public const double PlainRight = 12;

    /// <summary>Right margin with a second axis: its tick labels and title.</summary>
    public const double AxisRight = 56;

    /// <summary>Top margin.</summary>
    public const double Top = 10;

    /// <summary>Room for the x tick labels and the x axis title.</summary>
    public const double Bottom = 36;

    /// <summary>True when a second y range is drawn on the right.</summary>
    public bool HasSecondaryAxis => Y2Min is not null && Y2Max is not null;

    public double Right => HasSecondaryAxis ? AxisRight : PlainRight;

    public double PlotWidth => Width - Left - Right;

    public double PlotHeight => Height - Top - Bottom;

    /// <summary>The SVG x of a data x; a zero-width range puts every point in the middle.</summary>
    public double ToX(double x) => XMax > XMin ? Left + (x - XMin) / (XMax - XMin) * PlotWidth : Left + PlotWidth / 2;

    /// <summary>The SVG y of a data y on the left axis (clamped to the range).</summary>
    public double ToY(double y) => ToY(y, YMin, YMax);

    /// <summary>The SVG y of a data y on the right axis (clamped to its range).</summary>
    public double ToY2(double y) => ToY(y, Y2Min ?? YMin, Y2Max ?? YMax);

    private double ToY(double y, double min, double max) =>
        max > min ? Top + (1 - (Math.Clamp(y, min, max) - min) / (max - min)) * PlotHeight : Top + PlotHeight / 2;

    /// <summary>The path data of a polyline through the points: <c>M x y L x y ...</c>, two decimals.</summary>
    public string Path(IEnumerable<ChartPoint> points, bool secondaryAxis = false)
    {
        ArgumentNullException.ThrowIfNull(points);
        return string.Join(' ', points.Select((p, i) => $"{(i == 0 ? 'M' : 'L')}{Format(ToX(p.X))} {Format(secondaryAxis ? ToY2(p.Y) : ToY(p.Y))}"));
    }

    /// <summary>A number as SVG attributes take it (invariant, at most two decimals).</summary>
    public static string Format(double value) => Math.Round(value, 2).ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>
    /// The geometry that fits every point of the series, widened to include any given bounds; series on the
    /// secondary axis fit the right-hand range (<paramref name="y2Min"/>, <paramref name="y2Max"/>) instead.
    /// </summary>
    public static ChartGeometry Fit(IReadOnlyList<LineSeries> series, double width, double height, double? xMin, double? xMax, double? yMin, double? yMax,
        double? y2Min = null, double? y2Max = null)
    {
        ArgumentNullException.ThrowIfNull(series);
        var all = series.SelectMany(s => s.Points).ToList();
        var primary = series.Where(s => !s.SecondaryAxis).SelectMany(s => s.Points).ToList();
        var secondary = series.Where(s => s.SecondaryAxis).SelectMany(s => s.Points).ToList();
        var (x0, x1) = Range(all.Select(p => p.X).ToList(), xMin, xMax);
        var (y0, y1) = Range(primary.Select(p => p.Y).ToList(), yMin, yMax);
        var hasSecondary = series.Any(s => s.SecondaryAxis);
        var (s0, s1) = Range(secondary.Select(p => p.Y).ToList(), y2Min, y2Max);
        return new ChartGeometry(width, height, x0, x1, y0, y1, hasSecondary ? s0 : null, hasSecondary ? s1 : null);
    }

    private static (double Min, double Max) Range(IReadOnlyList<double> values, double? min, double? max)
    {
        var dataMin = values.Count == 0 ? min ?? 0 : values.Min();
        var dataMax = values.Count == 0 ? max ?? 1 : values.Max();
        return (min is { } a ? Math.Min(a, dataMin) : dataMin, max is { } b ? Math.Max(b, dataMax) : dataMax);
    }
}
