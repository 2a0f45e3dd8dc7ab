using System.Globalization;

namespace VisionConsole.Web.Components.Ui;

/// <summary>One point of a chart, in data units.</summary>
public readonly record struct ChartPoint(double X, double Y);

/// <summary>A named line of a chart; <see cref="Color"/> is any CSS colour.</summary>
public sealed record ChartSeries(string Name, string Color, IReadOnlyList<ChartPoint> Points);

/// <summary>
/// Maps data to the SVG box of a <c>LineChart</c>: a plot area inside fixed margins, y growing upwards.
/// Kept apart from the markup so the numbers a chart draws can be checked by hand.
/// </summary>
public sealed record ChartGeometry(double Width, double Height, double XMin, double XMax, double YMin, double YMax)
{
    /// <summary>Room for the y tick labels.</summary>
    public const double Left = 44;

    /// <summary>Right margin.</summary>
    public const double Right = 12;

    /// <summary>Top margin.</summary>
    public const double Top = 10;

    /// <summary>Room for the x tick labels.</summary>
    public const double Bottom = 28;

    public double PlotWidth => Width - Left - Right;

    public double PlotHeight => Height - Top - Bottom;

    /// <summary>The SVG x of a data x; a zero-width range puts every point in the middle.</summary>
    public double ToX(double x) => XMax > XMin ? Left + (x - XMin) / (XMax - XMin) * PlotWidth : Left + PlotWidth / 2;

    /// <summary>The SVG y of a data y (clamped to the range).</summary>
    public double ToY(double y) => YMax > YMin ? Top + (1 - (Math.Clamp(y, YMin, YMax) - YMin) / (YMax - YMin)) * PlotHeight : Top + PlotHeight / 2;

    /// <summary>The path data of a polyline through the points: <c>M x y L x y ...</c>, two decimals.</summary>
    public string Path(IEnumerable<ChartPoint> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        return string.Join(' ', points.Select((p, i) => $"{(i == 0 ? 'M' : 'L')}{Format(ToX(p.X))} {Format(ToY(p.Y))}"));
    }

    /// <summary>A number as SVG attributes take it (invariant, at most two decimals).</summary>
    public static string Format(double value) => Math.Round(value, 2).ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>The geometry that fits every point of the series, widened to include any given bounds.</summary>
    public static ChartGeometry Fit(IReadOnlyList<ChartSeries> series, double width, double height, double? xMin, double? xMax, double? yMin, double? yMax)
    {
        ArgumentNullException.ThrowIfNull(series);
        var points = series.SelectMany(s => s.Points).ToList();
        var dataXMin = points.Count == 0 ? 0 : points.Min(p => p.X);
        var dataXMax = points.Count == 0 ? 1 : points.Max(p => p.X);
        var dataYMin = points.Count == 0 ? 0 : points.Min(p => p.Y);
        var dataYMax = points.Count == 0 ? 1 : points.Max(p => p.Y);
        return new ChartGeometry(
            width, height,
            xMin is { } x0 ? Math.Min(x0, dataXMin) : dataXMin,
            xMax is { } x1 ? Math.Max(x1, dataXMax) : dataXMax,
            yMin is { } y0 ? Math.Min(y0, dataYMin) : dataYMin,
            yMax is { } y1 ? Math.Max(y1, dataYMax) : dataYMax);
    }
}
