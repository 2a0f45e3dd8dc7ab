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
    /// Adds <see cref="IModelZoo"/> with options read by <see cref="ReadOptions"/>; the data folder defaults to
    /// <c>DataFolder</c>, else <c>.data</c>.
    /// </summary>
    public static IServiceCollection AddModelZoo(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddModelZoo(ReadOptions(configuration, configuration["DataFolder"] ?? ".data"));
    }

    /// <summary>
    /// Reads the zoo's settings. Data folder: <c>Zoo:DataFolder</c>, else <paramref name="defaultDataFolder"/>.
    /// Mirror: <c>Zoo:Mirror</c>, else the <c>--zoo-mirror</c> command-line switch, else
    /// <c>VISIONCONSOLE_ZOO_MIRROR</c>. <c>Zoo:AllowDownloads</c> (default true) allows npm and official URLs.
    /// </summary>
    public static ZooOptions ReadOptions(IConfiguration configuration, string defaultDataFolder)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return new ZooOptions(
            DataFolder: configuration["Zoo:DataFolder"] ?? defaultDataFolder,
            Mirror: configuration["Zoo:Mirror"] ?? configuration["zoo-mirror"] ?? Environment.GetEnvironmentVariable(MirrorEnvironmentVariable),
            NpmCacheFolder: configuration["Zoo:NpmCacheFolder"],
            AllowDownloads: !bool.TryParse(configuration["Zoo:AllowDownloads"], out var allow) || allow);
    }

    /// <summary>Adds <see cref="IModelZoo"/> with explicit options.</summary>
    public static IServiceCollection AddModelZoo(this IServiceCollection services, ZooOptions options) =>
        services.AddModelZoo(_ => options);

    /// <summary>Adds <see cref="IModelZoo"/> with options made when it is first needed (for example from <c>ConsoleOptions</c>).</summary>
    public static IServiceCollection AddModelZoo(this IServiceCollection services, Func<IServiceProvider, ZooOptions> options)
    {
        services.AddSingleton<ZooOptions>(options);
        services.AddHttpClient(nameof(ModelZoo));
        services.AddSingleton<IModelZoo>(sp => new ModelZoo(
            sp.GetRequiredService<ZooOptions>(),
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(ModelZoo)),
            sp.GetService<ILogger<ModelZoo>>()));
        return services;
    }
}
