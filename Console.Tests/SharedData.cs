namespace VisionConsole.Tests;

/// <summary>
/// The read-only real datasets and offline model mirror that sit beside the repository (<c>../shared</c>), found by
/// walking up from the test binaries; <c>VISIONCONSOLE_SHARED</c> points elsewhere. Tests read them in place.
/// </summary>
internal static class SharedData
{
    private static readonly Lazy<string> RootFolder = new(Locate);

    /// <summary>The <c>shared</c> folder.</summary>
    public static string Root => RootFolder.Value;

    /// <summary><c>shared/datasets</c>.</summary>
    public static string Datasets => Path.Combine(Root, "datasets");

    /// <summary><c>shared/zoo</c>, the offline mirror the zoo's source chain is pointed at.</summary>
    public static string Zoo => Path.Combine(Root, "zoo");

    /// <summary><c>shared/datasets/hymenoptera</c> (train and val, ants and bees).</summary>
    public static string Hymenoptera => Path.Combine(Datasets, "hymenoptera");

    /// <summary><c>shared/datasets/raccoon</c> (200 photos, Pascal VOC and CSV boxes).</summary>
    public static string Raccoon => Path.Combine(Datasets, "raccoon");

    private static string Locate()
    {
        var configured = Environment.GetEnvironmentVariable("VISIONCONSOLE_SHARED");
        if (!string.IsNullOrEmpty(configured))
        {
            return Path.GetFullPath(configured);
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            // The repository's own folder holds no "shared"; its parent does.
            var candidate = Path.Combine(dir.FullName, "shared");
            if (Directory.Exists(Path.Combine(candidate, "datasets")) && Directory.Exists(Path.Combine(candidate, "zoo")))
            {
                return candidate;
            }
        }
        throw new DirectoryNotFoundException(
            $"No shared/ folder (datasets and zoo) above {AppContext.BaseDirectory}; clone the repository beside it or set VISIONCONSOLE_SHARED.");
    }
}
