using Microsoft.AspNetCore.Components.Server.Circuits;
using VisionConsole.Domain.Datasets;

namespace VisionConsole.Web.Components.Pages.Datasets;

/// <summary>
/// One page's place in a dataset's presence: it says where the page is (the grid, or an image), follows who else is
/// on the dataset, and leaves when disposed. Each page instance is its own session, so a person with the grid and the
/// viewer open is on both.
/// </summary>
public sealed class PresenceSession : IDisposable
{
    private readonly string _id = Guid.NewGuid().ToString("N");
    private readonly DatasetPresence _presence;
    private readonly string _user;
    private readonly IDisposable _subscription;
    private long _datasetId;
    private long? _imageId;
    private bool _suspended;

    /// <param name="presence">The console's presence tracker.</param>
    /// <param name="user">Who this page belongs to.</param>
    /// <param name="datasetId">The dataset the page shows.</param>
    /// <param name="imageId">The image it shows; null for the grid.</param>
    /// <param name="changed">Called (on the publisher's thread) when the dataset's presence changed.</param>
    public PresenceSession(DatasetPresence presence, string user, long datasetId, long? imageId, Action changed)
    {
        ArgumentNullException.ThrowIfNull(presence);
        _presence = presence;
        _user = user;
        _datasetId = datasetId;
        _subscription = presence.Subscribe(snapshot =>
        {
            if (snapshot.DatasetId == _datasetId)
            {
                Current = snapshot;
                changed();
            }
        });
        Current = presence.Snapshot(datasetId);
        _imageId = imageId;
        presence.Set(_id, user, datasetId, imageId);
    }

    /// <summary>Who is on the dataset now.</summary>
    public PresenceSnapshot Current { get; private set; }

    /// <summary>The other people on the dataset (anywhere in it), by name.</summary>
    public IReadOnlyList<string> Others => [.. Current.People.Select(p => p.User).Where(u => u != _user).Distinct(StringComparer.Ordinal)];

    /// <summary>The other people on <paramref name="imageId"/>.</summary>
    public IReadOnlyList<string> OthersOn(long imageId) => Current.OthersOn(imageId, _user);

    /// <summary>The page moved: another image (or the grid) of the same or another dataset.</summary>
    public void MoveTo(long datasetId, long? imageId)
    {
        _datasetId = datasetId;
        _imageId = imageId;
        if (!_suspended)
        {
            _presence.Set(_id, _user, datasetId, imageId);
        }
        Current = _presence.Snapshot(datasetId);
    }

    /// <summary>The browser went away (its connection dropped): the others stop seeing this page until it is back.</summary>
    public void Suspend()
    {
        _suspended = true;
        _presence.Leave(_id);
    }

    /// <summary>The browser is back: this page is shown where it was.</summary>
    public void Resume()
    {
        _suspended = false;
        _presence.Set(_id, _user, _datasetId, _imageId);
    }

    /// <summary>Whether the page went (disposed sessions are dropped from their circuit's list).</summary>
    public bool Disposed { get; private set; }

    public void Dispose()
    {
        Disposed = true;
        _subscription.Dispose();
        _presence.Leave(_id);
    }
}

/// <summary>
/// The presence sessions of one circuit: pages open them here, and <see cref="PresenceCircuitHandler"/> hides them while
/// the circuit's connection is down (a closed laptop lid, a lost network), since a circuit outlives its connection.
/// </summary>
public sealed class CircuitPresence(DatasetPresence presence)
{
    private readonly Lock _gate = new();
    private readonly List<PresenceSession> _sessions = [];

    /// <summary>A session for a page of this circuit; dispose it when the page goes.</summary>
    public PresenceSession Open(string user, long datasetId, long? imageId, Action changed)
    {
        var session = new PresenceSession(presence, user, datasetId, imageId, changed);
        lock (_gate)
        {
            _sessions.RemoveAll(s => s.Disposed);
            _sessions.Add(session);
        }
        return session;
    }

    internal void SuspendAll()
    {
        foreach (var session in Live())
            session.Suspend();
    }

    internal void ResumeAll()
    {
        foreach (var session in Live())
            session.Resume();
    }

    private List<PresenceSession> Live()
    {
        lock (_gate)
        {
            return [.. _sessions.Where(s => !s.Disposed)];
        }
    }
}

/// <summary>Hides a circuit's presence while its connection is down and shows it again when it is back.</summary>
internal sealed class PresenceCircuitHandler(CircuitPresence sessions) : CircuitHandler
{
    public override Task OnConnectionDownAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        sessions.SuspendAll();
        return Task.CompletedTask;
    }

    public override Task OnConnectionUpAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        sessions.ResumeAll();
        return Task.CompletedTask;
    }
}
