using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using VisionConsole.Trainer.Onnx;

namespace VisionConsole.Trainer.Inference;

/// <summary>
/// The console's one way to ONNX Runtime sessions: session options from <see cref="OrtOptions"/>, and the execution
/// provider chosen once. With <c>Ort:UseCuda</c> the CUDA provider is tried on a one-node model the first time a
/// session (or <see cref="Provider"/>) is asked for; when it cannot run, the exact reason is logged once and every
/// session runs on the CPU.
/// </summary>
public sealed partial class OrtRuntime : IExecutionProviderInfo
{
    /// <summary>The provider name when sessions run on the CPU.</summary>
    public const string Cpu = "CPU";

    /// <summary>The provider name when sessions run on CUDA.</summary>
    public const string Cuda = "CUDA";

    private static readonly Lock EnvironmentLock = new();
    // ORT calls this from native code for the life of the process: a static field keeps the delegate alive.
    private static readonly DOrtLoggingFunction LogCallback = OnOrtLog;
    private static ILogger environmentLogger = NullLogger.Instance;
    // ORT logs the dlopen error behind a failed provider only to its logger, on the calling thread: collected here
    // while the CUDA probe runs, so the one fallback message can carry it.
    [ThreadStatic]
    private static List<string>? probeMessages;

    private readonly OrtOptions options;
    private readonly ILogger<OrtRuntime> logger;
    private readonly Lazy<(string Provider, string? Reason)> choice;

