using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using VisionConsole.Trainer.Zoo;

namespace VisionConsole.Trainer.Embedding;

/// <summary>
/// Turns interleaved 8-bit RGB pixels into a backbone's normalized float input,
/// <c>(pixel * Scale - Mean[c]) / Std[c]</c>, in NHWC (interleaved) or NCHW (planar) order.
/// 16 pixels per step with 128-bit vectors; the planar path de-interleaves with byte shuffles.
/// </summary>
internal static class ImageTensorWriter
{
    private const int PixelsPerStep = 16;
    private const int BytesPerStep = PixelsPerStep * 3;

    // For channel c and source vector k (bytes 16k..16k+15 of a 48-byte step): which byte lands in each of the
    // 16 output lanes; 0x80 clears the lane (its pixel's byte is in another source vector).
    private static readonly Vector128<byte>[] PlanarShuffles = BuildPlanarShuffles();

    /// <summary>Writes one image (<paramref name="rgb"/>: width * height * 3 bytes) into <paramref name="destination"/>.</summary>
    public static void Write(ReadOnlySpan<byte> rgb, Preprocessing preprocessing, Span<float> destination)
    {
        if (rgb.Length % 3 != 0 || destination.Length != rgb.Length)
        {
            throw new ArgumentException($"{rgb.Length} RGB bytes cannot fill {destination.Length} floats.", nameof(destination));
        }
        Span<float> scale = stackalloc float[3];
        Span<float> offset = stackalloc float[3];
        for (var c = 0; c < 3; c++)
        {
            scale[c] = preprocessing.Scale / preprocessing.Std[c];
            offset[c] = -preprocessing.Mean[c] / preprocessing.Std[c];
        }
        if (preprocessing.Layout == TensorLayout.Nhwc)
        {
            WriteInterleaved(rgb, scale, offset, destination);
        }
        else
        {
            WritePlanar(rgb, scale, offset, destination);
        }
    }

