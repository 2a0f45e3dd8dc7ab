using Microsoft.AspNetCore.Http.HttpResults;
using VisionConsole.Domain.Auditing;
using VisionConsole.Domain.Projects;
using VisionConsole.Web.Accounts;

namespace VisionConsole.Web.Api;

/// <summary>
/// Who changed what and when: <c>GET /api/datasets/{id}/audit</c> pages the events of a dataset, its labels and images,
/// <c>GET /api/datasets/{id}/images/{imageId}/audit</c> those of one image; newest first, <c>skip</c> and <c>take</c> page them.
/// </summary>
public static class AuditApi
{
    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/datasets/{id:long}").WithTags("Audit").InProjectOf(ProjectResource.Dataset, "id")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/audit", DatasetAsync);
        group.MapGet("/images/{imageId:long}/audit", ImageAsync);
        return endpoints;
    }

    private static async Task<Ok<AuditPage>> DatasetAsync(long id, AuditTrail trail, int? skip, int? take, CancellationToken cancellationToken) =>
        TypedResults.Ok(await trail.ForDatasetAsync(id, skip ?? 0, take ?? 50, cancellationToken));

    private static async Task<Ok<AuditPage>> ImageAsync(long id, long imageId, AuditTrail trail, int? skip, int? take, CancellationToken cancellationToken) =>
        TypedResults.Ok(await trail.ForImageAsync(id, imageId, skip ?? 0, take ?? 50, cancellationToken));
}
