using VisionConsole.Domain.Datasets;

namespace VisionConsole.Tests.Web.Components;

/// <summary>
/// Isolates the uploader from storage: reads each stream to the end (so progress is real) and accepts it, refuses
/// names ending in <c>.txt</c> the way the intake words it, and reports a second copy of the same bytes as a duplicate.
/// </summary>
internal sealed class RecordingImageIntake : IImageIntake
{
    private readonly Dictionary<string, long> _seen = [];

    public List<(string FileName, long Bytes, string User)> Calls { get; } = [];

    public async Task<IntakeResult> AddAsync(long datasetId, string fileName, Stream content, string user, CancellationToken cancellationToken = default)
    {
        using var copy = new MemoryStream();
        await content.CopyToAsync(copy, cancellationToken);
        Calls.Add((fileName, copy.Length, user));
        if (fileName.EndsWith(".txt", StringComparison.Ordinal))
        {
            return new IntakeResult(fileName, false, null, null, false, $"{fileName}: not an image (no known image header).");
        }
        var sha = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(copy.ToArray()));
        var duplicate = _seen.ContainsKey(sha);
        _seen.TryAdd(sha, _seen.Count + 1);
        return new IntakeResult(fileName, true, _seen[sha], sha, duplicate, null);
    }
}
