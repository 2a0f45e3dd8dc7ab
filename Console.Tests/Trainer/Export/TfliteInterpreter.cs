using System.Runtime.InteropServices;

namespace VisionConsole.Tests.Trainer.Export;

/// <summary>
/// The TFLite 2.9 C API (<c>libtensorflowlite_c.so</c> from npm <c>tfjs-tflite-node@0.0.2</c>, installed by the set-up
/// under <c>tools/tflite-check/node_modules</c>), the independent runtime the exported <c>model.tflite</c> files are checked against.
/// One interpreter over one model file, with uint8 or float inputs and outputs.
/// </summary>
internal sealed unsafe class TfliteInterpreter : IDisposable
{
    private static readonly Lazy<Api> Native = new(() => new Api(Path.Combine(RepositoryRoot(), "tools", "tflite-check", "node_modules", "tfjs-tflite-node", "cc_deps", "linux_amd64", "libtensorflowlite_c.so")));

    private readonly GCHandle _modelBytes;
    private readonly IntPtr _model;
    private readonly IntPtr _options;
    private readonly IntPtr _interpreter;

    /// <summary>Loads a model and allocates its tensors.</summary>
    /// <exception cref="InvalidOperationException">TFLite refused the model (its reason is on the test's stderr).</exception>
    public TfliteInterpreter(byte[] model, int threads = 2)
    {
        var api = Native.Value;
        _modelBytes = GCHandle.Alloc(model, GCHandleType.Pinned);
        _model = api.ModelCreate(_modelBytes.AddrOfPinnedObject(), (nuint)model.Length);
        if (_model == IntPtr.Zero) throw new InvalidOperationException("TfLiteModelCreate refused the model (not a valid TFLite flatbuffer).");
        _options = api.OptionsCreate();
        api.OptionsSetNumThreads(_options, threads);
        _interpreter = api.InterpreterCreate(_model, _options);
        if (_interpreter == IntPtr.Zero) throw new InvalidOperationException("TfLiteInterpreterCreate refused the model (an op or version it lacks, or a bad tensor).");
        if (api.AllocateTensors(_interpreter) != 0) throw new InvalidOperationException("TfLiteInterpreterAllocateTensors failed (shapes or quantization the kernels refuse).");
    }

    /// <summary>The TFLite version string.</summary>
    public static string Version => Marshal.PtrToStringUTF8(Native.Value.Version())!;

    /// <summary>The number of outputs.</summary>
    public int OutputCount => Native.Value.OutputCount(_interpreter);

    /// <summary>An input's or output's shape.</summary>
    public int[] Shape(bool input, int index)
    {
        var t = Tensor(input, index);
        var api = Native.Value;
        return [.. Enumerable.Range(0, api.NumDims(t)).Select(d => api.Dim(t, d))];
    }

    /// <summary>An output's type code (TfLiteType: 1 float32, 3 uint8, 9 int8, 2 int32).</summary>
    public int OutputType(int index) => Native.Value.TensorType(Tensor(false, index));

    /// <summary>An output's quantization (scale, zero point).</summary>
    public (float Scale, int ZeroPoint) OutputQuantization(int index) => Native.Value.Quantization(Tensor(false, index));

    /// <summary>Copies the input bytes in, runs, and returns nothing; read outputs with <see cref="Output"/>.</summary>
    public void Run(ReadOnlySpan<byte> input)
    {
        var api = Native.Value;
        var t = Tensor(true, 0);
        var size = (int)api.ByteSize(t);
        if (size != input.Length) throw new ArgumentException($"The input takes {size} bytes, not {input.Length}.");
        fixed (byte* p = input)
        {
            if (api.CopyFromBuffer(t, (IntPtr)p, (nuint)size) != 0) throw new InvalidOperationException("TfLiteTensorCopyFromBuffer failed.");
        }
        if (api.Invoke(_interpreter) != 0) throw new InvalidOperationException("TfLiteInterpreterInvoke failed.");
    }

    /// <summary>Runs on float input values.</summary>
    public void Run(ReadOnlySpan<float> input) => Run(MemoryMarshal.AsBytes(input));

