using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace VisionConsole.Domain.Storage;

/// <summary>Rows of a backed-up database, counted in its snapshot (and checked again after a restore).</summary>
public sealed record BackupCounts(long Datasets, long Labels, long Images, long ImageLabels, long Boxes, long Models, long ModelVersions, long HostedModels, long AuditEvents);

/// <summary>What a backup holds: its <c>backup.json</c>.</summary>
/// <param name="Format">The backup layout's version (<see cref="DataBackup.FormatVersion"/>).</param>
/// <param name="CreatedAt">When the database snapshot was taken: every write acknowledged before it is in the backup.</param>
/// <param name="Migration">The database's latest schema step; a restore into a newer console upgrades it on start.</param>
/// <param name="Files">Files besides the database.</param>
/// <param name="Bytes">Their size.</param>
/// <param name="Counts">The snapshot's rows.</param>
public sealed record BackupManifest(int Format, DateTimeOffset CreatedAt, string Migration, int Files, long Bytes, BackupCounts Counts);

/// <summary>Progress of a backup or a restore: files done of the total.</summary>
public sealed record BackupStep(string Message, int Files, int TotalFiles);

/// <summary>
/// Consistent backups of a data folder while the console runs, and their restore into a fresh data folder. A backup is
/// one zip: <c>console.db</c>, a snapshot taken with SQLite's online backup API (writers keep going: in WAL mode the
/// snapshot is one read transaction), then the files the database points at or that cannot be made again (<c>blobs/</c>
/// without thumbnails, <c>models/</c> without staging folders, <c>hosted/</c>, import <c>reports/</c>, the data-protection
/// <c>keys/</c>), then <c>backup.json</c>. Left out, because the console makes them again or they are transient: the
/// feature cache, thumbnails, dataset exports, uploads of imports still running, the zoo cache and earlier backups.
/// </summary>
/// <remarks>
/// Images and model files are written once under names that never change (images by content hash, model versions by
/// folder), so files copied after the snapshot include every one the snapshot refers to; newer ones are harmless extras.
/// A blob deleted right after the snapshot survives the storage sweep's grace period, longer than a copy takes.
/// </remarks>
public static class DataBackup
{
    /// <summary>The layout version written into <c>backup.json</c>.</summary>
    public const int FormatVersion = 1;

    /// <summary>The database's entry.</summary>
    public const string DatabaseEntry = "console.db";

    /// <summary>The manifest's entry.</summary>
    public const string ManifestEntry = "backup.json";

    /// <summary>Where the Settings page's backups go: <c>&lt;data&gt;/backups/</c> (never itself backed up).</summary>
    public static string BackupFolder(ConsoleOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Path.Combine(options.DataFolder, "backups");
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Writes a backup of the data folder of <paramref name="options"/> to <paramref name="destination"/> (a temporary file, then moved there).</summary>
    /// <exception cref="DomainException"><c>no-database</c>: the data folder has no database.</exception>
    public static async Task<BackupManifest> WriteAsync(ConsoleOptions options, string destination, IProgress<BackupStep>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(destination);
        if (!File.Exists(options.DatabasePath))
            throw new DomainException("no-database", $"{options.DatabasePath} does not exist: there is nothing to back up in {options.DataFolder}.");
        destination = Path.GetFullPath(destination);
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        var temp = destination + $".{Guid.NewGuid():N}.tmp";
        var snapshot = temp + ".db";
        try
        {
            progress?.Report(new BackupStep("taking the database snapshot", 0, 0));
            var createdAt = DateTimeOffset.UtcNow;
            Snapshot(options.DatabasePath, snapshot);
            var (migration, counts) = Describe(snapshot);
            var files = FilesToCopy(options).ToList();
            long bytes = 0;
            var copied = 0;
            BackupManifest manifest;
            await using (var stream = File.Create(temp))
            {
                using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
                {
                    zip.CreateEntryFromFile(snapshot, DatabaseEntry, CompressionLevel.Optimal);
                    for (var i = 0; i < files.Count; i++)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        var (path, entryName) = files[i];
                        try
                        {
                            var length = new FileInfo(path).Length;
                            // Images and model files are compressed already; the rest is small.
                            zip.CreateEntryFromFile(path, entryName, CompressionLevel.NoCompression);
                            bytes += length;
                            copied++;
                        }
                        catch (FileNotFoundException)
                        {
                            // A blob swept or a staging file moved during the walk: the snapshot does not refer to it.
                        }
                        if (i % 200 == 0 || i == files.Count - 1)
                            progress?.Report(new BackupStep($"copying files ({i + 1} of {files.Count})", i + 1, files.Count));
                    }
                    manifest = new BackupManifest(FormatVersion, createdAt, migration, copied, bytes, counts);
                    await using var entry = zip.CreateEntry(ManifestEntry, CompressionLevel.Optimal).Open();
                    await JsonSerializer.SerializeAsync(entry, manifest, Json, cancellationToken).ConfigureAwait(false);
                }
                // The zip's directory is written when it closes; then the bytes go to disk before the name appears.
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, destination, overwrite: true);
            return manifest;
        }
        finally
        {
            File.Delete(temp);
            File.Delete(snapshot);
        }
    }

