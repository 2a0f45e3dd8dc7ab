using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;
using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Imaging;
using VisionConsole.Domain.Projects;
using VisionConsole.Web.Accounts;

namespace VisionConsole.Web.Api;

/// <summary>
/// Image bytes by content hash: <c>/api/blobs/{sha256}</c> and its thumbnail, to members of a project with an image of
/// those bytes. Immutable, so cached for a year, but only by the browser: a shared cache would hand them to anyone.
/// </summary>
public static class BlobsApi
{
    private const string CacheForever = "private, max-age=31536000, immutable";

    public static IEndpointRouteBuilder MapBlobsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/blobs").WithTags("Blobs").InProjectOf(ProjectResource.Blob, "sha256")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/{sha256}", OriginalAsync).ProducesFile("image/jpeg", "image/png", "image/gif", "image/bmp", "image/x-icon", "image/webp", "image/tiff");
        group.MapGet("/{sha256}/thumbnail", ThumbnailAsync).ProducesFile("image/jpeg");
        return endpoints;
    }

    private static async Task<FileStreamHttpResult> OriginalAsync(string sha256, HttpResponse response, IDatasetService datasets, IImageStore store, CancellationToken cancellationToken)
    {
        var format = await FormatAsync(sha256, datasets, cancellationToken);
        var stream = store.OpenOriginal(sha256);
        response.Headers.CacheControl = CacheForever;
        return TypedResults.Stream(stream, ContentType(format), entityTag: new EntityTagHeaderValue($"\"{sha256}\""), enableRangeProcessing: true);
    }

    private static async Task<FileStreamHttpResult> ThumbnailAsync(string sha256, HttpResponse response, IDatasetService datasets, IImageStore store, CancellationToken cancellationToken)
    {
        await FormatAsync(sha256, datasets, cancellationToken);
        var stream = await store.OpenThumbnailAsync(sha256, cancellationToken);
        response.Headers.CacheControl = CacheForever;
        return TypedResults.Stream(stream, "image/jpeg", entityTag: new EntityTagHeaderValue($"\"{sha256}-thumbnail\""));
    }

    /// <summary>The blob's format; only blobs that back an image of some dataset are served.</summary>
    private static async Task<ImageFormat> FormatAsync(string sha256, IDatasetService datasets, CancellationToken cancellationToken)
    {
        if (sha256.Length != 64 || !sha256.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f')))
        {
            throw new DomainException("invalid-sha256", $"'{sha256}' is not a lower-case hex sha256 (64 characters).");
        }
        return await datasets.FindBlobFormatAsync(sha256, cancellationToken) ?? throw new NotFoundException($"Image {sha256}");
    }

    internal static string ContentType(ImageFormat format) => format switch
    {
        ImageFormat.Jpeg => "image/jpeg",
        ImageFormat.Png => "image/png",
        ImageFormat.Gif => "image/gif",
        ImageFormat.Bmp => "image/bmp",
        ImageFormat.Ico => "image/x-icon",
        ImageFormat.Webp => "image/webp",
        ImageFormat.Tiff => "image/tiff",
        _ => "application/octet-stream",
    };
}
