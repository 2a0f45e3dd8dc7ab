using VisionConsole.Domain.Storage;

namespace VisionConsole.Trainer.Jobs;

/// <summary>The storage sweep's part in the trainer: removes cached features of images no dataset holds any more.</summary>
public sealed class FeatureCacheSweep(FeatureCache cache) : IImageDataSweep
{
    /// <summary>Name of this sweep's tally.</summary>
    public const string SweepName = "feature cache";

    /// <inheritdoc />
    public string Name => SweepName;

    /// <inheritdoc />
    public Task<SweepTally> SweepAsync(ImageReferences references, CancellationToken cancellationToken) =>
        cache.RemoveUnreferencedAsync(references, cancellationToken);
}
