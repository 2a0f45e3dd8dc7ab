using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using VisionConsole.Domain.Imaging;

namespace VisionConsole.Domain.Storage;

/// <summary>
/// Gives deleted data its disk space back: removes the blobs (originals and thumbnails) whose sha256 no image row
/// refers to, then runs every <see cref="IImageDataSweep"/> (the trainer's feature cache). Runs in the background,
/// through <see cref="StorageSweepSignal"/> and <see cref="StorageSweepService"/>: after a dataset is deleted, after
/// an import is cancelled or fails, and once at start-up.
/// </summary>
/// <remarks>
/// <para>
/// Streaming: the blob store is walked one shard (first two hex digits, 256 folders) at a time, and for each shard
/// only the referenced sha256 of that prefix are read from the database (an index range), so memory holds one
/// shard's names (a few thousand for a million images), never all paths or all rows.
/// </para>
/// <para>
/// Safety against an intake that has stored a blob but not yet committed its row: a blob is removed only when both
/// its files are older than <see cref="ConsoleOptions.SweepGracePeriod"/> (10 minutes by default). This was chosen
/// over a set of pending sha256 in process memory because the grace period covers every writer alike: the single
/// upload (<c>ImageIntake</c>), the import job, which commits every 64 images, and another console process or tool
/// on the same data folder, which no in-memory set can see; a pending set would also have to be released correctly
/// by every intake path, forever. The one case a file time alone misses, an upload that finds its bytes already
/// stored (old file, about to gain a row), is closed in <see cref="ImageStore"/>: placement refreshes the file time
/// under the same lock that <see cref="ImageStore.RemoveIfUnchangedSince"/> checks and deletes under, so that upload
/// either finds the blob gone and stores it again, or makes it too new to remove. The cost: space comes back one
/// grace period after the delete at the earliest: a sweep that kept young unreferenced blobs (<see cref="SweepTally.Deferred"/>)
/// has <see cref="StorageSweepService"/> sweep again one grace period later.
/// </para>
/// </remarks>
public sealed partial class StorageSweeper(
    IImageStore store,
    IDbContextFactory<ConsoleDbContext> contextFactory,
    IEnumerable<IImageDataSweep> dataSweeps,
    ConsoleOptions options,
    TimeProvider time,
    ILogger<StorageSweeper> logger)
{
    /// <summary>Name of the blob store's tally.</summary>
    public const string BlobsName = "blobs";

    /// <summary>Sweeps the blob store, then every <see cref="IImageDataSweep"/>; logs and returns what each removed.</summary>
    public async Task<IReadOnlyList<SweepTally>> SweepAsync(CancellationToken cancellationToken = default)
    {
        var references = new ImageReferences(contextFactory);
        var tallies = new List<SweepTally>();
        if (store is ImageStore blobs)
        {
            tallies.Add(await SweepBlobsAsync(blobs, references, cancellationToken).ConfigureAwait(false));
        }
        foreach (var sweep in dataSweeps)
        {
            tallies.Add(await sweep.SweepAsync(references, cancellationToken).ConfigureAwait(false));
        }
        foreach (var tally in tallies)
        {
            if (tally.Removed > 0)
            {
                LogRemoved(tally.Name, tally.Removed, tally.Bytes);
            }
            else
            {
                LogNothingRemoved(tally.Name);
            }
        }
        return tallies;
    }

    private async Task<SweepTally> SweepBlobsAsync(ImageStore blobs, ImageReferences references, CancellationToken cancellationToken)
    {
        // Files written after this instant are kept whatever the database says (see the remarks).
        var cutoff = time.GetUtcNow().UtcDateTime - options.SweepGracePeriod;
        long removed = 0;
        long bytes = 0;
        long deferred = 0;
        for (var value = 0; value < 256; value++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var shard = value.ToString("x2", CultureInfo.InvariantCulture);
            var stored = blobs.ListShard(shard);
            if (stored.Count == 0)
            {
                continue;
            }
            // Listed before the rows are read: a row committed after this query belongs to a blob that is new,
            // or was refreshed by its upload, and so is inside the grace period.
            var referenced = await references.InShardAsync(shard, cancellationToken).ConfigureAwait(false);
            foreach (var sha256 in stored)
            {
                if (referenced.Contains(sha256))
                {
                    continue;
                }
                try
                {
                    switch (blobs.RemoveIfUnchangedSince(sha256, cutoff, out var freed))
                    {
                        case ImageStore.BlobRemoval.Removed:
                            removed++;
                            bytes += freed;
                            break;
                        case ImageStore.BlobRemoval.TooRecent:
                            deferred++;
                            break;
                    }
                }
                catch (IOException ex)
                {
                    // Open elsewhere or gone: the next sweep tries again.
                    LogNotRemoved(sha256, ex);
                }
                catch (UnauthorizedAccessException ex)
                {
                    LogNotRemoved(sha256, ex);
                }
            }
        }
        return new SweepTally(BlobsName, removed, bytes, deferred);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Storage sweep: removed {Count} unreferenced entries from the {Name}, {Bytes} bytes given back")]
    private partial void LogRemoved(string name, long count, long bytes);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Storage sweep: nothing unreferenced in the {Name}")]
    private partial void LogNothingRemoved(string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storage sweep could not remove blob {Sha256}; the next sweep tries again")]
    private partial void LogNotRemoved(string sha256, Exception exception);
}
