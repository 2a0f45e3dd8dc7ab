using Microsoft.AspNetCore.Authorization;
using VisionConsole.Domain;
using VisionConsole.Domain.Accounts;
using VisionConsole.Domain.Projects;

namespace VisionConsole.Web.Accounts;

/// <summary>
/// The console's authorization policies: one per <see cref="ProjectPermission"/>, and the fallback every endpoint without
/// a policy of its own gets (signed in; on the API, reads need <see cref="ProjectPermission.Read"/> and writes
/// <see cref="ProjectPermission.Edit"/>; pages and their circuit need <see cref="ProjectPermission.Read"/>).
/// </summary>
public static class ConsolePolicies
{
    public const string Read = "project:read";
    public const string Label = "project:label";
    public const string Review = "project:review";
    public const string Edit = "project:edit";
    public const string Manage = "project:manage";

    /// <summary>Adds the policies, the fallback, and the handler that decides them.</summary>
    public static IServiceCollection AddConsolePolicies(this IServiceCollection services)
    {
        services.AddSingleton<IAuthorizationHandler, ProjectAccessHandler>();
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(Policy(permission: null))
            .AddPolicy(Read, Policy(ProjectPermission.Read))
            .AddPolicy(Label, Policy(ProjectPermission.Label))
            .AddPolicy(Review, Policy(ProjectPermission.Review))
            .AddPolicy(Edit, Policy(ProjectPermission.Edit))
            .AddPolicy(Manage, Policy(ProjectPermission.Manage));
        return services;
    }

    private static AuthorizationPolicy Policy(ProjectPermission? permission) =>
        new AuthorizationPolicyBuilder().RequireAuthenticatedUser().AddRequirements(new ProjectAccessRequirement(permission)).Build();
}

/// <summary>Needs <see cref="Permission"/> in the request's project; null: decided by the request (see <see cref="ConsolePolicies"/>).</summary>
public sealed record ProjectAccessRequirement(ProjectPermission? Permission) : IAuthorizationRequirement;

/// <summary>Why a request was refused, for the error body: <c>not-found</c> (no such project, or not a member) or <c>permission-denied</c>.</summary>
internal sealed class ProjectAccessFailure(IAuthorizationHandler handler, string code, string message) : AuthorizationFailureReason(handler, message)
{
    public string Code { get; } = code;
}

/// <summary>
/// Decides <see cref="ProjectAccessRequirement"/>: the project is the route's <c>{project}</c> (AutoML and Firebase paths), else
/// <see cref="Project.DefaultName"/>; an API key has its own role in its own project only; a signed-in account has the
/// administrator's (owner everywhere) or its membership's role.
/// </summary>
internal sealed class ProjectAccessHandler(ProjectAccessService access) : AuthorizationHandler<ProjectAccessRequirement>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, ProjectAccessRequirement requirement)
    {
        if (context.User.Identity?.IsAuthenticated != true)
        {
            return;
        }
        var http = context.Resource as HttpContext;
        var project = http?.GetRouteValue("project") as string ?? Project.DefaultName;
        var permission = requirement.Permission ?? NeededBy(http);
        var role = await RoleAsync(context, project, http?.RequestAborted ?? default).ConfigureAwait(false);
        if (role is not { } r)
        {
            // Not a member looks the same as no such project: a guessed name learns nothing.
            context.Fail(new ProjectAccessFailure(this, "not-found", $"Project '{project}' was not found."));
        }
        else if (ProjectRoles.Allows(r, permission))
        {
            context.Succeed(requirement);
        }
        else
        {
            context.Fail(new ProjectAccessFailure(this, "permission-denied",
                $"This needs the {ProjectRoles.Least(permission).ToString().ToLowerInvariant()} role in project '{project}'; {(context.User.HasClaim(c => c.Type == ConsoleClaims.ApiKeyId) ? "this API key has" : "you have")} the {r.ToString().ToLowerInvariant()} role."));
        }
    }

    /// <summary>On the API a write needs <see cref="ProjectPermission.Edit"/>; everything else (reads, pages, the circuit) needs read.</summary>
    private static ProjectPermission NeededBy(HttpContext? http) =>
        http is not null && ApiPaths.IsApi(http.Request.Path) && !HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method)
            ? ProjectPermission.Edit
            : ProjectPermission.Read;

    private async Task<ProjectRole?> RoleAsync(AuthorizationHandlerContext context, string project, CancellationToken cancellationToken)
    {
        if (context.User.FindFirst(ConsoleClaims.KeyProject) is { } keyProject)
        {
            return keyProject.Value == project && Enum.TryParse<ProjectRole>(context.User.FindFirst(ConsoleClaims.KeyRole)?.Value, out var keyRole) ? keyRole : null;
        }
        if (context.User.IsAdministrator())
        {
            return await access.ProjectExistsAsync(project, cancellationToken).ConfigureAwait(false) ? ProjectRole.Owner : null;
        }
        var userId = context.User.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value;
        if (userId is null)
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
}

/// <summary>Which paths are the API (refused with an error body) rather than pages (sent to the sign-in page).</summary>
public static class ApiPaths
{
    private static readonly string[] Prefixes = ["/api", "/v1", "/v1beta2", "/hubs", "/openapi", "/metrics"];

    /// <summary>True for the REST APIs, the console's hub, the OpenAPI document and the metrics.</summary>
    public static bool IsApi(PathString path) =>
        Prefixes.Any(prefix => path.StartsWithSegments(prefix, StringComparison.OrdinalIgnoreCase));
}
