using Microsoft.EntityFrameworkCore;
using VisionConsole.Domain.Auditing;
using VisionConsole.Domain.Storage;

namespace VisionConsole.Domain.Datasets;

/// <summary>An image the queue handed to a labeler, with what the last review said about it.</summary>
/// <param name="ImageId">The image.</param>
/// <param name="FileName">Its file name.</param>
/// <param name="Sha256">Its blob.</param>
/// <param name="Version">The version to base label writes and reviews on.</param>
/// <param name="LeaseExpiresAt">When the hold lapses unless renewed.</param>
/// <param name="ReviewState">Rejected when a reviewer sent it back, else unreviewed.</param>
/// <param name="ReviewComment">The reviewer's comment on a rejection.</param>
/// <param name="ReviewedBy">Who rejected it.</param>
/// <param name="Waiting">Images still waiting in the queue besides this one.</param>
public sealed record QueueItem(long ImageId, string FileName, string Sha256, long Version, DateTimeOffset LeaseExpiresAt,
    ImageReviewState ReviewState, string? ReviewComment, string? ReviewedBy, int Waiting);

/// <summary>An image waiting for a reviewer: its labels (whole-image or box labels) as they stand.</summary>
public sealed record ReviewItem(long ImageId, string FileName, string Sha256, long Version, IReadOnlyList<string> Labels, bool NoObjects,
    string? LabeledBy, DateTimeOffset? LabeledAt, int Waiting);

/// <summary>What a review decided.</summary>
public sealed record ReviewResult(long ImageId, ImageReviewState State, string? Comment, string ReviewedBy, long Version);

/// <summary>One person's part in a dataset's labeling: images they labeled last, and how reviews went for those.</summary>
public sealed record LabelerCounts(string User, int Labeled, int Accepted, int Rejected);

/// <summary>A dataset's labeling progress: images per state, and per person.</summary>
public sealed record LabelingProgress(int Unlabeled, int AwaitingReview, int Accepted, int Rejected, int Leased, IReadOnlyList<LabelerCounts> People);

/// <summary>
/// The labeling queue and review of a dataset. The queue hands each labeler one image at a time (unlabeled ones, and
/// rejected ones first) under a lease that only one person can hold, so two labelers never get the same image; a lease
/// lapses after <see cref="LeaseDuration"/> unless the labeler's page renews it. A reviewer accepts or rejects labeled
/// images with a comment; a rejected image goes back to the queue with the comment, and a later label change waits
/// for a review again.
/// </summary>
public sealed class LabelingQueue(IDbContextFactory<ConsoleDbContext> contexts, TimeProvider clock, IDatasetChangeNotifier changes)
{
    /// <summary>How long a hold lasts without a renewal.</summary>
    public static readonly TimeSpan LeaseDuration = TimeSpan.FromMinutes(5);

    // Candidates tried per call: a few, because others may take the first ones between the read and the claim.
    private const int ClaimAttempts = 8;

