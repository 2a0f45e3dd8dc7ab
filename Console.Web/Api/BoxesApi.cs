using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;
using VisionConsole.Web.Accounts;
using VisionConsole.Domain.Projects;

namespace VisionConsole.Web.Api;

/// <summary>
/// An image's boxes (detection datasets): <c>/api/datasets/{id}/images/{imageId}/boxes</c>. Every write names the version it
/// was based on, in a <c>version</c> field or an <c>If-Match</c> header; a stale one is refused (409, or 412 for If-Match).
/// Answers carry the boxes' version as the ETag.
/// </summary>
public static class BoxesApi
{
    /// <summary>One box of a whole-image save: <c>id</c> names a box the image has (left out: a new box).</summary>
    public sealed record BoxBody(long? Id, long LabelId, double Left, double Top, double Width, double Height);

    /// <summary>Body of <c>PUT .../boxes</c>: the image's boxes as they should be, based on the boxes' <c>version</c>.</summary>
    public sealed record SaveBoxesRequest(long? Version, IReadOnlyList<BoxBody>? Boxes, bool NoObjects = false);

    /// <summary>Body of <c>POST .../boxes</c>; <c>version</c> (the boxes' version) is optional.</summary>
    public sealed record AddBoxRequest(long LabelId, double Left, double Top, double Width, double Height, long? Version);

    /// <summary>Body of <c>PATCH .../boxes/{boxId}</c>: the box's <c>version</c>, a new label and/or all four coordinates.</summary>
    public sealed record UpdateBoxRequest(long? Version, long? LabelId, double? Left, double? Top, double? Width, double? Height);

    /// <summary>Body of <c>PUT .../no-objects</c>.</summary>
    public sealed record NoObjectsRequest(bool NoObjects, long? Version);

