using Microsoft.Extensions.Logging.Abstractions;
using VisionConsole.Domain.Datasets;
using VisionConsole.Web.Components.Pages.Datasets;

namespace VisionConsole.Tests.Web.Components;

/// <summary>How a dataset page gathers bursts of changes into one reload and words other people's changes.</summary>
public sealed class DatasetChangeFeedTests
{
    private static readonly DateTimeOffset At = DateTimeOffset.UnixEpoch;

    [Fact]
    public void Feed_BurstOfChanges_OneCallbackWithThisDatasetsChangesWhenTheTimerFires()
    {
        var notifier = new DatasetChangeNotifier(NullLogger<DatasetChangeNotifier>.Instance);
        var time = new ManualTimers();
        var calls = new List<IReadOnlyList<DatasetChange>>();
        using var feed = new DatasetChangeFeed(notifier, time, () => 7, changes =>
        {
            calls.Add(changes);
            return Task.CompletedTask;
        });

        notifier.Publish(DatasetChange.Of(7, [1], DatasetChangeKind.ImagesAdded, "ann", At));
        notifier.Publish(DatasetChange.Of(8, [2], DatasetChangeKind.Labels, "ann", At));
        notifier.Publish(DatasetChange.Of(7, [3], DatasetChangeKind.ImagesAdded, "ann", At));

        Assert.Empty(calls);
        var timer = Assert.Single(time.Timers);
        Assert.Equal(DatasetChangeFeed.Delay, timer.DueTime);
        timer.Fire();
        var delivered = Assert.Single(calls);
        Assert.Equal([1L, 3L], delivered.SelectMany(c => c.ImageIds));

        // The next burst starts a new timer.
        notifier.Publish(DatasetChange.Of(7, [4], DatasetChangeKind.Labels, "bob", At));
        Assert.Equal(2, time.Timers.Count);
        time.Timers[1].Fire();
        Assert.Equal(2, calls.Count);
    }

    [Fact]
    public void Feed_Disposed_DropsThePendingChangesAndHearsNoMore()
    {
        var notifier = new DatasetChangeNotifier(NullLogger<DatasetChangeNotifier>.Instance);
        var time = new ManualTimers();
        var calls = 0;
        var feed = new DatasetChangeFeed(notifier, time, () => 7, _ =>
        {
            calls++;
            return Task.CompletedTask;
        });
        notifier.Publish(DatasetChange.Of(7, [1], DatasetChangeKind.Labels, "ann", At));

        feed.Dispose();
        time.Timers[0].Fire();
        notifier.Publish(DatasetChange.Of(7, [2], DatasetChangeKind.Labels, "ann", At));

        Assert.Equal(0, calls);
        Assert.Single(time.Timers);
    }

    [Fact]
    public void Describe_ChangesByOthersAndByMe_NamesOnlyTheOthers()
    {
        DatasetChange[] changes =
        [
            DatasetChange.Of(7, [1, 2], DatasetChangeKind.Labels, "ann", At),
            DatasetChange.Of(7, [3], DatasetChangeKind.Labels, "ann", At),
            DatasetChange.Of(7, [4], DatasetChangeKind.Labels, "me", At),
            DatasetChange.Of(7, [5], DatasetChangeKind.ImagesAdded, "bob", At),
        ];

        Assert.Equal("ann labeled 3 images; bob added 1 image", DatasetChangeFeed.Describe(changes, "me"));
        Assert.Null(DatasetChangeFeed.Describe([changes[2]], "me"));
    }

    /// <summary>Timers that fire only when the test says so.</summary>
    private sealed class ManualTimers : TimeProvider
    {
        public List<ManualTimer> Timers { get; } = [];

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = new ManualTimer(callback, state, dueTime);
            Timers.Add(timer);
            return timer;
        }
    }

    private sealed class ManualTimer(TimerCallback callback, object? state, TimeSpan dueTime) : ITimer
    {
        public TimeSpan DueTime { get; } = dueTime;

        public void Fire() => callback(state);

        public bool Change(TimeSpan dueTime, TimeSpan period) => true;

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
