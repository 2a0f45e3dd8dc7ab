using System.Text;

namespace VisionConsole.Domain.Import;

/// <summary>The label naming rule shared with AutoML: 1-32 characters, ASCII letters, digits and underscores.</summary>
public static class LabelNames
{
    /// <summary>Longest label name.</summary>
    public const int MaxLength = 32;

    /// <summary>True when <paramref name="name"/> follows the rule as it is.</summary>
    public static bool IsValid(string? name) =>
        name is { Length: > 0 and <= MaxLength } && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    /// <summary>
    /// The closest valid name: accents dropped, every run of other characters (spaces, hyphens, dots) becomes one
    /// underscore, leading and trailing underscores trimmed, cut to 32 characters.
    /// Null when nothing usable remains (e.g. "???").
    /// </summary>
    public static string? Sanitize(string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw))
            return null;
        var folded = Fold(raw.Trim());
        var sb = new StringBuilder(folded.Length);
        var pendingUnderscore = false;
        foreach (var c in folded)
        {
            if (char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.NonSpacingMark)
                continue;
            if (char.IsAsciiLetterOrDigit(c) || c == '_')
            {
                if (pendingUnderscore && sb.Length > 0)
                    sb.Append('_');
                pendingUnderscore = false;
                sb.Append(c);
            }
            else
            {
                pendingUnderscore = true;
            }
        }
        var name = sb.ToString().Trim('_');
        if (name.Length > MaxLength)
            name = name[..MaxLength].TrimEnd('_');
        return name.Length == 0 ? null : name;
    }

    private const string Accented = "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöøùúûüýÿ";
    private const string Plain = "AAAAAACEEEEIIIINOOOOOOUUUUYaaaaaaceeeeiiiinoooooouuuuyy";

    /// <summary>Latin letters with accents to their base letter (the app runs with invariant globalization, where decomposition is not available).</summary>
    private static string Fold(string value)
    {
        var sb = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            var i = Accented.IndexOf(c, StringComparison.Ordinal);
            if (i >= 0)
                sb.Append(Plain[i]);
            else
                sb.Append(c switch { 'ß' => "ss", 'æ' => "ae", 'Æ' => "AE", 'œ' => "oe", 'Œ' => "OE", _ => c.ToString() });
        }
        return sb.ToString();
    }
}
