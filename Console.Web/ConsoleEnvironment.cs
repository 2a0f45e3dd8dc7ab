using System.Reflection;
using System.Runtime.InteropServices;
using VisionConsole.Domain;
using VisionConsole.Trainer.Imaging;

namespace VisionConsole.Web;

/// <summary>What the Settings page shows about this installation: where data lives and which versions run.</summary>
public sealed class ConsoleEnvironment(string dataFolder, string databasePath, string blobFolder, IReadOnlyList<(string Name, string Version)> componentVersions)
{
    public string DataFolder { get; } = dataFolder;
    public string DatabasePath { get; } = databasePath;
    public string BlobFolder { get; } = blobFolder;

    /// <summary>The console's own version first, then the runtime, then the native parts it reports.</summary>
    public IReadOnlyList<(string Name, string Version)> Versions { get; } =
    [
        ("Vision Console", ConsoleVersion),
        (".NET", RuntimeInformation.FrameworkDescription),
        ("Operating system", RuntimeInformation.OSDescription),
        .. componentVersions,
    ];

    /// <summary>The running console: its options and the native libraries it loaded.</summary>
    public static ConsoleEnvironment From(ConsoleOptions options) =>
        new(options.DataFolder, options.DatabasePath, options.BlobFolder, [("libvips", VipsImageCodec.LibraryVersion)]);

    public static string ConsoleVersion =>
        typeof(ConsoleEnvironment).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(ConsoleEnvironment).Assembly.GetName().Version?.ToString()
        ?? "unknown";
}
