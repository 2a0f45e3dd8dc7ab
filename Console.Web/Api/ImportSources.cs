using System.Globalization;
using VisionConsole.Domain;
using VisionConsole.Domain.Import;

namespace VisionConsole.Web.Api;

/// <summary>
/// AutoML's <c>inputConfig.gcsSource.inputUris</c> for a console: each URI names a file or folder on the server
/// (<c>/srv/photos/train.zip</c> or <c>file:///srv/photos/train</c>) under one of the folders <c>Import:AllowedRoots</c>
/// lists; anything else (Cloud Storage, the web, another folder) is refused saying why. The files are copied into the
/// import's upload folder, so the import reads them as it reads an upload and the originals are never touched.
/// </summary>
internal static class ImportSources
{
    /// <summary>The allowed folders: <c>Import:AllowedRoots</c> as a list, or one string separated by <c>;</c>.</summary>
    public static IReadOnlyList<string> AllowedRoots(IConfiguration configuration)
    {
        var section = configuration.GetSection("Import:AllowedRoots");
        var values = section.Value is { } single ? single.Split(';') : section.GetChildren().Select(c => c.Value ?? string.Empty);
        return [.. values.Select(v => v.Trim()).Where(v => v.Length > 0).Select(v => Path.TrimEndingDirectorySeparator(Path.GetFullPath(v)))];
    }

    /// <summary>The local path each URI names, checked against <paramref name="roots"/>.</summary>
    /// <exception cref="DomainException"><c>invalid-argument</c> naming the URI and the reason.</exception>
    public static IReadOnlyList<string> Resolve(IReadOnlyList<string>? uris, IReadOnlyList<string> roots)
    {
        if (uris is not { Count: > 0 })
        {
            throw new DomainException("invalid-argument", "inputConfig.gcsSource.inputUris is empty: name the files or folders to import, or upload them as multipart parts named 'file'.");
        }
        return [.. uris.Select(uri => ResolveOne(uri, roots))];
    }

    /// <summary>
    /// Copies the resolved files (a folder with everything under it) into <paramref name="uploadFolder"/>, at most
    /// <paramref name="maxBytes"/> in all; answers them as the import's files.
    /// </summary>
    /// <exception cref="DomainException"><c>invalid-upload</c> when they are larger than <paramref name="maxBytes"/>.</exception>
    public static IReadOnlyList<ImportFile> CopyInto(IReadOnlyList<string> paths, string uploadFolder, long maxBytes)
    {
        var files = new List<ImportFile>();
        long total = 0;
        for (var i = 0; i < paths.Count; i++)
        {
            var source = paths[i];
            var isFolder = Directory.Exists(source);
            var baseFolder = isFolder ? Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(source))! : Path.GetDirectoryName(source)!;
            IEnumerable<string> entries = isFolder ? Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal) : [source];
            foreach (var file in entries)
            {
                total += new FileInfo(file).Length;
                if (total > maxBytes)
                {
                    throw new DomainException("invalid-upload", $"The files named by inputUris are larger than {maxBytes / (1024 * 1024):N0} MB; import them in parts.");
                }
                // Kept relative to the named folder's parent, so a folder tree keeps its label folders.
                var relative = Path.GetRelativePath(baseFolder, file);
                var target = Path.Combine(uploadFolder, i.ToString(CultureInfo.InvariantCulture), relative);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
                files.Add(new ImportFile(relative.Replace(Path.DirectorySeparatorChar, '/'), target));
            }
        }
        return files;
    }

    private static string ResolveOne(string uri, IReadOnlyList<string> roots)
    {
        var text = uri?.Trim() ?? string.Empty;
        string path;
        if (text.StartsWith("file://", StringComparison.OrdinalIgnoreCase) && Uri.TryCreate(text, UriKind.Absolute, out var fileUri))
        {
            path = fileUri.LocalPath;
        }
        else if (Path.IsPathRooted(text) && !text.Contains("://", StringComparison.Ordinal))
        {
            path = text;
        }
        else
        {
            throw new DomainException("invalid-argument", $"inputUris '{text}' is not a path on this server: the console reads files and folders under Import:AllowedRoots (as /path or file:///path), not Cloud Storage or the web; copy them there or upload them.");
        }
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        if (!roots.Any(root => full == root || full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal)))
        {
            throw new DomainException("invalid-argument", roots.Count == 0
                ? $"inputUris '{text}': this console reads no server folders (Import:AllowedRoots is not set); upload the files instead."
                : $"inputUris '{text}' is outside the folders this console may read ({string.Join(", ", roots)}).");
        }
        if (!File.Exists(full) && !Directory.Exists(full))
        {
            throw new DomainException("invalid-argument", $"inputUris '{text}': no such file or folder.");
        }
        return full;
    }
}
