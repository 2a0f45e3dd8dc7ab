using System.Globalization;
using System.Security.Claims;
using VisionConsole.Domain;
using VisionConsole.Domain.Accounts;
using VisionConsole.Domain.Projects;

namespace VisionConsole.Web.Accounts;

/// <summary>
/// On an endpoint or a page: the request is in the project of the <see cref="Resource"/> that route parameter
/// <see cref="RouteParameter"/> names (a dataset's pages and API are in the dataset's project).
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false)]
public sealed class InProjectOfAttribute(ProjectResource resource, string routeParameter) : Attribute
{
    /// <summary>The kind of thing the route names.</summary>
    public ProjectResource Resource { get; } = resource;

    /// <summary>The route parameter holding its id (or, for a blob, its SHA-256).</summary>
    public string RouteParameter { get; } = routeParameter;
}

/// <summary>
/// On an endpoint or a page that is the whole console's rather than one project's (backups, integrity, settings): it is
/// decided by the role in <see cref="Project.DefaultName"/>, whose owners run the console, whatever project is asked for.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false)]
public sealed class ConsoleWideAttribute : Attribute;

/// <summary>Puts endpoints in the project of the resource their route names, or in none (the whole console's).</summary>
public static class ProjectScopeExtensions
{
    /// <summary>Adds <see cref="ConsoleWideAttribute"/> to the endpoints.</summary>
    public static TBuilder ConsoleWide<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ConsoleWideAttribute());

    /// <summary>Adds <see cref="InProjectOfAttribute"/> to the endpoints.</summary>
    public static TBuilder InProjectOf<TBuilder>(this TBuilder builder, ProjectResource resource, string routeParameter) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new InProjectOfAttribute(resource, routeParameter));
}

/// <summary>
/// The project a request or page is in and the caller's role there; <see cref="Role"/> null when the caller is not a
/// member or the project does not exist. <see cref="Missing"/> is set when the resource the route names is not found
/// (for this caller): the request may still be refused for its role, and is otherwise not found.
/// </summary>
public sealed record ProjectAccess(string Project, ProjectRole? Role, string? Missing = null)
{
    /// <summary>The message of a refusal: what was not found.</summary>
    public string NotFound => Missing ?? $"Project '{Project}' was not found.";
}

/// <summary>What a page's router hands the authorization handler: the page's project and role, already resolved.</summary>
public sealed record PageProjectAccess(ProjectAccess Access);

