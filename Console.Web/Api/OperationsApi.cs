using Microsoft.AspNetCore.Http.HttpResults;
using VisionConsole.Domain;
using VisionConsole.Domain.Operations;

namespace VisionConsole.Web.Api;

/// <summary>
/// Long-running operations in the AutoML v1 shape: <c>/v1/projects/{project}/locations/{location}/operations</c>,
/// <c>.../operations/{id}</c> and <c>POST .../operations/{id}:cancel</c>. Any project and location address the
/// default project.
/// </summary>
public static class OperationsApi
{
    public static IEndpointRouteBuilder MapOperationsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/v1/projects/{project}/locations/{location}/operations").WithTags("Operations")
            .ProducesGoogleError(400)
            .ProducesGoogleError(404);
        group.MapGet("/", ListAsync);
        group.MapGet("/{id:long}", GetAsync);
        group.MapPost("/{id:long}:cancel", CancelAsync).ProducesGoogleError(409).DisableAntiforgery();
        return endpoints;
    }

    /// <summary>
    /// <c>?filter=done=true</c> (AutoML's filter syntax; <c>done = false</c> with spaces too) or <c>?done=true</c>;
    /// <c>pageSize</c> caps the list (newest first).
    /// </summary>
    private static async Task<Ok<OperationList>> ListAsync(
        string project, string location, string? filter, bool? done, int? pageSize, long? datasetId,
        IOperationService operations, CancellationToken cancellationToken)
    {
        var doneFilter = done ?? ParseFilter(filter);
        var list = await operations.ListAsync(new OperationQuery(doneFilter, datasetId, pageSize ?? 100), cancellationToken);
        return TypedResults.Ok(new OperationList(list.Select(o => AutoMlOperation.From(project, location, o)).ToList(), string.Empty));
    }

    private static async Task<Ok<AutoMlOperation>> GetAsync(string project, string location, long id, IOperationService operations, CancellationToken cancellationToken) =>
        TypedResults.Ok(AutoMlOperation.From(project, location, await operations.GetAsync(id, cancellationToken)));

    /// <summary>One cancel for every kind: a queued import's upload is deleted by its job's hook.</summary>
    private static async Task<Ok<AutoMlOperation>> CancelAsync(
        string project, string location, long id, IOperationService operations, ICurrentUser user, CancellationToken cancellationToken) =>
        TypedResults.Ok(AutoMlOperation.From(project, location, await operations.CancelAsync(id, user.Name, cancellationToken)));

    /// <summary>Reads <c>done=true</c> / <c>done = false</c>; anything else is refused with the accepted forms.</summary>
    internal static bool? ParseFilter(string? filter)
    {
        if (string.IsNullOrWhiteSpace(filter))
        {
            return null;
        }
        var parts = filter.Split('=', 2, StringSplitOptions.TrimEntries);
        if (parts.Length == 2 && parts[0] == "done" && bool.TryParse(parts[1], out var value))
        {
            return value;
        }
        throw new DomainException("invalid-filter", $"Filter '{filter}' is not supported; use done=true or done=false.");
    }
}
