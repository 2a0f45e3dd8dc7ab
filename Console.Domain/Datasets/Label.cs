namespace VisionConsole.Domain.Datasets;

/// <summary>A class an image or a box can carry. Names are unique per dataset ignoring case.</summary>
public sealed class Label
{
    private Label()
    {
        Name = string.Empty;
        NormalizedName = string.Empty;
    }

    internal Label(Dataset dataset, string name, DateTimeOffset createdAt)
    {
        Dataset = dataset;
        Name = name;
        NormalizedName = LabelName.Normalize(name);
        CreatedAt = createdAt;
    }

    public long Id { get; private set; }

    public long DatasetId { get; private set; }

    public Dataset? Dataset { get; private set; }

    /// <summary>The name as the user typed it (letters, digits, underscore; 1-32 characters).</summary>
    public string Name { get; private set; }

    /// <summary>Upper-case form that the unique index uses, so "Ant" and "ant" collide.</summary>
    public string NormalizedName { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }

    /// <summary>Changes the name; <see cref="Dataset.RenameLabel"/> checks it first.</summary>
    internal void Rename(string name)
    {
        Name = name;
        NormalizedName = LabelName.Normalize(name);
    }
}

/// <summary>The outcome of <see cref="LabelName.Check"/>.</summary>
/// <param name="IsValid">The name may be used as it is.</param>
/// <param name="Code">Stable reason when invalid: <c>invalid-label</c> or <c>duplicate-label</c>.</param>
/// <param name="Error">Why the name is refused, in words a person can act on.</param>
/// <param name="Suggestion">A valid, unused name derived from the input (the input itself when valid).</param>
public sealed record LabelNameCheck(bool IsValid, string? Code, string? Error, string Suggestion);

/// <summary>The label naming rule of AutoML Vision: 1-32 ASCII letters, digits or underscores.</summary>
public static class LabelName
{
    /// <summary>Longest label name accepted.</summary>
    public const int MaxLength = 32;

    /// <summary>
    /// Checks <paramref name="name"/> against the rule and against <paramref name="existingNames"/>
    /// (ignoring case), and always offers a sanitized, unused suggestion.
    /// </summary>
    public static LabelNameCheck Check(string? name, IEnumerable<string>? existingNames = null)
    {
        var taken = new HashSet<string>((existingNames ?? []).Select(Normalize), StringComparer.Ordinal);
        var suggestion = Suggest(name ?? string.Empty, taken);
        if (string.IsNullOrEmpty(name))
        {
            return new(false, "invalid-label", "Label name is empty; use 1-32 letters, digits or underscores.", suggestion);
        }
        if (name.Length > MaxLength)
        {
            return new(false, "invalid-label", $"Label name '{name}' is {name.Length} characters long; the limit is {MaxLength}.", suggestion);
        }
        var bad = name.FirstOrDefault(c => !IsAllowed(c));
        if (bad != default)
        {
            return new(false, "invalid-label", $"Label name '{name}' contains '{bad}'; only letters a-z, A-Z, digits and underscores are allowed.", suggestion);
        }
        if (taken.Contains(Normalize(name)))
        {
            return new(false, "duplicate-label", $"A label named '{name}' already exists in this dataset (names are compared ignoring case).", suggestion);
        }
        return new(true, null, null, name);
    }

    /// <summary>The form compared for uniqueness.</summary>
    public static string Normalize(string name) => name.ToUpperInvariant();

    private static bool IsAllowed(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_';

    private static string Suggest(string name, HashSet<string> taken)
    {
        var chars = new System.Text.StringBuilder(name.Length);
        foreach (var c in name.Trim())
        {
            var next = IsAllowed(c) ? c : '_';
            // Runs of separators (spaces, dashes, dots) collapse to one underscore.
            if (next == '_' && chars.Length > 0 && chars[^1] == '_')
            {
                continue;
            }
            chars.Append(next);
        }
        var baseName = chars.ToString().Trim('_');
        if (baseName.Length == 0)
        {
            baseName = "label";
        }
        if (baseName.Length > MaxLength)
        {
            baseName = baseName[..MaxLength].TrimEnd('_');
        }
        var candidate = baseName;
        for (var n = 2; taken.Contains(Normalize(candidate)); n++)
        {
            var suffix = "_" + n.ToString(System.Globalization.CultureInfo.InvariantCulture);
            candidate = (baseName.Length + suffix.Length > MaxLength ? baseName[..(MaxLength - suffix.Length)] : baseName) + suffix;
        }
        return candidate;
    }
}
