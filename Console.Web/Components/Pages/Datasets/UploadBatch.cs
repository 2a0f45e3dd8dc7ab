using VisionConsole.Domain.Datasets;

namespace VisionConsole.Web.Components.Pages.Datasets;

/// <summary>Where one file of an upload batch stands.</summary>
public enum UploadStatus { Queued, Uploading, Processing, Added, Duplicate, Failed }

/// <summary>A file the browser queued for upload (sent by upload.js).</summary>
public sealed record UploadFileInfo(int Index, string Name, long Size);

/// <summary>
/// What upload.js reports about one file: bytes sent so far, and once the server answered, either the
/// intake result or the error (HTTP or network) that prevented one.
/// </summary>
public sealed record UploadReport(int Index, long Loaded, long Total, IntakeResult? Result = null, string? Error = null);

/// <summary>One row of the upload list.</summary>
public sealed class UploadFileState(UploadFileInfo file)
{
    public int Index { get; } = file.Index;
    public string Name { get; } = file.Name;
    public long Size { get; } = file.Size;
    public long Loaded { get; private set; }
    public long Total { get; private set; } = file.Size;
    public UploadStatus Status { get; private set; } = UploadStatus.Queued;
    public string? Error { get; private set; }

    public bool IsFinished => Status is UploadStatus.Added or UploadStatus.Duplicate or UploadStatus.Failed;

    /// <summary>Percentage of bytes sent (100 once the server answered).</summary>
    public double Percent => IsFinished ? 100 : Total <= 0 ? 0 : 100.0 * Loaded / Total;

    internal void Apply(UploadReport report)
    {
        if (IsFinished)
        {
            return;
        }
        Loaded = report.Loaded;
        if (report.Total > 0)
        {
            Total = report.Total;
        }
        if (report.Error is not null)
        {
            Status = UploadStatus.Failed;
            Error = report.Error;
        }
        else if (report.Result is { } result)
        {
            Status = !result.Accepted ? UploadStatus.Failed : result.Duplicate ? UploadStatus.Duplicate : UploadStatus.Added;
            Error = result.Accepted ? null : result.Error ?? $"{Name} was refused.";
        }
        else
        {
            Status = Total > 0 && Loaded >= Total ? UploadStatus.Processing : UploadStatus.Uploading;
        }
    }
}

/// <summary>The files of the uploads started on one page, in the order they were chosen.</summary>
public sealed class UploadBatch
{
    private readonly List<UploadFileState> _files = [];
    private readonly Dictionary<int, UploadFileState> _byIndex = [];

    public IReadOnlyList<UploadFileState> Files => _files;

    public int Count(UploadStatus status) => _files.Count(f => f.Status == status);

    public int FinishedCount => _files.Count(f => f.IsFinished);

    public bool IsRunning => _files.Any(f => !f.IsFinished);

    public void Add(IEnumerable<UploadFileInfo> files)
    {
        foreach (var file in files)
        {
            if (!_byIndex.ContainsKey(file.Index))
            {
                var state = new UploadFileState(file);
                _files.Add(state);
                _byIndex.Add(file.Index, state);
            }
        }
    }

    public void Apply(IEnumerable<UploadReport> reports)
    {
        foreach (var report in reports)
        {
            if (_byIndex.TryGetValue(report.Index, out var file))
            {
                file.Apply(report);
            }
        }
    }

    /// <summary>Forgets finished files (the "Clear" button); files still on their way stay.</summary>
    public void ClearFinished()
    {
        _files.RemoveAll(f => f.IsFinished);
        foreach (var index in _byIndex.Where(p => p.Value.IsFinished).Select(p => p.Key).ToList())
        {
            _byIndex.Remove(index);
        }
    }
}
