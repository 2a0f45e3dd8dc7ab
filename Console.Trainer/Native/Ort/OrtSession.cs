using System.Runtime.CompilerServices;
using System.Text;

namespace VisionConsole.Trainer.Native.Ort;

/// <summary>How an <see cref="OrtSession"/> is set up.</summary>
public sealed record OrtSessionOptions
{
    /// <summary>Threads used inside one operator; 0 lets ONNX Runtime choose (one per physical core).</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Graph rewrites applied when the session is created.</summary>
    public GraphOptimizationLevel OptimizationLevel { get; init; } = GraphOptimizationLevel.All;

    /// <summary>
    /// Put the CUDA execution provider first. On a build without CUDA this is reported in
    /// <see cref="OrtSession.ProviderWarnings"/> and the session runs on the CPU.
    /// </summary>
    public bool UseCuda { get; init; }

    /// <summary>The CUDA device when <see cref="UseCuda"/> is set.</summary>
    public int CudaDeviceId { get; init; }

    /// <summary>Least severe session message the runtime prints.</summary>
    public OrtLoggingLevel LogLevel { get; init; } = OrtLoggingLevel.Warning;
}

/// <summary>One model input or output as the session declares it.</summary>
/// <param name="Name">The name used in runs.</param>
/// <param name="ElementType">Element type (<see cref="OrtElementType.Undefined"/> for non-tensors).</param>
/// <param name="Shape">Dimensions; -1 marks a dynamic (symbolic or unknown) dimension.</param>
public sealed record OrtNodeInfo(string Name, OrtElementType ElementType, IReadOnlyList<long> Shape)
{
    /// <inheritdoc />
    public override string ToString() => $"{Name}: {ElementType}[{string.Join(", ", Shape.Select(d => d < 0 ? "?" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]";
}

/// <summary>
/// A loaded model. <see cref="Run"/> is thread-safe (ONNX Runtime allows concurrent runs on one session).
/// </summary>
public sealed unsafe class OrtSession : IDisposable
{
    private readonly OrtApi api;
    private readonly OrtSessionHandle handle;
    // UTF-8, NUL-terminated names on the pinned object heap: stable pointers for every run, freed by the GC.
    private readonly byte[] nameBytes;
    private readonly Dictionary<string, int> inputOffsets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> outputOffsets = new(StringComparer.Ordinal);

    private OrtSession(OrtApi api, OrtSessionHandle handle, IReadOnlyList<string> providers, IReadOnlyList<string> warnings)
    {
        this.api = api;
        this.handle = handle;
        ExecutionProviders = providers;
        ProviderWarnings = warnings;
        Inputs = ReadNodes(input: true);
        Outputs = ReadNodes(input: false);
        var names = Inputs.Concat(Outputs).Select(n => Encoding.UTF8.GetByteCount(n.Name) + 1).Sum();
        nameBytes = GC.AllocateUninitializedArray<byte>(names, pinned: true);
        var offset = 0;
        foreach (var node in Inputs)
        {
            inputOffsets[node.Name] = offset;
            offset = WriteName(node.Name, offset);
        }
        foreach (var node in Outputs)
        {
            outputOffsets[node.Name] = offset;
            offset = WriteName(node.Name, offset);
        }
    }

    /// <summary>The model's inputs in declaration order.</summary>
    public IReadOnlyList<OrtNodeInfo> Inputs { get; }

    /// <summary>The model's outputs in declaration order.</summary>
    public IReadOnlyList<OrtNodeInfo> Outputs { get; }

    /// <summary>Execution providers registered for this session, in priority order.</summary>
    public IReadOnlyList<string> ExecutionProviders { get; }

    /// <summary>Requested execution providers that could not be used, and why (empty when all worked).</summary>
    public IReadOnlyList<string> ProviderWarnings { get; }

    /// <summary>Loads a model file.</summary>
    public static OrtSession FromFile(string modelPath, OrtSessionOptions? options = null, OrtEnvironment? environment = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        var path = Encoding.UTF8.GetBytes(modelPath + "\0");
        return Create(options, environment, (api, env, sessionOptions) =>
        {
            IntPtr session;
            fixed (byte* pathPointer = path)
            {
                api.ThrowIfFailed(api.CreateSession(env, pathPointer, sessionOptions, &session));
            }
            return session;
        });
    }

