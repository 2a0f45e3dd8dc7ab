using System.Runtime.InteropServices;

namespace VisionConsole.Trainer.Native.Ort;

/// <summary>
/// The entries of ONNX Runtime's <c>OrtApi</c> table this binding uses, read once from
/// <c>OrtGetApiBase()->GetApi(ApiVersion)</c>. The table is a flat array of function pointers that only
/// grows at its end, so entry k is at <c>table + k * sizeof(void*)</c> in every later release.
/// Status-returning entries return NULL on success; pass their result to <see cref="ThrowIfFailed"/>.
/// </summary>
internal sealed unsafe class OrtApi
{
    /// <summary>
    /// The table version requested. 16 (ONNX Runtime 1.16) is the lowest whose table holds every entry below,
    /// so an older CUDA build configured through <c>Ort:LibraryPath</c> still loads; the bundled library is 1.30.
    /// </summary>
    public const uint ApiVersion = 16;

    // Indices in OrtApi (zero-based), from onnxruntime_c_api.h (the design table, plus 22, 34, 46, 56, 125 and 126
    // counted in the header); exercised against the 1.30 library by Console.Tests/Trainer/Ort.
    private const int GetErrorCodeIndex = 1;
    private const int GetErrorMessageIndex = 2;
    private const int CreateEnvIndex = 3;
    private const int CreateSessionIndex = 7;
    private const int CreateSessionFromArrayIndex = 8;
    private const int RunIndex = 9;
    private const int CreateSessionOptionsIndex = 10;
    private const int SetSessionLogSeverityLevelIndex = 22;
    private const int SetSessionGraphOptimizationLevelIndex = 23;
    private const int SetIntraOpNumThreadsIndex = 24;
    private const int SessionGetInputCountIndex = 30;
    private const int SessionGetOutputCountIndex = 31;
    private const int SessionGetInputTypeInfoIndex = 33;
    private const int SessionGetOutputTypeInfoIndex = 34;
    private const int SessionGetInputNameIndex = 36;
    private const int SessionGetOutputNameIndex = 37;
    private const int CreateRunOptionsIndex = 39;
    private const int RunOptionsSetTerminateIndex = 46;
    private const int CreateTensorWithDataAsOrtValueIndex = 49;
    private const int GetTensorMutableDataIndex = 51;
    private const int CastTypeInfoToTensorInfoIndex = 55;
    private const int GetOnnxTypeFromTypeInfoIndex = 56;
    private const int GetTensorElementTypeIndex = 60;
    private const int GetDimensionsCountIndex = 61;
    private const int GetDimensionsIndex = 62;
    private const int GetTensorTypeAndShapeIndex = 65;
    private const int CreateCpuMemoryInfoIndex = 69;
    private const int AllocatorFreeIndex = 76;
    private const int GetAllocatorWithDefaultOptionsIndex = 78;
    private const int ReleaseEnvIndex = 92;
    private const int ReleaseStatusIndex = 93;
    private const int ReleaseMemoryInfoIndex = 94;
    private const int ReleaseSessionIndex = 95;
    private const int ReleaseValueIndex = 96;
    private const int ReleaseRunOptionsIndex = 97;
    private const int ReleaseTypeInfoIndex = 98;
    private const int ReleaseTensorTypeAndShapeInfoIndex = 99;
    private const int ReleaseSessionOptionsIndex = 100;
    private const int GetAvailableProvidersIndex = 125;
    private const int ReleaseAvailableProvidersIndex = 126;
    private const int SessionOptionsAppendExecutionProviderCudaV2Index = 204;
    private const int CreateCudaProviderOptionsIndex = 205;
    private const int UpdateCudaProviderOptionsIndex = 206;
    private const int ReleaseCudaProviderOptionsIndex = 208;

