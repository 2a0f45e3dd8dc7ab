using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using VisionConsole.Trainer.Inference;

namespace VisionConsole.Trainer.Embedding;

/// <summary>Registers ONNX Runtime feature extraction.</summary>
public static class EmbeddingServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="OrtOptions"/> (section <c>Ort</c>) and <see cref="EmbeddingOptions"/> (section
    /// <c>Embedding</c>) and registers the one <see cref="OrtRuntime"/> (also as <see cref="IExecutionProviderInfo"/>)
    /// and the one <see cref="EmbeddingService"/>.
    /// </summary>
    public static IServiceCollection AddEmbedding(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.Configure<OrtOptions>(configuration.GetSection(OrtOptions.SectionName));
        services.Configure<EmbeddingOptions>(configuration.GetSection(EmbeddingOptions.SectionName));
        services.TryAddSingleton<OrtRuntime>();
        services.TryAddSingleton<IExecutionProviderInfo>(provider => provider.GetRequiredService<OrtRuntime>());
        services.TryAddSingleton<EmbeddingService>();
        return services;
    }
}