    /// <summary>Loads a model from its bytes (ONNX Runtime copies what it needs).</summary>
    public static OrtSession FromBytes(ReadOnlyMemory<byte> model, OrtSessionOptions? options = null, OrtEnvironment? environment = null) =>
        Create(options, environment, (api, env, sessionOptions) =>
        {
            IntPtr session;
            fixed (byte* data = model.Span)
            {
                api.ThrowIfFailed(api.CreateSessionFromArray(env, data, (nuint)model.Length, sessionOptions, &session));
            }
            return session;
        });

    /// <summary>
    /// Runs the model. Outputs are allocated by ONNX Runtime; dispose the result to free them.
    /// </summary>
    /// <param name="inputs">Every input the model needs, by name.</param>
    /// <param name="outputNames">The outputs wanted, by name.</param>
    /// <param name="runOptions">Optional run options (e.g. to terminate the run from another thread).</param>
    public OrtValue[] Run(ReadOnlySpan<OrtInput> inputs, ReadOnlySpan<string> outputNames, OrtRunOptions? runOptions = null)
    {
        var inputNamePointers = stackalloc IntPtr[inputs.Length];
        var inputValues = stackalloc IntPtr[inputs.Length];
        var outputNamePointers = stackalloc IntPtr[outputNames.Length];
        var outputValues = stackalloc IntPtr[outputNames.Length];
        var leased = new bool[inputs.Length];
        var sessionAdded = false;
        var runOptionsAdded = false;
        try
        {
            handle.DangerousAddRef(ref sessionAdded);
            for (var i = 0; i < inputs.Length; i++)
            {
                inputNamePointers[i] = NamePointer(inputOffsets, inputs[i].Name, "input", Inputs);
                inputs[i].Tensor.Handle.DangerousAddRef(ref leased[i]);
                inputValues[i] = inputs[i].Tensor.Handle.DangerousGetHandle();
            }
            for (var i = 0; i < outputNames.Length; i++)
            {
                outputNamePointers[i] = NamePointer(outputOffsets, outputNames[i], "output", Outputs);
                outputValues[i] = IntPtr.Zero;
            }
            runOptions?.Handle.DangerousAddRef(ref runOptionsAdded);
            api.ThrowIfFailed(api.Run(
                handle.DangerousGetHandle(), runOptions?.Handle.DangerousGetHandle() ?? IntPtr.Zero,
                inputNamePointers, inputValues, (nuint)inputs.Length,
                outputNamePointers, (nuint)outputNames.Length, outputValues));
        }
        finally
        {
            if (runOptionsAdded)
            {
                runOptions!.Handle.DangerousRelease();
            }
            for (var i = 0; i < inputs.Length; i++)
            {
                if (leased[i])
                {
                    inputs[i].Tensor.Handle.DangerousRelease();
                }
            }
            if (sessionAdded)
            {
                handle.DangerousRelease();
            }
        }
        var results = new OrtValue[outputNames.Length];
        // Own every output first so none leaks if reading one's shape fails.
        var owned = new OrtValueHandle[outputNames.Length];
        for (var i = 0; i < owned.Length; i++)
        {
            owned[i] = new OrtValueHandle(outputValues[i], api);
        }
        try
        {
            for (var i = 0; i < owned.Length; i++)
            {
                results[i] = new OrtValue(owned[i], api);
            }
        }
        catch
        {
            foreach (var value in owned)
            {
                value.Dispose();
            }
            throw;
        }
        return results;
    }

    /// <inheritdoc />
    public void Dispose() => handle.Dispose();

    internal static (OrtElementType ElementType, long[] Shape) ReadTensorInfo(OrtApi api, IntPtr tensorInfo)
    {
        int elementType;
        nuint rank;
        api.ThrowIfFailed(api.GetTensorElementType(tensorInfo, &elementType));
        api.ThrowIfFailed(api.GetDimensionsCount(tensorInfo, &rank));
        var shape = new long[(int)rank];
        fixed (long* dims = shape)
        {
            api.ThrowIfFailed(api.GetDimensions(tensorInfo, dims, rank));
        }
        return ((OrtElementType)elementType, shape);
    }

    private delegate IntPtr SessionFactory(OrtApi api, IntPtr environment, IntPtr sessionOptions);

