using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Projects;
using VisionConsole.Web.Accounts;

namespace VisionConsole.Web.Api;

/// <summary>Datasets, their labels and images: <c>/api/datasets</c>.</summary>
public static class DatasetsApi
{
    /// <summary>Largest upload request accepted (several GB of images in one multipart body).</summary>
    public const long MaxUploadBytes = 16L * 1024 * 1024 * 1024;

    /// <summary>Body of <c>POST /api/datasets</c>.</summary>
    public sealed record CreateDatasetRequest(string DisplayName, DatasetKind Kind);

    /// <summary>Body of <c>POST /api/datasets/{id}/labels</c>.</summary>
    public sealed record AddLabelRequest(string Name);

    /// <summary>Body of <c>PUT /api/datasets/{id}/images/{imageId}/split</c>: the new split and the image version the client saw.</summary>
    public sealed record SetSplitRequest(string Split, long Version);

    /// <summary>Response of a split change: the image's new version.</summary>
    public sealed record SetSplitResponse(long ImageId, string Split, long Version);

    /// <summary>
    /// Body of <c>POST /api/datasets/{id}/images:labels</c>: label ids to add and remove on the images; optional
    /// <c>versions</c> (image id to the version the client saw) refuse the change with 409 when one is stale.
    /// </summary>
    public sealed record ChangeLabelsRequest(IReadOnlyList<long> ImageIds, IReadOnlyList<long>? Add, IReadOnlyList<long>? Remove, IReadOnlyDictionary<long, long>? Versions);

    /// <summary>Body of <c>PATCH /api/datasets/{id}/labels/{labelId}</c>: the new name.</summary>
    public sealed record RenameLabelRequest(string Name);

    /// <summary>Body of <c>POST /api/datasets/{id}/labels/{labelId}:merge</c>: the label that takes over every use.</summary>
    public sealed record MergeLabelRequest(long Into);

    /// <summary>Body of <c>POST /api/datasets/{id}/images:delete</c>.</summary>
    public sealed record DeleteImagesRequest(IReadOnlyList<long> ImageIds);

    /// <summary>Body of <c>POST /api/datasets/{id}/images:split</c>: the images and their new split.</summary>
    public sealed record SetSplitsRequest(IReadOnlyList<long> ImageIds, string Split);

    /// <summary>Response of <c>POST /api/datasets/{id}/images:split</c>.</summary>
    public sealed record SetSplitsResponse(int Changed);

    /// <summary>Body of <c>POST /api/datasets/{id}:resplit</c>; by default every image is split again.</summary>
    public sealed record ResplitRequest(bool OnlyUnassigned = false);

