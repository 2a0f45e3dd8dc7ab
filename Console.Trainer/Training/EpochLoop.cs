using System.Diagnostics;

namespace VisionConsole.Trainer.Training;

/// <summary>
/// The epoch loop every TorchSharp training here shares (heads and the fine-tuned backbone top): epochs until the
/// monitored loss (validation, else training) stops improving for <c>Patience</c> epochs, the epoch limit, the
/// wall-clock budget or cancellation, keeping the best epoch's parameters.
/// </summary>
internal static class EpochLoop
{
    /// <summary>The stopping rules.</summary>
    public sealed record Settings(int MaxEpochs, int Patience, double MinImprovement, TimeSpan? TimeBudget);

    /// <summary>How the loop ended.</summary>
    public sealed record Outcome(TrainingStopReason StopReason, int EpochsCompleted, int BestEpoch, IReadOnlyList<HeadTrainingProgress> History);

    /// <param name="settings">Stopping rules.</param>
    /// <param name="stopwatch">Started when the training started (the budget counts from there).</param>
    /// <param name="trainEpoch">
    /// One pass over the training data; it calls its argument before every batch and returns null as soon as that says
    /// stop, else the epoch's mean training loss.
    /// </param>
    /// <param name="evaluate">Validation loss and accuracy, or null without a validation set.</param>
    /// <param name="saveBest">Called when an epoch improved on the best so far: keep the current parameters.</param>
    /// <param name="progress">One report per completed epoch.</param>
    /// <param name="cancellationToken">Ends the loop at the next batch.</param>
    public static Outcome Run(
        Settings settings,
        Stopwatch stopwatch,
        Func<Func<bool>, double?> trainEpoch,
        Func<(double Loss, double Accuracy)>? evaluate,
        Action saveBest,
        IProgress<HeadTrainingProgress>? progress,
        CancellationToken cancellationToken)
    {
        var history = new List<HeadTrainingProgress>();
        var bestLoss = double.PositiveInfinity;
        var bestEpoch = 0;
        var epochsWithoutImprovement = 0;
        TrainingStopReason? stop = null;
        var epoch = 0;
        bool ShouldStop()
        {
            if (cancellationToken.IsCancellationRequested)
                stop = TrainingStopReason.Cancelled;
            else if (settings.TimeBudget is { } budget && stopwatch.Elapsed >= budget)
                stop = TrainingStopReason.BudgetReached;
            return stop is not null;
        }

        while (stop is null && epoch < settings.MaxEpochs)
        {
            var trainLoss = trainEpoch(ShouldStop);
            if (trainLoss is not { } meanLoss)
                break;

            epoch++;
            double? validationLoss = null, validationAccuracy = null;
            if (evaluate is not null)
            {
                var (loss, accuracy) = evaluate();
                validationLoss = loss;
                validationAccuracy = accuracy;
            }
            var report = new HeadTrainingProgress(epoch, settings.MaxEpochs, meanLoss, validationLoss, validationAccuracy);
            history.Add(report);
            progress?.Report(report);

            var monitored = validationLoss ?? meanLoss;
            if (!double.IsFinite(monitored))
            {
                // Diverged: keep the best parameters so far; further steps cannot recover a non-finite state.
                stop = TrainingStopReason.Converged;
            }
            else if (monitored < bestLoss - settings.MinImprovement)
            {
                bestLoss = monitored;
                bestEpoch = epoch;
                epochsWithoutImprovement = 0;
                saveBest();
            }
            else if (++epochsWithoutImprovement >= settings.Patience)
            {
                stop = TrainingStopReason.Converged;
            }
        }
        return new Outcome(stop ?? TrainingStopReason.EpochLimitReached, epoch, bestEpoch, history);
    }
}