    private static OrtSession Create(OrtSessionOptions? options, OrtEnvironment? environment, SessionFactory factory)
    {
        options ??= new OrtSessionOptions();
        environment ??= OrtEnvironment.Shared;
        var api = OrtLibrary.Api;
        IntPtr rawOptions;
        api.ThrowIfFailed(api.CreateSessionOptions(&rawOptions));
        using var sessionOptions = new OrtSessionOptionsHandle(rawOptions, api);
        api.ThrowIfFailed(api.SetSessionGraphOptimizationLevel(rawOptions, (int)options.OptimizationLevel));
        api.ThrowIfFailed(api.SetIntraOpNumThreads(rawOptions, options.IntraOpThreads));
        api.ThrowIfFailed(api.SetSessionLogSeverityLevel(rawOptions, (int)options.LogLevel));
        var providers = new List<string>();
        var warnings = new List<string>();
        if (options.UseCuda)
        {
            try
            {
                AppendCuda(api, rawOptions, options.CudaDeviceId);
                providers.Add("CUDAExecutionProvider");
            }
            catch (OrtException e)
            {
                warnings.Add($"CUDAExecutionProvider was requested but is unavailable, running on the CPU: {e.OrtMessage}");
            }
        }
        providers.Add("CPUExecutionProvider");
        using var envLease = new HandleLease(environment.Handle);
        var session = factory(api, envLease.Pointer, rawOptions);
        return new OrtSession(api, new OrtSessionHandle(session, api), providers, warnings);
    }

    private static void AppendCuda(OrtApi api, IntPtr sessionOptions, int deviceId)
    {
        IntPtr raw;
        api.ThrowIfFailed(api.CreateCudaProviderOptions(&raw));
        using var cudaOptions = new OrtCudaProviderOptionsHandle(raw, api);
        var key = "device_id\0"u8.ToArray();
        var value = Encoding.UTF8.GetBytes(deviceId.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\0");
        fixed (byte* keyPointer = key)
        fixed (byte* valuePointer = value)
        {
            var keys = stackalloc byte*[] { keyPointer };
            var values = stackalloc byte*[] { valuePointer };
            api.ThrowIfFailed(api.UpdateCudaProviderOptions(raw, keys, values, 1));
        }
        api.ThrowIfFailed(api.SessionOptionsAppendExecutionProviderCudaV2(sessionOptions, raw));
    }

    private IReadOnlyList<OrtNodeInfo> ReadNodes(bool input)
    {
        using var lease = new HandleLease(handle);
        nuint count;
        api.ThrowIfFailed(input ? api.SessionGetInputCount(lease.Pointer, &count) : api.SessionGetOutputCount(lease.Pointer, &count));
        var nodes = new OrtNodeInfo[(int)count];
        for (nuint i = 0; i < count; i++)
        {
            byte* rawName;
            api.ThrowIfFailed(input
                ? api.SessionGetInputName(lease.Pointer, i, api.DefaultAllocator, &rawName)
                : api.SessionGetOutputName(lease.Pointer, i, api.DefaultAllocator, &rawName));
            var name = api.TakeAllocatedString(rawName);
            IntPtr rawTypeInfo;
            api.ThrowIfFailed(input
                ? api.SessionGetInputTypeInfo(lease.Pointer, i, &rawTypeInfo)
                : api.SessionGetOutputTypeInfo(lease.Pointer, i, &rawTypeInfo));
            using var typeInfo = new OrtTypeInfoHandle(rawTypeInfo, api);
            const int TensorType = 1;
            int onnxType;
            api.ThrowIfFailed(api.GetOnnxTypeFromTypeInfo(rawTypeInfo, &onnxType));
            if (onnxType != TensorType)
            {
                nodes[(int)i] = new OrtNodeInfo(name, OrtElementType.Undefined, []);
                continue;
            }
            IntPtr tensorInfo; // Owned by the type info.
            api.ThrowIfFailed(api.CastTypeInfoToTensorInfo(rawTypeInfo, &tensorInfo));
            var (elementType, shape) = ReadTensorInfo(api, tensorInfo);
            nodes[(int)i] = new OrtNodeInfo(name, elementType, shape);
        }
        return nodes;
    }

    private int WriteName(string name, int offset)
    {
        offset += Encoding.UTF8.GetBytes(name, nameBytes.AsSpan(offset));
        nameBytes[offset] = 0;
        return offset + 1;
    }

    private IntPtr NamePointer(Dictionary<string, int> offsets, string name, string kind, IReadOnlyList<OrtNodeInfo> nodes)
    {
        if (!offsets.TryGetValue(name, out var offset))
        {
            throw new ArgumentException($"The model has no {kind} named '{name}'; its {kind}s are: {string.Join("; ", nodes)}.", nameof(name));
        }
        return (IntPtr)Unsafe.AsPointer(ref nameBytes[offset]);
    }
}
