using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;

namespace VisionConsole.Trainer.Inference;

/// <summary>Settings of exported-model inference, bound from the <c>Inference</c> configuration section.</summary>
public sealed class InferenceOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Inference";

    /// <summary>How many model versions keep a loaded session (least recently used ones are closed first).</summary>
    public int SessionCacheSize { get; set; } = 4;
}

/// <summary>
/// The ONNX Runtime sessions of exported models (<c>model.onnx</c> of a model version): one per file, loaded on first use,
/// shared by every caller (runs are thread-safe), the least recently used closed once more than the configured number
/// are open. The one small seam between the console's inference and ONNX Runtime.
/// </summary>
public interface IModelSessionCache
{
    /// <summary>Runs <paramref name="run"/> on the session of <paramref name="modelPath"/>, loading it on first use; it stays open while it runs.</summary>
    TResult Run<TResult>(string modelPath, Func<InferenceSession, TResult> run);

    /// <summary>Closes the session of a model file (deleted or replaced); a run in progress finishes first.</summary>
    void Evict(string modelPath);

    /// <summary>The model files with an open (or opening) session, most recently used first.</summary>
    IReadOnlyList<string> Cached { get; }
}

/// <summary>
/// The bounded least-recently-used <see cref="IModelSessionCache"/> over <see cref="OrtRuntime"/> (its session options and
/// provider). Written here because the cache must never close a session another thread is running: an entry evicted while
/// in use is closed by the last run that releases it.
/// </summary>
public sealed partial class ModelSessionCache : IModelSessionCache, IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> _recent = new();
    private readonly Func<string, InferenceSession> _load;
    private readonly int _capacity;
    private readonly ILogger _logger;
    private bool _disposed;

    /// <summary>Creates the cache over the console's ONNX Runtime.</summary>
    public ModelSessionCache(OrtRuntime runtime, IOptions<InferenceOptions> options, ILogger<ModelSessionCache>? logger = null)
        : this(path => (runtime ?? throw new ArgumentNullException(nameof(runtime))).CreateSession(path), (options ?? throw new ArgumentNullException(nameof(options))).Value.SessionCacheSize, logger)
    {
    }

    internal ModelSessionCache(Func<string, InferenceSession> load, int capacity, ILogger? logger = null)
    {
        if (capacity < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "Inference:SessionCacheSize must be at least 1.");
        }
        _load = load;
        _capacity = capacity;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The model files with an open (or opening) session, most recently used first.</summary>
    public IReadOnlyList<string> Cached
    {
        get
        {
            lock (_gate)
            {
                return _recent.Select(e => e.Path).ToArray();
            }
        }
    }

    /// <summary>How many sessions were loaded since start (a hit loads none).</summary>
    public int Loads => Volatile.Read(ref _loads);

    private int _loads;

    /// <inheritdoc />
    public TResult Run<TResult>(string modelPath, Func<InferenceSession, TResult> run)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        ArgumentNullException.ThrowIfNull(run);
        var entry = Acquire(Path.GetFullPath(modelPath));
        try
        {
            InferenceSession session;
            try
            {
                session = entry.Session.Value;
            }
            catch
            {
                // Do not keep a failure: the file may be fixed or appear later.
                Remove(entry);
                throw;
            }
            return run(session);
        }
        finally
        {
            Release(entry);
        }
    }

    /// <inheritdoc />
    public void Evict(string modelPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        lock (_gate)
        {
            if (_entries.TryGetValue(Path.GetFullPath(modelPath), out var entry))
            {
                Detach(entry);
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            foreach (var entry in _entries.Values.ToList())
            {
                Detach(entry);
            }
        }
    }

    private Entry Acquire(string path)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_entries.TryGetValue(path, out var entry))
            {
                entry = new Entry(path, new Lazy<InferenceSession>(() => Load(path), LazyThreadSafetyMode.ExecutionAndPublication));
                _entries.Add(path, entry);
                entry.Node = _recent.AddFirst(entry);
                while (_entries.Count > _capacity)
                {
                    Detach(_recent.Last!.Value);
                }
            }
            else
            {
                _recent.Remove(entry.Node!);
                _recent.AddFirst(entry.Node!);
            }
            entry.Users++;
            return entry;
        }
    }

    private void Release(Entry entry)
    {
        lock (_gate)
        {
            entry.Users--;
            if (entry.Detached && entry.Users == 0)
            {
                Close(entry);
            }
        }
    }

    private void Remove(Entry entry)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(entry.Path, out var current) && ReferenceEquals(current, entry))
            {
                Detach(entry);
            }
        }
    }

    /// <summary>Takes the entry out of the cache (under the lock); closes it now when no run holds it, else at its last release.</summary>
    private void Detach(Entry entry)
    {
        if (entry.Detached)
        {
            return;
        }
        entry.Detached = true;
        _entries.Remove(entry.Path);
        _recent.Remove(entry.Node!);
        if (entry.Users == 0)
        {
            Close(entry);
        }
    }

    private void Close(Entry entry)
    {
        if (entry.Session.IsValueCreated)
        {
            entry.Session.Value.Dispose();
            LogClosed(_logger, entry.Path);
        }
    }

    private InferenceSession Load(string path)
    {
        var session = _load(path);
        Interlocked.Increment(ref _loads);
        LogLoaded(_logger, path);
        return session;
    }

    private sealed class Entry(string path, Lazy<InferenceSession> session)
    {
        public string Path { get; } = path;

        public Lazy<InferenceSession> Session { get; } = session;

        public LinkedListNode<Entry>? Node { get; set; }

        public int Users { get; set; }

        public bool Detached { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded the ONNX Runtime session of {ModelPath}")]
    private static partial void LogLoaded(ILogger logger, string modelPath);

    [LoggerMessage(Level = LogLevel.Information, Message = "Closed the ONNX Runtime session of {ModelPath}")]
    private static partial void LogClosed(ILogger logger, string modelPath);
}
