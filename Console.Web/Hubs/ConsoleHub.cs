using System.Globalization;
using Microsoft.AspNetCore.SignalR;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Training;

namespace VisionConsole.Web.Hubs;

/// <summary>
/// The console's SignalR hub, <c>/hubs/console</c>. A client joins the group of one operation
/// (<see cref="SubscribeOperation"/>) or of all operations (<see cref="SubscribeOperations"/>) and receives
/// <c>operationUpdated</c> messages carrying an <see cref="OperationUpdate"/> (state, progress with the epoch history, result).
/// A client that joins the group of one dataset (<see cref="SubscribeDataset"/>) receives <c>datasetChanged</c> messages
/// carrying a <see cref="DatasetChange"/> after every committed change to that dataset's labels, boxes, splits or images.
/// </summary>
public sealed class ConsoleHub : Hub
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
}

/// <summary>Relays every <see cref="IDatasetChangeNotifier"/> event to the group of its dataset.</summary>
internal sealed partial class DatasetChangeHubRelay(IDatasetChangeNotifier notifier, IHubContext<ConsoleHub> hub, ILogger<DatasetChangeHubRelay> logger) : IHostedService
{
    private IDisposable? _subscription;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = notifier.Subscribe(Relay);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _subscription?.Dispose();
        return Task.CompletedTask;
    }

    private void Relay(DatasetChange change)
    {
        // Fire and forget: a slow client must never hold up the labeling or import that published.
        _ = SendAsync(change);
    }

    private async Task SendAsync(DatasetChange change)
    {
        try
        {
            await hub.Clients.Group(ConsoleHub.DatasetGroup(change.DatasetId)).SendAsync(ConsoleHub.DatasetChanged, change).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogRelayFailed(ex, change.DatasetId);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Relaying a change of dataset {DatasetId} to SignalR clients failed")]
    private partial void LogRelayFailed(Exception exception, long datasetId);
}

/// <summary>Relays every <see cref="IOperationNotifier"/> event to the hub's groups (the operation's and the all-operations group).</summary>
internal sealed partial class OperationHubRelay(IOperationNotifier notifier, IHubContext<ConsoleHub> hub, ILogger<OperationHubRelay> logger) : IHostedService
{
    private IDisposable? _subscription;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = notifier.Subscribe(Relay);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _subscription?.Dispose();
        return Task.CompletedTask;
    }

    private void Relay(OperationUpdate update)
    {
        // Fire and forget: a slow client must never hold up the training that published.
        _ = SendAsync(update);
    }

    private async Task SendAsync(OperationUpdate update)
    {
        try
        {
            await hub.Clients.Groups(ConsoleHub.OperationGroup(update.Operation.Id), ConsoleHub.AllOperationsGroup)
                .SendAsync(ConsoleHub.OperationUpdated, update).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogRelayFailed(ex, update.Operation.Id);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Relaying the update of operation {OperationId} to SignalR clients failed")]
    private partial void LogRelayFailed(Exception exception, long operationId);
}
