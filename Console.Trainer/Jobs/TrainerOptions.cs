namespace VisionConsole.Trainer.Jobs;

/// <summary>Settings of the hosted trainer, bound from the <c>Trainer</c> configuration section.</summary>
public sealed class TrainerOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Trainer";

    /// <summary>Trainings run at once (default 1: each already uses every core).</summary>
    public int MaxConcurrentJobs { get; set; } = 1;

    /// <summary>How often the queue is read even without a signal (another process may have queued work).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The longest wall-clock budget a training may ask for (AutoML's budgets run to days of node hours; here
    /// 1 milli node hour = 3.6 s, so 1000 = one hour). Default 8 hours.
    /// </summary>
    public TimeSpan MaxBudget { get; set; } = TimeSpan.FromHours(8);

    /// <summary>The budget of a request that names none: 1000 milli node hours, one hour.</summary>
    public TimeSpan DefaultBudget { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// The least time the head gets even when embedding used up the budget (features are needed either way and
    /// are cached, so spending them on a useless head would waste the run).
    /// </summary>
    public TimeSpan MinimumHeadTime { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often progress is written to the database (live clients get every report through the notifier).</summary>
    public TimeSpan ProgressSaveInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Images decoded together before one backbone run over all their views.</summary>
    public int EmbeddingChunkImages { get; set; } = 8;

    /// <summary>The budget a request gets: its own (minutes win over node hours) or the default, capped.</summary>
    public TimeSpan ResolveBudget(Domain.Training.TrainingRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var requested = request.RequestedBudget ?? DefaultBudget;
        return requested > MaxBudget ? MaxBudget : requested;
    }
}
