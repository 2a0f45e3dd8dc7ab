using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace VisionConsole.Trainer.Jobs;

/// <summary>
/// The operation runner's traces and metrics (<see cref="System.Diagnostics"/>, which OpenTelemetry collects when the console
/// turns it on): one activity per operation run, and the instruments <c>visionconsole.operations.queued</c> and
/// <c>.running</c> (gauges), <c>visionconsole.operations.finished</c> (counter by kind and outcome) and
/// <c>visionconsole.operation.duration</c> (seconds, by kind and outcome).
/// </summary>
public sealed class OperationTelemetry
{
    /// <summary>The activity source and meter name.</summary>
    public const string Name = "VisionConsole.Operations";

    /// <summary>The activity source of operation runs.</summary>
    public static ActivitySource Source { get; } = new(Name);

    private readonly Counter<long> _finished;
    private readonly Histogram<double> _duration;
    private long _queued;
    private long _running;

    /// <summary>Creates the instruments on the host's meter factory.</summary>
    public OperationTelemetry(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(Name);
        meter.CreateObservableGauge("visionconsole.operations.queued", () => Interlocked.Read(ref _queued), "{operation}", "Operations waiting for the runner, as of its last look at the queue.");
        meter.CreateObservableGauge("visionconsole.operations.running", () => Interlocked.Read(ref _running), "{operation}", "Operations running now.");
        _finished = meter.CreateCounter<long>("visionconsole.operations.finished", "{operation}", "Operations that ended, by kind and outcome (succeeded, failed, cancelled).");
        _duration = meter.CreateHistogram<double>("visionconsole.operation.duration", "s", "How long an operation ran, from its start to its end, by kind and outcome.");
    }

    /// <summary>The queue held <paramref name="count"/> operations when the runner last read it.</summary>
    public void Queued(int count) => Interlocked.Exchange(ref _queued, count);

    /// <summary>An operation starts: its activity (null when nothing listens) and the running gauge.</summary>
    public Activity? Start(long operationId, string kind)
    {
        Interlocked.Increment(ref _running);
        var activity = Source.StartActivity($"operation {kind}");
        activity?.SetTag("visionconsole.operation.id", operationId);
        activity?.SetTag("visionconsole.operation.kind", kind);
        return activity;
    }

    /// <summary>An operation ended with <paramref name="outcome"/> after <paramref name="seconds"/>.</summary>
    public void Finished(Activity? activity, string kind, string outcome, double seconds, string? error = null)
    {
        Interlocked.Decrement(ref _running);
        var tags = new TagList { { "kind", kind }, { "outcome", outcome } };
        _finished.Add(1, tags);
        _duration.Record(seconds, tags);
        if (activity is null) return;
        activity.SetTag("visionconsole.operation.outcome", outcome);
        if (error is not null) activity.SetStatus(ActivityStatusCode.Error, error);
        activity.Dispose();
    }
}
