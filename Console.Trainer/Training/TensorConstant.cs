using TorchSharp;
using static TorchSharp.torch;

namespace VisionConsole.Trainer.Training;

/// <summary>
/// Numbers as 0-d float32 tensors, for arithmetic with tensors. A C# number operand becomes a native TorchSharp
/// <c>Scalar</c> that only its finalizer frees, and once its handle is passed to libtorch the wrapper is unreachable, so
/// the finalizer can free it while libtorch still reads it (a test host crashed reading such a Scalar); a tensor made
/// here belongs to the caller's dispose scope and lives until that scope ends. TorchSharp's <c>a + b</c> does the same
/// with its implicit alpha of 1, hence <see cref="Plus"/>; TorchScalarLifetimeTests finds any call that still does.
/// </summary>
internal static class TensorConstant
{
    // A static field roots it, so no finalizer ever frees it; libtorch only reads it, so threads can share it.
    private static readonly Scalar One = 1.ToScalar();

    /// <summary>A 0-d float32 tensor holding <paramref name="value"/>.</summary>
    public static Tensor Of(double value) => torch.tensor((float)value);

    /// <summary><paramref name="left"/> + <paramref name="right"/>, with an alpha that stays alive.</summary>
    public static Tensor Plus(this Tensor left, Tensor right) => left.add(right, One);
}
