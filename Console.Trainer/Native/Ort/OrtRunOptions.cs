namespace VisionConsole.Trainer.Native.Ort;

/// <summary>Options of one <see cref="OrtSession.Run"/> call; <see cref="Terminate"/> stops a run in progress.</summary>
public sealed unsafe class OrtRunOptions : IDisposable
{
    private readonly OrtApi api;

    /// <summary>Creates default run options.</summary>
    public OrtRunOptions()
    {
        api = OrtLibrary.Api;
        IntPtr options;
        api.ThrowIfFailed(api.CreateRunOptions(&options));
        Handle = new OrtRunOptionsHandle(options, api);
    }

    internal OrtRunOptionsHandle Handle { get; }

    /// <summary>Asks every run using these options to stop as soon as possible; safe from any thread.</summary>
    public void Terminate()
    {
        using var lease = new HandleLease(Handle);
        api.ThrowIfFailed(api.RunOptionsSetTerminate(lease.Pointer));
    }

    /// <summary>Stops runs using these options when <paramref name="cancellationToken"/> is cancelled.</summary>
    public CancellationTokenRegistration TerminateOn(CancellationToken cancellationToken) =>
        cancellationToken.Register(static state => ((OrtRunOptions)state!).TerminateIfAlive(), this);

    private void TerminateIfAlive()
    {
        if (!Handle.IsClosed)
        {
            Terminate();
        }
    }

    /// <inheritdoc />
    public void Dispose() => Handle.Dispose();
}
