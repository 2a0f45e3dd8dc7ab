using Microsoft.AspNetCore.Http.HttpResults;
using VisionConsole.Domain;
using VisionConsole.Domain.Operations;
using VisionConsole.Domain.Projects;
using VisionConsole.Web.Accounts;

namespace VisionConsole.Web.Api;

/// <summary>
/// Long-running operations in the AutoML v1 shape: <c>/v1/projects/{project}/locations/{location}/operations</c>,
/// <c>.../operations/{id}</c>, <c>POST .../operations/{id}:cancel</c> and <c>POST .../operations/{id}:wait</c>: the
/// operations on the datasets (and their models) of project <c>{project}</c>; any location.
/// </summary>
public static class OperationsApi
{
    /// <summary>The longest a <c>:wait</c> holds the request, and its default.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromMinutes(2);

    /// <summary>Body of <c>:wait</c>: <c>timeout</c> as a protobuf Duration (<c>"30s"</c>, <c>"1.5s"</c>).</summary>
    public sealed record WaitOperationBody(string? Timeout);

    public static IEndpointRouteBuilder MapOperationsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/v1/projects/{project}/locations/{location}/operations").WithTags("Operations")
            .ProducesGoogleError(400)
            .ProducesGoogleError(404);
        group.MapGet("/", ListAsync);
        group = group.MapGroup("").InProjectOf(ProjectResource.Operation, "id");
        group.MapGet("/{id:long}", GetAsync);
        group.MapPost("/{id:long}:cancel", CancelAsync).ProducesGoogleError(409).DisableAntiforgery();
        group.MapPost("/{id:long}:wait", WaitAsync).RequireAuthorization(ConsolePolicies.Read).DisableAntiforgery();
        group.MapDelete("/{id:long}", DeleteAsync).ProducesGoogleError(409);
        return endpoints;
    }

    /// <summary>google.longrunning's DeleteOperation: the finished operation is forgotten (answers Empty, <c>{}</c>).</summary>
    private static async Task<Ok<Dictionary<string, object>>> DeleteAsync(long id, IOperationService operations, ICurrentUser user, CancellationToken cancellationToken)
    {
        await operations.DeleteAsync(id, user.Name, cancellationToken);
        return TypedResults.Ok(new Dictionary<string, object>());
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
        var list = await operations.ListAsync(new OperationQuery(doneFilter, datasetId, pageSize ?? 100, Project: project), cancellationToken);
        return TypedResults.Ok(new OperationList(list.Select(o => AutoMlOperation.From(project, location, o)).ToList(), string.Empty));
    }

    private static async Task<Ok<AutoMlOperation>> GetAsync(string project, string location, long id, IOperationService operations, CancellationToken cancellationToken) =>
        TypedResults.Ok(AutoMlOperation.From(project, location, await operations.GetAsync(id, cancellationToken)));

    /// <summary>One cancel for every kind: a queued import's upload is deleted by its job's hook.</summary>
    private static async Task<Ok<AutoMlOperation>> CancelAsync(
        string project, string location, long id, IOperationService operations, ICurrentUser user, CancellationToken cancellationToken) =>
        TypedResults.Ok(AutoMlOperation.From(project, location, await operations.CancelAsync(id, user.Name, cancellationToken)));

    /// <summary>
    /// google.longrunning's <c>WaitOperation</c>: answers as soon as the operation is done, or when the timeout (at most
    /// and by default <see cref="MaxWait"/>) passes first, with the operation as it is then.
    /// </summary>
    private static async Task<Ok<AutoMlOperation>> WaitAsync(
        string project, string location, long id, WaitOperationBody? body, IOperationService operations, IOperationNotifier notifier, CancellationToken cancellationToken)
    {
        var timeout = ParseTimeout(body?.Timeout);
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // Subscribed before reading, so a finish between the read and the wait is not missed.
        using (notifier.Subscribe(update =>
        {
            if (update.Operation.Id == id && update.Operation.Done)
            {
                finished.TrySetResult();
            }
        }))
        {
            if (!(await operations.GetAsync(id, cancellationToken)).Done)
            {
                try
                {
                    await finished.Task.WaitAsync(timeout, cancellationToken);
                }
                catch (TimeoutException)
                {
                    // Not done in time: the operation as it is, as Google answers.
                }
            }
        }
        return TypedResults.Ok(AutoMlOperation.From(project, location, await operations.GetAsync(id, cancellationToken)));
    }

    /// <summary>A protobuf Duration in JSON (<c>"30s"</c>, <c>"0.5s"</c>); none means <see cref="MaxWait"/>; more is refused.</summary>
    internal static TimeSpan ParseTimeout(string? timeout)
    {
        if (string.IsNullOrWhiteSpace(timeout))
        {
            return MaxWait;
        }
        var text = timeout.Trim();
        if (!text.EndsWith('s') || !double.TryParse(text[..^1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            || seconds < 0 || seconds > MaxWait.TotalSeconds)
        {
            throw new DomainException("invalid-argument", $"timeout '{timeout}' is not a duration of 0 to {MaxWait.TotalSeconds:0} seconds such as \"30s\".");
        }
        return TimeSpan.FromSeconds(seconds);
    }

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
