using System.Text;
using System.Text.RegularExpressions;
using VisionConsole.Domain;

namespace VisionConsole.Web.Api;

/// <summary>
/// AutoML v1's list <c>filter</c>: terms joined by <c>AND</c>, each <c>field:*</c> (the field is set) or
/// <c>field=value</c> (quotes optional); field names in camelCase or snake_case. A field the list cannot filter on is
/// refused by name, never ignored.
/// </summary>
internal static partial class AutoMlListFilter
{
    /// <summary>One term: the field (camelCase) and the value, null for <c>:*</c>.</summary>
    public readonly record struct Term(string Field, string? Value);

    /// <summary>Parses <paramref name="filter"/> against the fields <paramref name="resource"/> lists can filter on.</summary>
    public static IReadOnlyList<Term> Parse(string? filter, string resource, params string[] fields)
    {
        if (string.IsNullOrWhiteSpace(filter))
        {
            return [];
        }
        var terms = new List<Term>();
        foreach (var text in AndPattern().Split(filter.Trim()))
        {
            var match = TermPattern().Match(text);
            var field = match.Success ? CamelCase(match.Groups["field"].Value) : null;
            if (field is null || !fields.Contains(field, StringComparer.Ordinal))
            {
                throw new DomainException("invalid-argument",
                    $"filter term '{text.Trim()}' is not supported for {resource}; use {string.Join(", ", fields.Select(f => f.EndsWith("Metadata", StringComparison.Ordinal) ? $"{f}:*" : $"{f}=VALUE"))}, joined by AND.");
            }
            terms.Add(new Term(field, match.Groups["has"].Success ? null : match.Groups["value"].Value));
        }
        return terms;
    }

    private static string CamelCase(string field)
    {
        var text = new StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            text.Append(field[i] == '_' && i + 1 < field.Length ? char.ToUpperInvariant(field[++i]) : field[i]);
        }
        return text.ToString();
    }

    [GeneratedRegex(@"\s+AND\s+")]
    private static partial Regex AndPattern();

    [GeneratedRegex("""^\s*(?<field>[A-Za-z_]+)\s*(?:(?<has>:\s*\*)|=\s*"?(?<value>[^"]*?)"?)\s*$""")]
    private static partial Regex TermPattern();
}
