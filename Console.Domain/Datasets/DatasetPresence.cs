using Microsoft.Extensions.Logging;

namespace VisionConsole.Domain.Datasets;

/// <summary>One person on a dataset: on its grid (no image), or on one image in the viewer, the canvas or the queue.</summary>
/// <param name="User">The account name.</param>
/// <param name="ImageId">The image they have open; null on the grid.</param>
public sealed record PresenceEntry(string User, long? ImageId);

/// <summary>Who is on a dataset now (one entry per person and image, sorted), sent whenever it changes.</summary>
/// <param name="DatasetId">The dataset.</param>
/// <param name="People">Everyone on it.</param>
public sealed record PresenceSnapshot(long DatasetId, IReadOnlyList<PresenceEntry> People)
{
    /// <summary>The other people on <paramref name="imageId"/> than <paramref name="user"/>.</summary>
    public IReadOnlyList<string> OthersOn(long imageId, string user) =>
        [.. People.Where(p => p.ImageId == imageId && p.User != user).Select(p => p.User).Distinct(StringComparer.Ordinal)];
}

/// <summary>
/// Who is on which dataset and image, in this process: every page and every SignalR connection is a session that says
/// where it is (<see cref="Set"/>) and leaves (<see cref="Leave"/>); each change publishes the dataset's snapshot. It is
/// held in memory because presence is live state that dies with the connection (scale-out relays it like the rest).
/// </summary>
public sealed partial class DatasetPresence(ILogger<DatasetPresence> logger) : InProcessNotifier<PresenceSnapshot>
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (string User, long DatasetId, long? ImageId)> _sessions = new(StringComparer.Ordinal);

    /// <summary>Session <paramref name="sessionId"/> of <paramref name="user"/> is on <paramref name="datasetId"/>, on <paramref name="imageId"/> or its grid.</summary>
    public void Set(string sessionId, string user, long datasetId, long? imageId)
    {
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        ArgumentException.ThrowIfNullOrEmpty(user);
        long? left;
        lock (_gate)
        {
            left = _sessions.TryGetValue(sessionId, out var before) && before.DatasetId != datasetId ? before.DatasetId : null;
            if (before == (user, datasetId, imageId))
            {
                return;
            }
            _sessions[sessionId] = (user, datasetId, imageId);
        }
        if (left is { } previous)
        {
            Publish(Snapshot(previous));
        }
        Publish(Snapshot(datasetId));
    }

    /// <summary>Session <paramref name="sessionId"/> left (its page closed or its connection dropped); nothing happens for an unknown one.</summary>
    public void Leave(string sessionId)
    {
        long datasetId;
        lock (_gate)
        {
            if (!_sessions.Remove(sessionId, out var before))
            {
                return;
            }
            datasetId = before.DatasetId;
        }
        Publish(Snapshot(datasetId));
    }

    /// <summary>Who is on <paramref name="datasetId"/> now.</summary>
    public PresenceSnapshot Snapshot(long datasetId)
    {
        lock (_gate)
        {
            return new PresenceSnapshot(datasetId, [.. _sessions.Values.Where(s => s.DatasetId == datasetId)
                .Select(s => new PresenceEntry(s.User, s.ImageId)).Distinct()
                .OrderBy(p => p.User, StringComparer.Ordinal).ThenBy(p => p.ImageId)]);
        }
    }

    /// <inheritdoc />
    protected override void OnHandlerFailed(Exception exception, PresenceSnapshot value) => LogHandlerFailed(exception, value.DatasetId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A presence subscriber of dataset {DatasetId} failed")]
    private partial void LogHandlerFailed(Exception exception, long datasetId);
}
