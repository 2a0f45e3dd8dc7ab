using System.Globalization;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using VisionConsole.Domain.Imaging;

namespace VisionConsole.Domain.Storage;

/// <summary>One thing the integrity check found wrong: what, and which file or row.</summary>
/// <param name="Area">Images, Models or Hosted models.</param>
/// <param name="What">The problem in a sentence (names the dataset, image, model or version).</param>
/// <param name="Path">The missing file, when there is one.</param>
public sealed record IntegrityProblem(string Area, string What, string? Path);

/// <summary>An integrity check's result.</summary>
/// <param name="CheckedAt">When it finished.</param>
/// <param name="Images">Images whose original was looked for.</param>
/// <param name="ModelVersions">Model versions whose files were looked for.</param>
/// <param name="HostedVersions">Hosted model versions whose files were looked for.</param>
/// <param name="Problems">What is missing (at most <see cref="IntegrityCheck.MaxProblems"/> listed; <paramref name="ProblemCount"/> counts all).</param>
/// <param name="ProblemCount">How many problems there are.</param>
/// <param name="StagingRemoved">Half-written model folders (a training stopped by a crash) found at start-up and removed.</param>
public sealed record IntegrityReport(
    DateTimeOffset CheckedAt, int Images, int ModelVersions, int HostedVersions, IReadOnlyList<IntegrityProblem> Problems, int ProblemCount, int StagingRemoved)
{
    /// <summary>Nothing the database refers to is missing.</summary>
    public bool Clean => ProblemCount == 0;
}

/// <summary>
/// Checks that every file the database refers to exists: each image's original in the image store, each model version's
/// <c>model.onnx</c> and <c>dict.txt</c>, each hosted version's file. At start-up it also removes half-written model folders
/// (<c>models/.staging/</c>) left by a process that was killed during a training, since no training runs before it.
/// Files nothing refers to are the storage sweep's business, not a problem. The result is kept for the Settings page.
/// </summary>
public sealed partial class IntegrityCheck(IDbContextFactory<ConsoleDbContext> contextFactory, IServiceProvider services, ConsoleOptions options, TimeProvider time, ILogger<IntegrityCheck> logger)
{
    /// <summary>Problems listed in a report (all are counted).</summary>
    public const int MaxProblems = 200;

    private readonly Channel<TaskCompletionSource<IntegrityReport>> _requests = Channel.CreateUnbounded<TaskCompletionSource<IntegrityReport>>();

    /// <summary>The latest result; null until the first check has run.</summary>
    public IntegrityReport? Latest { get; private set; }

    /// <summary>Asks the background check to run again; completes with its report.</summary>
    public Task<IntegrityReport> RequestAsync()
    {
        var done = new TaskCompletionSource<IntegrityReport>(TaskCreationOptions.RunContinuationsAsynchronously);
        _requests.Writer.TryWrite(done);
        return done.Task;
    }

    internal ValueTask<TaskCompletionSource<IntegrityReport>> WaitForRequestAsync(CancellationToken cancellationToken) => _requests.Reader.ReadAsync(cancellationToken);

    /// <summary>Runs the check now (the background service's work; tests call it directly).</summary>
    /// <param name="removeStagingBefore">Removes staging folders last written before this time (start-up: the process start); null removes none.</param>
    /// <param name="cancellationToken">Stops the check.</param>
    public async Task<IntegrityReport> RunAsync(DateTimeOffset? removeStagingBefore = null, CancellationToken cancellationToken = default)
    {
        var problems = new List<IntegrityProblem>();
        var count = 0;
        void Problem(string area, string what, string? path)
        {
            count++;
            if (problems.Count < MaxProblems)
                problems.Add(new IntegrityProblem(area, what, path));
        }
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);

