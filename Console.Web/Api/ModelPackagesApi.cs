using Microsoft.AspNetCore.Http.HttpResults;
using VisionConsole.Domain;
using VisionConsole.Domain.Models;
using VisionConsole.Trainer.Export;

namespace VisionConsole.Web.Api;

/// <summary>
/// Publishing and downloading model versions:
/// <list type="bullet">
/// <item><c>GET /api/models/{modelId}/versions</c>: the versions with their tags.</item>
/// <item><c>GET /api/models/{modelId}/versions/{number}/package.zip</c>: the download zip (<c>model.onnx</c>, <c>dict.txt</c>,
/// <c>manifest.json</c>, <c>tfjs/</c>).</item>
/// <item><c>POST /api/models/{modelId}/versions/{number}/tags</c> with <c>{"tags":["published","production"],"displayName":"..."}</c>:
/// tags the version (and renames the model); the tag <c>published</c> publishes it.</item>
/// <item><c>DELETE /api/models/{modelId}/versions/{number}/tags/{tag}</c>: removes a tag.</item>
/// <item><c>GET /api/published/{modelName}/latest/model.zip</c> and <c>.../latest/manifest.json</c>: the stable URLs of the
/// highest version tagged <c>published</c> of the model with that name, for apps to fetch.</item>
/// </list>
/// </summary>
public static class ModelPackagesApi
{
    /// <summary>Body of <c>POST .../tags</c>.</summary>
    /// <param name="Tags">Tags to add; each 1-32 letters, digits, '-' or '_'.</param>
    /// <param name="DisplayName">A new name for the model (the name its stable URL uses), when given.</param>
    public sealed record TagRequest(IReadOnlyList<string>? Tags, string? DisplayName);

    public static IEndpointRouteBuilder MapModelPackagesApi(this IEndpointRouteBuilder endpoints)
    {
        var models = endpoints.MapGroup("/api/models/{modelId:long}/versions").WithTags("Model packages")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        models.MapGet("/", ListVersionsAsync);
        models.MapGet("/{number:int}/package.zip", PackageAsync);
        models.MapPost("/{number:int}/tags", TagAsync).DisableAntiforgery();
        models.MapDelete("/{number:int}/tags/{tag}", RemoveTagAsync).DisableAntiforgery();

        var published = endpoints.MapGroup("/api/published/{modelName}/latest").WithTags("Model packages")
            .ProducesProblem(StatusCodes.Status404NotFound);
        published.MapGet("/model.zip", LatestPackageAsync);
        published.MapGet("/manifest.json", LatestManifestAsync);
        return endpoints;
    }

    /// <summary>The browser's download URL of a version's zip.</summary>
    public static string PackageUrl(long modelId, int number) => $"api/models/{modelId}/versions/{number}/package.zip";

    /// <summary>The stable URL of a published model name's latest zip.</summary>
    public static string LatestPackageUrl(string modelName) => $"api/published/{Uri.EscapeDataString(modelName)}/latest/model.zip";

    private static async Task<Ok<IReadOnlyList<ModelVersionSummary>>> ListVersionsAsync(long modelId, IModelPublishing publishing, CancellationToken cancellationToken) =>
        TypedResults.Ok(await publishing.ListVersionsAsync(modelId, cancellationToken));

    private static async Task<FileStreamHttpResult> PackageAsync(
        long modelId, int number, IModelService models, IModelPublishing publishing, ModelPackageBuilder packages, CancellationToken cancellationToken)
    {
        var model = await models.GetAsync(modelId, cancellationToken);
        var version = await publishing.GetVersionAsync(modelId, number, cancellationToken);
        return await ZipAsync(model.DisplayName, version, packages, cancellationToken);
    }

    private static async Task<Ok<ModelVersionSummary>> TagAsync(
        long modelId, int number, TagRequest request, IModelPublishing publishing, ICurrentUser user, CancellationToken cancellationToken) =>
        TypedResults.Ok(await publishing.TagVersionAsync(modelId, number, request.Tags ?? [], request.DisplayName, user.Name, cancellationToken));

    private static async Task<Ok<ModelVersionSummary>> RemoveTagAsync(
        long modelId, int number, string tag, IModelPublishing publishing, ICurrentUser user, CancellationToken cancellationToken) =>
        TypedResults.Ok(await publishing.RemoveTagAsync(modelId, number, tag, user.Name, cancellationToken));

    private static async Task<FileStreamHttpResult> LatestPackageAsync(
        string modelName, IModelPublishing publishing, ModelPackageBuilder packages, HttpResponse response, CancellationToken cancellationToken)
    {
        var latest = await publishing.FindLatestPublishedAsync(modelName, cancellationToken);
        // The URL is stable, its content is not: every publish may change it.
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Model-Version"] = latest.Version.Number.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return await ZipAsync(latest.ModelName, latest.Version, packages, cancellationToken);
    }

    private static async Task<FileContentHttpResult> LatestManifestAsync(
        string modelName, IModelPublishing publishing, ModelPackageBuilder packages, HttpResponse response, CancellationToken cancellationToken)
    {
        var latest = await publishing.FindLatestPublishedAsync(modelName, cancellationToken);
        var zipPath = await packages.GetPackageAsync(latest.Version.Folder, latest.Version.Training, cancellationToken);
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Model-Version"] = latest.Version.Number.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Bytes(ModelPackageBuilder.ReadManifest(zipPath), "application/json");
    }

    private static async Task<FileStreamHttpResult> ZipAsync(string modelName, ModelVersionSummary version, ModelPackageBuilder packages, CancellationToken cancellationToken)
    {
        var zipPath = await packages.GetPackageAsync(version.Folder, version.Training, cancellationToken);
        var safeName = new string(modelName.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '-').ToArray()).Trim('-');
        var fileName = $"{(safeName.Length == 0 ? "model" : safeName)}-v{version.Number}.zip";
        return TypedResults.Stream(File.OpenRead(zipPath), "application/zip", fileName);
    }
}
