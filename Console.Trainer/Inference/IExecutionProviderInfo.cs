namespace VisionConsole.Trainer.Inference;

/// <summary>Which ONNX Runtime execution provider the console's sessions run on, and why not CUDA when it was asked for.</summary>
public interface IExecutionProviderInfo
{
    /// <summary><c>CPU</c> or <c>CUDA</c>: the provider every session is created with.</summary>
    string Provider { get; }

    /// <summary>Why CUDA was requested (<c>Ort:UseCuda</c>) but is not used; null when it is used or was not requested.</summary>
    string? FallbackReason { get; }

    /// <summary>Whether <c>Ort:UseCuda</c> asked for the CUDA execution provider.</summary>
    bool CudaRequested { get; }

    /// <summary>The native package this build ships: <c>Cpu</c> or <c>Cuda</c> (build property <c>OnnxRuntimeFlavor</c>).</summary>
    string Flavor { get; }

    /// <summary>The ONNX Runtime version loaded, e.g. <c>1.31.1</c>.</summary>
    string Version { get; }
}
