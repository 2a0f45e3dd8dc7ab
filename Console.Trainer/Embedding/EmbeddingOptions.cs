namespace VisionConsole.Trainer.Embedding;

/// <summary>Feature extraction settings, bound from the <c>Embedding</c> configuration section.</summary>
public sealed class EmbeddingOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Embedding";

    /// <summary>Images per model run when the model's batch dimension is dynamic.</summary>
    public int BatchSize { get; set; } = 16;
}
