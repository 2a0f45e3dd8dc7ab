using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using VisionConsole.Domain.Auditing;
using VisionConsole.Domain.Imaging;
using VisionConsole.Domain.Storage;

namespace VisionConsole.Domain.Datasets;

/// <summary>
/// Takes one uploaded file at a time: the image store checks and keeps the bytes, then the image is
/// registered in the dataset unless the same bytes are already there (a duplicate, not stored twice).
/// Each image registered is published on the <see cref="IDatasetChangeNotifier"/> after its commit.
/// </summary>
public sealed partial class ImageIntake(IImageStore store, IDbContextFactory<ConsoleDbContext> contextFactory, TimeProvider time, IDatasetChangeNotifier changes, ILogger<ImageIntake> logger) : IImageIntake
{
    /// <summary>
    /// Never throws for a bad file: <see cref="ImageRejectedException"/> becomes a refused result with its reason.
    /// Throws <see cref="NotFoundException"/> when the dataset does not exist.
    /// </summary>
    public async Task<IntakeResult> AddAsync(long datasetId, string fileName, Stream content, string user, CancellationToken cancellationToken = default)
    {
        await using (var check = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false))
        {
            await DatasetService.EnsureDatasetAsync(check, datasetId, cancellationToken).ConfigureAwait(false);
        }

        StoredImage stored;
        try
        {
            stored = await store.StoreAsync(fileName, content, cancellationToken).ConfigureAwait(false);
        }
        catch (ImageRejectedException ex)
        {
            LogRejected(fileName, datasetId, ex.Message);
            return new IntakeResult(fileName, false, null, null, false, ex.Message);
        }

        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var existingId = await FindAsync(db, datasetId, stored.Sha256, cancellationToken).ConfigureAwait(false);
        if (existingId is { } id)
        {
            return new IntakeResult(fileName, true, id, stored.Sha256, true, null);
        }

        var now = time.GetUtcNow();
        var image = new Image(datasetId, stored, fileName, user, now);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        db.Images.Add(image);
        try
        {
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbUpdateException)
        {
            // The same bytes arrived twice at once: the unique (dataset, sha256) index let one win.
            await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
            db.ChangeTracker.Clear();
            var winner = await FindAsync(db, datasetId, stored.Sha256, cancellationToken).ConfigureAwait(false);
            if (winner is null)
            {
                throw;
            }
            return new IntakeResult(fileName, true, winner, stored.Sha256, true, null);
        }
        db.AuditEvents.Add(AuditEvent.Of(user, now, "image", image.Id, "created", null, new { datasetId, image.FileName, image.Sha256 }));
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        changes.Publish(DatasetChange.Of(datasetId, [image.Id], DatasetChangeKind.ImagesAdded, user, now));
        return new IntakeResult(fileName, true, image.Id, stored.Sha256, false, null);
    }

    private static Task<long?> FindAsync(ConsoleDbContext db, long datasetId, string sha256, CancellationToken cancellationToken) =>
        db.Images.Where(i => i.DatasetId == datasetId && i.Sha256 == sha256).Select(i => (long?)i.Id).FirstOrDefaultAsync(cancellationToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused {FileName} for dataset {DatasetId}: {Reason}")]
    private partial void LogRejected(string fileName, long datasetId, string reason);
}