    public readonly delegate* unmanaged<IntPtr, int> GetErrorCode;
    public readonly delegate* unmanaged<IntPtr, byte*> GetErrorMessage;
    public readonly delegate* unmanaged<int, byte*, IntPtr*, IntPtr> CreateEnv;
    public readonly delegate* unmanaged<IntPtr, byte*, IntPtr, IntPtr*, IntPtr> CreateSession;
    public readonly delegate* unmanaged<IntPtr, void*, nuint, IntPtr, IntPtr*, IntPtr> CreateSessionFromArray;
    public readonly delegate* unmanaged<IntPtr, IntPtr, IntPtr*, IntPtr*, nuint, IntPtr*, nuint, IntPtr*, IntPtr> Run;
    public readonly delegate* unmanaged<IntPtr*, IntPtr> CreateSessionOptions;
    public readonly delegate* unmanaged<IntPtr, int, IntPtr> SetSessionLogSeverityLevel;
    public readonly delegate* unmanaged<IntPtr, int, IntPtr> SetSessionGraphOptimizationLevel;
    public readonly delegate* unmanaged<IntPtr, int, IntPtr> SetIntraOpNumThreads;
    public readonly delegate* unmanaged<IntPtr, nuint*, IntPtr> SessionGetInputCount;
    public readonly delegate* unmanaged<IntPtr, nuint*, IntPtr> SessionGetOutputCount;
    public readonly delegate* unmanaged<IntPtr, nuint, IntPtr*, IntPtr> SessionGetInputTypeInfo;
    public readonly delegate* unmanaged<IntPtr, nuint, IntPtr*, IntPtr> SessionGetOutputTypeInfo;
    public readonly delegate* unmanaged<IntPtr, nuint, IntPtr, byte**, IntPtr> SessionGetInputName;
    public readonly delegate* unmanaged<IntPtr, nuint, IntPtr, byte**, IntPtr> SessionGetOutputName;
    public readonly delegate* unmanaged<IntPtr*, IntPtr> CreateRunOptions;
    public readonly delegate* unmanaged<IntPtr, IntPtr> RunOptionsSetTerminate;
    public readonly delegate* unmanaged<IntPtr, void*, nuint, long*, nuint, int, IntPtr*, IntPtr> CreateTensorWithDataAsOrtValue;
    public readonly delegate* unmanaged<IntPtr, void**, IntPtr> GetTensorMutableData;
    public readonly delegate* unmanaged<IntPtr, IntPtr*, IntPtr> CastTypeInfoToTensorInfo;
    public readonly delegate* unmanaged<IntPtr, int*, IntPtr> GetOnnxTypeFromTypeInfo;
    public readonly delegate* unmanaged<IntPtr, int*, IntPtr> GetTensorElementType;
    public readonly delegate* unmanaged<IntPtr, nuint*, IntPtr> GetDimensionsCount;
    public readonly delegate* unmanaged<IntPtr, long*, nuint, IntPtr> GetDimensions;
    public readonly delegate* unmanaged<IntPtr, IntPtr*, IntPtr> GetTensorTypeAndShape;
    public readonly delegate* unmanaged<int, int, IntPtr*, IntPtr> CreateCpuMemoryInfo;
    public readonly delegate* unmanaged<IntPtr, void*, IntPtr> AllocatorFree;
    public readonly delegate* unmanaged<IntPtr*, IntPtr> GetAllocatorWithDefaultOptions;
    public readonly delegate* unmanaged<IntPtr, void> ReleaseEnv;
    public readonly delegate* unmanaged<IntPtr, void> ReleaseStatus;
    public readonly delegate* unmanaged<IntPtr, void> ReleaseMemoryInfo;
    public readonly delegate* unmanaged<IntPtr, void> ReleaseSession;
    public readonly delegate* unmanaged<IntPtr, void> ReleaseValue;
    public readonly delegate* unmanaged<IntPtr, void> ReleaseRunOptions;
    public readonly delegate* unmanaged<IntPtr, void> ReleaseTypeInfo;
    public readonly delegate* unmanaged<IntPtr, void> ReleaseTensorTypeAndShapeInfo;
    public readonly delegate* unmanaged<IntPtr, void> ReleaseSessionOptions;
    public readonly delegate* unmanaged<byte***, int*, IntPtr> GetAvailableProviders;
    public readonly delegate* unmanaged<byte**, int, IntPtr> ReleaseAvailableProviders;
    public readonly delegate* unmanaged<IntPtr, IntPtr, IntPtr> SessionOptionsAppendExecutionProviderCudaV2;
    public readonly delegate* unmanaged<IntPtr*, IntPtr> CreateCudaProviderOptions;
    public readonly delegate* unmanaged<IntPtr, byte**, byte**, nuint, IntPtr> UpdateCudaProviderOptions;
    public readonly delegate* unmanaged<IntPtr, void> ReleaseCudaProviderOptions;

    /// <summary>The library's own version string, e.g. <c>1.30.0</c>.</summary>
    public string Version { get; }

    /// <summary>The path the library was loaded from.</summary>
    public string LibraryPath { get; }

