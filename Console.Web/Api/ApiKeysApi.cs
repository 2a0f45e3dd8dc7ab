using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using VisionConsole.Domain.Accounts;
using VisionConsole.Web.Accounts;

namespace VisionConsole.Web.Api;

/// <summary>
/// A project's API keys (owners only): <c>GET /api/projects/{project}/api-keys</c> lists them (never a secret),
/// <c>POST</c> creates one and answers its secret, the only time it is shown, <c>DELETE .../{id}</c> revokes one.
/// </summary>
public static class ApiKeysApi
{
    public static IEndpointRouteBuilder MapApiKeysApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/projects/{project}/api-keys").WithTags("API keys").RequireAuthorization(ConsolePolicies.Manage)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("", ListAsync);
        group.MapPost("", CreateAsync).ProducesProblem(StatusCodes.Status400BadRequest);
        group.MapDelete("/{id:long}", RevokeAsync).ProducesProblem(StatusCodes.Status409Conflict);
        return endpoints;
    }

    private static async Task<Ok<IReadOnlyList<ApiKeySummary>>> ListAsync(string project, ApiKeyService keys, CancellationToken cancellationToken) =>
        TypedResults.Ok(await keys.ListAsync(project, cancellationToken));

    private static async Task<Created<CreatedApiKey>> CreateAsync(string project, CreateApiKeyRequest request, ClaimsPrincipal user, ApiKeyService keys, CancellationToken cancellationToken)
    {
        var created = await keys.CreateAsync(project, request.Name, ProjectRoles.Parse(request.Role), AccountIdOf(user), cancellationToken);
        return TypedResults.Created($"/api/projects/{project}/api-keys/{created.Key.Id}", created);
    }

    private static async Task<Ok<ApiKeySummary>> RevokeAsync(string project, long id, ApiKeyService keys, VisionConsole.Domain.ICurrentUser current, CancellationToken cancellationToken) =>
        TypedResults.Ok(await keys.RevokeAsync(project, id, current.Name, cancellationToken));

    /// <summary>The account a new key acts as: the caller's (a key made with a key acts as the same account).</summary>
    private static string AccountIdOf(ClaimsPrincipal user) =>
        user.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new VisionConsole.Domain.DomainException("invalid-account", "This request has no account to create a key for.");

    /// <summary>What to call a new key and what it may do.</summary>
    /// <param name="Name">What the key is for, for example <c>ci</c> or <c>android app</c>.</param>
    /// <param name="Role"><c>viewer</c>, <c>labeler</c>, <c>reviewer</c>, <c>editor</c> or <c>owner</c>.</param>
    public sealed record CreateApiKeyRequest(string Name, string Role);
}