    /// <summary>Reads a backup's manifest without restoring it.</summary>
    /// <exception cref="DomainException"><c>invalid-backup</c>: not a backup this console reads.</exception>
    public static async Task<BackupManifest> ReadManifestAsync(string backup, CancellationToken cancellationToken = default)
    {
        using var zip = OpenBackup(backup);
        return await ReadManifestAsync(zip, backup, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Restores <paramref name="backup"/> into the data folder of <paramref name="target"/>, which must hold no database yet,
    /// then checks that the restored database opens and has the rows the manifest counted. The console upgrades an older
    /// schema when it starts on the folder.
    /// </summary>
    /// <exception cref="DomainException"><c>invalid-backup</c> (not a backup, an entry outside the data folder, rows missing), <c>data-folder-in-use</c> (the folder has a database).</exception>
    public static async Task<BackupManifest> RestoreAsync(string backup, ConsoleOptions target, IProgress<BackupStep>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (File.Exists(target.DatabasePath))
            throw new DomainException("data-folder-in-use", $"{target.DataFolder} already holds a database ({target.DatabasePath}); restore into a new, empty data folder.");
        using var zip = OpenBackup(backup);
        var manifest = await ReadManifestAsync(zip, backup, cancellationToken).ConfigureAwait(false);
        var data = Path.GetFullPath(target.DataFolder) + Path.DirectorySeparatorChar;
        var blobs = Path.GetFullPath(target.BlobFolder) + Path.DirectorySeparatorChar;
        var entries = zip.Entries.Where(e => e.FullName != ManifestEntry && !e.FullName.EndsWith('/')).ToList();
        for (var i = 0; i < entries.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var entry = entries[i];
            var name = entry.FullName.Replace('\\', '/');
            var (root, relative) = name == DatabaseEntry ? (data, "") : name.StartsWith("blobs/", StringComparison.Ordinal) ? (blobs, name["blobs/".Length..]) : (data, name);
            var path = name == DatabaseEntry ? Path.GetFullPath(target.DatabasePath) : Path.GetFullPath(Path.Combine(root, relative));
            // Zip slip: an entry named ../x or /x must not land outside the data folder.
            if (name != DatabaseEntry && (!path.StartsWith(root, StringComparison.Ordinal) || Path.IsPathRooted(relative)))
                throw new DomainException("invalid-backup", $"{backup}: entry '{entry.FullName}' points outside the data folder; the backup was not restored any further.");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            entry.ExtractToFile(path, overwrite: false);
            if (i % 200 == 0 || i == entries.Count - 1)
                progress?.Report(new BackupStep($"restoring files ({i + 1} of {entries.Count})", i + 1, entries.Count));
        }
        var (_, counts) = Describe(target.DatabasePath);
        if (counts != manifest.Counts)
            throw new DomainException("invalid-backup", $"{backup}: the restored database has {counts}; its manifest counted {manifest.Counts}.");
        return manifest;
    }

    private static ZipArchive OpenBackup(string backup)
    {
        try
        {
            return ZipFile.OpenRead(backup);
        }
        catch (InvalidDataException ex)
        {
            throw new DomainException("invalid-backup", $"{backup} is not a zip ({ex.Message}).");
        }
    }

    private static async Task<BackupManifest> ReadManifestAsync(ZipArchive zip, string backup, CancellationToken cancellationToken)
    {
        var entry = zip.GetEntry(ManifestEntry) ?? throw new DomainException("invalid-backup", $"{backup} has no {ManifestEntry}: not a Vision Console backup.");
        if (zip.GetEntry(DatabaseEntry) is null)
            throw new DomainException("invalid-backup", $"{backup} has no {DatabaseEntry}.");
        BackupManifest? manifest;
        await using (var stream = entry.Open())
        {
            try
            {
                manifest = await JsonSerializer.DeserializeAsync<BackupManifest>(stream, Json, cancellationToken).ConfigureAwait(false);
            }
            catch (JsonException ex)
            {
                throw new DomainException("invalid-backup", $"{backup}: {ManifestEntry} does not read ({ex.Message}).");
            }
        }
        if (manifest is null || manifest.Format != FormatVersion || manifest.Counts is null)
            throw new DomainException("invalid-backup", $"{backup}: {ManifestEntry} is of format {manifest?.Format}; this console reads format {FormatVersion}.");
        return manifest;
    }

    /// <summary>SQLite's online backup of the live file into <paramref name="snapshot"/>, in one step (one read transaction).</summary>
    private static void Snapshot(string database, string snapshot)
    {
        SqliteNativeIsolation.Ensure();
        using var source = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadOnly, Pooling = false, DefaultTimeout = 30 }.ToString());
        using var copy = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = snapshot, Pooling = false }.ToString());
        source.Open();
        copy.Open();
        source.BackupDatabase(copy);
        // The copy keeps the source's WAL mode in its header; a single file is what goes into the zip.
        using var command = copy.CreateCommand();
        command.CommandText = "PRAGMA journal_mode = DELETE;";
        command.ExecuteNonQuery();
    }

    private static (string Migration, BackupCounts Counts) Describe(string database)
    {
        SqliteNativeIsolation.Ensure();
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        object? Scalar(string sql)
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            return command.ExecuteScalar();
        }
        long Count(string table) => Convert.ToInt64(Scalar($"SELECT COUNT(*) FROM \"{table}\""), CultureInfo.InvariantCulture);
        var migration = Scalar("SELECT MigrationId FROM __EFMigrationsHistory ORDER BY MigrationId DESC LIMIT 1") as string ?? "";
        return (migration, new BackupCounts(Count("Datasets"), Count("Labels"), Count("Images"), Count("ImageLabels"), Count("Boxes"),
            Count("Models"), Count("ModelVersions"), Count("HostedModels"), Count("AuditEvents")));
    }

    /// <summary>The files a backup copies, with their entry names.</summary>
    private static IEnumerable<(string Path, string Entry)> FilesToCopy(ConsoleOptions options)
    {
        var walk = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
        IEnumerable<(string, string)> Under(string folder, string prefix, params string[] skipFolders)
        {
            if (!Directory.Exists(folder))
                yield break;
            var root = Path.GetFullPath(folder);
            var skip = skipFolders.Select(s => Path.Combine(root, s) + Path.DirectorySeparatorChar).ToArray();
            foreach (var file in Directory.EnumerateFiles(root, "*", walk).Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(file);
                // Temporary files of writes in progress start with a dot or end in .tmp.
                if (name.StartsWith('.') || name.EndsWith(".tmp", StringComparison.Ordinal) || skip.Any(s => file.StartsWith(s, StringComparison.Ordinal)))
                    continue;
                yield return (file, prefix + Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/'));
            }
        }
        var data = options.DataFolder;
        return Under(options.BlobFolder, "blobs/", DataFolderUsage.ThumbnailFolderName)
            .Concat(Under(Path.Combine(data, "models"), "models/", ".staging"))
            .Concat(Under(Path.Combine(data, "hosted"), "hosted/"))
            .Concat(Under(options.ReportFolder, "reports/"))
            .Concat(Under(Path.Combine(data, "keys"), "keys/"));
    }
}
