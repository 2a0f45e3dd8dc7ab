using Microsoft.AspNetCore.Http.HttpResults;
using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;
using VisionConsole.Web.Accounts;
using VisionConsole.Domain.Projects;

namespace VisionConsole.Web.Api;

/// <summary>
/// Model-assisted labeling: <c>POST /api/datasets/{id}/label-suggestions</c> scores a page of the dataset's unlabeled
/// images with a classification model and answers its best label for each; <c>POST .../label-suggestions:accept</c>
/// labels the accepted ones (audited with the model named).
/// </summary>
public static class LabelSuggestionsApi
{
    public static IEndpointRouteBuilder MapLabelSuggestionsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/datasets/{id:long}").WithTags("Label suggestions").InProjectOf(ProjectResource.Dataset, "id").RequireAuthorization(ConsolePolicies.Label)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/label-suggestions", SuggestAsync);
        group.MapPost("/label-suggestions:accept", AcceptAsync).ProducesProblem(StatusCodes.Status409Conflict);
        return endpoints;
    }

    private static async Task<Ok<LabelSuggestionPage>> SuggestAsync(long id, SuggestRequest request, LabelSuggestions suggestions, CancellationToken cancellationToken) =>
        TypedResults.Ok(await suggestions.SuggestAsync(id, request.ModelId, request.Skip ?? 0, request.Take ?? 50, cancellationToken));

    private static async Task<Ok<AcceptResult>> AcceptAsync(long id, AcceptRequest request, LabelSuggestions suggestions, ICurrentUser user, CancellationToken cancellationToken) =>
        TypedResults.Ok(new AcceptResult(await suggestions.AcceptAsync(id, request.ModelId, request.Items, user.Name, cancellationToken)));

    /// <summary>Which model suggests, and which page of unlabeled images (oldest first).</summary>
    /// <param name="ModelId">A classification model.</param>
    /// <param name="Skip">Unlabeled images to pass over.</param>
    /// <param name="Take">Images to score, at most 100 (50 by default).</param>
    public sealed record SuggestRequest(long ModelId, int? Skip, int? Take);

    /// <summary>The suggestions a person accepts, each with the image version it was made for.</summary>
    /// <param name="ModelId">The model that suggested them (named in the audit).</param>
    /// <param name="Items">Image, label and version of each.</param>
    public sealed record AcceptRequest(long ModelId, IReadOnlyList<AcceptedSuggestion> Items);

    /// <summary>How many images got their label.</summary>
    public sealed record AcceptResult(int Changed);
}
