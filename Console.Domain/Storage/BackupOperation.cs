using System.Globalization;
using VisionConsole.Domain.Operations;

namespace VisionConsole.Domain.Storage;

/// <summary>A backup of the data folder, asked for on the Settings page (the command line runs <see cref="DataBackup"/> itself).</summary>
/// <param name="User">Who asked (for the audit).</param>
public sealed record BackupRequest(string User = "system") : OperationRequest
{
    /// <summary>The operation kind of a backup.</summary>
    public const string Kind = "backup";
}

/// <summary>A backup's progress: what it is doing, and files copied of the total.</summary>
public sealed record BackupProgress(string Message, int Files, int TotalFiles) : OperationProgress;

/// <summary>A finished backup.</summary>
/// <param name="File">The zip, relative to the data folder (under <c>backups/</c>).</param>
/// <param name="ByteSize">Its size.</param>
/// <param name="Manifest">What it holds.</param>
public sealed record BackupResult(string File, long ByteSize, BackupManifest Manifest) : OperationResult;

/// <summary>One backup zip in the data folder's <c>backups/</c>.</summary>
public sealed record BackupFile(string Name, long ByteSize, DateTimeOffset WrittenAt);

/// <summary>Starts backups as operations and lists the ones written.</summary>
public sealed class BackupService(OperationStore store, ConsoleOptions options)
{
    /// <summary>Queues a backup of the whole data folder.</summary>
    public Task<OperationSummary> StartAsync(string user, CancellationToken cancellationToken = default) =>
        store.CreateAsync(new BackupRequest(user), null, user, new { kind = BackupRequest.Kind }, cancellationToken: cancellationToken);

    /// <summary>The backups in <c>backups/</c>, newest first.</summary>
    public IReadOnlyList<BackupFile> List()
    {
        var folder = DataBackup.BackupFolder(options);
        return !Directory.Exists(folder)
            ? []
            : [.. new DirectoryInfo(folder).EnumerateFiles("*.zip").OrderByDescending(f => f.LastWriteTimeUtc)
                .Select(f => new BackupFile(f.Name, f.Length, new DateTimeOffset(f.LastWriteTimeUtc, TimeSpan.Zero)))];
    }

    /// <summary>The path of backup <paramref name="name"/>, or null when there is none by that name (only plain names of <c>backups/</c> are served).</summary>
    public string? Find(string name)
    {
        if (string.IsNullOrEmpty(name) || name != Path.GetFileName(name) || !name.EndsWith(".zip", StringComparison.Ordinal) || name.StartsWith('.'))
            return null;
        var path = Path.Combine(DataBackup.BackupFolder(options), name);
        return File.Exists(path) ? path : null;
    }
}

/// <summary>Runs <c>backup</c> operations: <see cref="DataBackup.WriteAsync"/> into <c>backups/vision-console-&lt;time&gt;.zip</c>.</summary>
public sealed class BackupOperationJob(ConsoleOptions options, TimeProvider time) : IOperationJob
{
    /// <inheritdoc />
    public string Kind => BackupRequest.Kind;

    /// <inheritdoc />
    public async Task<OperationCompletion> RunAsync(OperationRun run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var name = string.Create(CultureInfo.InvariantCulture, $"vision-console-{time.GetUtcNow():yyyyMMdd-HHmmss}-op{run.OperationId}.zip");
        var path = Path.Combine(DataBackup.BackupFolder(options), name);
        var progress = new Progress<BackupStep>(step => run.Progress.Report(new BackupProgress(step.Message, step.Files, step.TotalFiles)));
        var manifest = await DataBackup.WriteAsync(options, path, progress, cancellationToken).ConfigureAwait(false);
        return OperationCompletion.Of(new BackupResult(Path.GetRelativePath(options.DataFolder, path), new FileInfo(path).Length, manifest));
    }
}