    /// <summary>Creates the runtime; the ONNX Runtime environment (logging into <paramref name="logger"/>) is created on first use.</summary>
    public OrtRuntime(IOptions<OrtOptions> options, ILogger<OrtRuntime>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options.Value;
        this.logger = logger ?? NullLogger<OrtRuntime>.Instance;
        choice = new Lazy<(string, string?)>(ChooseProvider, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <inheritdoc />
    public string Provider => choice.Value.Provider;

    /// <inheritdoc />
    public string? FallbackReason => choice.Value.Reason;

    /// <inheritdoc />
    public bool CudaRequested => options.UseCuda;

    /// <inheritdoc />
    public string Flavor { get; } = typeof(OrtRuntime).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .FirstOrDefault(a => a.Key == "OnnxRuntimeFlavor")?.Value ?? "Cpu";

    /// <inheritdoc />
    public string Version => Environment().GetVersionString();

    /// <summary>The settings sessions are created with.</summary>
    public OrtOptions Options => options;

    /// <summary>Loads a model file into a new session on the chosen provider. The caller owns (and disposes) it.</summary>
    public InferenceSession CreateSession(string modelPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        using var sessionOptions = CreateSessionOptions();
        return new InferenceSession(modelPath, sessionOptions);
    }

    /// <summary>Loads a model from its bytes into a new session on the chosen provider. The caller owns (and disposes) it.</summary>
    public InferenceSession CreateSession(byte[] model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var sessionOptions = CreateSessionOptions();
        return new InferenceSession(model, sessionOptions);
    }

    /// <summary>New session options for the chosen provider (the caller disposes them once its session exists).</summary>
    public SessionOptions CreateSessionOptions()
    {
        var provider = Provider;
        var sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = options.EffectiveIntraOpThreads,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING,
        };
        try
        {
            if (provider == Cuda)
            {
                sessionOptions.AppendExecutionProvider_CUDA(options.CudaDeviceId);
            }
            return sessionOptions;
        }
        catch
        {
            sessionOptions.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The process-wide ONNX Runtime environment, created on first use with its log routed to the first
    /// runtime's logger (the environment is a singleton: it can be created only once per process).
    /// </summary>
    private OrtEnv Environment()
    {
        lock (EnvironmentLock)
        {
            if (!OrtEnv.IsCreated)
            {
                environmentLogger = logger;
                var creation = new EnvironmentCreationOptions
                {
                    logId = "vision-console",
                    logLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING,
                    loggingFunction = LogCallback,
                };
                return OrtEnv.CreateInstanceWithOptions(ref creation);
            }
            return OrtEnv.Instance();
        }
    }

    private (string Provider, string? Reason) ChooseProvider()
    {
        var environment = Environment();
        if (!options.UseCuda)
        {
            return (Cpu, null);
        }
        var reason = CudaUnavailableReason(environment);
        if (reason is null)
        {
            LogCuda(logger, options.CudaDeviceId);
            return (Cuda, null);
        }
        LogCudaFallback(logger, reason);
        return (Cpu, reason);
    }

    /// <summary>Null when a one-node model runs on CUDA; otherwise what ONNX Runtime said.</summary>
    private string? CudaUnavailableReason(OrtEnv environment)
    {
        var available = environment.GetAvailableProviders();
        if (!available.Contains("CUDAExecutionProvider"))
        {
            return $"ONNX Runtime {environment.GetVersionString()} of this build (flavour {Flavor}) has no CUDA execution provider (it has {string.Join(", ", available)}); build with -p:OnnxRuntimeFlavor=Cuda.";
        }
        probeMessages = [];
        try
        {
            using var sessionOptions = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING };
            sessionOptions.AppendExecutionProvider_CUDA(options.CudaDeviceId);
            using var session = new InferenceSession(ProbeModel(), sessionOptions);
            using var input = OrtValue.CreateTensorValueFromMemory(new float[] { 1f }, [1]);
            using var runOptions = new RunOptions();
            using var outputs = session.Run(runOptions, ["x"], [input], ["y"]);
            return null;
        }
        catch (OnnxRuntimeException e)
        {
            var details = probeMessages.Select(Unwrap).Where(m => !e.Message.Contains(m, StringComparison.Ordinal)).Distinct();
            return $"CUDA execution provider (device {options.CudaDeviceId}) unavailable: {string.Join(": ", new[] { e.Message }.Concat(details))}";
        }
        finally
        {
            probeMessages = null;
        }
    }

    /// <summary>y = x + x over float [1]: enough for ONNX Runtime to load the provider and its CUDA libraries.</summary>
    private static byte[] ProbeModel()
    {
        var builder = OnnxModelBuilder.Create("cuda-probe");
        builder.AddInput("x", TensorProto.Types.DataType.Float, 1);
        builder.AddNode("Add", ["x", "x"], ["y"]);
        builder.AddOutput("y", TensorProto.Types.DataType.Float, 1);
        return builder.ToBytes();
    }

    /// <summary>ORT's log lines carry the source location and error code before the text; keep the text.</summary>
    private static string Unwrap(string message)
    {
        var match = FailText().Match(message);
        return (match.Success ? match.Groups[1].Value : message).Trim();
    }

    private static void OnOrtLog(IntPtr param, OrtLoggingLevel severity, string category, string logId, string codeLocation, string message)
    {
        if (probeMessages is { } collected)
        {
            collected.Add(message);
            return;
        }
        var level = severity switch
        {
            OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL => LogLevel.Critical,
            OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR => LogLevel.Error,
            OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING => LogLevel.Warning,
            OrtLoggingLevel.ORT_LOGGING_LEVEL_INFO => LogLevel.Information,
            _ => LogLevel.Debug,
        };
        LogOrt(environmentLogger, level, codeLocation, message);
    }

    [GeneratedRegex(@"\[ONNXRuntimeError\] : \d+ : [A-Z_]+ : (.*)$", RegexOptions.Singleline)]
    private static partial Regex FailText();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ort:UseCuda is set but ONNX Runtime runs on the CPU. {Reason}")]
    private static partial void LogCudaFallback(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "ONNX Runtime runs on the CUDA execution provider (device {DeviceId})")]
    private static partial void LogCuda(ILogger logger, int deviceId);

    [LoggerMessage(Message = "ONNX Runtime ({Location}): {Message}")]
    private static partial void LogOrt(ILogger logger, LogLevel level, string location, string message);
}