    /// <summary>The default CPU allocator; owned by ONNX Runtime, never released.</summary>
    public IntPtr DefaultAllocator { get; }

    internal OrtApi(IntPtr table, string version, string libraryPath)
    {
        var entries = (IntPtr*)table;
        Version = version;
        LibraryPath = libraryPath;
        GetErrorCode = (delegate* unmanaged<IntPtr, int>)entries[GetErrorCodeIndex];
        GetErrorMessage = (delegate* unmanaged<IntPtr, byte*>)entries[GetErrorMessageIndex];
        CreateEnv = (delegate* unmanaged<int, byte*, IntPtr*, IntPtr>)entries[CreateEnvIndex];
        CreateSession = (delegate* unmanaged<IntPtr, byte*, IntPtr, IntPtr*, IntPtr>)entries[CreateSessionIndex];
        CreateSessionFromArray = (delegate* unmanaged<IntPtr, void*, nuint, IntPtr, IntPtr*, IntPtr>)entries[CreateSessionFromArrayIndex];
        Run = (delegate* unmanaged<IntPtr, IntPtr, IntPtr*, IntPtr*, nuint, IntPtr*, nuint, IntPtr*, IntPtr>)entries[RunIndex];
        CreateSessionOptions = (delegate* unmanaged<IntPtr*, IntPtr>)entries[CreateSessionOptionsIndex];
        SetSessionLogSeverityLevel = (delegate* unmanaged<IntPtr, int, IntPtr>)entries[SetSessionLogSeverityLevelIndex];
        SetSessionGraphOptimizationLevel = (delegate* unmanaged<IntPtr, int, IntPtr>)entries[SetSessionGraphOptimizationLevelIndex];
        SetIntraOpNumThreads = (delegate* unmanaged<IntPtr, int, IntPtr>)entries[SetIntraOpNumThreadsIndex];
        SessionGetInputCount = (delegate* unmanaged<IntPtr, nuint*, IntPtr>)entries[SessionGetInputCountIndex];
        SessionGetOutputCount = (delegate* unmanaged<IntPtr, nuint*, IntPtr>)entries[SessionGetOutputCountIndex];
        SessionGetInputTypeInfo = (delegate* unmanaged<IntPtr, nuint, IntPtr*, IntPtr>)entries[SessionGetInputTypeInfoIndex];
        SessionGetOutputTypeInfo = (delegate* unmanaged<IntPtr, nuint, IntPtr*, IntPtr>)entries[SessionGetOutputTypeInfoIndex];
        SessionGetInputName = (delegate* unmanaged<IntPtr, nuint, IntPtr, byte**, IntPtr>)entries[SessionGetInputNameIndex];
        SessionGetOutputName = (delegate* unmanaged<IntPtr, nuint, IntPtr, byte**, IntPtr>)entries[SessionGetOutputNameIndex];
        CreateRunOptions = (delegate* unmanaged<IntPtr*, IntPtr>)entries[CreateRunOptionsIndex];
        RunOptionsSetTerminate = (delegate* unmanaged<IntPtr, IntPtr>)entries[RunOptionsSetTerminateIndex];
        CreateTensorWithDataAsOrtValue = (delegate* unmanaged<IntPtr, void*, nuint, long*, nuint, int, IntPtr*, IntPtr>)entries[CreateTensorWithDataAsOrtValueIndex];
        GetTensorMutableData = (delegate* unmanaged<IntPtr, void**, IntPtr>)entries[GetTensorMutableDataIndex];
        CastTypeInfoToTensorInfo = (delegate* unmanaged<IntPtr, IntPtr*, IntPtr>)entries[CastTypeInfoToTensorInfoIndex];
        GetOnnxTypeFromTypeInfo = (delegate* unmanaged<IntPtr, int*, IntPtr>)entries[GetOnnxTypeFromTypeInfoIndex];
        GetTensorElementType = (delegate* unmanaged<IntPtr, int*, IntPtr>)entries[GetTensorElementTypeIndex];
        GetDimensionsCount = (delegate* unmanaged<IntPtr, nuint*, IntPtr>)entries[GetDimensionsCountIndex];
        GetDimensions = (delegate* unmanaged<IntPtr, long*, nuint, IntPtr>)entries[GetDimensionsIndex];
        GetTensorTypeAndShape = (delegate* unmanaged<IntPtr, IntPtr*, IntPtr>)entries[GetTensorTypeAndShapeIndex];
        CreateCpuMemoryInfo = (delegate* unmanaged<int, int, IntPtr*, IntPtr>)entries[CreateCpuMemoryInfoIndex];
        AllocatorFree = (delegate* unmanaged<IntPtr, void*, IntPtr>)entries[AllocatorFreeIndex];
        GetAllocatorWithDefaultOptions = (delegate* unmanaged<IntPtr*, IntPtr>)entries[GetAllocatorWithDefaultOptionsIndex];
        ReleaseEnv = (delegate* unmanaged<IntPtr, void>)entries[ReleaseEnvIndex];
        ReleaseStatus = (delegate* unmanaged<IntPtr, void>)entries[ReleaseStatusIndex];
        ReleaseMemoryInfo = (delegate* unmanaged<IntPtr, void>)entries[ReleaseMemoryInfoIndex];
        ReleaseSession = (delegate* unmanaged<IntPtr, void>)entries[ReleaseSessionIndex];
        ReleaseValue = (delegate* unmanaged<IntPtr, void>)entries[ReleaseValueIndex];
        ReleaseRunOptions = (delegate* unmanaged<IntPtr, void>)entries[ReleaseRunOptionsIndex];
        ReleaseTypeInfo = (delegate* unmanaged<IntPtr, void>)entries[ReleaseTypeInfoIndex];
        ReleaseTensorTypeAndShapeInfo = (delegate* unmanaged<IntPtr, void>)entries[ReleaseTensorTypeAndShapeInfoIndex];
        ReleaseSessionOptions = (delegate* unmanaged<IntPtr, void>)entries[ReleaseSessionOptionsIndex];
        GetAvailableProviders = (delegate* unmanaged<byte***, int*, IntPtr>)entries[GetAvailableProvidersIndex];
        ReleaseAvailableProviders = (delegate* unmanaged<byte**, int, IntPtr>)entries[ReleaseAvailableProvidersIndex];
        SessionOptionsAppendExecutionProviderCudaV2 = (delegate* unmanaged<IntPtr, IntPtr, IntPtr>)entries[SessionOptionsAppendExecutionProviderCudaV2Index];
        CreateCudaProviderOptions = (delegate* unmanaged<IntPtr*, IntPtr>)entries[CreateCudaProviderOptionsIndex];
        UpdateCudaProviderOptions = (delegate* unmanaged<IntPtr, byte**, byte**, nuint, IntPtr>)entries[UpdateCudaProviderOptionsIndex];
        ReleaseCudaProviderOptions = (delegate* unmanaged<IntPtr, void>)entries[ReleaseCudaProviderOptionsIndex];

        IntPtr allocator;
        ThrowIfFailed(GetAllocatorWithDefaultOptions(&allocator));
        DefaultAllocator = allocator;
    }

