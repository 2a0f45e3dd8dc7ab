using System.Buffers;
using System.Runtime.InteropServices;

namespace VisionConsole.Trainer.Native.Ort;

/// <summary>
/// An input tensor over caller-owned managed memory: the memory is pinned and handed to ONNX Runtime
/// without a copy (<c>CreateTensorWithDataAsOrtValue</c>) and stays pinned until <see cref="Dispose"/>.
/// The caller must not change the memory's contents while a run that uses it is in progress.
/// </summary>
public sealed unsafe class OrtTensor : IDisposable
{
    private static readonly Lazy<OrtMemoryInfoHandle> CpuMemory = new(CreateCpuMemoryInfo);
    private MemoryHandle pin;

    private OrtTensor(OrtValueHandle handle, MemoryHandle pin, OrtElementType elementType, long[] shape)
    {
        Handle = handle;
        this.pin = pin;
        ElementType = elementType;
        Shape = shape;
    }

    /// <summary>The element type.</summary>
    public OrtElementType ElementType { get; }

    /// <summary>The dimensions.</summary>
    public IReadOnlyList<long> Shape { get; }

    internal OrtValueHandle Handle { get; }

    /// <summary>Wraps <paramref name="data"/> (exactly the product of <paramref name="shape"/> elements) as a tensor.</summary>
    public static OrtTensor Create<T>(Memory<T> data, ReadOnlySpan<long> shape) where T : unmanaged
    {
        var elementType = OrtElementTypes.Of<T>();
        long count = 1;
        foreach (var dimension in shape)
        {
            if (dimension < 0)
            {
                throw new ArgumentException($"Tensor dimensions must be concrete; got [{string.Join(", ", shape.ToArray())}].", nameof(shape));
            }
            count *= dimension;
        }
        if (count != data.Length)
        {
            throw new ArgumentException($"Shape [{string.Join(", ", shape.ToArray())}] holds {count} elements but the data has {data.Length}.", nameof(data));
        }
        var api = OrtLibrary.Api;
        var memory = CpuMemory.Value;
        var pin = data.Pin();
        try
        {
            IntPtr value;
            fixed (long* dims = shape)
            {
                api.ThrowIfFailed(api.CreateTensorWithDataAsOrtValue(
                    memory.DangerousGetHandle(), pin.Pointer, (nuint)(data.Length * sizeof(T)), dims, (nuint)shape.Length, (int)elementType, &value));
            }
            return new OrtTensor(new OrtValueHandle(value, api), pin, elementType, shape.ToArray());
        }
        catch
        {
            pin.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        // The value must be gone before the memory may move.
        Handle.Dispose();
        pin.Dispose();
    }

    private static OrtMemoryInfoHandle CreateCpuMemoryInfo()
    {
        const int ArenaAllocator = 1;
        const int DefaultMemoryType = 0;
        var api = OrtLibrary.Api;
        IntPtr info;
        api.ThrowIfFailed(api.CreateCpuMemoryInfo(ArenaAllocator, DefaultMemoryType, &info));
        return new OrtMemoryInfoHandle(info, api);
    }
}

/// <summary>A tensor allocated by ONNX Runtime (a run's output); its data is readable until <see cref="Dispose"/>.</summary>
public sealed unsafe class OrtValue : IDisposable
{
    private readonly OrtApi api;

    internal OrtValue(OrtValueHandle handle, OrtApi api)
    {
        Handle = handle;
        this.api = api;
        IntPtr info;
        api.ThrowIfFailed(api.GetTensorTypeAndShape(handle.DangerousGetHandle(), &info));
        using var owned = new OrtTensorTypeAndShapeInfoHandle(info, api);
        var (elementType, shape) = OrtSession.ReadTensorInfo(api, info);
        ElementType = elementType;
        Shape = shape;
        ElementCount = shape.Aggregate(1L, (product, dimension) => product * dimension);
    }

    /// <summary>The element type.</summary>
    public OrtElementType ElementType { get; }

    /// <summary>The dimensions.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>The number of elements.</summary>
    public long ElementCount { get; }

    internal OrtValueHandle Handle { get; }

    /// <summary>The tensor's data in ONNX Runtime's memory; valid until this value is disposed.</summary>
    public ReadOnlySpan<T> GetData<T>() where T : unmanaged
    {
        var requested = OrtElementTypes.Of<T>();
        if (requested != ElementType)
        {
            throw new InvalidOperationException($"The tensor holds {ElementType} elements, not {requested}.");
        }
        using var lease = new HandleLease(Handle);
        void* data;
        api.ThrowIfFailed(api.GetTensorMutableData(lease.Pointer, &data));
        return new ReadOnlySpan<T>(data, checked((int)ElementCount));
    }

    /// <summary>Copies the data once into <paramref name="destination"/> (at least <see cref="ElementCount"/> long).</summary>
    public void CopyTo<T>(Span<T> destination) where T : unmanaged => GetData<T>().CopyTo(destination);

    /// <summary>Copies the data into a new array.</summary>
    public T[] ToArray<T>() where T : unmanaged => GetData<T>().ToArray();

    /// <inheritdoc />
    public void Dispose() => Handle.Dispose();
}

/// <summary>A named input of one run.</summary>
/// <param name="Name">The model input's name.</param>
/// <param name="Tensor">The value.</param>
[StructLayout(LayoutKind.Auto)]
public readonly record struct OrtInput(string Name, OrtTensor Tensor);
