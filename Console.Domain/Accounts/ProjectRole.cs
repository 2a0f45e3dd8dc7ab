namespace VisionConsole.Domain.Accounts;

/// <summary>What a member of a project (or an API key of it) may do there, from least to most.</summary>
public enum ProjectRole
{
    /// <summary>Reads datasets, models and evaluations, runs predictions.</summary>
    Viewer,

    /// <summary>A viewer who also labels images (labels and boxes).</summary>
    Labeler,

    /// <summary>A labeler who also accepts or rejects others' labels.</summary>
    Reviewer,

    /// <summary>Imports, labels, trains, exports and publishes.</summary>
    Editor,

    /// <summary>Everything, including the project's members and API keys.</summary>
    Owner,
}

/// <summary>One kind of action a request needs; <see cref="ProjectRoles.Allows"/> says which roles grant it.</summary>
public enum ProjectPermission
{
    /// <summary>Read anything in the project, predict.</summary>
    Read,

    /// <summary>Change the labels and boxes of images.</summary>
    Label,

    /// <summary>Accept or reject labels.</summary>
    Review,

    /// <summary>Create, import, delete, train, export, publish.</summary>
    Edit,

    /// <summary>Members, API keys, backups.</summary>
    Manage,
}

/// <summary>The one table of which role grants which permission.</summary>
public static class ProjectRoles
{
    /// <summary>True when <paramref name="role"/> grants <paramref name="permission"/>.</summary>
    public static bool Allows(ProjectRole role, ProjectPermission permission) => permission switch
    {
        ProjectPermission.Read => true,
        ProjectPermission.Label => role >= ProjectRole.Labeler,
        ProjectPermission.Review => role >= ProjectRole.Reviewer,
        ProjectPermission.Edit => role >= ProjectRole.Editor,
        ProjectPermission.Manage => role == ProjectRole.Owner,
        _ => false,
    };

    /// <summary>The least role that grants <paramref name="permission"/>, for error messages.</summary>
    public static ProjectRole Least(ProjectPermission permission) =>
        Enum.GetValues<ProjectRole>().First(role => Allows(role, permission));

    /// <summary>Reads a role name as the API and the command line spell it (<c>editor</c>, case-insensitive).</summary>
    /// <exception cref="DomainException"><c>invalid-role</c>: not one of the five, the message lists them.</exception>
    public static ProjectRole Parse(string? name) =>
        Enum.TryParse<ProjectRole>(name, ignoreCase: true, out var role) && Enum.IsDefined(role) && !int.TryParse(name, out _)
            ? role
            : throw new DomainException("invalid-role", $"'{name}' is not a role; use one of {string.Join(", ", Enum.GetNames<ProjectRole>().Select(n => n.ToLowerInvariant()))}.");
}
