using Microsoft.AspNetCore.Components.Web;

namespace VisionConsole.Web.Components.Pages.Datasets;

/// <summary>Which label a key press means: 1..9 on the main row or keypad (by key code, so shift+1 still reads as 1).</summary>
public static class LabelKeys
{
    public static int? Number(KeyboardEventArgs e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e.CtrlKey || e.AltKey || e.MetaKey)
        {
            return null;
        }
        var code = e.Code ?? "";
        foreach (var prefix in new[] { "Digit", "Numpad" })
        {
            if (code.Length == prefix.Length + 1 && code.StartsWith(prefix, StringComparison.Ordinal) && code[^1] is >= '1' and <= '9')
            {
                return code[^1] - '0';
            }
        }
        return e.Key is { Length: 1 } key && key[0] is >= '1' and <= '9' ? key[0] - '0' : null;
    }
}
