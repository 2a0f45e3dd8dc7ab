using System.Globalization;
using Microsoft.AspNetCore.SignalR;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Operations;

namespace VisionConsole.Web.Hubs;

/// <summary>
/// The console's SignalR hub, <c>/hubs/console</c>. A client joins the group of one operation
/// (<see cref="SubscribeOperation"/>) or of all operations (<see cref="SubscribeOperations"/>) and receives
/// <c>operationUpdated</c> messages carrying an <see cref="OperationUpdate"/> (state, progress with the epoch history, result).
/// A client that joins the group of one dataset (<see cref="SubscribeDataset"/>) receives <c>datasetChanged</c> messages
/// carrying a <see cref="DatasetChange"/> after every committed change to that dataset's labels, boxes, splits or images.
/// A client that says where it is in a dataset (<see cref="JoinDataset"/>) is shown to the others there, and the group
/// receives <c>presenceChanged</c> with a <see cref="PresenceSnapshot"/> whenever someone arrives, moves or leaves.
/// </summary>
public sealed class ConsoleHub(DatasetPresence presence) : Hub
{
    /// <summary>The client method every operation event is sent to.</summary>
    public const string OperationUpdated = "operationUpdated";

    /// <summary>The group of clients following every operation.</summary>
    public const string AllOperationsGroup = "operations";

    /// <summary>The group of clients following one operation.</summary>
    public static string OperationGroup(long operationId) => "operation-" + operationId.ToString(CultureInfo.InvariantCulture);

    /// <summary>Receive the updates of one operation.</summary>
    public Task SubscribeOperation(long operationId) => Groups.AddToGroupAsync(Context.ConnectionId, OperationGroup(operationId));

    /// <summary>Stop receiving the updates of one operation.</summary>
    public Task UnsubscribeOperation(long operationId) => Groups.RemoveFromGroupAsync(Context.ConnectionId, OperationGroup(operationId));

    /// <summary>Receive the updates of every operation.</summary>
    public Task SubscribeOperations() => Groups.AddToGroupAsync(Context.ConnectionId, AllOperationsGroup);

    /// <summary>Stop receiving the updates of every operation.</summary>
    public Task UnsubscribeOperations() => Groups.RemoveFromGroupAsync(Context.ConnectionId, AllOperationsGroup);

    /// <summary>The client method every dataset change is sent to.</summary>
    public const string DatasetChanged = "datasetChanged";

    /// <summary>The group of clients following one dataset.</summary>
    public static string DatasetGroup(long datasetId) => "dataset-" + datasetId.ToString(CultureInfo.InvariantCulture);

    /// <summary>Receive the changes of one dataset (labels, boxes, splits, images added or removed).</summary>
    public Task SubscribeDataset(long datasetId) => Groups.AddToGroupAsync(Context.ConnectionId, DatasetGroup(datasetId));

    /// <summary>Stop receiving the changes of one dataset.</summary>
    public Task UnsubscribeDataset(long datasetId) => Groups.RemoveFromGroupAsync(Context.ConnectionId, DatasetGroup(datasetId));

    /// <summary>The client method presence snapshots are sent to.</summary>
    public const string PresenceChanged = "presenceChanged";

    /// <summary>
    /// This connection is on <paramref name="datasetId"/>, on <paramref name="imageId"/> or (null) its grid: it joins the
    /// dataset's group, the others there see it, and it gets who is there now.
    /// </summary>
    public async Task<PresenceSnapshot> JoinDataset(long datasetId, long? imageId)
    {
        await Groups.AddToGroupAsync(Context.ConnectionId, DatasetGroup(datasetId)).ConfigureAwait(false);
        presence.Set(Context.ConnectionId, Context.User?.Identity?.Name ?? Context.ConnectionId, datasetId, imageId);
        return presence.Snapshot(datasetId);
    }

