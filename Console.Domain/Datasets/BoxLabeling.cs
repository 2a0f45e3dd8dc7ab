using Microsoft.EntityFrameworkCore;
using VisionConsole.Domain.Auditing;
using VisionConsole.Domain.Storage;

namespace VisionConsole.Domain.Datasets;

/// <summary>One box as the labeling page and the API show it, in normalized coordinates (0-1, origin top-left).</summary>
/// <param name="Id">The box.</param>
/// <param name="LabelId">Its label.</param>
/// <param name="Label">The label's name.</param>
/// <param name="Left">Left edge, as a fraction of the image width.</param>
/// <param name="Top">Top edge, as a fraction of the image height.</param>
/// <param name="Width">Width, as a fraction of the image width.</param>
/// <param name="Height">Height, as a fraction of the image height.</param>
/// <param name="Version">The box's own version (what a per-box update or delete sends back).</param>
public sealed record BoxView(long Id, long LabelId, string Label, double Left, double Top, double Width, double Height, long Version);

/// <summary>An image's boxes and its box-labeling state.</summary>
/// <param name="ImageId">The image.</param>
/// <param name="DatasetId">Its dataset.</param>
/// <param name="FileName">The uploaded file's name.</param>
/// <param name="Sha256">The blob (original at <c>/api/blobs/{Sha256}</c>).</param>
/// <param name="Width">Full-resolution width in pixels (what the normalized coordinates are fractions of).</param>
/// <param name="Height">Full-resolution height in pixels.</param>
/// <param name="Version">The boxes' version: a whole-image save names it as the version it was based on.</param>
/// <param name="State">Not labeled, no objects, or boxes.</param>
/// <param name="Boxes">The boxes, oldest first.</param>
/// <param name="ChangedBy">Who last changed the boxes (null when nobody has).</param>
/// <param name="ChangedAt">When.</param>
public sealed record ImageBoxes(long ImageId, long DatasetId, string FileName, string Sha256, int Width, int Height, long Version, BoxLabelState State, IReadOnlyList<BoxView> Boxes, string? ChangedBy, DateTimeOffset? ChangedAt);

/// <summary>What adding one box gives back: its id and the image's boxes after it.</summary>
public sealed record AddedBox(long BoxId, ImageBoxes Image);

/// <summary>
/// Box labeling of detection datasets: an image's boxes read, replaced as a whole (the page's autosave), or edited one
/// box at a time, and the "no objects" state. Every write names the version it was based on; a stale one is refused with
/// <see cref="ImageChangedException"/>. Every committed change is published as a <see cref="DatasetChangeKind.Boxes"/> change.
/// </summary>
public interface IBoxLabeling
{
    /// <summary>The image's boxes and state.</summary>
    Task<ImageBoxes> GetBoxesAsync(long datasetId, long imageId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes the image's boxes exactly <paramref name="boxes"/> (see <see cref="Image.ReplaceBoxes"/>), refused when the boxes
    /// are no longer at <paramref name="baseVersion"/>. A save that changes nothing leaves the version where it is.
    /// </summary>
    Task<ImageBoxes> SaveBoxesAsync(long datasetId, long imageId, long baseVersion, IReadOnlyList<BoxEdit> boxes, bool noObjects, string user, CancellationToken cancellationToken = default);

    /// <summary>Draws one box (clearing "no objects"); <paramref name="baseVersion"/>, when given, must be the boxes' version.</summary>
    Task<AddedBox> AddBoxAsync(long datasetId, long imageId, long labelId, BoxRect rect, long? baseVersion, string user, CancellationToken cancellationToken = default);

    /// <summary>Relabels and/or moves one box (null leaves that part), refused unless the box is at <paramref name="boxVersion"/>.</summary>
    Task<ImageBoxes> UpdateBoxAsync(long datasetId, long imageId, long boxId, long boxVersion, long? labelId, BoxRect? rect, string user, CancellationToken cancellationToken = default);

    /// <summary>Deletes one box, refused unless the box is at <paramref name="boxVersion"/>.</summary>
    Task<ImageBoxes> DeleteBoxAsync(long datasetId, long imageId, long boxId, long boxVersion, string user, CancellationToken cancellationToken = default);

    /// <summary>Marks the image as showing no objects (refused while it has boxes), or back to not labeled.</summary>
    Task<ImageBoxes> SetNoObjectsAsync(long datasetId, long imageId, bool noObjects, long baseVersion, string user, CancellationToken cancellationToken = default);
}

/// <summary>The <see cref="IBoxLabeling"/> over the console database: one context per call, one audit event per change.</summary>
public sealed class BoxLabelingService(IDbContextFactory<ConsoleDbContext> contextFactory, TimeProvider time, IDatasetChangeNotifier changes) : IBoxLabeling
{
    /// <inheritdoc />
    public async Task<ImageBoxes> GetBoxesAsync(long datasetId, long imageId, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var image = await LoadAsync(db, datasetId, imageId, cancellationToken).ConfigureAwait(false);
        return View(image);
    }

