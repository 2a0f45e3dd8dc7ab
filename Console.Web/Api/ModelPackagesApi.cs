using Microsoft.AspNetCore.Http.HttpResults;
using VisionConsole.Domain;
using VisionConsole.Domain.Models;
using VisionConsole.Domain.Operations;
using VisionConsole.Trainer.Export;
using VisionConsole.Domain.Projects;
using VisionConsole.Web.Accounts;

namespace VisionConsole.Web.Api;

/// <summary>
/// Publishing and downloading model versions:
/// <list type="bullet">
/// <item><c>GET /api/models/{modelId}/versions</c>: the versions with their tags.</item>
/// <item><c>GET /api/models/{modelId}/versions/{number}/package.zip</c>: the download zip (<c>model.onnx</c>, <c>dict.txt</c>,
/// <c>manifest.json</c>, <c>tfjs/</c>, <c>model.tflite</c>); <c>?format=firebase</c>: the Firebase ML layout
/// (<c>model.tflite</c>, <c>dict.txt</c>, <c>manifest.json</c> naming <c>model.tflite</c>) only.</item>
/// <item><c>GET .../{number}/model.tflite</c> (<c>?variant=float32</c> for the float model), <c>.../model.onnx</c>,
/// <c>.../tfjs.zip</c>: one format each.</item>
/// <item><c>POST /api/models/{modelId}/versions/{number}/tags</c> with <c>{"tags":["published","production"],"displayName":"..."}</c>:
/// tags the version (and renames the model); the tag <c>published</c> publishes it.</item>
/// <item><c>DELETE /api/models/{modelId}/versions/{number}/tags/{tag}</c>: removes a tag.</item>
/// <item><c>GET /api/published/{modelName}/latest/model.zip</c>, <c>.../latest/model.tflite</c> and <c>.../latest/manifest.json</c>:
/// the stable URLs of the highest version tagged <c>published</c> of the model with that name, for apps to fetch; the files
/// carry their SHA-256 as <c>ETag</c>, and <c>If-None-Match</c> with it answers 304 while the file is unchanged.</item>
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
        var models = endpoints.MapGroup("/api/models/{modelId:long}/versions").WithTags("Model packages").InProjectOf(ProjectResource.Model, "modelId")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        models.MapGet("/", ListVersionsAsync);
        models.MapGet("/{number:int}/package.zip", PackageAsync).ProducesFile("application/zip");
        models.MapGet("/{number:int}/model.tflite", TfliteAsync).ProducesFile("application/octet-stream");
        models.MapGet("/{number:int}/model.onnx", (long modelId, int number, IModelService models, IModelPublishing publishing, ModelPackageBuilder packages, CancellationToken cancellationToken)
            => FileAsync(modelId, number, ModelFormat.Onnx, models, publishing, packages, cancellationToken)).ProducesFile("application/octet-stream");
        models.MapGet("/{number:int}/tfjs.zip", (long modelId, int number, IModelService models, IModelPublishing publishing, ModelPackageBuilder packages, CancellationToken cancellationToken)
            => FileAsync(modelId, number, ModelFormat.Tfjs, models, publishing, packages, cancellationToken)).ProducesFile("application/zip");
        models.MapPost("/{number:int}/tags", TagAsync).DisableAntiforgery();
        models.MapDelete("/{number:int}/tags/{tag}", RemoveTagAsync).DisableAntiforgery();

        endpoints.MapGet("/api/model-exports/{operationId:long}", ModelExportAsync).WithTags("Model packages").InProjectOf(ProjectResource.Operation, "operationId").ProducesFile("application/zip", "application/octet-stream").ProducesProblem(StatusCodes.Status404NotFound);

        var published = endpoints.MapGroup("/api/published/{modelName}/latest").WithTags("Model packages")
            .ProducesProblem(StatusCodes.Status404NotFound);
        published.MapGet("/model.zip", (string modelName, IModelPublishing publishing, ModelPackageBuilder packages, HttpResponse response, CancellationToken cancellationToken)
            => LatestFileAsync(modelName, ModelFormat.Package, publishing, packages, response, cancellationToken)).ProducesFile("application/zip");
        published.MapGet("/model.tflite", (string modelName, IModelPublishing publishing, ModelPackageBuilder packages, HttpResponse response, CancellationToken cancellationToken)
            => LatestFileAsync(modelName, ModelFormat.Tflite, publishing, packages, response, cancellationToken)).ProducesFile("application/octet-stream");
        published.MapGet("/manifest.json", LatestManifestAsync).ProducesFile("application/json");
        return endpoints;
    }

    /// <summary>The browser's download URL of a version's zip.</summary>
    public static string PackageUrl(long modelId, int number) => FileUrl(modelId, number, ModelFormat.Package);

    /// <summary>The browser's download URL of a version in one format.</summary>
    public static string FileUrl(long modelId, int number, ModelFormat format) => $"api/models/{modelId}/versions/{number}/" + format switch
    {
        ModelFormat.Tflite => "model.tflite",
        ModelFormat.TfliteFloat32 => "model.tflite?variant=float32",
        ModelFormat.Onnx => "model.onnx",
        ModelFormat.Tfjs => "tfjs.zip",
        ModelFormat.Firebase => "package.zip?format=firebase",
        _ => "package.zip",
    };

    /// <summary>The stable URL of a published model name's latest zip.</summary>
    public static string LatestPackageUrl(string modelName) => $"api/published/{Uri.EscapeDataString(modelName)}/latest/model.zip";

    private static async Task<Ok<IReadOnlyList<ModelVersionSummary>>> ListVersionsAsync(long modelId, IModelPublishing publishing, CancellationToken cancellationToken) =>
        TypedResults.Ok(await publishing.ListVersionsAsync(modelId, cancellationToken));

    private static Task<FileStreamHttpResult> PackageAsync(
        long modelId, int number, string? format, IModelService models, IModelPublishing publishing, ModelPackageBuilder packages, CancellationToken cancellationToken) =>
        FileAsync(modelId, number, format switch
        {
            null or "" or "full" => ModelFormat.Package,
            "firebase" => ModelFormat.Firebase,
            _ => throw new DomainException("invalid-argument", $"format '{format}' is not a package layout; use 'firebase' (model.tflite, dict.txt, manifest.json) or leave it out for the full zip."),
        }, models, publishing, packages, cancellationToken);

    private static Task<FileStreamHttpResult> TfliteAsync(
        long modelId, int number, string? variant, IModelService models, IModelPublishing publishing, ModelPackageBuilder packages, CancellationToken cancellationToken) =>
        FileAsync(modelId, number, variant switch
        {
            null or "" or "quantized" => ModelFormat.Tflite,
            "float32" => ModelFormat.TfliteFloat32,
            _ => throw new DomainException("invalid-argument", $"variant '{variant}' is not a TFLite variant; use 'quantized' (the default) or 'float32'."),
        }, models, publishing, packages, cancellationToken);

    private static async Task<FileStreamHttpResult> FileAsync(
        long modelId, int number, ModelFormat format, IModelService models, IModelPublishing publishing, ModelPackageBuilder packages, CancellationToken cancellationToken)
    {
        var model = await models.GetAsync(modelId, cancellationToken);
        var version = await publishing.GetVersionAsync(modelId, number, cancellationToken);
        var path = await packages.GetFileAsync(version.Folder, version.Training, format, cancellationToken);
        var (suffix, contentType) = format switch
        {
            ModelFormat.Tflite => (".tflite", "application/octet-stream"),
            ModelFormat.TfliteFloat32 => ("-float32.tflite", "application/octet-stream"),
            ModelFormat.Onnx => (".onnx", "application/octet-stream"),
            ModelFormat.Tfjs => ("-tfjs.zip", "application/zip"),
            ModelFormat.Firebase => ("-firebase.zip", "application/zip"),
            _ => (".zip", "application/zip"),
        };
        return TypedResults.Stream(File.OpenRead(path), contentType, DownloadName(model.DisplayName, version.Number) + suffix);
    }

    /// <summary>The file of a finished <c>models.export</c> operation.</summary>
    private static async Task<PhysicalFileHttpResult> ModelExportAsync(long operationId, IOperationService operations, ModelExportService exports, CancellationToken cancellationToken)
    {
        var operation = await operations.GetAsync(operationId, cancellationToken);
        var path = exports.FilePath(operation) ?? throw new NotFoundException($"The exported file of operation {operationId}");
        var result = (ModelExportResult)operation.Result!;
        var name = Path.GetFileName(path);
        return TypedResults.PhysicalFile(path, name.EndsWith(".zip", StringComparison.Ordinal) ? "application/zip" : "application/octet-stream",
            $"model-{result.VersionNumber.ToString(System.Globalization.CultureInfo.InvariantCulture)}-{name}");
    }

    private static async Task<Ok<ModelVersionSummary>> TagAsync(
        long modelId, int number, TagRequest request, IModelPublishing publishing, ICurrentUser user, CancellationToken cancellationToken) =>
        TypedResults.Ok(await publishing.TagVersionAsync(modelId, number, request.Tags ?? [], request.DisplayName, user.Name, cancellationToken));

    private static async Task<Ok<ModelVersionSummary>> RemoveTagAsync(
        long modelId, int number, string tag, IModelPublishing publishing, ICurrentUser user, CancellationToken cancellationToken) =>
        TypedResults.Ok(await publishing.RemoveTagAsync(modelId, number, tag, user.Name, cancellationToken));

    /// <summary>
    /// The latest published version's zip or <c>model.tflite</c>, with its SHA-256 as the <c>ETag</c> (and <c>X-Model-Hash</c>):
    /// an app that sends it back in <c>If-None-Match</c> gets 304 until a publish or a rollback changes the file.
    /// </summary>
    private static async Task<PhysicalFileHttpResult> LatestFileAsync(
        string modelName, ModelFormat format, IModelPublishing publishing, ModelPackageBuilder packages, HttpResponse response, CancellationToken cancellationToken)
    {
        var latest = await publishing.FindLatestPublishedAsync(modelName, cancellationToken);
        var path = await packages.GetFileAsync(latest.Version.Folder, latest.Version.Training, format, cancellationToken);
        var hash = await packages.HashAsync(path, cancellationToken);
        // The URL is stable, its content is not: every publish may change it.
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Model-Version"] = latest.Version.Number.ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.Headers["X-Model-Hash"] = hash;
        var (suffix, contentType) = format == ModelFormat.Tflite ? (".tflite", "application/octet-stream") : (".zip", "application/zip");
        return TypedResults.PhysicalFile(path, contentType, DownloadName(latest.ModelName, latest.Version.Number) + suffix,
            entityTag: new Microsoft.Net.Http.Headers.EntityTagHeaderValue($"\"{hash}\""));
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

    /// <summary>The download's file name without extension: the model's name made file-safe, and the version.</summary>
    private static string DownloadName(string modelName, int number)
    {
        var safeName = new string(modelName.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '-').ToArray()).Trim('-');
        return $"{(safeName.Length == 0 ? "model" : safeName)}-v{number}";
    }
}
