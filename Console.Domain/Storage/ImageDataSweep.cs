using Microsoft.EntityFrameworkCore;

namespace VisionConsole.Domain.Storage;

/// <summary>
/// Something kept on disk per image sha256 besides the blob store (for example the trainer's feature cache) whose
/// entries must go when no image refers to their sha256 any more. <see cref="StorageSweeper"/> runs every registered
/// sweep after the blob store's, so the domain triggers them without referencing the code that owns the files.
/// </summary>
public interface IImageDataSweep
{
    /// <summary>What the sweep cleans, for the log (for example "feature cache").</summary>
    string Name { get; }

    /// <summary>Removes the entries whose sha256 <paramref name="references"/> does not hold.</summary>
    Task<SweepTally> SweepAsync(ImageReferences references, CancellationToken cancellationToken);
}

/// <summary>What one sweep removed.</summary>
/// <param name="Name">What was swept.</param>
/// <param name="Removed">Entries removed (for blobs: images, each an original with its thumbnail).</param>
/// <param name="Bytes">Disk space given back.</param>
/// <param name="Deferred">Unreferenced entries kept because they are younger than the grace period; the sweep service
/// sweeps again once they are old enough.</param>
public sealed record SweepTally(string Name, long Removed, long Bytes, long Deferred = 0);

/// <summary>
/// Which sha256 the <c>Images</c> table refers to, asked one shard (sha256 prefix) at a time: a sweep of a million
/// images holds a few thousand names at once, not a million (about 100 MB as strings).
/// </summary>
public sealed class ImageReferences(IDbContextFactory<ConsoleDbContext> contextFactory)
{
    /// <summary>The distinct sha256 of image rows that start with <paramref name="prefix"/> (lower-case hex).</summary>
    public async Task<HashSet<string>> InShardAsync(string prefix, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(prefix) || !prefix.All(char.IsAsciiHexDigitLower))
        {
            throw new ArgumentException($"'{prefix}' is not a lower-case hex prefix of a sha256.", nameof(prefix));
        }
        // Every sha256 with this prefix sorts between the prefix and the prefix + 'g' (past 'f'): a range on the Sha256 index.
        var end = prefix + "g";
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        // Deleted images still waiting for an undo keep their blobs and features.
        var shas = await db.Images.IgnoreQueryFilters()
            .Where(i => string.Compare(i.Sha256, prefix) >= 0 && string.Compare(i.Sha256, end) < 0)
            .Select(i => i.Sha256)
            .Distinct()
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        return new HashSet<string>(shas, StringComparer.Ordinal);
    }
}
