using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using VisionConsole.Domain.Imaging;

namespace VisionConsole.Trainer.Imaging;

/// <summary>Registers image decoding (libvips) and the content-addressed image store.</summary>
public static class ImagingServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="VipsImageCodec"/> as the singleton <see cref="IImageCodec"/> and <see cref="ImageStore"/> as the
    /// singleton <see cref="IImageStore"/>. <see cref="ImageStoreOptions.BlobFolder"/> must be configured, here
    /// through <paramref name="configure"/> or elsewhere through the options pattern.
    /// </summary>
    public static IServiceCollection AddVipsImaging(this IServiceCollection services, Action<ImageStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<ImageStoreOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        services.TryAddSingleton<IImageCodec, VipsImageCodec>();
        services.TryAddSingleton<IImageStore, ImageStore>();
        return services;
    }
}
