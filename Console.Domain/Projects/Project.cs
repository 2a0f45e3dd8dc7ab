namespace VisionConsole.Domain.Projects;

/// <summary>
/// A workspace that owns datasets and models. One project, <see cref="DefaultName"/>, always exists;
/// AutoML-style paths (<c>/v1/projects/{project}/locations/{location}</c>) address it by name.
/// </summary>
public sealed class Project
{
    /// <summary>The name of the project created at start-up.</summary>
    public const string DefaultName = "default";

    private Project()
    {
        Name = string.Empty;
    }

    /// <summary>Creates a project; the name is lower-case letters, digits and hyphens (as in AutoML project ids).</summary>
    public Project(string name, DateTimeOffset createdAt)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 63 || !name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
        {
            throw new DomainException("invalid-name", $"Project name '{name}' must be 1-63 characters of lower-case letters, digits and hyphens.");
        }
        Name = name;
        CreatedAt = createdAt;
    }

    public long Id { get; private set; }

    /// <summary>Unique, stable name used in paths.</summary>
    public string Name { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }
}
