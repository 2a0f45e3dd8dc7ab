using Microsoft.Win32.SafeHandles;

namespace VisionConsole.Trainer.Native.Vips;

/// <summary>An owned reference to a GObject (a VipsImage or a VipsOperation), released with <c>g_object_unref</c>.</summary>
internal sealed class VipsObjectHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public VipsObjectHandle() : base(ownsHandle: true)
    {
    }

    internal VipsObjectHandle(nint existing) : base(ownsHandle: true) => SetHandle(existing);

    protected override bool ReleaseHandle()
    {
        VipsNative.g_object_unref(handle);
        return true;
    }
}

/// <summary>Memory that libvips allocated with GLib for the caller (for example <c>vips_image_write_to_memory</c>), released with <c>g_free</c>.</summary>
internal sealed class GLibMemoryHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public GLibMemoryHandle() : base(ownsHandle: true)
    {
    }

    protected override bool ReleaseHandle()
    {
        VipsNative.g_free(handle);
        return true;
    }
}

/// <summary>An owned reference to a reference-counted VipsArea (a VipsBlob), released with <c>vips_area_unref</c>.</summary>
internal sealed class VipsAreaHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    internal VipsAreaHandle(nint existing) : base(ownsHandle: true) => SetHandle(existing);

    protected override bool ReleaseHandle()
    {
        VipsNative.vips_area_unref(handle);
        return true;
    }
}
