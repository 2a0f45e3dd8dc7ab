using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using VisionConsole.Domain.Auditing;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Imaging;
using VisionConsole.Domain.Storage;

namespace VisionConsole.Domain.Import;

/// <summary>
/// Applies an upload to a dataset: plans it (<see cref="ImportPlanner"/>), then streams one image at a time through the
/// image store (never more than one image's bytes in memory), registering each in the dataset with its labels, boxes
/// and split. Images whose bytes (sha256) are already in the dataset or earlier in the upload are merged, not stored
/// twice: their labels and boxes are unioned onto the one image. Every finding (the plan's and each refused image) goes
/// to a CSV report under <see cref="ConsoleOptions.ReportFolder"/>.
/// <para>
/// Database writes are committed in batches of <see cref="BatchSize"/> images, so other users keep writing while a
/// large import runs (SQLite has one writer at a time; one transaction for the whole import would lock them out for
/// minutes). The job remembers every row it added (images, labels it created, labels and boxes it put on images that
/// were there before); when the import is cancelled or fails, one transaction deletes exactly those rows, so nothing
/// half-imported remains, then asks for a storage sweep, which removes in the background the blobs it stored that no
/// image refers to (<see cref="StorageSweeper"/>).
/// </para>
/// <para>
/// A batch that merges into images already in the dataset can meet someone labeling one of them meanwhile (the image's
/// version moved on under the batch). Its commit then fails whole, and the batch is applied again on freshly read images,
/// up to <see cref="MaxBatchAttempts"/> times: both the other person's edit and the import's labels land, and the
/// report and counts tell each merge once.
/// </para>
/// <para>
/// Each committed batch is published as one <see cref="DatasetChange"/> (the images it added or labeled), and an undo
/// as one <see cref="DatasetChangeKind.ImagesRemoved"/> change, so open dataset pages follow a running import.
/// </para>
/// </summary>
public sealed partial class ImportJob(
    IImageStore store,
    IDbContextFactory<ConsoleDbContext> contextFactory,
    ConsoleOptions options,
    TimeProvider time,
    StorageSweepSignal sweep,
    IDatasetChangeNotifier changes,
    ILogger<ImportJob> logger)
{
    /// <summary>Images registered per database commit.</summary>
    public const int BatchSize = 64;

    /// <summary>Commits of one batch tried before the import gives up because the images it merges into keep changing.</summary>
    public const int MaxBatchAttempts = 5;

    /// <summary>Relative-coordinate tolerance under which two boxes of the same label on one image are the same box.</summary>
    private const double SameBoxTolerance = 1e-9;

    /// <summary>
    /// Runs the import. Returns the counts and the report; throws <see cref="NotFoundException"/> when the dataset does not
    /// exist and <see cref="OperationCanceledException"/> when cancelled (after undoing what it added).
    /// </summary>
    /// <param name="operationId">The operation this import runs as (names the report file).</param>
    /// <param name="request">The dataset, the uploaded files and how to read them.</param>
    /// <param name="progress">Receives a report after reading the upload and after every image.</param>
    /// <param name="cancellationToken">Stops the import; what it added is removed before the exception propagates.</param>
    public async Task<ImportResult> RunAsync(long operationId, ImportRequest request, IProgress<ImportProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var run = new Run(request, progress);
        await using (var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false))
        {
            run.Kind = await db.Datasets.Where(d => d.Id == request.DatasetId).Select(d => (DatasetKind?)d.Kind).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new NotFoundException($"Dataset {request.DatasetId}");
            foreach (var row in await db.Images.Where(i => i.DatasetId == request.DatasetId).Select(i => new { i.Sha256, i.Id, i.FileName }).ToListAsync(cancellationToken).ConfigureAwait(false))
            {
                run.Existing[row.Sha256] = (row.Id, row.FileName);
            }
        }

        run.Report(ImportPhase.Reading, "reading the upload");
        using var upload = new ImportUpload(request.Files.Select(f => UploadedFile.FromPath(f.Path, f.Name)));
        var plan = ImportPlanner.Plan(upload, new ImportOptions { Format = request.Format, CocoBoxes = request.CocoBoxes }, cancellationToken);
        run.Issues.AddRange(plan.Issues);
        run.Total = plan.Items.Count;
        var reportFile = Path.Combine("reports", $"import-{operationId.ToString(CultureInfo.InvariantCulture)}.csv");
        LogPlanned(operationId, request.DatasetId, plan.Format, plan.Items.Count, plan.ErrorCount, plan.WarningCount);

        try
        {
            await ApplyAsync(run, plan, upload, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            run.Report(ImportPhase.RollingBack, "undoing the import");
            run.Issues.Add(new ImportIssue(ImportSeverity.Error, "import", null, null,
                ex is OperationCanceledException
                    ? "The import was cancelled; every image, label and box it had added was removed again."
                    : $"The import stopped ({ex.Message}); every image, label and box it had added was removed again."));
            await RollbackAsync(run).ConfigureAwait(false);
            _ = sweep.RequestSweep();
            await WriteReportAsync(Path.Combine(options.DataFolder, reportFile), run.Issues).ConfigureAwait(false);
            LogRolledBack(operationId, run.AddedImageIds.Count, run.CreatedLabelIds.Count);
            throw;
        }

        if (run.Imported == 0 && run.Duplicates == 0)
        {
            // An import that brought in nothing failed, whatever went right on the way: say why in the operation itself,
            // not only in the report (AutoML answers such an upload with datasetCorrupt).
            var errors = run.Issues.Count(i => i.Severity == ImportSeverity.Error);
            var reason = plan.Items.Count == 0
                ? $"Nothing was imported: the upload holds no images the {plan.Format} reader could find."
                : $"Nothing was imported: none of the {plan.Items.Count} image(s) in the upload could be added ({errors} error(s) in the report).";
            run.Issues.Add(new ImportIssue(ImportSeverity.Error, "import", null, null, reason));
            await RollbackAsync(run).ConfigureAwait(false);
            await WriteReportAsync(Path.Combine(options.DataFolder, reportFile), run.Issues).ConfigureAwait(false);
            throw new DomainException("dataset-corrupt", reason);
        }

        await WriteReportAsync(Path.Combine(options.DataFolder, reportFile), run.Issues).ConfigureAwait(false);
        var result = new ImportResult(plan.Format, plan.Items.Count, run.Imported, run.Duplicates, run.Refused,
            run.Issues.Count(i => i.Severity == ImportSeverity.Warning), run.Issues.Count(i => i.Severity == ImportSeverity.Error),
            run.CreatedLabelIds.Count, run.LabelsAssigned, run.BoxesAdded, reportFile.Replace('\\', '/'));
        await using (var db = await contextFactory.CreateDbContextAsync(CancellationToken.None).ConfigureAwait(false))
        {
            db.AuditEvents.Add(AuditEvent.Of(request.User, time.GetUtcNow(), "dataset", request.DatasetId, "imported", null, new { operationId, result }));
            await db.SaveChangesAsync(CancellationToken.None).ConfigureAwait(false);
        }
        run.Report(ImportPhase.Done, $"imported {run.Imported}, merged {run.Duplicates} duplicates, refused {run.Refused}");
        return result;
    }

    private async Task ApplyAsync(Run run, ImportPlan plan, ImportUpload upload, CancellationToken cancellationToken)
    {
        var batch = await Batch.OpenAsync(contextFactory, run, cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var planned in plan.Items)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var source = planned.Source.ToString();
                StoredImage stored;
                try
                {
                    var stream = upload.OpenImage(planned.Source);
                    await using (stream.ConfigureAwait(false))
                    {
                        stored = await store.StoreAsync(planned.FileName, stream, cancellationToken).ConfigureAwait(false);
                    }
                }
                catch (Exception ex) when (ex is ImageRejectedException or InvalidDataException or IOException)
                {
                    run.Issues.Add(new ImportIssue(ImportSeverity.Error, source, null, null, $"Image not imported: {ex.Message}"));
                    run.Refused++;
                    run.Step();
                    continue;
                }

                var item = planned.NeedsImageSize ? planned.WithImageSize(stored.Width, stored.Height, run.Issues) : planned;
                var registration = new Registration(item, stored, source);
                batch.Registrations.Add(registration);
                await RegisterAsync(run, batch, registration, cancellationToken).ConfigureAwait(false);
                if (batch.Registrations.Count >= BatchSize)
                {
                    await CommitAsync(run, batch, cancellationToken).ConfigureAwait(false);
                    PublishBatch(run, batch);
                    await batch.DisposeAsync().ConfigureAwait(false);
                    batch = await Batch.OpenAsync(contextFactory, run, cancellationToken).ConfigureAwait(false);
                }
                run.Step();
            }
            await CommitAsync(run, batch, cancellationToken).ConfigureAwait(false);
            PublishBatch(run, batch);
        }
        finally
        {
            await batch.DisposeAsync().ConfigureAwait(false);
        }

        if (run.IgnoredWholeImageLabels > 0)
        {
            run.Issues.Add(new ImportIssue(ImportSeverity.Warning, "import", null, null,
                $"{run.IgnoredWholeImageLabels} whole-image label(s) were ignored: this is an object detection dataset, which holds boxes only. Import them into a classification dataset."));
        }
        if (run.IgnoredBoxes > 0)
        {
            run.Issues.Add(new ImportIssue(ImportSeverity.Warning, "import", null, null,
                $"{run.IgnoredBoxes} box(es) were ignored: this is a classification dataset, which holds whole-image labels only. Import them into an object detection dataset."));
        }
    }

    /// <summary>
    /// Commits the batch; when an image it merges into changed meanwhile, applies the batch again on a fresh context (the
    /// run's counts and findings back where they were when the batch opened) and commits that.
    /// </summary>
    private async Task CommitAsync(Run run, Batch batch, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await batch.SaveAsync(run).ConfigureAwait(false);
                return;
            }
            catch (DbUpdateConcurrencyException ex)
            {
                var changed = string.Join(", ", ex.Entries.Select(e => e.Entity).OfType<Image>().Select(i => i.FileName));
                if (attempt == MaxBatchAttempts)
                {
                    throw new ConcurrencyConflictException(
                        $"The images this import merges into kept changing while it saved ({changed}, {MaxBatchAttempts} attempts); import again when the labeling calms down.");
                }
                LogBatchRetried(run.Request.DatasetId, changed, attempt);
                await batch.StartOverAsync(run, cancellationToken).ConfigureAwait(false);
                foreach (var registration in batch.Registrations)
                {
                    await RegisterAsync(run, batch, registration, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    private async Task RegisterAsync(Run run, Batch batch, Registration registration, CancellationToken cancellationToken)
    {
        var (item, stored, source) = registration;
        var request = run.Request;
        IReadOnlyList<string> labels = item.Labels;
        IReadOnlyList<ImportBox> boxes = item.Boxes;
        if (run.Kind == DatasetKind.ObjectDetection)
        {
            run.IgnoredWholeImageLabels += labels.Count;
            labels = [];
        }
        else
        {
            run.IgnoredBoxes += boxes.Count;
            boxes = [];
            if (run.Kind == DatasetKind.SingleLabel && labels.Count > 1)
            {
                run.Issues.Add(new ImportIssue(ImportSeverity.Warning, source, null, null,
                    $"The image has {labels.Count} labels ({string.Join(", ", labels)}) but the dataset is single-label; kept '{labels[0]}'.", labels[0]));
                labels = [labels[0]];
            }
        }

        var now = time.GetUtcNow();
        Image image;
        var preExisting = false;
        if (batch.New.TryGetValue(stored.Sha256, out var inBatch))
        {
            image = inBatch;
            Merged(run, item, image, source, run.FirstSource[stored.Sha256], inDataset: false);
        }
        else if (run.ImportedIds.TryGetValue(stored.Sha256, out var importedId))
        {
            image = await batch.LoadAsync(importedId, cancellationToken).ConfigureAwait(false);
            Merged(run, item, image, source, run.FirstSource[stored.Sha256], inDataset: false);
        }
        else if (run.Existing.TryGetValue(stored.Sha256, out var existing))
        {
            image = await batch.LoadAsync(existing.Id, cancellationToken).ConfigureAwait(false);
            preExisting = true;
            Merged(run, item, image, source, existing.FileName, inDataset: true);
        }
        else
        {
            image = new Image(request.DatasetId, stored, item.FileName, request.User, now);
            image.OverrideSplit(item.Split ?? request.DefaultSplit ?? DataSplit.Unassigned);
            batch.Add(stored.Sha256, image);
            batch.AddedImages = true;
            batch.Changed.Add(image);
            run.FirstSource[stored.Sha256] = source;
            run.Imported++;
        }

        foreach (var name in labels)
        {
            if (run.Kind == DatasetKind.SingleLabel && image.Labels.Count > 0 && !image.Labels.Any(l => l.Label is { } has && LabelName.Normalize(has.Name) == LabelName.Normalize(name)))
            {
                run.Issues.Add(new ImportIssue(ImportSeverity.Warning, source, null, null,
                    $"Label '{name}' not added: the image already has the label '{image.Labels.First().Label?.Name}' and the dataset is single-label."));
                continue;
            }
            var label = await batch.LabelAsync(run, name, now, cancellationToken).ConfigureAwait(false);
            if (image.AddLabel(label))
            {
                batch.Changed.Add(image);
                run.LabelsAssigned++;
                if (preExisting)
                {
                    run.AddedImageLabels.Add((image.Id, label.Id));
                }
            }
        }

        foreach (var b in boxes)
        {
            var label = await batch.LabelAsync(run, b.Label, now, cancellationToken).ConfigureAwait(false);
            var rect = new BoxRect(b.Left, b.Top, b.Width, b.Height);
            if (image.Boxes.Any(x => x.LabelId == label.Id && Same(x.Rect, rect)))
            {
                continue;
            }
            try
            {
                var box = image.AddBox(label, rect, request.User, now);
                batch.Changed.Add(image);
                run.BoxesAdded++;
                if (preExisting)
                {
                    batch.BoxesOnExistingImages.Add(box);
                }
            }
            catch (DomainException ex)
            {
                run.Issues.Add(new ImportIssue(ImportSeverity.Error, source, null, null, $"Box of '{b.Label}' dropped: {ex.Message}"));
            }
        }
    }

    /// <summary>Publishes the images the batch just committed (added, labeled or boxed), if any.</summary>
    private void PublishBatch(Run run, Batch batch)
    {
        if (batch.Changed.Count > 0)
        {
            var kind = batch.AddedImages ? DatasetChangeKind.ImagesAdded : run.Kind == DatasetKind.ObjectDetection ? DatasetChangeKind.Boxes : DatasetChangeKind.Labels;
            changes.Publish(DatasetChange.Of(run.Request.DatasetId, batch.Changed.Select(i => i.Id), kind, run.Request.User, time.GetUtcNow()));
        }
        batch.Changed.Clear();
        batch.AddedImages = false;
    }

    private static void Merged(Run run, ImportItem item, Image image, string source, string firstSource, bool inDataset)
    {
        run.Duplicates++;
        var where = inDataset ? $"the image '{firstSource}' already in the dataset" : $"'{firstSource}' earlier in this upload";
        var split = item.Split is { } s && s != image.Split ? $" Its split {s} was not applied; the image keeps {image.Split}." : "";
        run.Issues.Add(new ImportIssue(ImportSeverity.Warning, source, null, null,
            $"Same content (sha256 {image.Sha256[..12]}...) as {where}; merged into that image (not stored twice), labels and boxes combined.{split}"));
    }

    private static bool Same(BoxRect a, BoxRect b) =>
        Math.Abs(a.Left - b.Left) < SameBoxTolerance && Math.Abs(a.Top - b.Top) < SameBoxTolerance
        && Math.Abs(a.Width - b.Width) < SameBoxTolerance && Math.Abs(a.Height - b.Height) < SameBoxTolerance;

    /// <summary>Deletes, in one transaction, exactly the rows this import added.</summary>
    private async Task RollbackAsync(Run run)
    {
        var none = CancellationToken.None;
        await using var db = await contextFactory.CreateDbContextAsync(none).ConfigureAwait(false);
        await using var transaction = await db.Database.BeginTransactionAsync(none).ConfigureAwait(false);
        foreach (var chunk in run.AddedImageIds.Chunk(500))
        {
            // Their labels and boxes go with them (ON DELETE CASCADE).
            await db.Images.Where(i => chunk.Contains(i.Id)).ExecuteDeleteAsync(none).ConfigureAwait(false);
        }
        foreach (var chunk in run.AddedBoxIds.Chunk(500))
        {
            await db.Boxes.Where(b => chunk.Contains(b.Id)).ExecuteDeleteAsync(none).ConfigureAwait(false);
        }
        foreach (var (imageId, labelId) in run.AddedImageLabels)
        {
            await db.ImageLabels.Where(il => il.ImageId == imageId && il.LabelId == labelId).ExecuteDeleteAsync(none).ConfigureAwait(false);
        }
        foreach (var chunk in run.CreatedLabelIds.Chunk(500))
        {
            await db.Labels.Where(l => chunk.Contains(l.Id)).ExecuteDeleteAsync(none).ConfigureAwait(false);
        }
        await transaction.CommitAsync(none).ConfigureAwait(false);
        if (run.AddedImageIds.Count > 0 || run.AddedBoxIds.Count > 0 || run.AddedImageLabels.Count > 0 || run.CreatedLabelIds.Count > 0)
        {
            // Images, labels and boxes went from many images at once: the ids are left out, subscribers reload everything.
            changes.Publish(new DatasetChange(run.Request.DatasetId, [], DatasetChangeKind.ImagesRemoved, run.Request.User, time.GetUtcNow())
            {
                ImageCount = Math.Max(1, run.AddedImageIds.Count),
            });
        }
    }

    /// <summary>
    /// Reads back the first <paramref name="take"/> findings of a report written by <see cref="WriteReportAsync"/>,
    /// with the number of findings in all (the console shows the first ones and links the whole file).
    /// </summary>
    public static async Task<ImportReportPage> ReadReportAsync(string path, int take, CancellationToken cancellationToken = default)
    {
        var issues = new List<ImportIssue>();
        var total = 0;
        using var reader = new StreamReader(path, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        var text = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        foreach (var record in new CsvRecordReader(new StringReader(text)).ReadAll().Skip(1))
        {
            total++;
            if (issues.Count >= take || record.Fields.Count < 6)
            {
                continue;
            }
            var f = record.Fields;
            issues.Add(new ImportIssue(
                Enum.TryParse<ImportSeverity>(f[0], out var severity) ? severity : ImportSeverity.Error,
                f[1],
                int.TryParse(f[2], CultureInfo.InvariantCulture, out var line) ? line : null,
                int.TryParse(f[3], CultureInfo.InvariantCulture, out var entry) ? entry : null,
                f[4],
                f[5].Length == 0 ? null : f[5]));
        }
        return new ImportReportPage(issues, total);
    }

    /// <summary>Writes the findings as CSV (<c>severity,source,line,entry,message,fix</c>), through a temporary file.</summary>
    public static async Task WriteReportAsync(string path, IEnumerable<ImportIssue> issues)
    {
        ArgumentNullException.ThrowIfNull(issues);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        var writer = new StreamWriter(temp, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        await using (writer.ConfigureAwait(false))
        {
            await writer.WriteAsync("severity,source,line,entry,message,fix\n").ConfigureAwait(false);
            foreach (var issue in issues)
            {
                await writer.WriteAsync(string.Join(',',
                    issue.Severity.ToString(),
                    CsvField(issue.Source),
                    issue.Line?.ToString(CultureInfo.InvariantCulture) ?? "",
                    issue.Entry?.ToString(CultureInfo.InvariantCulture) ?? "",
                    CsvField(issue.Message),
                    CsvField(issue.SuggestedFix ?? "")) + "\n").ConfigureAwait(false);
            }
        }
        File.Move(temp, path, overwrite: true);
    }

    private static string CsvField(string value) =>
        value.AsSpan().IndexOfAny(",\"\r\n") < 0 ? value : "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>The state of one import run: counters for progress, and every row added, for the undo.</summary>
    private sealed class Run(ImportRequest request, IProgress<ImportProgress>? progress)
    {
        public ImportRequest Request { get; } = request;
        public DatasetKind Kind { get; set; }
        public Dictionary<string, (long Id, string FileName)> Existing { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, long> ImportedIds { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, string> FirstSource { get; } = new(StringComparer.Ordinal);
        public List<ImportIssue> Issues { get; } = [];
        public List<long> AddedImageIds { get; } = [];
        public List<long> AddedBoxIds { get; } = [];
        public List<(long ImageId, long LabelId)> AddedImageLabels { get; } = [];
        public List<long> CreatedLabelIds { get; } = [];
        public int Total { get; set; }
        public int Done { get; private set; }
        public int Imported { get; set; }
        public int Duplicates { get; set; }
        public int Refused { get; set; }
        public int LabelsAssigned { get; set; }
        public int BoxesAdded { get; set; }
        public int IgnoredBoxes { get; set; }
        public int IgnoredWholeImageLabels { get; set; }

        /// <summary>The counts and findings a batch may change, to put back when the batch is applied again.</summary>
        public RunCounts Counts() => new(Imported, Duplicates, LabelsAssigned, BoxesAdded, IgnoredBoxes, IgnoredWholeImageLabels, Issues.Count, AddedImageLabels.Count);

        public void Restore(RunCounts counts)
        {
            (Imported, Duplicates, LabelsAssigned, BoxesAdded, IgnoredBoxes, IgnoredWholeImageLabels) =
                (counts.Imported, counts.Duplicates, counts.LabelsAssigned, counts.BoxesAdded, counts.IgnoredBoxes, counts.IgnoredWholeImageLabels);
            Issues.RemoveRange(counts.Issues, Issues.Count - counts.Issues);
            AddedImageLabels.RemoveRange(counts.AddedImageLabels, AddedImageLabels.Count - counts.AddedImageLabels);
        }

        public void Step()
        {
            Done++;
            Report(ImportPhase.Importing, $"importing {Done}/{Total}");
        }

        public void Report(ImportPhase phase, string message) =>
            progress?.Report(new ImportProgress(phase, Done, Total, Imported, Duplicates, Refused,
                Issues.Count(i => i.Severity == ImportSeverity.Warning), Issues.Count(i => i.Severity == ImportSeverity.Error), message));
    }

    /// <summary>What <see cref="Run.Counts"/> saves.</summary>
    private readonly record struct RunCounts(int Imported, int Duplicates, int LabelsAssigned, int BoxesAdded, int IgnoredBoxes, int IgnoredWholeImageLabels, int Issues, int AddedImageLabels);

    /// <summary>One planned image, stored, as a batch registers it (kept to apply the batch again).</summary>
    private sealed record Registration(ImportItem Item, StoredImage Stored, string Source);

    /// <summary>
    /// One database context for up to <see cref="BatchSize"/> images, with the dataset's labels tracked. Nothing of it is
    /// saved before <see cref="SaveAsync"/>, so a batch that fails to commit can be applied again whole.
    /// </summary>
    private sealed class Batch : IAsyncDisposable
    {
        private readonly IDbContextFactory<ConsoleDbContext> _factory;
        private ConsoleDbContext _db;
        private Dataset _dataset;
        private readonly Dictionary<long, Image> _loaded = [];

        private Batch(ConsoleDbContext db, IDbContextFactory<ConsoleDbContext> factory, Dataset dataset, RunCounts runBefore)
        {
            _db = db;
            _factory = factory;
            _dataset = dataset;
            RunBefore = runBefore;
        }

        /// <summary>The images registered in this batch, in order.</summary>
        public List<Registration> Registrations { get; } = [];

        /// <summary>The run's counts when the batch opened.</summary>
        public RunCounts RunBefore { get; }

        /// <summary>Images new in this batch, by sha256 (their ids come with the save).</summary>
        public Dictionary<string, Image> New { get; } = new(StringComparer.Ordinal);

        /// <summary>Boxes put on images that were in the dataset before the import (their ids come with the save).</summary>
        public List<Box> BoxesOnExistingImages { get; } = [];

        /// <summary>
        /// Images added, labeled or boxed since the last published commit (new ones get their ids with the save).
        /// </summary>
        public HashSet<Image> Changed { get; } = new(ReferenceEqualityComparer.Instance);

        /// <summary>Whether <see cref="Changed"/> holds images new to the dataset.</summary>
        public bool AddedImages { get; set; }

        public static async Task<Batch> OpenAsync(IDbContextFactory<ConsoleDbContext> factory, Run run, CancellationToken cancellationToken)
        {
            var db = await factory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return new Batch(db, factory, await LoadDatasetAsync(db, run.Request.DatasetId, cancellationToken).ConfigureAwait(false), run.Counts());
            }
            catch
            {
                await db.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        /// <summary>
        /// Drops everything unsaved and reads the dataset again in a new context, and puts the run's counts and findings
        /// back to where they were when the batch opened: <see cref="Registrations"/> are then registered again.
        /// </summary>
        public async Task StartOverAsync(Run run, CancellationToken cancellationToken)
        {
            await _db.DisposeAsync().ConfigureAwait(false);
            _db = await _factory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
            _dataset = await LoadDatasetAsync(_db, run.Request.DatasetId, cancellationToken).ConfigureAwait(false);
            _loaded.Clear();
            New.Clear();
            BoxesOnExistingImages.Clear();
            Changed.Clear();
            AddedImages = false;
            run.Restore(RunBefore);
        }

        private static async Task<Dataset> LoadDatasetAsync(ConsoleDbContext db, long datasetId, CancellationToken cancellationToken) =>
            await db.Datasets.Include(d => d.Labels).FirstOrDefaultAsync(d => d.Id == datasetId, cancellationToken).ConfigureAwait(false)
                ?? throw new NotFoundException($"Dataset {datasetId}");

        public void Add(string sha256, Image image)
        {
            _db.Images.Add(image);
            New[sha256] = image;
        }

        public async Task<Image> LoadAsync(long imageId, CancellationToken cancellationToken)
        {
            if (!_loaded.TryGetValue(imageId, out var image))
            {
                image = await _db.Images.Include(i => i.Labels).ThenInclude(l => l.Label).Include(i => i.Boxes)
                    .FirstOrDefaultAsync(i => i.Id == imageId, cancellationToken).ConfigureAwait(false)
                    ?? throw new DomainException("conflict", $"Image {imageId} was deleted while the import was merging into it.");
                _loaded[imageId] = image;
            }
            return image;
        }

        /// <summary>
        /// The dataset's label with this name (ignoring case). A missing one is created and committed at once in a context
        /// of its own (the batch's images stay unsaved), recorded for the undo, then read into the batch.
        /// </summary>
        public async Task<Label> LabelAsync(Run run, string name, DateTimeOffset now, CancellationToken cancellationToken)
        {
            var normalized = LabelName.Normalize(name);
            var label = _dataset.Labels.FirstOrDefault(l => l.NormalizedName == normalized);
            if (label is not null)
            {
                return label;
            }
            var db = await _factory.CreateDbContextAsync(CancellationToken.None).ConfigureAwait(false);
            long id;
            await using (db.ConfigureAwait(false))
            {
                var dataset = await LoadDatasetAsync(db, _dataset.Id, CancellationToken.None).ConfigureAwait(false);
                // Someone may have added it since the batch read the labels: then it is theirs, not the import's to undo.
                if (dataset.Labels.FirstOrDefault(l => l.NormalizedName == normalized) is { } added)
                {
                    id = added.Id;
                }
                else
                {
                    var created = dataset.AddLabel(name, now);
                    await db.SaveChangesAsync(CancellationToken.None).ConfigureAwait(false);
                    run.CreatedLabelIds.Add(created.Id);
                    id = created.Id;
                }
            }
            // Read into the batch's context, where it joins the tracked dataset's labels.
            return await _db.Labels.FirstAsync(l => l.Id == id, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>
        /// Commits the batch. Not cancellable on purpose: a save either happens whole and its rows are recorded for the
        /// undo, or not at all.
        /// </summary>
        public async Task SaveAsync(Run run)
        {
            await _db.SaveChangesAsync(CancellationToken.None).ConfigureAwait(false);
            foreach (var (sha, image) in New)
            {
                run.ImportedIds[sha] = image.Id;
                run.AddedImageIds.Add(image.Id);
                _loaded[image.Id] = image;
            }
            New.Clear();
            run.AddedBoxIds.AddRange(BoxesOnExistingImages.Select(b => b.Id));
            BoxesOnExistingImages.Clear();
            Registrations.Clear();
        }

        public ValueTask DisposeAsync() => _db.DisposeAsync();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Import {OperationId} into dataset {DatasetId}: read as {Format}, {Items} images, {Errors} errors, {Warnings} warnings")]
    private partial void LogPlanned(long operationId, long datasetId, ImportFormat format, int items, int errors, int warnings);

    [LoggerMessage(Level = LogLevel.Information, Message = "Import into dataset {DatasetId}: {Images} changed under batch commit {Attempt}; applying the batch again")]
    private partial void LogBatchRetried(long datasetId, string images, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Import {OperationId} stopped; removed {Images} images and {Labels} labels it had added")]
    private partial void LogRolledBack(long operationId, int images, int labels);
}