    /// <summary>
    /// The image <paramref name="user"/> should label next in <paramref name="datasetId"/>: the one they hold while it
    /// still needs labels, else the first free one (rejected first, then oldest), now held by them; null when none is left.
    /// <paramref name="skipping"/> gives that image back and passes over it this time.
    /// </summary>
    /// <exception cref="NotFoundException">No such dataset.</exception>
    public async Task<QueueItem?> NextAsync(long datasetId, string user, long? skipping = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var kind = await KindAsync(db, datasetId, cancellationToken).ConfigureAwait(false);
        var now = clock.GetUtcNow();
        var expires = now + LeaseDuration;

        var skipped = skipping ?? 0;
        if (skipped != 0)
        {
            await db.ImageLeases.Where(l => l.ImageId == skipped && l.Holder == user).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
        }
        var held = await db.ImageLeases.Where(l => l.DatasetId == datasetId && l.Holder == user).Select(l => l.ImageId).ToListAsync(cancellationToken).ConfigureAwait(false);
        var stillOpen = await Open(db, datasetId, kind).Where(i => held.Contains(i.Id)).Select(i => i.Id).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        if (stillOpen != 0 && await ClaimAsync(db, stillOpen, datasetId, user, now, expires, cancellationToken).ConfigureAwait(false))
        {
            return await ItemAsync(db, datasetId, kind, stillOpen, expires, now, cancellationToken).ConfigureAwait(false);
        }

        for (var round = 0; round < 3; round++)
        {
            var candidates = await Open(db, datasetId, kind)
                .Where(i => i.Id != skipped && !db.ImageLeases.Any(l => l.ImageId == i.Id && l.ExpiresAt > now && l.Holder != user))
                .OrderBy(i => i.ReviewState == ImageReviewState.Rejected ? 0 : 1).ThenBy(i => i.Id)
                .Select(i => i.Id).Take(ClaimAttempts).ToListAsync(cancellationToken).ConfigureAwait(false);
            if (candidates.Count == 0)
            {
                break;
            }
            foreach (var id in candidates)
            {
                if (await ClaimAsync(db, id, datasetId, user, now, expires, cancellationToken).ConfigureAwait(false))
                {
                    // One image per labeler: what they held before goes back to the queue.
                    await db.ImageLeases.Where(l => l.DatasetId == datasetId && l.Holder == user && l.ImageId != id)
                        .ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
                    return await ItemAsync(db, datasetId, kind, id, expires, now, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        await db.ImageLeases.Where(l => l.DatasetId == datasetId && l.Holder == user).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
        return null;
    }

    /// <summary>Extends <paramref name="user"/>'s hold on the image by <see cref="LeaseDuration"/> from now; answers the new expiry.</summary>
    /// <exception cref="DomainException"><c>lease-lost</c> when they no longer hold it.</exception>
    public async Task<DateTimeOffset> RenewAsync(long datasetId, long imageId, string user, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var now = clock.GetUtcNow();
        var lease = await db.ImageLeases.FirstOrDefaultAsync(l => l.ImageId == imageId && l.DatasetId == datasetId, cancellationToken).ConfigureAwait(false)
            ?? throw new DomainException("lease-lost", $"Image {imageId} is no longer held for you; take the next image from the queue.");
        lease.Renew(user, now + LeaseDuration);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return lease.ExpiresAt;
    }

    /// <summary>Gives the image back to the queue (the labeler skipped it or left); nothing happens when they do not hold it.</summary>
    public async Task ReleaseAsync(long datasetId, long imageId, string user, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await db.ImageLeases.Where(l => l.ImageId == imageId && l.DatasetId == datasetId && l.Holder == user)
            .ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The first labeled image after <paramref name="afterImageId"/> that waits for a review (labeled, not reviewed since); null when none.</summary>
    /// <exception cref="NotFoundException">No such dataset.</exception>
    public async Task<ReviewItem?> NextForReviewAsync(long datasetId, long afterImageId = 0, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await KindAsync(db, datasetId, cancellationToken).ConfigureAwait(false);
        var waiting = AwaitingReview(db, datasetId);
        var image = await waiting.Where(i => i.Id > afterImageId).OrderBy(i => i.Id).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false)
            ?? await waiting.OrderBy(i => i.Id).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        if (image is null)
        {
            return null;
        }
        var labels = await LabelNamesAsync(db, image.Id, cancellationToken).ConfigureAwait(false);
        var count = await waiting.CountAsync(cancellationToken).ConfigureAwait(false);
        return new ReviewItem(image.Id, image.FileName, image.Sha256, image.Version, labels, image.NoObjects, image.LabeledBy, image.LabeledAt, count - 1);
    }

    /// <summary>
    /// Accepts or rejects the image's labels as they were at <paramref name="expectedVersion"/>, with an audit event naming
    /// the reviewer; a rejection needs <paramref name="comment"/> and puts the image back in the queue.
    /// </summary>
    /// <exception cref="NotFoundException">No such dataset or image.</exception>
    /// <exception cref="ConcurrencyConflictException">The image changed since that version.</exception>
    /// <exception cref="DomainException"><c>not-labeled</c> or <c>invalid-comment</c>.</exception>
    public async Task<ReviewResult> ReviewAsync(long datasetId, long imageId, bool accept, string? comment, long expectedVersion, string reviewer, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await KindAsync(db, datasetId, cancellationToken).ConfigureAwait(false);
        var image = await db.Images.Include(i => i.Labels).Include(i => i.Boxes)
            .FirstOrDefaultAsync(i => i.Id == imageId && i.DatasetId == datasetId, cancellationToken).ConfigureAwait(false)
            ?? throw new NotFoundException($"Image {imageId} of dataset {datasetId}");
        var now = clock.GetUtcNow();
        var before = new { state = image.ReviewState.ToString(), comment = image.ReviewComment };
        if (accept)
        {
            image.Accept(expectedVersion, reviewer, now);
        }
        else
        {
            image.Reject(comment ?? string.Empty, expectedVersion, reviewer, now);
        }
        db.AuditEvents.Add(AuditEvent.Of(reviewer, now, "image", imageId, accept ? "review-accepted" : "review-rejected",
            before, new { state = image.ReviewState.ToString(), comment = image.ReviewComment, labeledBy = image.LabeledBy }));
        // A hold from before the review is void: a rejected image goes to whoever asks the queue next.
        var lease = await db.ImageLeases.FirstOrDefaultAsync(l => l.ImageId == imageId, cancellationToken).ConfigureAwait(false);
        if (lease is not null)
        {
            db.ImageLeases.Remove(lease);
        }
        try
        {
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbUpdateConcurrencyException)
        {
            throw new ConcurrencyConflictException($"Image {imageId} was changed by someone else while the review was saved; look at it again.");
        }
        changes.Publish(DatasetChange.Of(datasetId, [imageId], DatasetChangeKind.Review, reviewer, now));
        return new ReviewResult(imageId, image.ReviewState, image.ReviewComment, reviewer, image.Version);
    }

    /// <summary>Images per labeling state, and per person (the last to label each image) with how their reviews went.</summary>
    /// <exception cref="NotFoundException">No such dataset.</exception>
    public async Task<LabelingProgress> ProgressAsync(long datasetId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var kind = await KindAsync(db, datasetId, cancellationToken).ConfigureAwait(false);
        var images = db.Images.Where(i => i.DatasetId == datasetId);
        var now = clock.GetUtcNow();
        var unlabeled = await Unlabeled(images, kind).CountAsync(cancellationToken).ConfigureAwait(false);
        var awaiting = await AwaitingReview(db, datasetId).CountAsync(cancellationToken).ConfigureAwait(false);
        var states = await images.GroupBy(i => i.ReviewState).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(cancellationToken).ConfigureAwait(false);
        var leased = await db.ImageLeases.CountAsync(l => l.DatasetId == datasetId && l.ExpiresAt > now, cancellationToken).ConfigureAwait(false);
        var people = await images.Where(i => i.LabeledBy != null)
            .GroupBy(i => i.LabeledBy!)
            .Select(g => new LabelerCounts(g.Key, g.Count(), g.Count(i => i.ReviewState == ImageReviewState.Accepted), g.Count(i => i.ReviewState == ImageReviewState.Rejected)))
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        int Of(ImageReviewState state) => states.FirstOrDefault(s => s.Key == state)?.Count ?? 0;
        return new LabelingProgress(unlabeled, awaiting, Of(ImageReviewState.Accepted), Of(ImageReviewState.Rejected), leased,
            [.. people.OrderByDescending(p => p.Labeled).ThenBy(p => p.User, StringComparer.Ordinal)]);
    }

    // Takes the image for the user: a new lease, or the row of a lapsed lease (or their own), updated in one statement
    // so two callers cannot both win; the primary key refuses a second insert.
    private static async Task<bool> ClaimAsync(ConsoleDbContext db, long imageId, long datasetId, string user, DateTimeOffset now, DateTimeOffset expires, CancellationToken cancellationToken)
    {
        var updated = await db.ImageLeases.Where(l => l.ImageId == imageId && (l.ExpiresAt <= now || l.Holder == user))
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.Holder, user).SetProperty(l => l.ExpiresAt, expires), cancellationToken).ConfigureAwait(false);
        if (updated == 1)
        {
            return true;
        }
        if (await db.ImageLeases.AnyAsync(l => l.ImageId == imageId, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }
        var lease = db.ImageLeases.Add(new ImageLease(imageId, datasetId, user, expires));
        try
        {
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (DbUpdateException)
        {
            return false; // someone else's insert came first
        }
        finally
        {
            lease.State = EntityState.Detached;
        }
    }

    private async Task<QueueItem> ItemAsync(ConsoleDbContext db, long datasetId, DatasetKind kind, long imageId, DateTimeOffset expires, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var image = await db.Images.AsNoTracking().FirstAsync(i => i.Id == imageId, cancellationToken).ConfigureAwait(false);
        var waiting = await Open(db, datasetId, kind)
            .CountAsync(i => i.Id != imageId && !db.ImageLeases.Any(l => l.ImageId == i.Id && l.ExpiresAt > now), cancellationToken).ConfigureAwait(false);
        return new QueueItem(image.Id, image.FileName, image.Sha256, image.Version, expires, image.ReviewState,
            image.ReviewState == ImageReviewState.Rejected ? image.ReviewComment : null,
            image.ReviewState == ImageReviewState.Rejected ? image.ReviewedBy : null, waiting);
    }

    private static async Task<DatasetKind> KindAsync(ConsoleDbContext db, long datasetId, CancellationToken cancellationToken) =>
        await db.Datasets.Where(d => d.Id == datasetId).Select(d => (DatasetKind?)d.Kind).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false)
        ?? throw new NotFoundException($"Dataset {datasetId}");

    // What the queue hands out: images without labels, and rejected ones.
    private static IQueryable<Image> Open(ConsoleDbContext db, long datasetId, DatasetKind kind)
    {
        var images = db.Images.Where(i => i.DatasetId == datasetId);
        return kind == DatasetKind.ObjectDetection
            ? images.Where(i => (!i.Boxes.Any() && !i.NoObjects) || i.ReviewState == ImageReviewState.Rejected)
            : images.Where(i => !i.Labels.Any() || i.ReviewState == ImageReviewState.Rejected);
    }

    private static IQueryable<Image> Unlabeled(IQueryable<Image> images, DatasetKind kind) => kind == DatasetKind.ObjectDetection
        ? images.Where(i => !i.Boxes.Any() && !i.NoObjects)
        : images.Where(i => !i.Labels.Any());

    private static IQueryable<Image> AwaitingReview(ConsoleDbContext db, long datasetId) =>
        db.Images.Where(i => i.DatasetId == datasetId && i.ReviewState == ImageReviewState.Unreviewed && (i.Labels.Any() || i.Boxes.Any() || i.NoObjects));

    private static async Task<IReadOnlyList<string>> LabelNamesAsync(ConsoleDbContext db, long imageId, CancellationToken cancellationToken)
    {
        var whole = await db.ImageLabels.Where(l => l.ImageId == imageId).Select(l => l.Label!.Name).ToListAsync(cancellationToken).ConfigureAwait(false);
        var boxes = await db.Boxes.Where(b => b.ImageId == imageId).Select(b => b.Label!.Name).ToListAsync(cancellationToken).ConfigureAwait(false);
        return [.. whole.Concat(boxes).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
    }
}
