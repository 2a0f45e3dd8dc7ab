using Microsoft.AspNetCore.Http.HttpResults;
using VisionConsole.Domain;
using VisionConsole.Domain.Operations;
using VisionConsole.Domain.Training;

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
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/", ListAsync);
        group.MapGet("/{id:long}", GetAsync);
        group.MapPost("/{id:long}:cancel", CancelAsync).ProducesProblem(StatusCodes.Status409Conflict).DisableAntiforgery();
        return endpoints;
    }

    /// <summary>
    /// <c>?filter=done=true</c> (AutoML's filter syntax; <c>done = false</c> with spaces too) or <c>?done=true</c>;
    /// <c>pageSize</c> caps the list (newest first).
    /// </summary>
    private static async Task<Ok<OperationList>> ListAsync(
        string project, string location, string? filter, bool? done, int? pageSize, long? datasetId,
        ITrainingService training, CancellationToken cancellationToken)
    {
        var doneFilter = done ?? ParseFilter(filter);
        var operations = await training.ListOperationsAsync(new OperationQuery(doneFilter, datasetId, pageSize ?? 100), cancellationToken);
        return TypedResults.Ok(new OperationList(operations.Select(o => Render(o, project, location)).ToList(), string.Empty));
    }

    private static async Task<Ok<object>> GetAsync(string project, string location, long id, ITrainingService training, CancellationToken cancellationToken) =>
        TypedResults.Ok(Render(await training.GetOperationAsync(id, cancellationToken), project, location));

    /// <summary>Import and export are cancelled by their own service, which also deletes a queued import's upload.</summary>
    private static async Task<Ok<object>> CancelAsync(
        string project, string location, long id, ITrainingService training, DataOperationService dataOperations, ICurrentUser user, CancellationToken cancellationToken)
    {
        var operation = await training.GetOperationAsync(id, cancellationToken);
        return operation.IsTraining
            ? TypedResults.Ok(Render(await training.CancelOperationAsync(id, user.Name, cancellationToken), project, location))
            : TypedResults.Ok<object>(AutoMlOperation.From(project, location, await dataOperations.CancelAsync(id, user.Name, cancellationToken)));
    }

    /// <summary>A training in the trainer's shape; an import or export in <see cref="AutoMlOperation"/>'s (counts, report, download).</summary>
    private static object Render(OperationSummary operation, string project, string location) =>
        operation.IsTraining ? AutoMl.Operation(operation, project, location) : AutoMlOperation.From(project, location, DataOperation.From(operation));

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
