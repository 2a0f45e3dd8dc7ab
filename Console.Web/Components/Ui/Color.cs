namespace VisionConsole.Web.Components.Ui;

/// <summary>Bootstrap's theme colours, as the in-house components take them.</summary>
public enum Color { Primary, Secondary, Success, Danger, Warning, Info, Light, Dark }

/// <summary>Maps <see cref="Color"/> to Bootstrap class fragments.</summary>
public static class ColorClasses
{
    /// <summary>The Bootstrap name of the colour: <c>primary</c>, <c>danger</c>...</summary>
    public static string Name(this Color color) => color switch
    {
        Color.Primary => "primary",
        Color.Secondary => "secondary",
        Color.Success => "success",
        Color.Danger => "danger",
        Color.Warning => "warning",
        Color.Info => "info",
        Color.Light => "light",
        Color.Dark => "dark",
        _ => throw new ArgumentOutOfRangeException(nameof(color), color, null),
    };
}

/// <summary>Joins CSS classes, skipping empty ones (MudBlazor's CssBuilder habit, in one method).</summary>
public static class Css
{
    public static string Join(params string?[] classes) =>
        string.Join(' ', classes.Where(c => !string.IsNullOrWhiteSpace(c)));
}
