using TorchSharp;
using static TorchSharp.torch;

namespace VisionConsole.Trainer.Training;

/// <summary>
/// Numbers as 0-d float32 tensors, for arithmetic with tensors. A C# number operand becomes a native TorchSharp
/// <c>Scalar</c> that only its finalizer frees, and once its handle is passed to libtorch the wrapper is unreachable, so
/// the finalizer can free it while libtorch still reads it (a test host crashed reading such a Scalar); a tensor made
/// here belongs to the caller's dispose scope and lives until that scope ends.
/// </summary>
internal static class TensorConstant
{
    /// <summary>A 0-d float32 tensor holding <paramref name="value"/>.</summary>
    public static Tensor Of(double value) => torch.tensor((float)value);
}