    /// <summary>
    /// The one place a returned <c>OrtStatus*</c> is turned into an exception. NULL means success; anything
    /// else is read (code, message) and released before <see cref="OrtException"/> is thrown.
    /// </summary>
    public void ThrowIfFailed(IntPtr status)
    {
        if (status == IntPtr.Zero)
        {
            return;
        }
        using var owned = new OrtStatusHandle(status, this);
        var code = (OrtErrorCode)GetErrorCode(status);
        var message = Marshal.PtrToStringUTF8((IntPtr)GetErrorMessage(status)) ?? "(no message)";
        throw new OrtException(code, message);
    }

    /// <summary>Reads a UTF-8 string allocated by the default allocator and frees it.</summary>
    public string TakeAllocatedString(byte* value)
    {
        try
        {
            return Marshal.PtrToStringUTF8((IntPtr)value) ?? string.Empty;
        }
        finally
        {
            ThrowIfFailed(AllocatorFree(DefaultAllocator, value));
        }
    }

    /// <summary>Execution providers compiled into the loaded library, e.g. <c>CPUExecutionProvider</c>.</summary>
    public IReadOnlyList<string> ListAvailableProviders()
    {
        byte** names;
        int count;
        ThrowIfFailed(GetAvailableProviders(&names, &count));
        try
        {
            var result = new string[count];
            for (var i = 0; i < count; i++)
            {
                result[i] = Marshal.PtrToStringUTF8((IntPtr)names[i]) ?? string.Empty;
            }
            return result;
        }
        finally
        {
            ThrowIfFailed(ReleaseAvailableProviders(names, count));
        }
    }
}
