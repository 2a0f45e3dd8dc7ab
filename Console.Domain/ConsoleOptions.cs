namespace VisionConsole.Domain;

/// <summary>
/// Where the console keeps its data. Everything lives under <see cref="DataFolder"/> unless a path is
/// set explicitly, so several instances with separate data folders can run side by side.
/// </summary>
public sealed class ConsoleOptions
{
    private string? _databasePath;
    private string? _blobFolder;

    /// <summary>The data folder (command line <c>--data</c>, environment <c>VISIONCONSOLE_DATA</c>, default <c>./.data</c>).</summary>
    public string DataFolder { get; set; } = Path.GetFullPath(".data");

    /// <summary>The SQLite database file; default <c>&lt;data&gt;/console.db</c>.</summary>
    public string DatabasePath
    {
        get => _databasePath ?? Path.Combine(DataFolder, "console.db");
        set => _databasePath = value;
    }

    /// <summary>The content-addressed image store; default <c>&lt;data&gt;/blobs</c>.</summary>
    public string BlobFolder
    {
        get => _blobFolder ?? Path.Combine(DataFolder, "blobs");
        set => _blobFolder = value;
    }

    /// <summary>Where uploads wait for their import operation: <c>&lt;data&gt;/uploads/&lt;operation&gt;/</c>, deleted when it ends.</summary>
    public string UploadFolder => Path.Combine(DataFolder, "uploads");

    /// <summary>Finished exports: <c>&lt;data&gt;/exports/&lt;operation&gt;.zip</c>.</summary>
    public string ExportFolder => Path.Combine(DataFolder, "exports");

    /// <summary>Import reports: <c>&lt;data&gt;/reports/import-&lt;operation&gt;.csv</c>.</summary>
    public string ReportFolder => Path.Combine(DataFolder, "reports");

    /// <summary>How long a SQLite writer waits for another before giving up.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a blob (original or thumbnail) that no image refers to is kept after it was last written, before the
    /// storage sweep removes it (command line <c>--sweep-grace</c>, for example <c>00:10:00</c>; default 10 minutes).
    /// An intake stores a blob before it commits the image row; this is the time it has to commit.
    /// </summary>
    public TimeSpan SweepGracePeriod { get; set; } = TimeSpan.FromMinutes(10);
}

/// <summary>The person behind the current request; one place to change when real identity arrives.</summary>
public interface ICurrentUser
{
    /// <summary>The user's name as audit events and "added by" columns record it.</summary>
    string Name { get; }
}
