namespace VisionConsole.Trainer.Native.Ort;

/// <summary>ONNX Runtime's <c>OrtErrorCode</c>.</summary>
public enum OrtErrorCode
{
    Ok = 0,
    Fail = 1,
    InvalidArgument = 2,
    NoSuchFile = 3,
    NoModel = 4,
    EngineError = 5,
    RuntimeException = 6,
    InvalidProtobuf = 7,
    ModelLoaded = 8,
    NotImplemented = 9,
    InvalidGraph = 10,
    ExecutionProviderFail = 11,
}

/// <summary>An ONNX Runtime call failed; <see cref="Exception.Message"/> is ONNX Runtime's own message.</summary>
public sealed class OrtException : Exception
{
    /// <summary>Creates the exception from a failed status.</summary>
    public OrtException(OrtErrorCode errorCode, string message)
        : base($"ONNX Runtime {errorCode}: {message}")
    {
        ErrorCode = errorCode;
        OrtMessage = message;
    }

    public OrtException()
        : this(OrtErrorCode.Fail, "unknown failure")
    {
    }

    public OrtException(string message)
        : this(OrtErrorCode.Fail, message)
    {
    }

    public OrtException(string message, Exception innerException)
        : base(message, innerException)
    {
        ErrorCode = OrtErrorCode.Fail;
        OrtMessage = message;
    }

    /// <summary>ONNX Runtime's error code.</summary>
    public OrtErrorCode ErrorCode { get; }

    /// <summary>ONNX Runtime's message, without the code prefix.</summary>
    public string OrtMessage { get; }
}

/// <summary>No ONNX Runtime library could be loaded from any candidate path.</summary>
public sealed class OrtLibraryNotFoundException : DllNotFoundException
{
    /// <summary>Creates the exception listing every path tried and why each failed.</summary>
    public OrtLibraryNotFoundException(IReadOnlyList<string> pathsTried, string details)
        : base($"ONNX Runtime could not be loaded. Paths tried, in order: {string.Join(", ", pathsTried)}. {details}")
    {
        PathsTried = pathsTried;
    }

    public OrtLibraryNotFoundException()
        : this([], string.Empty)
    {
    }

    public OrtLibraryNotFoundException(string message)
        : base(message)
    {
        PathsTried = [];
    }

    public OrtLibraryNotFoundException(string message, Exception inner)
        : base(message, inner)
    {
        PathsTried = [];
    }

    /// <summary>The candidate paths, in the order they were tried.</summary>
    public IReadOnlyList<string> PathsTried { get; }
}
