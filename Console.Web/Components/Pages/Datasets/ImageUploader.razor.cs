using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;

namespace VisionConsole.Web.Components.Pages.Datasets;

/// <summary>
/// Takes the files MudFileUpload hands over and feeds each one to <see cref="IImageIntake"/> as a stream,
/// <see cref="Concurrency"/> at a time, reporting bytes read and the outcome per file into <see cref="Batch"/>.
/// Leaving the page cancels what is still on its way.
/// </summary>
public partial class ImageUploader
{
    /// <summary>Largest image file accepted (the intake checks the content; this caps what the circuit streams).</summary>
    public const long MaxFileBytes = 30L * 1024 * 1024;

    /// <summary>Most files one pick or drop may hold.</summary>
    public const int MaxFiles = 10_000;

    /// <summary>Files streamed at once: enough to hide the intake's decode time, few enough to keep the circuit responsive.</summary>
    public const int Concurrency = 2;

    private static readonly TimeSpan RenderEvery = TimeSpan.FromMilliseconds(200);

    private readonly CancellationTokenSource _disposed = new();
    private readonly Queue<(int Index, IBrowserFile File)> _queue = new();
    private int _nextIndex;
    private int _running;
    private bool _dragging;
    private long _lastRender;

    [Inject] private IImageIntake Intake { get; set; } = null!;
    [Inject] private ICurrentUser CurrentUser { get; set; } = null!;
    [Inject] private TimeProvider Time { get; set; } = null!;

    [Parameter, EditorRequired] public long DatasetId { get; set; }
    [Parameter] public string? Class { get; set; }

    /// <summary>Raised when every queued file has an outcome, so the page can refresh its grid and counts.</summary>
    [Parameter] public EventCallback<UploadBatch> OnBatchFinished { get; set; }

    /// <summary>The rows; a parameter so a test (or a page) can render a given state.</summary>
    [Parameter] public UploadBatch Batch { get; set; } = new();

    // Set after the first interactive render, when the file input's own script has been initialised: only then does a
    // pick reach the circuit (tests wait for data-upload-ready).
    private bool _ready;

    protected override void OnAfterRender(bool firstRender)
    {
        if (firstRender && RendererInfo.IsInteractive)
        {
            _ready = true;
            StateHasChanged();
        }
    }

    private async Task OnFilesChangedAsync(InputFileChangeEventArgs e)
    {
        // A pick or a drop ends the drag: the zone must not stay highlighted.
        _dragging = false;
        var files = e.FileCount > MaxFiles ? e.GetMultipleFiles(MaxFiles) : e.GetMultipleFiles(e.FileCount);
        var queued = new List<UploadFileInfo>();
        foreach (var file in files)
        {
            var index = _nextIndex++;
            queued.Add(new UploadFileInfo(index, file.Name, file.Size));
            _queue.Enqueue((index, file));
        }
        Batch.Add(queued);
        StateHasChanged();
        var workers = new List<Task>();
        while (_running < Concurrency && _queue.Count > 0)
        {
            _running++;
            workers.Add(WorkAsync());
        }
        await Task.WhenAll(workers);
    }

    private async Task WorkAsync()
    {
        try
        {
            while (!_disposed.IsCancellationRequested && _queue.TryDequeue(out var next))
            {
                await UploadAsync(next.Index, next.File);
            }
        }
        finally
        {
            _running--;
        }
        if (_running == 0 && !_disposed.IsCancellationRequested && !Batch.IsRunning)
        {
            StateHasChanged();
            await OnBatchFinished.InvokeAsync(Batch);
        }
    }

    private async Task UploadAsync(int index, IBrowserFile file)
    {
        Batch.Apply([new UploadReport(index, 0, file.Size)]);
        UploadReport outcome;
        try
        {
            if (file.Size > MaxFileBytes)
            {
                outcome = new UploadReport(index, 0, file.Size, Error: $"{file.Name} is {file.Size / (1024.0 * 1024):0.0} MB; the limit is {MaxFileBytes / (1024 * 1024)} MB per image.");
            }
            else
            {
                await using var source = file.OpenReadStream(MaxFileBytes, _disposed.Token);
                await using var counted = new ProgressStream(source, read => OnProgress(index, read, file.Size));
                var result = await Intake.AddAsync(DatasetId, file.Name, counted, CurrentUser.Name, _disposed.Token);
                outcome = new UploadReport(index, file.Size, file.Size, result);
            }
        }
        catch (OperationCanceledException) when (_disposed.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e) when (e is IOException or DomainException or InvalidOperationException)
        {
            outcome = new UploadReport(index, 0, file.Size, Error: $"{file.Name}: {e.Message}");
        }
        Batch.Apply([outcome]);
        StateHasChanged();
    }

    private void OnProgress(int index, long read, long total)
    {
        Batch.Apply([new UploadReport(index, read, total)]);
        var now = Time.GetTimestamp();
        if (Time.GetElapsedTime(Interlocked.Read(ref _lastRender), now) >= RenderEvery)
        {
            Interlocked.Exchange(ref _lastRender, now);
            _ = InvokeAsync(StateHasChanged);
        }
    }

    private void ClearFinished() => Batch.ClearFinished();

    public void Dispose()
    {
        _disposed.Cancel();
        _disposed.Dispose();
    }

    /// <summary>Reads through to the browser file's stream and reports the bytes read so far.</summary>
    private sealed class ProgressStream(Stream inner, Action<long> progress) : Stream
    {
        private long _read;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => _read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

        public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Count(await inner.ReadAsync(buffer.AsMemory(offset, count), cancellationToken).ConfigureAwait(false));

        private int Count(int read)
        {
            _read += read;
            progress(_read);
            return read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