    private static void WriteInterleaved(ReadOnlySpan<byte> rgb, ReadOnlySpan<float> scale, ReadOnlySpan<float> offset, Span<float> destination)
    {
        var i = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            // Float vector m covers values 4m..4m+3; the channel pattern repeats every 3 vectors (12 values).
            Span<float> lanes = stackalloc float[12];
            for (var v = 0; v < 12; v++)
            {
                lanes[v] = scale[v % 3];
            }
            var scale0 = Vector128.Create<float>(lanes[..4]);
            var scale1 = Vector128.Create<float>(lanes[4..8]);
            var scale2 = Vector128.Create<float>(lanes[8..12]);
            for (var v = 0; v < 12; v++)
            {
                lanes[v] = offset[v % 3];
            }
            var offset0 = Vector128.Create<float>(lanes[..4]);
            var offset1 = Vector128.Create<float>(lanes[4..8]);
            var offset2 = Vector128.Create<float>(lanes[8..12]);
            ref var source = ref MemoryMarshal.GetReference(rgb);
            ref var target = ref MemoryMarshal.GetReference(destination);
            for (; i + BytesPerStep <= rgb.Length; i += BytesPerStep)
            {
                // Vector k's four float vectors are m = 4k..4k+3, so their pattern index is (4k + j) % 3.
                Widen(Vector128.LoadUnsafe(ref source, (nuint)i), out var f0, out var f1, out var f2, out var f3);
                (f0 * scale0 + offset0).StoreUnsafe(ref target, (nuint)i);
                (f1 * scale1 + offset1).StoreUnsafe(ref target, (nuint)(i + 4));
                (f2 * scale2 + offset2).StoreUnsafe(ref target, (nuint)(i + 8));
                (f3 * scale0 + offset0).StoreUnsafe(ref target, (nuint)(i + 12));
                Widen(Vector128.LoadUnsafe(ref source, (nuint)(i + 16)), out f0, out f1, out f2, out f3);
                (f0 * scale1 + offset1).StoreUnsafe(ref target, (nuint)(i + 16));
                (f1 * scale2 + offset2).StoreUnsafe(ref target, (nuint)(i + 20));
                (f2 * scale0 + offset0).StoreUnsafe(ref target, (nuint)(i + 24));
                (f3 * scale1 + offset1).StoreUnsafe(ref target, (nuint)(i + 28));
                Widen(Vector128.LoadUnsafe(ref source, (nuint)(i + 32)), out f0, out f1, out f2, out f3);
                (f0 * scale2 + offset2).StoreUnsafe(ref target, (nuint)(i + 32));
                (f1 * scale0 + offset0).StoreUnsafe(ref target, (nuint)(i + 36));
                (f2 * scale1 + offset1).StoreUnsafe(ref target, (nuint)(i + 40));
                (f3 * scale2 + offset2).StoreUnsafe(ref target, (nuint)(i + 44));
            }
        }
        for (; i < rgb.Length; i++)
        {
            var c = i % 3;
            destination[i] = rgb[i] * scale[c] + offset[c];
        }
    }

    private static void WritePlanar(ReadOnlySpan<byte> rgb, ReadOnlySpan<float> scale, ReadOnlySpan<float> offset, Span<float> destination)
    {
        var pixels = rgb.Length / 3;
        var red = destination[..pixels];
        var green = destination.Slice(pixels, pixels);
        var blue = destination.Slice(2 * pixels, pixels);
        var p = 0;
        if (Ssse3.IsSupported)
        {
            ref var source = ref MemoryMarshal.GetReference(rgb);
            var shuffles = PlanarShuffles;
            for (; p + PixelsPerStep <= pixels; p += PixelsPerStep)
            {
                var v0 = Vector128.LoadUnsafe(ref source, (nuint)(3 * p));
                var v1 = Vector128.LoadUnsafe(ref source, (nuint)(3 * p + 16));
                var v2 = Vector128.LoadUnsafe(ref source, (nuint)(3 * p + 32));
                StorePlane(Ssse3.Shuffle(v0, shuffles[0]) | Ssse3.Shuffle(v1, shuffles[1]) | Ssse3.Shuffle(v2, shuffles[2]), scale[0], offset[0], red, p);
                StorePlane(Ssse3.Shuffle(v0, shuffles[3]) | Ssse3.Shuffle(v1, shuffles[4]) | Ssse3.Shuffle(v2, shuffles[5]), scale[1], offset[1], green, p);
                StorePlane(Ssse3.Shuffle(v0, shuffles[6]) | Ssse3.Shuffle(v1, shuffles[7]) | Ssse3.Shuffle(v2, shuffles[8]), scale[2], offset[2], blue, p);
            }
        }
        for (; p < pixels; p++)
        {
            red[p] = rgb[3 * p] * scale[0] + offset[0];
            green[p] = rgb[3 * p + 1] * scale[1] + offset[1];
            blue[p] = rgb[3 * p + 2] * scale[2] + offset[2];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StorePlane(Vector128<byte> channel, float scale, float offset, Span<float> plane, int start)
    {
        Widen(channel, out var f0, out var f1, out var f2, out var f3);
        var s = Vector128.Create(scale);
        var o = Vector128.Create(offset);
        ref var target = ref MemoryMarshal.GetReference(plane);
        (f0 * s + o).StoreUnsafe(ref target, (nuint)start);
        (f1 * s + o).StoreUnsafe(ref target, (nuint)(start + 4));
        (f2 * s + o).StoreUnsafe(ref target, (nuint)(start + 8));
        (f3 * s + o).StoreUnsafe(ref target, (nuint)(start + 12));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Widen(Vector128<byte> bytes, out Vector128<float> f0, out Vector128<float> f1, out Vector128<float> f2, out Vector128<float> f3)
    {
        var (low, high) = Vector128.Widen(bytes);
        var (q0, q1) = Vector128.Widen(low);
        var (q2, q3) = Vector128.Widen(high);
        // Values are below 256, so the signed conversion (one instruction on x86) is exact.
        f0 = Vector128.ConvertToSingle(q0.AsInt32());
        f1 = Vector128.ConvertToSingle(q1.AsInt32());
        f2 = Vector128.ConvertToSingle(q2.AsInt32());
        f3 = Vector128.ConvertToSingle(q3.AsInt32());
    }

    private static Vector128<byte>[] BuildPlanarShuffles()
    {
        var result = new Vector128<byte>[9];
        Span<byte> lanes = stackalloc byte[16];
        for (var c = 0; c < 3; c++)
        {
            for (var k = 0; k < 3; k++)
            {
                for (var pixel = 0; pixel < PixelsPerStep; pixel++)
                {
                    var index = 3 * pixel + c;
                    lanes[pixel] = index / 16 == k ? (byte)(index % 16) : (byte)0x80;
                }
                result[3 * c + k] = Vector128.Create<byte>(lanes);
            }
        }
        return result;
    }
}