/// <summary>
/// The caller's role in a project (an API key: its own role in its own project only; an administrator: owner of every
/// project; an account: its membership's role), and the project of a request or page.
/// </summary>
public sealed class ProjectRoleResolver(ProjectAccessService access)
{
    /// <summary>The role of <paramref name="user"/> in <paramref name="project"/>; null when none (or no such project).</summary>
    public async Task<ProjectRole?> RoleInAsync(ClaimsPrincipal user, string project, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (user.FindFirst(ConsoleClaims.KeyProject) is { } keyProject)
        {
            return keyProject.Value == project && Enum.TryParse<ProjectRole>(user.FindFirst(ConsoleClaims.KeyRole)?.Value, out var keyRole) ? keyRole : null;
        }
        if (user.IsAdministrator())
        {
            return await access.ProjectExistsAsync(project, cancellationToken).ConfigureAwait(false) ? ProjectRole.Owner : null;
        }
        if (user.FindFirst(ClaimTypes.NameIdentifier)?.Value is not { } userId)
        {
            return null;
        }
        try
        {
            return await access.RoleOfAsync(userId, project, cancellationToken).ConfigureAwait(false);
        }
        catch (NotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// The project of <paramref name="resource"/> <paramref name="key"/> and the caller's role there. When
    /// <paramref name="inProject"/> is given the resource must be in it (a dataset of project a asked for under project b
    /// is not found). A resource in several projects (a blob) gives the best role among them. A resource that does not
    /// exist, or is only in projects the caller is not a member of, answers the same: the caller's role in
    /// <paramref name="fallbackProject"/> with <see cref="ProjectAccess.Missing"/> set, so that a write the role does not
    /// allow is refused for the role and anything else as not found, whether or not the id exists elsewhere.
    /// </summary>
    public async Task<ProjectAccess> ResolveAsync(
        ClaimsPrincipal user, ProjectResource resource, string key, string? inProject, string fallbackProject, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (resource == ProjectResource.Blob && !(key.Length == 64 && key.All(char.IsAsciiHexDigit)))
        {
            // Not a hash at all: the endpoint's own 400 says so, with nothing to learn about any project.
            return await ProjectOnlyAsync(user, inProject ?? fallbackProject, cancellationToken).ConfigureAwait(false);
        }
        var projects = await access.ProjectsOfAsync(resource, key, cancellationToken).ConfigureAwait(false);
        if (projects.Count == 0)
        {
            // What does not exist is left to the endpoint, which answers its own 404 (or 400 for a bad request) as before.
            return await ProjectOnlyAsync(user, inProject ?? fallbackProject, cancellationToken).ConfigureAwait(false);
        }
        foreach (var project in projects.Where(p => inProject is null || p == inProject))
        {
            var role = await RoleInAsync(user, project, cancellationToken).ConfigureAwait(false);
            if (role is not null)
            {
                // Several projects only for a blob, where any membership reads it.
                return new ProjectAccess(project, role);
            }
        }
        var fallback = inProject ?? fallbackProject;
        return new ProjectAccess(fallback, await RoleInAsync(user, fallback, cancellationToken).ConfigureAwait(false), $"{Describe(resource)} {key} was not found.");
    }

    /// <summary>The project of an HTTP request (see <see cref="ProjectAccessHandler"/> for the order) and the caller's role there.</summary>
    public Task<ProjectAccess> ResolveAsync(ClaimsPrincipal user, HttpContext http, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (http.GetEndpoint()?.Metadata.GetMetadata<ConsoleWideAttribute>() is not null)
        {
            return ProjectOnlyAsync(user, Project.DefaultName, cancellationToken);
        }
        var routeProject = http.GetRouteValue("project") as string;
        var project = routeProject ?? (http.Request.Query.TryGetValue("project", out var query) && query.Count > 0 ? query[0] : null) ?? Project.DefaultName;
        if (http.GetEndpoint()?.Metadata.GetMetadata<InProjectOfAttribute>() is { } scope
            && Convert.ToString(http.GetRouteValue(scope.RouteParameter), CultureInfo.InvariantCulture) is { Length: > 0 } key)
        {
            return ResolveAsync(user, scope.Resource, key, routeProject, project, cancellationToken);
        }
        return ProjectOnlyAsync(user, project, cancellationToken);
    }

    /// <summary>
    /// The project of a page: its <see cref="InProjectOfAttribute"/>'s resource when it has one, else
    /// <paramref name="project"/> (the project the console shows, from the <c>project</c> query parameter or the circuit).
    /// </summary>
    public Task<ProjectAccess> ResolveAsync(ClaimsPrincipal user, Microsoft.AspNetCore.Components.RouteData route, string project, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(route);
        if (route.PageType.IsDefined(typeof(ConsoleWideAttribute), inherit: true))
        {
            return ProjectOnlyAsync(user, Project.DefaultName, cancellationToken);
        }
        if (route.PageType.GetCustomAttributes(typeof(InProjectOfAttribute), inherit: true).FirstOrDefault() is InProjectOfAttribute scope
            && route.RouteValues.TryGetValue(scope.RouteParameter, out var value)
            && Convert.ToString(value, CultureInfo.InvariantCulture) is { Length: > 0 } key)
        {
            return ResolveAsync(user, scope.Resource, key, null, project, cancellationToken);
        }
        return ProjectOnlyAsync(user, project, cancellationToken);
    }

    private async Task<ProjectAccess> ProjectOnlyAsync(ClaimsPrincipal user, string project, CancellationToken cancellationToken) =>
        new(project, await RoleInAsync(user, project, cancellationToken).ConfigureAwait(false));

    private static string Describe(ProjectResource resource) => resource switch
    {
        ProjectResource.HostedModel => "Hosted model",
        ProjectResource.Blob => "Image",
        _ => resource.ToString(),
    };
}
