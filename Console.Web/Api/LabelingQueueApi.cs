using Microsoft.AspNetCore.Http.HttpResults;
using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;
using VisionConsole.Web.Accounts;
using VisionConsole.Domain.Projects;

namespace VisionConsole.Web.Api;

/// <summary>
/// A dataset's labeling queue and review: <c>POST /api/datasets/{id}/queue:next</c> hands the caller an image to label
/// under a lease (204 when none is left; <c>?skip=</c> an image gives it back and passes over it), <c>.../queue/{imageId}:renew</c> and <c>:release</c> keep or give it back;
/// <c>POST .../review:next</c> answers the next image waiting for a review, <c>POST .../images/{imageId}:review</c>
/// accepts or rejects it; <c>GET .../labeling-progress</c> counts images per state and per person.
/// </summary>
public static class LabelingQueueApi
{
    public static IEndpointRouteBuilder MapLabelingQueueApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/datasets/{id:long}").WithTags("Labeling queue").InProjectOf(ProjectResource.Dataset, "id")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/queue:next", NextAsync).RequireAuthorization(ConsolePolicies.Label);
        group.MapPost("/queue/{imageId:long}:renew", RenewAsync).RequireAuthorization(ConsolePolicies.Label).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/queue/{imageId:long}:release", ReleaseAsync).RequireAuthorization(ConsolePolicies.Label);
        group.MapPost("/review:next", NextForReviewAsync).RequireAuthorization(ConsolePolicies.Review);
        group.MapPost("/images/{imageId:long}:review", ReviewAsync).RequireAuthorization(ConsolePolicies.Review)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapGet("/labeling-progress", ProgressAsync).RequireAuthorization(ConsolePolicies.Read);
        return endpoints;
    }

    private static async Task<Results<Ok<QueueItem>, NoContent>> NextAsync(long id, LabelingQueue queue, ICurrentUser user, long? skip, CancellationToken cancellationToken) =>
        await queue.NextAsync(id, user.Name, skip, cancellationToken) is { } item ? TypedResults.Ok(item) : TypedResults.NoContent();

    private static async Task<Ok<LeaseRenewal>> RenewAsync(long id, long imageId, LabelingQueue queue, ICurrentUser user, CancellationToken cancellationToken) =>
        TypedResults.Ok(new LeaseRenewal(imageId, await queue.RenewAsync(id, imageId, user.Name, cancellationToken)));

    private static async Task<NoContent> ReleaseAsync(long id, long imageId, LabelingQueue queue, ICurrentUser user, CancellationToken cancellationToken)
    {
        await queue.ReleaseAsync(id, imageId, user.Name, cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<ReviewItem>, NoContent>> NextForReviewAsync(long id, LabelingQueue queue, long? after, CancellationToken cancellationToken) =>
        await queue.NextForReviewAsync(id, after ?? 0, cancellationToken) is { } item ? TypedResults.Ok(item) : TypedResults.NoContent();

    private static async Task<Ok<ReviewResult>> ReviewAsync(long id, long imageId, ReviewRequest request, LabelingQueue queue, ICurrentUser user, CancellationToken cancellationToken) =>
        TypedResults.Ok(await queue.ReviewAsync(id, imageId, request.Accept, request.Comment, request.Version, user.Name, cancellationToken));

    private static async Task<Ok<LabelingProgress>> ProgressAsync(long id, LabelingQueue queue, CancellationToken cancellationToken) =>
        TypedResults.Ok(await queue.ProgressAsync(id, cancellationToken));

    /// <summary>A renewed hold on an image.</summary>
    /// <param name="ImageId">The image held.</param>
    /// <param name="ExpiresAt">When it lapses unless renewed again.</param>
    public sealed record LeaseRenewal(long ImageId, DateTimeOffset ExpiresAt);

    /// <summary>A reviewer's verdict on an image's labels.</summary>
    /// <param name="Accept">True to accept the labels, false to reject them.</param>
    /// <param name="Comment">What to fix (needed to reject).</param>
    /// <param name="Version">The image version the reviewer looked at; a newer one is refused with 409.</param>
    public sealed record ReviewRequest(bool Accept, string? Comment, long Version);
}