    /// <summary>An output as real values: float32 as it is, uint8/int8 dequantized with its scale and zero point, int32 as numbers.</summary>
    public float[] Output(int index)
    {
        var api = Native.Value;
        var t = Tensor(false, index);
        var bytes = new byte[(int)api.ByteSize(t)];
        fixed (byte* p = bytes)
        {
            if (api.CopyToBuffer(t, (IntPtr)p, (nuint)bytes.Length) != 0) throw new InvalidOperationException("TfLiteTensorCopyToBuffer failed.");
        }
        var (scale, zero) = api.Quantization(t);
        return api.TensorType(t) switch
        {
            1 => MemoryMarshal.Cast<byte, float>(bytes).ToArray(),
            2 => [.. MemoryMarshal.Cast<byte, int>(bytes).ToArray().Select(v => (float)v)],
            3 => [.. bytes.Select(v => scale * (v - zero))],
            9 => [.. bytes.Select(v => scale * ((sbyte)v - zero))],
            var other => throw new NotSupportedException($"Output {index} has TfLiteType {other}."),
        };
    }

    public void Dispose()
    {
        var api = Native.Value;
        if (_interpreter != IntPtr.Zero) api.InterpreterDelete(_interpreter);
        if (_options != IntPtr.Zero) api.OptionsDelete(_options);
        if (_model != IntPtr.Zero) api.ModelDelete(_model);
        if (_modelBytes.IsAllocated) _modelBytes.Free();
    }