    public static IEndpointRouteBuilder MapBoxesApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/datasets/{id:long}/images/{imageId:long}").WithTags("Boxes").InProjectOf(ProjectResource.Dataset, "id")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapGet("/boxes", GetAsync);
        group.MapPut("/boxes", SaveAsync).RequireAuthorization(ConsolePolicies.Label).ProducesProblem(StatusCodes.Status412PreconditionFailed);
        group.MapPost("/boxes", AddAsync).RequireAuthorization(ConsolePolicies.Label).ProducesProblem(StatusCodes.Status412PreconditionFailed);
        group.MapPatch("/boxes/{boxId:long}", UpdateAsync).RequireAuthorization(ConsolePolicies.Label).ProducesProblem(StatusCodes.Status412PreconditionFailed);
        group.MapDelete("/boxes/{boxId:long}", DeleteAsync).RequireAuthorization(ConsolePolicies.Label).ProducesProblem(StatusCodes.Status412PreconditionFailed);
        group.MapPut("/no-objects", SetNoObjectsAsync).RequireAuthorization(ConsolePolicies.Label).ProducesProblem(StatusCodes.Status412PreconditionFailed);
        return endpoints;
    }

    private static async Task<Ok<ImageBoxes>> GetAsync(long id, long imageId, IBoxLabeling boxes, HttpResponse response, CancellationToken cancellationToken) =>
        Tagged(response, await boxes.GetBoxesAsync(id, imageId, cancellationToken));

    private static async Task<Ok<ImageBoxes>> SaveAsync(long id, long imageId, SaveBoxesRequest request, IBoxLabeling boxes, ICurrentUser user, HttpContext http, CancellationToken cancellationToken)
    {
        var version = RequiredVersion(http.Request, request.Version, "the boxes' version this save is based on");
        var edits = (request.Boxes ?? []).Select(b => new BoxEdit(b.Id, b.LabelId, new BoxRect(b.Left, b.Top, b.Width, b.Height))).ToList();
        return Tagged(http.Response, await boxes.SaveBoxesAsync(id, imageId, version, edits, request.NoObjects, user.Name, cancellationToken));
    }

    private static async Task<Created<ImageBoxes>> AddAsync(long id, long imageId, AddBoxRequest request, IBoxLabeling boxes, ICurrentUser user, HttpContext http, CancellationToken cancellationToken)
    {
        var version = OptionalVersion(http.Request, request.Version);
        var added = await boxes.AddBoxAsync(id, imageId, request.LabelId, new BoxRect(request.Left, request.Top, request.Width, request.Height), version, user.Name, cancellationToken);
        http.Response.Headers.ETag = ETag(added.Image.Version);
        return TypedResults.Created($"/api/datasets/{id}/images/{imageId}/boxes/{added.BoxId}", added.Image);
    }

    private static async Task<Ok<ImageBoxes>> UpdateAsync(long id, long imageId, long boxId, UpdateBoxRequest request, IBoxLabeling boxes, ICurrentUser user, HttpContext http, CancellationToken cancellationToken)
    {
        var version = RequiredVersion(http.Request, request.Version, $"box {boxId}'s version this change is based on");
        var coordinates = new[] { request.Left, request.Top, request.Width, request.Height };
        BoxRect? rect = coordinates.All(c => c is null) ? null
            : coordinates.Any(c => c is null) ? throw new DomainException("invalid-box", "Send all four of left, top, width and height to move or resize a box, or none to keep it where it is.")
            : new BoxRect(request.Left!.Value, request.Top!.Value, request.Width!.Value, request.Height!.Value);
        if (rect is null && request.LabelId is null)
        {
            throw new DomainException("invalid-argument", $"Send a labelId and/or left, top, width and height to change box {boxId}.");
        }
        return Tagged(http.Response, await boxes.UpdateBoxAsync(id, imageId, boxId, version, request.LabelId, rect, user.Name, cancellationToken));
    }

    private static async Task<Ok<ImageBoxes>> DeleteAsync(long id, long imageId, long boxId, long? version, IBoxLabeling boxes, ICurrentUser user, HttpContext http, CancellationToken cancellationToken)
    {
        var expected = RequiredVersion(http.Request, version, $"box {boxId}'s version ('?version=' or If-Match)");
        return Tagged(http.Response, await boxes.DeleteBoxAsync(id, imageId, boxId, expected, user.Name, cancellationToken));
    }

    private static async Task<Ok<ImageBoxes>> SetNoObjectsAsync(long id, long imageId, NoObjectsRequest request, IBoxLabeling boxes, ICurrentUser user, HttpContext http, CancellationToken cancellationToken)
    {
        var version = RequiredVersion(http.Request, request.Version, "the boxes' version this change is based on");
        return Tagged(http.Response, await boxes.SetNoObjectsAsync(id, imageId, request.NoObjects, version, user.Name, cancellationToken));
    }

    private static Ok<ImageBoxes> Tagged(HttpResponse response, ImageBoxes boxes)
    {
        response.Headers.ETag = ETag(boxes.Version);
        return TypedResults.Ok(boxes);
    }

    private static string ETag(long version) => $"\"{version.ToString(CultureInfo.InvariantCulture)}\"";

    private static long RequiredVersion(HttpRequest request, long? bodyVersion, string what) =>
        OptionalVersion(request, bodyVersion)
            ?? throw new DomainException("invalid-argument", $"Send {what}: a 'version' field or an If-Match header, so a write based on stale boxes is refused instead of overwriting someone's work.");

    /// <summary>The version from <c>If-Match</c> (<c>"3"</c> or <c>W/"3"</c>) or the body; both given must agree.</summary>
    private static long? OptionalVersion(HttpRequest request, long? bodyVersion)
    {
        var header = request.Headers.IfMatch.ToString();
        if (string.IsNullOrWhiteSpace(header))
        {
            return bodyVersion;
        }
        var text = header.Trim();
        text = text.StartsWith("W/", StringComparison.Ordinal) ? text[2..] : text;
        if (!long.TryParse(text.Trim('"'), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
        {
            throw new DomainException("invalid-argument", $"If-Match '{header}' is not a version this API gave out (an ETag such as \"3\").");
        }
        if (bodyVersion is { } body && body != version)
        {
            throw new DomainException("invalid-argument", $"If-Match says version {version} and the body says {body}; send one.");
        }
        return version;
    }
}
