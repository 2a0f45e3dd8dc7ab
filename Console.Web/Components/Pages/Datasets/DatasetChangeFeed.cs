using System.Globalization;
using VisionConsole.Domain.Datasets;

namespace VisionConsole.Web.Components.Pages.Datasets;

/// <summary>
/// Follows one dataset's <see cref="DatasetChange"/>s for a component and coalesces bursts (an import publishes a change
/// per batch, an upload one per file): the first change starts a timer of <see cref="Delay"/>, later ones join it, and
/// when it fires the callback gets them all at once, so a page reloads at most once per <see cref="Delay"/>.
/// The callback runs on a timer thread: components pass one that goes through <c>InvokeAsync</c>.
/// </summary>
public sealed class DatasetChangeFeed : IDisposable
{
    /// <summary>How long changes are gathered before the callback runs.</summary>
    public static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(300);

    private readonly Lock _gate = new();
    private readonly Func<long> _datasetId;
    private readonly Func<IReadOnlyList<DatasetChange>, Task> _onChanges;
    private readonly TimeProvider _time;
    private readonly IDisposable _subscription;
    private readonly List<DatasetChange> _pending = [];
    private ITimer? _timer;
    private bool _disposed;

    /// <param name="notifier">Where the changes come from.</param>
    /// <param name="time">Runs the coalescing timer.</param>
    /// <param name="datasetId">The dataset followed, read at each change (a page's route id can change).</param>
    /// <param name="onChanges">Gets the gathered changes of that dataset, oldest first.</param>
    public DatasetChangeFeed(IDatasetChangeNotifier notifier, TimeProvider time, Func<long> datasetId, Func<IReadOnlyList<DatasetChange>, Task> onChanges)
    {
        ArgumentNullException.ThrowIfNull(notifier);
        _time = time;
        _datasetId = datasetId;
        _onChanges = onChanges;
        _subscription = notifier.Subscribe(OnChange);
    }

    private void OnChange(DatasetChange change)
    {
        if (change.DatasetId != _datasetId())
        {
            return;
        }
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _pending.Add(change);
            _timer ??= _time.CreateTimer(_ => Flush(), null, Delay, Timeout.InfiniteTimeSpan);
        }
    }

    private void Flush()
    {
        DatasetChange[] changes;
        lock (_gate)
        {
            _timer?.Dispose();
            _timer = null;
            if (_disposed || _pending.Count == 0)
            {
                return;
            }
            changes = [.. _pending];
            _pending.Clear();
        }
        _ = DeliverAsync(changes);
    }

    private async Task DeliverAsync(DatasetChange[] changes)
    {
        try
        {
            await _onChanges(changes).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // The circuit went away between the change and the reload: nobody is looking any more.
        }
    }

    /// <summary>
    /// A short note on what other people did, for example "ann labeled 3 images"; null when every change is by
    /// <paramref name="currentUser"/> (your own changes need no note).
    /// </summary>
    public static string? Describe(IEnumerable<DatasetChange> changes, string currentUser)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var parts = changes
            .Where(c => !string.Equals(c.User, currentUser, StringComparison.Ordinal))
            .GroupBy(c => (c.User, c.Kind))
            .Select(g => $"{g.Key.User} {Verb(g.Key.Kind, g.Sum(c => c.ImageCount))}")
            .ToList();
        return parts.Count == 0 ? null : string.Join("; ", parts);
    }

    private static string Verb(string kind, int count)
    {
        var images = count == 1 ? "1 image" : count.ToString("N0", CultureInfo.InvariantCulture) + " images";
        return kind switch
        {
            DatasetChangeKind.Labels => $"labeled {images}",
            DatasetChangeKind.Boxes => $"changed the boxes of {images}",
            DatasetChangeKind.Split => $"changed the split of {images}",
            DatasetChangeKind.ImagesAdded => $"added {images}",
            DatasetChangeKind.ImagesRemoved => $"removed {images}",
            DatasetChangeKind.LabelCreated => "created a label",
            DatasetChangeKind.Review => $"reviewed {images}",
            _ => $"changed {images}",
        };
    }

    /// <summary>Stops following; a pending callback is dropped.</summary>
    public void Dispose()
    {
        _subscription.Dispose();
        lock (_gate)
        {
            _disposed = true;
            _timer?.Dispose();
            _timer = null;
            _pending.Clear();
        }
    }
}
