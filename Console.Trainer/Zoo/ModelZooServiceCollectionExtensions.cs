using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace VisionConsole.Trainer.Zoo;

/// <summary>Registers the model zoo.</summary>
public static class ModelZooServiceCollectionExtensions
{
    /// <summary>Environment variable naming the offline mirror folder.</summary>
    public const string MirrorEnvironmentVariable = "VISIONCONSOLE_ZOO_MIRROR";

    /// <summary>
    /// Adds <see cref="IModelZoo"/>. Data folder: <c>Zoo:DataFolder</c>, else <c>DataFolder</c>, else <c>.data</c>.
    /// Mirror: <c>Zoo:Mirror</c>, else the <c>--zoo-mirror</c> command-line switch, else
    /// <c>VISIONCONSOLE_ZOO_MIRROR</c>. <c>Zoo:AllowDownloads</c> (default true) allows npm and official URLs.
    /// </summary>
    public static IServiceCollection AddModelZoo(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = new ZooOptions(
            DataFolder: configuration["Zoo:DataFolder"] ?? configuration["DataFolder"] ?? ".data",
            Mirror: configuration["Zoo:Mirror"] ?? configuration["zoo-mirror"] ?? Environment.GetEnvironmentVariable(MirrorEnvironmentVariable),
            NpmCacheFolder: configuration["Zoo:NpmCacheFolder"],
            AllowDownloads: !bool.TryParse(configuration["Zoo:AllowDownloads"], out var allow) || allow);
        return services.AddModelZoo(options);
    }

    /// <summary>Adds <see cref="IModelZoo"/> with explicit options.</summary>
    public static IServiceCollection AddModelZoo(this IServiceCollection services, ZooOptions options)
    {
        services.AddSingleton(options);
        services.AddHttpClient(nameof(ModelZoo));
        services.AddSingleton<IModelZoo>(sp => new ModelZoo(
            sp.GetRequiredService<ZooOptions>(),
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(ModelZoo)),
            sp.GetService<ILogger<ModelZoo>>()));
        return services;
    }
}
