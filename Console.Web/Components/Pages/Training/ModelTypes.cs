namespace VisionConsole.Web.Components.Pages.Training;

/// <summary>A model type as the training form offers it.</summary>
public sealed record ModelTypeOption(string Id, string Name, string Description);

/// <summary>The three model types (AutoML Vision Edge's names) with one line each on what they trade.</summary>
public static class ModelTypes
{
    public static IReadOnlyList<ModelTypeOption> All { get; } =
    [
        new("mobile-low-latency-1", "Low latency", "Fastest on device: one backbone pass and a linear head, trained on each image and its mirror image."),
        new("mobile-versatile-1", "Versatile", "The default: the same fast model on device, trained on more views (mirror image and five crops) for steadier results."),
        new("mobile-high-accuracy-1", "High accuracy", "Most accurate: a small neural-network head trained on crops and colour changes; prediction looks twice (image and mirror), so it is slower."),
    ];
}