    /// <inheritdoc />
    public Task<ImageBoxes> SaveBoxesAsync(long datasetId, long imageId, long baseVersion, IReadOnlyList<BoxEdit> boxes, bool noObjects, string user, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        return EditAsync(datasetId, imageId, user, "boxes-saved", (image, labels, now) =>
        {
            image.EnsureBoxesVersion(baseVersion);
            return image.ReplaceBoxes(boxes, noObjects, labels, user, now);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<AddedBox> AddBoxAsync(long datasetId, long imageId, long labelId, BoxRect rect, long? baseVersion, string user, CancellationToken cancellationToken = default)
    {
        Box? added = null;
        var after = await EditAsync(datasetId, imageId, user, "box-added", (image, labels, now) =>
        {
            if (baseVersion is { } version)
            {
                image.EnsureBoxesVersion(version);
            }
            added = image.AddBox(LabelOf(labels, datasetId, labelId), rect, user, now);
            return true;
        }, cancellationToken).ConfigureAwait(false);
        return new AddedBox(added!.Id, after);
    }

    /// <inheritdoc />
    public Task<ImageBoxes> UpdateBoxAsync(long datasetId, long imageId, long boxId, long boxVersion, long? labelId, BoxRect? rect, string user, CancellationToken cancellationToken = default) =>
        EditAsync(datasetId, imageId, user, "box-changed", (image, labels, now) =>
        {
            // Stale first: an edit based on old boxes is refused as such, whatever else is wrong with it.
            image.EnsureBoxVersion(boxId, boxVersion);
            return image.UpdateBox(boxId, boxVersion, labelId is { } id ? LabelOf(labels, datasetId, id) : null, rect, user, now);
        }, cancellationToken);

    /// <inheritdoc />
    public Task<ImageBoxes> DeleteBoxAsync(long datasetId, long imageId, long boxId, long boxVersion, string user, CancellationToken cancellationToken = default) =>
        EditAsync(datasetId, imageId, user, "box-deleted", (image, _, now) =>
        {
            image.RemoveBox(boxId, boxVersion, user, now);
            return true;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<ImageBoxes> SetNoObjectsAsync(long datasetId, long imageId, bool noObjects, long baseVersion, string user, CancellationToken cancellationToken = default) =>
        EditAsync(datasetId, imageId, user, noObjects ? "no-objects-set" : "no-objects-cleared", (image, _, now) =>
        {
            image.EnsureBoxesVersion(baseVersion);
            return image.SetNoObjects(noObjects, user, now);
        }, cancellationToken);

    /// <summary>
    /// Loads the image with its boxes and the dataset's labels, applies <paramref name="edit"/> (the entity checks the
    /// versions and rules), and when it changed something saves it with an audit event and publishes the change.
    /// A write that raced another one past the version check is caught by the image's concurrency token.
    /// </summary>
    private async Task<ImageBoxes> EditAsync(long datasetId, long imageId, string user, string action, Func<Image, IReadOnlyDictionary<long, Label>, DateTimeOffset, bool> edit, CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var dataset = await db.Datasets.AsNoTracking().FirstOrDefaultAsync(d => d.Id == datasetId, cancellationToken).ConfigureAwait(false)
            ?? throw new NotFoundException($"Dataset {datasetId}");
        if (dataset.Kind != DatasetKind.ObjectDetection)
        {
            throw new DomainException("invalid-argument", $"Dataset '{dataset.DisplayName}' is for classification: its images take whole-image labels, not boxes.");
        }
        var image = await LoadAsync(db, datasetId, imageId, cancellationToken).ConfigureAwait(false);
        var labels = await db.Labels.Where(l => l.DatasetId == datasetId).ToDictionaryAsync(l => l.Id, cancellationToken).ConfigureAwait(false);
        var before = Snapshot(image);
        var now = time.GetUtcNow();
        if (!edit(image, labels, now))
        {
            return View(image);
        }
        db.AuditEvents.Add(AuditEvent.Of(user, now, "image", imageId, action, before, Snapshot(image)));
        try
        {
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbUpdateConcurrencyException)
        {
            await using var fresh = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
            var current = await fresh.Images.AsNoTracking().FirstAsync(i => i.Id == imageId, cancellationToken).ConfigureAwait(false);
            throw new ImageChangedException(
                $"Image {imageId} ('{current.FileName}') was saved by {current.BoxesChangedBy ?? "someone else"} while this edit was being saved (now version {current.BoxesVersion}). Reload its boxes and make the edit again.",
                current.BoxesVersion, current.BoxesChangedBy, current.BoxesChangedAt);
        }
        changes.Publish(DatasetChange.Of(datasetId, [imageId], DatasetChangeKind.Boxes, user, now));
        return View(image);
    }

    private static Label LabelOf(IReadOnlyDictionary<long, Label> labels, long datasetId, long labelId) =>
        labels.TryGetValue(labelId, out var label) ? label : throw new NotFoundException($"Label {labelId} of dataset {datasetId}");

    private static async Task<Image> LoadAsync(ConsoleDbContext db, long datasetId, long imageId, CancellationToken cancellationToken) =>
        await db.Images.Include(i => i.Boxes.OrderBy(b => b.Id)).ThenInclude(b => b.Label)
            .FirstOrDefaultAsync(i => i.Id == imageId && i.DatasetId == datasetId, cancellationToken).ConfigureAwait(false)
            ?? throw new NotFoundException($"Image {imageId} of dataset {datasetId}");

    private static object Snapshot(Image image) => new
    {
        state = image.BoxState.ToString(),
        boxes = image.Boxes.Select(b => new { b.Id, b.LabelId, b.Left, b.Top, b.Width, b.Height }).ToList(),
    };

    private static ImageBoxes View(Image image) => new(
        image.Id, image.DatasetId, image.FileName, image.Sha256, image.Width, image.Height, image.BoxesVersion, image.BoxState,
        [.. image.Boxes.OrderBy(b => b.Id).Select(b => new BoxView(b.Id, b.LabelId, b.Label?.Name ?? string.Empty, b.Left, b.Top, b.Width, b.Height, b.Version))],
        image.BoxesChangedBy, image.BoxesChangedAt);
}