    // The test suite and the benchmarks (which link this file) both run from below the repository root.
    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Console.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("Console.sln not found above " + AppContext.BaseDirectory);
    }

    private IntPtr Tensor(bool input, int index)
        => input ? Native.Value.InputTensor(_interpreter, index) : Native.Value.OutputTensor(_interpreter, index);

    [StructLayout(LayoutKind.Sequential)]
    private struct QuantizationParams
    {
        public float Scale;
        public int ZeroPoint;
    }

    /// <summary>The C API's entry points, bound once.</summary>
    private sealed class Api
    {
        private readonly delegate* unmanaged<IntPtr, nuint, IntPtr> _modelCreate;
        private readonly delegate* unmanaged<IntPtr, void> _modelDelete;
        private readonly delegate* unmanaged<IntPtr> _optionsCreate;
        private readonly delegate* unmanaged<IntPtr, int, void> _optionsSetNumThreads;
        private readonly delegate* unmanaged<IntPtr, void> _optionsDelete;
        private readonly delegate* unmanaged<IntPtr, IntPtr, IntPtr> _interpreterCreate;
        private readonly delegate* unmanaged<IntPtr, void> _interpreterDelete;
        private readonly delegate* unmanaged<IntPtr, int> _allocateTensors;
        private readonly delegate* unmanaged<IntPtr, int> _invoke;
        private readonly delegate* unmanaged<IntPtr, int> _outputCount;
        private readonly delegate* unmanaged<IntPtr, int, IntPtr> _inputTensor;
        private readonly delegate* unmanaged<IntPtr, int, IntPtr> _outputTensor;
        private readonly delegate* unmanaged<IntPtr, int> _tensorType;
        private readonly delegate* unmanaged<IntPtr, int> _numDims;
        private readonly delegate* unmanaged<IntPtr, int, int> _dim;
        private readonly delegate* unmanaged<IntPtr, nuint> _byteSize;
        private readonly delegate* unmanaged<IntPtr, QuantizationParams> _quantization;
        private readonly delegate* unmanaged<IntPtr, IntPtr, nuint, int> _copyFromBuffer;
        private readonly delegate* unmanaged<IntPtr, IntPtr, nuint, int> _copyToBuffer;
        private readonly delegate* unmanaged<IntPtr> _version;

        public Api(string path)
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"{path} is missing: run scripts/setup.sh (it installs tools/tflite-check).", path);
            var lib = NativeLibrary.Load(path);
            IntPtr F(string name) => NativeLibrary.GetExport(lib, name);
            _modelCreate = (delegate* unmanaged<IntPtr, nuint, IntPtr>)F("TfLiteModelCreate");
            _modelDelete = (delegate* unmanaged<IntPtr, void>)F("TfLiteModelDelete");
            _optionsCreate = (delegate* unmanaged<IntPtr>)F("TfLiteInterpreterOptionsCreate");
            _optionsSetNumThreads = (delegate* unmanaged<IntPtr, int, void>)F("TfLiteInterpreterOptionsSetNumThreads");
            _optionsDelete = (delegate* unmanaged<IntPtr, void>)F("TfLiteInterpreterOptionsDelete");
            _interpreterCreate = (delegate* unmanaged<IntPtr, IntPtr, IntPtr>)F("TfLiteInterpreterCreate");
            _interpreterDelete = (delegate* unmanaged<IntPtr, void>)F("TfLiteInterpreterDelete");
            _allocateTensors = (delegate* unmanaged<IntPtr, int>)F("TfLiteInterpreterAllocateTensors");
            _invoke = (delegate* unmanaged<IntPtr, int>)F("TfLiteInterpreterInvoke");
            _outputCount = (delegate* unmanaged<IntPtr, int>)F("TfLiteInterpreterGetOutputTensorCount");
            _inputTensor = (delegate* unmanaged<IntPtr, int, IntPtr>)F("TfLiteInterpreterGetInputTensor");
            _outputTensor = (delegate* unmanaged<IntPtr, int, IntPtr>)F("TfLiteInterpreterGetOutputTensor");
            _tensorType = (delegate* unmanaged<IntPtr, int>)F("TfLiteTensorType");
            _numDims = (delegate* unmanaged<IntPtr, int>)F("TfLiteTensorNumDims");
            _dim = (delegate* unmanaged<IntPtr, int, int>)F("TfLiteTensorDim");
            _byteSize = (delegate* unmanaged<IntPtr, nuint>)F("TfLiteTensorByteSize");
            _quantization = (delegate* unmanaged<IntPtr, QuantizationParams>)F("TfLiteTensorQuantizationParams");
            _copyFromBuffer = (delegate* unmanaged<IntPtr, IntPtr, nuint, int>)F("TfLiteTensorCopyFromBuffer");
            _copyToBuffer = (delegate* unmanaged<IntPtr, IntPtr, nuint, int>)F("TfLiteTensorCopyToBuffer");
            _version = (delegate* unmanaged<IntPtr>)F("TfLiteVersion");
        }

        public IntPtr ModelCreate(IntPtr data, nuint size) => _modelCreate(data, size);
        public void ModelDelete(IntPtr model) => _modelDelete(model);
        public IntPtr OptionsCreate() => _optionsCreate();
        public void OptionsSetNumThreads(IntPtr options, int threads) => _optionsSetNumThreads(options, threads);
        public void OptionsDelete(IntPtr options) => _optionsDelete(options);
        public IntPtr InterpreterCreate(IntPtr model, IntPtr options) => _interpreterCreate(model, options);
        public void InterpreterDelete(IntPtr interpreter) => _interpreterDelete(interpreter);
        public int AllocateTensors(IntPtr interpreter) => _allocateTensors(interpreter);
        public int Invoke(IntPtr interpreter) => _invoke(interpreter);
        public int OutputCount(IntPtr interpreter) => _outputCount(interpreter);
        public IntPtr InputTensor(IntPtr interpreter, int index) => _inputTensor(interpreter, index);
        public IntPtr OutputTensor(IntPtr interpreter, int index) => _outputTensor(interpreter, index);
        public int TensorType(IntPtr tensor) => _tensorType(tensor);
        public int NumDims(IntPtr tensor) => _numDims(tensor);
        public int Dim(IntPtr tensor, int index) => _dim(tensor, index);
        public nuint ByteSize(IntPtr tensor) => _byteSize(tensor);
        public (float Scale, int ZeroPoint) Quantization(IntPtr tensor)
        {
            var q = _quantization(tensor);
            return (q.Scale, q.ZeroPoint);
        }
        public int CopyFromBuffer(IntPtr tensor, IntPtr data, nuint size) => _copyFromBuffer(tensor, data, size);
        public int CopyToBuffer(IntPtr tensor, IntPtr data, nuint size) => _copyToBuffer(tensor, data, size);
        public IntPtr Version() => _version();
    }
}
