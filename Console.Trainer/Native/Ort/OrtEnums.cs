namespace VisionConsole.Trainer.Native.Ort;

/// <summary>ONNX Runtime's <c>OrtLoggingLevel</c>: the least severe message the runtime prints.</summary>
public enum OrtLoggingLevel { Verbose = 0, Info = 1, Warning = 2, Error = 3, Fatal = 4 }

/// <summary>ONNX Runtime's <c>GraphOptimizationLevel</c>.</summary>
public enum GraphOptimizationLevel { DisableAll = 0, Basic = 1, Extended = 2, All = 99 }

/// <summary>ONNX Runtime's <c>ONNXTensorElementDataType</c>.</summary>
public enum OrtElementType
{
    Undefined = 0,
    Float = 1,
    UInt8 = 2,
    Int8 = 3,
    UInt16 = 4,
    Int16 = 5,
    Int32 = 6,
    Int64 = 7,
    String = 8,
    Bool = 9,
    Float16 = 10,
    Double = 11,
    UInt32 = 12,
    UInt64 = 13,
}

/// <summary>Maps CLR element types to ONNX tensor element types.</summary>
internal static class OrtElementTypes
{
    public static OrtElementType Of<T>() where T : unmanaged =>
        typeof(T) == typeof(float) ? OrtElementType.Float
        : typeof(T) == typeof(byte) ? OrtElementType.UInt8
        : typeof(T) == typeof(sbyte) ? OrtElementType.Int8
        : typeof(T) == typeof(ushort) ? OrtElementType.UInt16
        : typeof(T) == typeof(short) ? OrtElementType.Int16
        : typeof(T) == typeof(int) ? OrtElementType.Int32
        : typeof(T) == typeof(long) ? OrtElementType.Int64
        : typeof(T) == typeof(bool) ? OrtElementType.Bool
        : typeof(T) == typeof(Half) ? OrtElementType.Float16
        : typeof(T) == typeof(double) ? OrtElementType.Double
        : typeof(T) == typeof(uint) ? OrtElementType.UInt32
        : typeof(T) == typeof(ulong) ? OrtElementType.UInt64
        : throw new NotSupportedException($"{typeof(T).Name} has no ONNX tensor element type.");
}
