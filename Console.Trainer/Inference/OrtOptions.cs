namespace VisionConsole.Trainer.Inference;

/// <summary>ONNX Runtime settings, bound from the <c>Ort</c> configuration section.</summary>
public sealed class OrtOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Ort";

    /// <summary>Threads per operator; 0 means one per logical processor.</summary>
    public int IntraOpThreads { get; set; }

    /// <summary>
    /// Append the CUDA execution provider (needs the <c>Cuda</c> build flavour, CUDA 13 and cuDNN 9); when it cannot
    /// be used, the reason is logged once and sessions run on the CPU.
    /// </summary>
    public bool UseCuda { get; set; }

    /// <summary>The CUDA device when <see cref="UseCuda"/> is set.</summary>
    public int CudaDeviceId { get; set; }

    /// <summary>The intra-op thread count these settings give.</summary>
    public int EffectiveIntraOpThreads => IntraOpThreads > 0 ? IntraOpThreads : Environment.ProcessorCount;
}
