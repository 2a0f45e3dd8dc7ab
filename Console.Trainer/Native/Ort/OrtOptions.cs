namespace VisionConsole.Trainer.Native.Ort;

/// <summary>ONNX Runtime settings, bound from the <c>Ort</c> configuration section.</summary>
public sealed class OrtOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Ort";

    /// <summary>
    /// Explicit path of <c>libonnxruntime.so.1</c> (e.g. a CUDA build). Empty: the environment variable
    /// <c>VISIONCONSOLE_ORT_LIBRARY</c>, else the copy next to the application.
    /// </summary>
    public string? LibraryPath { get; set; }

    /// <summary>Threads per operator; 0 means one per logical processor.</summary>
    public int IntraOpThreads { get; set; }

    /// <summary>Try the CUDA execution provider first (falls back to the CPU with a logged warning).</summary>
    public bool UseCuda { get; set; }

    /// <summary>The CUDA device when <see cref="UseCuda"/> is set.</summary>
    public int CudaDeviceId { get; set; }

    /// <summary>Least severe runtime message that is printed.</summary>
    public OrtLoggingLevel LogLevel { get; set; } = OrtLoggingLevel.Warning;

    /// <summary>The session options these settings describe.</summary>
    public OrtSessionOptions ToSessionOptions() => new()
    {
        IntraOpThreads = IntraOpThreads > 0 ? IntraOpThreads : Environment.ProcessorCount,
        UseCuda = UseCuda,
        CudaDeviceId = CudaDeviceId,
        LogLevel = LogLevel,
        OptimizationLevel = GraphOptimizationLevel.All,
    };
}
