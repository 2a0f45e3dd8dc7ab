using VisionConsole.Domain;
using VisionConsole.Domain.Accounts;
using VisionConsole.Domain.Projects;

namespace VisionConsole.Web;

/// <summary>
/// Who is asking: in a Blazor circuit, the account the circuit was opened by (<see cref="CircuitUser"/>); for an HTTP
/// request, its signed-in account or the account its API key acts as; otherwise <c>anonymous</c> (only the set-up and
/// sign-in forms are served to nobody).
/// </summary>
internal sealed class HttpCurrentUser(IHttpContextAccessor accessor, CircuitUser circuitUser) : ICurrentUser
{
    public const string Anonymous = "anonymous";

    public string Name => circuitUser.Name ?? accessor.HttpContext?.User.Identity?.Name ?? Anonymous;
}

/// <summary>
/// The account of one circuit, set by <c>Routes</c> from the authentication state the circuit started with (a circuit
/// has no HTTP request of its own to read), and the project its pages show, set by <c>ProjectRouteView</c> on every
/// navigation (a dataset's pages are in the dataset's project; the lists in the project chosen last).
/// </summary>
public sealed class CircuitUser
{
    public string? Name { get; set; }

    /// <summary>The account's id (what API keys created in this circuit act as).</summary>
    public string? UserId { get; set; }

    /// <summary>Whether that account administers the console.</summary>
    public bool IsAdministrator { get; set; }

    /// <summary>The project the pages show; <see cref="Project.DefaultName"/> until another is chosen.</summary>
    public string Project { get; private set; } = VisionConsole.Domain.Projects.Project.DefaultName;

    /// <summary>
    /// The account's role in <see cref="Project"/>; null when it is not a member. Pages render write controls only where it
    /// allows them.
    /// </summary>
    public ProjectRole? Role { get; set; }

    /// <summary>Shows <paramref name="project"/>, where the account has <paramref name="role"/>.</summary>
    public void EnterProject(string project, ProjectRole? role)
    {
        Project = project;
        Role = role;
    }

    /// <summary>Whether <see cref="Role"/> allows <paramref name="permission"/>.</summary>
    public bool Can(ProjectPermission permission) => Role is { } role && ProjectRoles.Allows(role, permission);

    /// <summary>
    /// Throws unless <see cref="Role"/> allows <paramref name="permission"/>: the first line of every handler that writes,
    /// behind the control the page renders only when <see cref="Can"/> is true.
    /// </summary>
    /// <exception cref="DomainException">Code <c>permission-denied</c>, naming the role needed and the role held.</exception>
    public void Require(ProjectPermission permission)
    {
        if (!Can(permission))
        {
            var held = Role is { } role ? $"you have the {role.ToString().ToLowerInvariant()} role" : "you are not a member";
            throw new DomainException("permission-denied",
                $"This needs the {ProjectRoles.Least(permission).ToString().ToLowerInvariant()} role in project '{Project}'; {held}.");
        }
    }
}
