using System.Runtime.InteropServices;

namespace VisionConsole.Trainer.Native.Ort;

/// <summary>An owned ONNX Runtime object, released through its <c>Release*</c> entry exactly once.</summary>
internal abstract class OrtHandle : SafeHandle
{
    protected OrtHandle(IntPtr handle, OrtApi api)
        : base(IntPtr.Zero, ownsHandle: true)
    {
        Api = api;
        SetHandle(handle);
    }

    protected OrtApi Api { get; }

    public override bool IsInvalid => handle == IntPtr.Zero;
}

internal sealed unsafe class OrtStatusHandle(IntPtr handle, OrtApi api) : OrtHandle(handle, api)
{
    protected override bool ReleaseHandle()
    {
        Api.ReleaseStatus(handle);
        return true;
    }
}

internal sealed unsafe class OrtEnvHandle(IntPtr handle, OrtApi api) : OrtHandle(handle, api)
{
    protected override bool ReleaseHandle()
    {
        Api.ReleaseEnv(handle);
        return true;
    }
}

internal sealed unsafe class OrtSessionOptionsHandle(IntPtr handle, OrtApi api) : OrtHandle(handle, api)
{
    protected override bool ReleaseHandle()
    {
        Api.ReleaseSessionOptions(handle);
        return true;
    }
}

internal sealed unsafe class OrtSessionHandle(IntPtr handle, OrtApi api) : OrtHandle(handle, api)
{
    protected override bool ReleaseHandle()
    {
        Api.ReleaseSession(handle);
        return true;
    }
}

internal sealed unsafe class OrtValueHandle(IntPtr handle, OrtApi api) : OrtHandle(handle, api)
{
    protected override bool ReleaseHandle()
    {
        Api.ReleaseValue(handle);
        return true;
    }
}

internal sealed unsafe class OrtMemoryInfoHandle(IntPtr handle, OrtApi api) : OrtHandle(handle, api)
{
    protected override bool ReleaseHandle()
    {
        Api.ReleaseMemoryInfo(handle);
        return true;
    }
}

internal sealed unsafe class OrtRunOptionsHandle(IntPtr handle, OrtApi api) : OrtHandle(handle, api)
{
    protected override bool ReleaseHandle()
    {
        Api.ReleaseRunOptions(handle);
        return true;
    }
}

internal sealed unsafe class OrtTypeInfoHandle(IntPtr handle, OrtApi api) : OrtHandle(handle, api)
{
    protected override bool ReleaseHandle()
    {
        Api.ReleaseTypeInfo(handle);
        return true;
    }
}

internal sealed unsafe class OrtTensorTypeAndShapeInfoHandle(IntPtr handle, OrtApi api) : OrtHandle(handle, api)
{
    protected override bool ReleaseHandle()
    {
        Api.ReleaseTensorTypeAndShapeInfo(handle);
        return true;
    }
}

internal sealed unsafe class OrtCudaProviderOptionsHandle(IntPtr handle, OrtApi api) : OrtHandle(handle, api)
{
    protected override bool ReleaseHandle()
    {
        Api.ReleaseCudaProviderOptions(handle);
        return true;
    }
}

/// <summary>Keeps a SafeHandle alive (AddRef) for the span of one native call.</summary>
internal ref struct HandleLease
{
    private readonly SafeHandle? owner;
    private bool added;

    public HandleLease(SafeHandle owner)
    {
        this.owner = owner;
        added = false;
        owner.DangerousAddRef(ref added);
        Pointer = owner.DangerousGetHandle();
    }

    public IntPtr Pointer { get; }

    public void Dispose()
    {
        if (added)
        {
            owner!.DangerousRelease();
            added = false;
        }
    }
}
