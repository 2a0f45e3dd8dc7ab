using Microsoft.AspNetCore.Authorization;
using VisionConsole.Domain;
using VisionConsole.Domain.Accounts;
using VisionConsole.Domain.Projects;

namespace VisionConsole.Web.Accounts;

/// <summary>
/// The console's authorization policies: one per <see cref="ProjectPermission"/>, and the fallback every endpoint without
/// a policy of its own gets (signed in; on the API, reads need <see cref="ProjectPermission.Read"/> and writes
/// <see cref="ProjectPermission.Edit"/>; a page needs a signed-in account and shows what its project's role allows).
/// </summary>
public static class ConsolePolicies
{
    public const string Read = "project:read";
    public const string Label = "project:label";
    public const string Review = "project:review";
    public const string Edit = "project:edit";
    public const string Manage = "project:manage";

    /// <summary>Any signed-in account or API key; what it may then do is decided per call (the hub's methods).</summary>
    public const string SignedIn = "signed-in";

    /// <summary>Adds the policies, the fallback, and the handler that decides them.</summary>
    public static IServiceCollection AddConsolePolicies(this IServiceCollection services)
    {
        services.AddSingleton<ProjectRoleResolver>();
        services.AddSingleton<IAuthorizationHandler, ProjectAccessHandler>();
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(Policy(permission: null))
            .AddPolicy(Read, Policy(ProjectPermission.Read))
            .AddPolicy(Label, Policy(ProjectPermission.Label))
            .AddPolicy(Review, Policy(ProjectPermission.Review))
            .AddPolicy(Edit, Policy(ProjectPermission.Edit))
            .AddPolicy(Manage, Policy(ProjectPermission.Manage))
            .AddPolicy(SignedIn, new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
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
/// Decides <see cref="ProjectAccessRequirement"/>. The project is, in this order: that of the resource the endpoint's
/// <see cref="InProjectOfAttribute"/> names (which must also be the route's <c>{project}</c> when there is one), the
/// route's <c>{project}</c> (AutoML and Firebase paths), the <c>project</c> query parameter, else
/// <see cref="Project.DefaultName"/>. A page in a circuit is decided by the <see cref="PageProjectAccess"/> the router
/// resolved. A page request needs only a signed-in account: the page shows what its project lets the account see.
/// </summary>
internal sealed class ProjectAccessHandler(ProjectRoleResolver roles) : AuthorizationHandler<ProjectAccessRequirement>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, ProjectAccessRequirement requirement)
    {
        if (context.User.Identity?.IsAuthenticated != true)
        {
            return;
        }
        ProjectAccess access;
        ProjectPermission permission;
        if (context.Resource is PageProjectAccess page)
        {
            if (requirement.Permission is null)
            {
                context.Succeed(requirement);
                return;
            }
            access = page.Access;
            permission = requirement.Permission.Value;
        }
        else
        {
            var http = context.Resource as HttpContext;
            if (requirement.Permission is null && (http is null || !ApiPaths.IsApi(http.Request.Path)))
            {
                context.Succeed(requirement);
                return;
            }
            permission = requirement.Permission ?? NeededBy(http);
            access = http is null
                ? new ProjectAccess(Project.DefaultName, await roles.RoleInAsync(context.User, Project.DefaultName, default).ConfigureAwait(false))
                : await roles.ResolveAsync(context.User, http, http.RequestAborted).ConfigureAwait(false);
        }
        if (access.Role is not { } r)
        {
            // Not a member looks the same as no such project or resource: a guessed name or id learns nothing.
            context.Fail(new ProjectAccessFailure(this, "not-found", access.NotFound));
        }
        else if (ProjectRoles.Allows(r, permission) && access.Missing is not null)
        {
            context.Fail(new ProjectAccessFailure(this, "not-found", access.NotFound));
        }
        else if (ProjectRoles.Allows(r, permission))
        {
            context.Succeed(requirement);
        }
        else
        {
            context.Fail(new ProjectAccessFailure(this, "permission-denied",
                $"This needs the {ProjectRoles.Least(permission).ToString().ToLowerInvariant()} role in project '{access.Project}'; {(context.User.HasClaim(c => c.Type == ConsoleClaims.ApiKeyId) ? "this API key has" : "you have")} the {r.ToString().ToLowerInvariant()} role."));
        }
    }

    /// <summary>On the API a write needs <see cref="ProjectPermission.Edit"/>; everything else (reads, pages, the circuit) needs read.</summary>
    private static ProjectPermission NeededBy(HttpContext? http) =>
        http is not null && ApiPaths.IsApi(http.Request.Path) && !HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method)
            ? ProjectPermission.Edit
            : ProjectPermission.Read;
}

/// <summary>Which paths are the API (refused with an error body) rather than pages (sent to the sign-in page).</summary>
public static class ApiPaths
{
    private static readonly string[] Prefixes = ["/api", "/v1", "/v1beta2", "/hubs", "/openapi", "/metrics"];

    /// <summary>True for the REST APIs, the console's hub, the OpenAPI document and the metrics.</summary>
    public static bool IsApi(PathString path) =>
        Prefixes.Any(prefix => path.StartsWithSegments(prefix, StringComparison.OrdinalIgnoreCase));
}