        // Resolved here: a host without the image store (the domain alone) checks models and hosted files only.
        var blobs = services.GetService(typeof(IImageStore)) as ImageStore;
        var images = 0;
        if (blobs is not null)
        {
            // Streamed: a large installation's image list need not fit in memory.
            await foreach (var image in db.Images.AsNoTracking().Select(i => new { i.Id, i.DatasetId, i.FileName, i.Sha256 }).AsAsyncEnumerable().WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                images++;
                var path = blobs.OriginalPath(image.Sha256);
                if (!File.Exists(path))
                    Problem("Images", string.Create(CultureInfo.InvariantCulture, $"Image {image.Id} ({image.FileName}) of dataset {image.DatasetId} has no original in the image store."), path);
            }
        }

        var versions = await db.ModelVersions.AsNoTracking().Select(v => new { v.Id, v.ModelId, v.Number, v.ModelFile, v.LabelsFile }).ToListAsync(cancellationToken).ConfigureAwait(false);
        foreach (var version in versions)
        {
            foreach (var file in new[] { version.ModelFile, version.LabelsFile }.Where(f => !string.IsNullOrEmpty(f)))
            {
                var path = Path.Combine(options.DataFolder, file);
                if (!File.Exists(path))
                    Problem("Models", string.Create(CultureInfo.InvariantCulture, $"Version {version.Number} of model {version.ModelId} has no {Path.GetFileName(file)}."), path);
            }
        }

        var hosted = await (from v in db.Set<Hosting.HostedModelVersion>().AsNoTracking()
                            join m in db.HostedModels.AsNoTracking() on v.HostedModelId equals m.Id
                            select new { m.DisplayName, v.Number, v.File }).ToListAsync(cancellationToken).ConfigureAwait(false);
        foreach (var version in hosted)
        {
            var path = Path.Combine(options.DataFolder, version.File);
            if (!File.Exists(path))
                Problem("Hosted models", string.Create(CultureInfo.InvariantCulture, $"Version {version.Number} of hosted model '{version.DisplayName}' has no file."), path);
        }

        var removed = removeStagingBefore is { } before ? RemoveStaging(before) : 0;
        var report = new IntegrityReport(time.GetUtcNow(), images, versions.Count, hosted.Count, problems, count, removed);
        Latest = report;
        if (report.Clean) LogClean(images, versions.Count, hosted.Count, removed);
        else LogProblems(count, string.Join("; ", problems.Take(5).Select(p => p.What)));
        return report;
    }

    private int RemoveStaging(DateTimeOffset before)
    {
        var staging = Path.Combine(options.DataFolder, "models", ".staging");
        if (!Directory.Exists(staging))
            return 0;
        var removed = 0;
        foreach (var folder in new DirectoryInfo(staging).EnumerateDirectories())
        {
            if (folder.LastWriteTimeUtc >= before.UtcDateTime)
                continue;
            try
            {
                folder.Delete(recursive: true);
                removed++;
            }
            catch (IOException ex)
            {
                LogStagingNotRemoved(folder.FullName, ex.Message);
            }
        }
        return removed;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Integrity check: clean ({Images} images, {Versions} model versions, {Hosted} hosted versions; {Removed} half-written model folders removed)")]
    private partial void LogClean(int images, int versions, int hosted, int removed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Integrity check: {Count} problems, first: {First}")]
    private partial void LogProblems(int count, string first);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Integrity check: could not remove the half-written model folder {Folder}: {Reason}")]
    private partial void LogStagingNotRemoved(string folder, string reason);
}

/// <summary>Runs <see cref="IntegrityCheck"/> once at start-up (removing half-written model folders older than the process) and again on request.</summary>
internal sealed partial class IntegrityCheckService(IntegrityCheck check, TimeProvider time, ILogger<IntegrityCheckService> logger) : BackgroundService
{
    private readonly DateTimeOffset _started = time.GetUtcNow();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        TaskCompletionSource<IntegrityReport>? request = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var report = await check.RunAsync(request is null ? _started : null, stoppingToken).ConfigureAwait(false);
                request?.TrySetResult(report);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // A failed check must not stop the host: it is logged and handed to whoever asked.
                LogFailed(ex);
                request?.TrySetException(ex);
            }
            try
            {
                request = await check.WaitForRequestAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The integrity check failed")]
    private partial void LogFailed(Exception exception);
}
