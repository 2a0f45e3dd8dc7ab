using MudBlazor;

namespace VisionConsole.Web.Components.Layout;

/// <summary>The console's Material theme: MudBlazor's defaults with the system font stack (no web font is served).</summary>
public static class ConsoleTheme
{
    public static MudTheme Theme { get; } = new()
    {
        Typography = new Typography
        {
            Default = new DefaultTypography { FontFamily = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "DejaVu Sans", "Helvetica", "Arial", "sans-serif"] },
        },
    };
}
