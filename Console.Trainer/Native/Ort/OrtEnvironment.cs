using System.Text;

namespace VisionConsole.Trainer.Native.Ort;

/// <summary>
/// ONNX Runtime's process-wide environment (logging, default thread pools). The runtime keeps one per
/// process; <see cref="Shared"/> is ours and lives as long as the process.
/// </summary>
public sealed unsafe class OrtEnvironment : IDisposable
{
    private static readonly Lazy<OrtEnvironment> SharedInstance = new(() => new OrtEnvironment(OrtLoggingLevel.Warning, "vision-console"));

    /// <summary>Creates an environment that prints runtime messages at <paramref name="level"/> or above.</summary>
    public OrtEnvironment(OrtLoggingLevel level, string logId)
    {
        ArgumentException.ThrowIfNullOrEmpty(logId);
        var api = OrtLibrary.Api;
        var id = Encoding.UTF8.GetBytes(logId + "\0");
        IntPtr env;
        fixed (byte* idPointer = id)
        {
            api.ThrowIfFailed(api.CreateEnv((int)level, idPointer, &env));
        }
        Handle = new OrtEnvHandle(env, api);
        LoggingLevel = level;
    }

    /// <summary>The process's shared environment (warnings and errors logged), created on first use.</summary>
    public static OrtEnvironment Shared => SharedInstance.Value;

    /// <summary>The logging level this environment was created with.</summary>
    public OrtLoggingLevel LoggingLevel { get; }

    internal OrtEnvHandle Handle { get; }

    /// <inheritdoc />
    public void Dispose() => Handle.Dispose();
}