    public static IEndpointRouteBuilder MapDatasetsApi(this IEndpointRouteBuilder endpoints)
    {
        var root = endpoints.MapGroup("/api/datasets").WithTags("Datasets")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        root.MapGet("/", ListAsync);
        root.MapPost("/", CreateAsync);
        // Everything under a dataset's id is in the dataset's project.
        var group = root.MapGroup("").InProjectOf(ProjectResource.Dataset, "id");
        group.MapGet("/{id:long}", GetAsync);
        group.MapDelete("/{id:long}", DeleteAsync);
        group.MapGet("/{id:long}/labels", ListLabelsAsync);
        group.MapPost("/{id:long}/labels", AddLabelAsync).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapGet("/{id:long}/images", QueryImagesAsync);
        group.MapPost("/{id:long}/images", UploadAsync)
            .Accepts<IFormFileCollection>("multipart/form-data")
            // The body is streamed part by part (never buffered whole), so a large limit costs no memory.
            .WithMetadata(new RequestSizeLimitAttribute(MaxUploadBytes))
            .DisableAntiforgery();
        group.MapPut("/{id:long}/images/{imageId:long}/split", SetSplitAsync).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/{id:long}/images:labels", ChangeLabelsAsync).RequireAuthorization(ConsolePolicies.Label).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapGet("/{id:long}/labels/{labelId:long}", GetLabelUsageAsync);
        group.MapPatch("/{id:long}/labels/{labelId:long}", RenameLabelAsync).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/{id:long}/labels/{labelId:long}:merge", MergeLabelAsync);
        group.MapDelete("/{id:long}/labels/{labelId:long}", DeleteLabelAsync);
        group.MapDelete("/{id:long}/images/{imageId:long}", DeleteImageAsync);
        group.MapPost("/{id:long}/images:delete", DeleteImagesAsync).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapGet("/{id:long}/deletions/latest", GetLastDeletionAsync);
        group.MapPost("/{id:long}/deletions/{batch}:undo", UndoDeleteAsync).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/{id:long}/images:split", SetSplitsAsync).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/{id:long}:resplit", ResplitAsync).ProducesProblem(StatusCodes.Status409Conflict);
        return endpoints;
    }

    // The project is the ?project= query parameter (default: the default project), as the authorization handler reads it.
    private static async Task<Ok<IReadOnlyList<DatasetSummary>>> ListAsync(string? project, IDatasetService datasets, CancellationToken cancellationToken) =>
        TypedResults.Ok(await datasets.ListAsync(project ?? Project.DefaultName, cancellationToken));

    private static async Task<Ok<DatasetSummary>> GetAsync(long id, IDatasetService datasets, CancellationToken cancellationToken) =>
        TypedResults.Ok(await datasets.GetAsync(id, cancellationToken));

    private static async Task<Created<DatasetSummary>> CreateAsync(string? project, CreateDatasetRequest request, IDatasetService datasets, ICurrentUser user, CancellationToken cancellationToken)
    {
        var created = await datasets.CreateAsync(request.DisplayName, request.Kind, user.Name, project ?? Project.DefaultName, cancellationToken);
        return TypedResults.Created($"/api/datasets/{created.Id}", created);
    }

    private static async Task<NoContent> DeleteAsync(long id, IDatasetService datasets, ICurrentUser user, CancellationToken cancellationToken)
    {
        await datasets.DeleteAsync(id, user.Name, cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<IReadOnlyList<LabelSummary>>> ListLabelsAsync(long id, IDatasetService datasets, CancellationToken cancellationToken) =>
        TypedResults.Ok(await datasets.ListLabelsAsync(id, cancellationToken));

    private static async Task<Created<LabelSummary>> AddLabelAsync(long id, AddLabelRequest request, IDatasetService datasets, ICurrentUser user, CancellationToken cancellationToken)
    {
        var label = await datasets.AddLabelAsync(id, request.Name, user.Name, cancellationToken);
        return TypedResults.Created($"/api/datasets/{id}/labels", label);
    }

    private static async Task<Ok<ImagePage>> QueryImagesAsync(
        long id, string? split, long? label, bool? unlabeled, string? search, int? skip, int? take,
        IDatasetService datasets, CancellationToken cancellationToken)
    {
        var query = new ImageQuery(
            split is null ? null : ParseSplit(split), label, unlabeled ?? false, search, skip ?? 0, take ?? 100);
        return TypedResults.Ok(await datasets.QueryImagesAsync(id, query, cancellationToken));
    }

    /// <summary>
    /// Reads the multipart body one part at a time and hands each file's stream to the intake, so a
    /// multi-GB upload never sits in memory. One result per part, in order; a bad file never stops the rest.
    /// </summary>
    private static async Task<Results<Ok<IReadOnlyList<IntakeResult>>, ProblemHttpResult>> UploadAsync(
        long id, HttpRequest request, IDatasetService datasets, IImageIntake intake, ICurrentUser user, CancellationToken cancellationToken)
    {
        await datasets.GetAsync(id, cancellationToken);
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
            || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value is not { Length: > 0 } boundary)
        {
            return UploadProblem(StatusCodes.Status415UnsupportedMediaType, $"Upload images as multipart/form-data with one file per part (got content type '{request.ContentType}').");
        }

        var reader = new MultipartReader(boundary, request.Body) { BodyLengthLimit = MaxUploadBytes };
        var results = new List<IntakeResult>();
        var partNumber = 0;
        for (var section = await reader.ReadNextSectionAsync(cancellationToken); section is not null; section = await reader.ReadNextSectionAsync(cancellationToken))
        {
            partNumber++;
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.IsFileDisposition())
            {
                var name = disposition is null ? null : HeaderUtilities.RemoveQuotes(disposition.Name).Value;
                results.Add(new IntakeResult(name ?? $"part {partNumber}", false, null, null, false, $"Part {partNumber} ('{name}') is not a file; send each image as a file part."));
                continue;
            }
            var fileName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value ?? $"part {partNumber}";
            results.Add(await intake.AddAsync(id, fileName, section.Body, user.Name, cancellationToken));
        }
        if (results.Count == 0)
        {
            return UploadProblem(StatusCodes.Status400BadRequest, "The upload had no parts; send each image as a file part of a multipart/form-data body.");
        }
        return TypedResults.Ok<IReadOnlyList<IntakeResult>>(results);
    }

    private static async Task<Ok<SetSplitResponse>> SetSplitAsync(long id, long imageId, SetSplitRequest request, IDatasetService datasets, ICurrentUser user, CancellationToken cancellationToken)
    {
        var split = ParseSplit(request.Split);
        var version = await datasets.SetSplitAsync(id, imageId, split, request.Version, user.Name, cancellationToken);
        return TypedResults.Ok(new SetSplitResponse(imageId, split.ToString(), version));
    }

    private static async Task<Ok<IReadOnlyList<ImageLabelState>>> ChangeLabelsAsync(long id, ChangeLabelsRequest request, IDatasetService datasets, ICurrentUser user, CancellationToken cancellationToken)
    {
        var change = new LabelChange(request.ImageIds ?? [], request.Add ?? [], request.Remove ?? [], request.Versions);
        return TypedResults.Ok(await datasets.ChangeLabelsAsync(id, change, user.Name, cancellationToken));
    }

    private static async Task<Ok<LabelUsage>> GetLabelUsageAsync(long id, long labelId, IDatasetEdits edits, CancellationToken cancellationToken) =>
        TypedResults.Ok(await edits.GetLabelUsageAsync(id, labelId, cancellationToken));

    private static async Task<Ok<LabelEditResult>> RenameLabelAsync(long id, long labelId, RenameLabelRequest request, IDatasetEdits edits, ICurrentUser user, CancellationToken cancellationToken) =>
        TypedResults.Ok(await edits.RenameLabelAsync(id, labelId, request.Name, user.Name, cancellationToken));

    private static async Task<Ok<LabelEditResult>> MergeLabelAsync(long id, long labelId, MergeLabelRequest request, IDatasetEdits edits, ICurrentUser user, CancellationToken cancellationToken) =>
        TypedResults.Ok(await edits.MergeLabelAsync(id, labelId, request.Into, user.Name, cancellationToken));

    private static async Task<Ok<LabelEditResult>> DeleteLabelAsync(long id, long labelId, IDatasetEdits edits, ICurrentUser user, CancellationToken cancellationToken) =>
        TypedResults.Ok(await edits.DeleteLabelAsync(id, labelId, user.Name, cancellationToken));

    private static async Task<Ok<ImageDeletion>> DeleteImageAsync(long id, long imageId, IDatasetEdits edits, ICurrentUser user, CancellationToken cancellationToken) =>
        TypedResults.Ok(await edits.DeleteImagesAsync(id, [imageId], user.Name, cancellationToken));

    private static async Task<Ok<ImageDeletion>> DeleteImagesAsync(long id, DeleteImagesRequest request, IDatasetEdits edits, ICurrentUser user, CancellationToken cancellationToken) =>
        TypedResults.Ok(await edits.DeleteImagesAsync(id, request.ImageIds ?? [], user.Name, cancellationToken));

    private static async Task<Results<Ok<ImageDeletion>, NoContent>> GetLastDeletionAsync(long id, IDatasetEdits edits, CancellationToken cancellationToken) =>
        await edits.GetLastDeletionAsync(id, cancellationToken) is { } deletion ? TypedResults.Ok(deletion) : TypedResults.NoContent();

    private static async Task<Ok<ImageRestore>> UndoDeleteAsync(long id, string batch, IDatasetEdits edits, ICurrentUser user, CancellationToken cancellationToken) =>
        TypedResults.Ok(await edits.UndoDeleteAsync(id, batch, user.Name, cancellationToken));

    private static async Task<Ok<SetSplitsResponse>> SetSplitsAsync(long id, SetSplitsRequest request, IDatasetEdits edits, ICurrentUser user, CancellationToken cancellationToken) =>
        TypedResults.Ok(new SetSplitsResponse(await edits.SetSplitsAsync(id, request.ImageIds ?? [], ParseSplit(request.Split), user.Name, cancellationToken)));

    private static async Task<Ok<ResplitResult>> ResplitAsync(long id, ResplitRequest? request, IDatasetEdits edits, ICurrentUser user, CancellationToken cancellationToken) =>
        TypedResults.Ok(await edits.ResplitAsync(id, request?.OnlyUnassigned ?? false, user.Name, cancellationToken));

    /// <summary>TRAIN, VALIDATION, TEST or UNASSIGNED, in any case (AutoML spells them in capitals).</summary>
    private static DataSplit ParseSplit(string value) =>
        !value.All(char.IsAsciiLetter) || !Enum.TryParse<DataSplit>(value, ignoreCase: true, out var split)
            ? throw new DomainException("invalid-split", $"Split '{value}' is not one of TRAIN, VALIDATION, TEST, UNASSIGNED.")
            : split;

    private static ProblemHttpResult UploadProblem(int status, string detail) =>
        TypedResults.Problem(detail, statusCode: status, title: "Invalid upload",
            extensions: new Dictionary<string, object?> { ["code"] = "invalid-upload" });
}
