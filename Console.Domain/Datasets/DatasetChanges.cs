using Microsoft.Extensions.Logging;

namespace VisionConsole.Domain.Datasets;

/// <summary>What a <see cref="DatasetChange"/> changed; the values travel as strings to SignalR clients.</summary>
public static class DatasetChangeKind
{
    /// <summary>Whole-image labels were added or removed.</summary>
    public const string Labels = "labels";

    /// <summary>Boxes (and with them labels) were added or removed.</summary>
    public const string Boxes = "boxes";

    /// <summary>An image's split was overridden.</summary>
    public const string Split = "split";

    /// <summary>Images were added (an upload, or an import batch that may also label images already there).</summary>
    public const string ImagesAdded = "images-added";

    /// <summary>Images were removed (an import undone).</summary>
    public const string ImagesRemoved = "images-removed";

    /// <summary>A label was created; no image changed (<see cref="DatasetChange.ImageIds"/> is empty, <see cref="DatasetChange.ImageCount"/> 0).</summary>
    public const string LabelCreated = "label-created";

    /// <summary>A reviewer accepted or rejected images' labels.</summary>
    public const string Review = "review";
}

/// <summary>
/// One committed change to a dataset's images, labels, boxes or splits, published after the commit so a subscriber
/// that reads the database sees it. <see cref="ImageIds"/> is capped at <see cref="MaxImageIds"/>: an empty list with a
/// non-zero <see cref="ImageCount"/> means "many images changed, reload everything".
/// </summary>
/// <param name="DatasetId">The dataset that changed.</param>
/// <param name="ImageIds">The images that changed, or empty when there were more than <see cref="MaxImageIds"/>.</param>
/// <param name="Kind">One of the <see cref="DatasetChangeKind"/> values.</param>
/// <param name="User">Who made the change.</param>
/// <param name="At">When it was committed.</param>
public sealed record DatasetChange(long DatasetId, IReadOnlyList<long> ImageIds, string Kind, string User, DateTimeOffset At)
{
    /// <summary>Most image ids one change carries; beyond that the list is left empty (reload everything).</summary>
    public const int MaxImageIds = 500;

    /// <summary>How many images changed (also when <see cref="ImageIds"/> was left empty because there were too many).</summary>
    public int ImageCount { get; init; }

    /// <summary>True when the ids were left out: a subscriber cannot tell which images changed and reloads all it shows.</summary>
    public bool Many => ImageIds.Count == 0 && ImageCount > 0;

    /// <summary>Whether <paramref name="imageId"/> may have changed (it is listed, or the ids were left out).</summary>
    public bool Affects(long imageId) => Many || ImageIds.Contains(imageId);

    /// <summary>A change over <paramref name="imageIds"/> (distinct), leaving the list empty when it is longer than <see cref="MaxImageIds"/>.</summary>
    public static DatasetChange Of(long datasetId, IEnumerable<long> imageIds, string kind, string user, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(imageIds);
        var ids = imageIds.Distinct().ToList();
        return new DatasetChange(datasetId, ids.Count > MaxImageIds ? [] : ids, kind, user, at) { ImageCount = ids.Count };
    }
}

/// <summary>
/// In-process fan-out of <see cref="DatasetChange"/>s: the dataset pages of every circuit and the SignalR relay subscribe.
/// Same contract as <see cref="Operations.IOperationNotifier"/>.
/// </summary>
public interface IDatasetChangeNotifier
{
    /// <summary>Sends a change to every current subscriber; never throws because of a subscriber.</summary>
    void Publish(DatasetChange change);

    /// <summary>Receives every later change (of every dataset) until the returned handle is disposed.</summary>
    IDisposable Subscribe(Action<DatasetChange> handler);
}

/// <summary>The in-process <see cref="IDatasetChangeNotifier"/>.</summary>
public sealed partial class DatasetChangeNotifier(ILogger<DatasetChangeNotifier> logger) : InProcessNotifier<DatasetChange>, IDatasetChangeNotifier
{
    /// <inheritdoc />
    protected override void OnHandlerFailed(Exception exception, DatasetChange value) => LogHandlerFailed(exception, value.DatasetId, value.Kind);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A dataset change subscriber failed on a {Kind} change of dataset {DatasetId}")]
    private partial void LogHandlerFailed(Exception exception, long datasetId, string kind);
}