    /// <summary>This connection left the dataset it was on (it stays in the group until it unsubscribes).</summary>
    public Task LeaveDataset()
    {
        presence.Leave(Context.ConnectionId);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task OnDisconnectedAsync(Exception? exception)
    {
        presence.Leave(Context.ConnectionId);
        return base.OnDisconnectedAsync(exception);
    }
}

/// <summary>
/// Relays every event of an in-process notifier to SignalR clients, fire and forget: a slow client must never hold
/// up the training, labeling or import that published.
/// </summary>
internal abstract partial class HubRelay<TEvent>(IHubContext<ConsoleHub> hub, ILogger logger) : IHostedService
{
    private IDisposable? _subscription;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = Subscribe(value => _ = SendAsync(value));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _subscription?.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Subscribes the relay to its notifier.</summary>
    protected abstract IDisposable Subscribe(Action<TEvent> relay);

    /// <summary>The clients an event goes to.</summary>
    protected abstract IClientProxy Recipients(IHubClients clients, TEvent value);

    /// <summary>The client method an event is sent to.</summary>
    protected abstract string Method { get; }

    /// <summary>What an event is about, for the log.</summary>
    protected abstract string Describe(TEvent value);

    private async Task SendAsync(TEvent value)
    {
        try
        {
            await Recipients(hub.Clients, value).SendAsync(Method, value).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogRelayFailed(ex, Describe(value));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Relaying {Subject} to SignalR clients failed")]
    private partial void LogRelayFailed(Exception exception, string subject);
}

/// <summary>Relays every <see cref="IDatasetChangeNotifier"/> event to the group of its dataset.</summary>
internal sealed class DatasetChangeHubRelay(IDatasetChangeNotifier notifier, IHubContext<ConsoleHub> hub, ILogger<DatasetChangeHubRelay> logger)
    : HubRelay<DatasetChange>(hub, logger)
{
    protected override string Method => ConsoleHub.DatasetChanged;

    protected override IDisposable Subscribe(Action<DatasetChange> relay) => notifier.Subscribe(relay);

    protected override IClientProxy Recipients(IHubClients clients, DatasetChange value) => clients.Group(ConsoleHub.DatasetGroup(value.DatasetId));

    protected override string Describe(DatasetChange value) => $"a {value.Kind} change of dataset {value.DatasetId}";
}

/// <summary>Relays every presence snapshot to the group of its dataset.</summary>
internal sealed class PresenceHubRelay(DatasetPresence presence, IHubContext<ConsoleHub> hub, ILogger<PresenceHubRelay> logger)
    : HubRelay<PresenceSnapshot>(hub, logger)
{
    protected override string Method => ConsoleHub.PresenceChanged;

    protected override IDisposable Subscribe(Action<PresenceSnapshot> relay) => presence.Subscribe(relay);

    protected override IClientProxy Recipients(IHubClients clients, PresenceSnapshot value) => clients.Group(ConsoleHub.DatasetGroup(value.DatasetId));

    protected override string Describe(PresenceSnapshot value) => $"who is on dataset {value.DatasetId}";
}

/// <summary>Relays every <see cref="IOperationNotifier"/> event to the hub's groups (the operation's and the all-operations group).</summary>
internal sealed class OperationHubRelay(IOperationNotifier notifier, IHubContext<ConsoleHub> hub, ILogger<OperationHubRelay> logger)
    : HubRelay<OperationUpdate>(hub, logger)
{
    protected override string Method => ConsoleHub.OperationUpdated;

    protected override IDisposable Subscribe(Action<OperationUpdate> relay) => notifier.Subscribe(relay);

    protected override IClientProxy Recipients(IHubClients clients, OperationUpdate value) =>
        clients.Groups(ConsoleHub.OperationGroup(value.Operation.Id), ConsoleHub.AllOperationsGroup);

    protected override string Describe(OperationUpdate value) => $"the update of operation {value.Operation.Id}";
}
