using System.Globalization;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using VisionConsole.Domain;
using VisionConsole.Domain.Import;

namespace VisionConsole.Web.Api;

/// <summary>
/// Spools every file part of a <c>multipart/form-data</c> body into a folder, one part at a time straight to disk (never
/// buffered): the uploads of <c>:importData</c> and <c>:batchPredict</c>.
/// </summary>
internal static class MultipartUpload
{
    /// <summary>
    /// Writes the parts into <paramref name="folder"/> under numbers (the client's names, perhaps relative paths, are kept
    /// only as the files' names). Refuses (<c>invalid-upload</c>, 415) a body that is not multipart and two parts of one
    /// name; deletes the folder when it throws.
    /// </summary>
    public static async Task<List<ImportFile>> SpoolAsync(HttpRequest request, string folder, long bodyLimit, CancellationToken cancellationToken)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
            || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value is not { Length: > 0 } boundary)
        {
            Directory.Delete(folder, recursive: true);
            throw new UnsupportedUploadException($"Send the files as multipart/form-data, one part named 'file' per file (got content type '{request.ContentType}').");
        }
        var files = new List<ImportFile>();
        try
        {
            var reader = new MultipartReader(boundary, request.Body) { BodyLengthLimit = bodyLimit };
            var part = 0;
            for (var section = await reader.ReadNextSectionAsync(cancellationToken); section is not null; section = await reader.ReadNextSectionAsync(cancellationToken))
            {
                part++;
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.IsFileDisposition())
                {
                    continue; // Form fields are not files.
                }
                var name = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value;
                if (string.IsNullOrWhiteSpace(name))
                {
                    name = $"part-{part.ToString(CultureInfo.InvariantCulture)}";
                }
                if (files.Any(f => f.Name == name))
                {
                    throw new DomainException("invalid-upload", $"Two parts are named '{name}'; every uploaded file needs its own name (relative paths are fine).");
                }
                var path = Path.Combine(folder, part.ToString("D6", CultureInfo.InvariantCulture));
                var target = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
                await using (target)
                {
                    await section.Body.CopyToAsync(target, cancellationToken);
                }
                files.Add(new ImportFile(name, path));
            }
        }
        catch
        {
            Directory.Delete(folder, recursive: true);
            throw;
        }
        return files;
    }
}

/// <summary>The body is not <c>multipart/form-data</c>: answered 415 with the code <c>invalid-upload</c>.</summary>
internal sealed class UnsupportedUploadException(string message) : DomainException("invalid-upload", message);
