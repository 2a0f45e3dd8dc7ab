using System.Globalization;
using System.Runtime.InteropServices;

namespace VisionConsole.Trainer.Native.Vips;

/// <summary>
/// One libvips operation driven through the fixed-arity operation API: create it by nickname
/// (<c>vips_operation_new</c>), set inputs and options (<c>g_object_set_property</c> with a GValue for
/// images, buffers and arrays; <c>vips_object_set_argument_from_string</c> for numbers, booleans and enum
/// nicknames), <see cref="Build"/> it (<c>vips_cache_operation_build</c>) and read outputs.
/// Not thread-safe; create one per call.
/// </summary>
internal sealed class VipsOperation : IDisposable
{
    private readonly string name;
    private VipsObjectHandle handle;

    private VipsOperation(string name, VipsObjectHandle handle)
    {
        this.name = name;
        this.handle = handle;
    }

    /// <summary>Creates the operation named by its libvips nickname, for example <c>jpegload_buffer</c>.</summary>
    public static VipsOperation Create(string nickname)
    {
        VipsRuntime.EnsureStarted();
        var pointer = VipsNative.vips_operation_new(nickname);
        if (pointer == 0)
        {
            throw VipsException.FromErrorBuffer($"vips_operation_new({nickname})");
        }
        return new VipsOperation(nickname, new VipsObjectHandle(pointer));
    }

    /// <summary>Sets a number, boolean or enum option from its libvips text form (enum nicknames such as <c>sequential</c>).</summary>
    public VipsOperation Set(string option, string value)
    {
        VipsException.ThrowIfFailed(
            VipsNative.vips_object_set_argument_from_string(handle, option, value), $"{name}: setting {option}={value}");
        return this;
    }

    /// <summary>Sets an integer option.</summary>
    public VipsOperation Set(string option, int value) => Set(option, value.ToString(CultureInfo.InvariantCulture));

    /// <summary>Sets a boolean option.</summary>
    public VipsOperation Set(string option, bool value) => Set(option, value ? "true" : "false");

    /// <summary>Sets an image input (the operation takes its own reference).</summary>
    public VipsOperation Set(string option, VipsImage image)
    {
        var value = default(VipsNative.GValue);
        VipsNative.g_value_init(ref value, VipsNative.vips_image_get_type());
        try
        {
            VipsNative.g_value_set_object(ref value, image.Handle);
            VipsNative.g_object_set_property(handle, option, ref value);
        }
        finally
        {
            VipsNative.g_value_unset(ref value);
        }
        return this;
    }

    /// <summary>Sets a buffer input; libvips gets its own copy, so <paramref name="bytes"/> need not outlive the call.</summary>
    public VipsOperation SetBuffer(string option, ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            throw new ArgumentException("An empty buffer cannot be given to libvips.", nameof(bytes));
        }
        using var blob = new VipsAreaHandle(VipsNative.vips_blob_copy(ref MemoryMarshal.GetReference(bytes), (nuint)bytes.Length));
        if (blob.IsInvalid)
        {
            throw VipsException.FromErrorBuffer($"{name}: vips_blob_copy of {bytes.Length} bytes");
        }
        var value = default(VipsNative.GValue);
        VipsNative.g_value_init(ref value, VipsNative.vips_blob_get_type());
        try
        {
            // g_value_set_boxed takes its own reference; ours is dropped by the using.
            VipsNative.g_value_set_boxed(ref value, blob.DangerousGetHandle());
            VipsNative.g_object_set_property(handle, option, ref value);
        }
        finally
        {
            VipsNative.g_value_unset(ref value);
        }
        return this;
    }

    /// <summary>Sets an array-of-doubles input such as a background colour.</summary>
    public VipsOperation Set(string option, params double[] values)
    {
        var value = default(VipsNative.GValue);
        VipsNative.g_value_init(ref value, VipsNative.vips_array_double_get_type());
        VipsNative.vips_value_set_array_double(ref value, values, values.Length);
        try
        {
            VipsNative.g_object_set_property(handle, option, ref value);
        }
        finally
        {
            VipsNative.g_value_unset(ref value);
        }
        return this;
    }

    /// <summary>Builds (runs) the operation; throws <see cref="VipsException"/> with libvips' message on failure.</summary>
    public VipsOperation Build()
    {
        var built = VipsNative.vips_cache_operation_build(handle);
        if (built == 0)
        {
            throw VipsException.FromErrorBuffer(name);
        }
        // The build returns a new reference (possibly to a cached twin); it replaces ours.
        var previous = handle;
        handle = new VipsObjectHandle(built);
        previous.Dispose();
        return this;
    }

    /// <summary>Reads an image output; the caller owns the returned image.</summary>
    public VipsImage GetImage(string option)
    {
        var value = default(VipsNative.GValue);
        VipsNative.g_value_init(ref value, VipsNative.vips_image_get_type());
        try
        {
            VipsNative.g_object_get_property(handle, option, ref value);
            var image = new VipsObjectHandle(VipsNative.g_value_dup_object(ref value));
            if (image.IsInvalid)
            {
                throw new VipsException($"{name}: output {option} is not set");
            }
            return new VipsImage(image);
        }
        finally
        {
            VipsNative.g_value_unset(ref value);
        }
    }

    /// <summary>Reads a double output.</summary>
    public double GetDouble(string option)
    {
        var value = default(VipsNative.GValue);
        VipsNative.g_value_init(ref value, VipsNative.GTypeDouble);
        try
        {
            VipsNative.g_object_get_property(handle, option, ref value);
            return VipsNative.g_value_get_double(ref value);
        }
        finally
        {
            VipsNative.g_value_unset(ref value);
        }
    }

    /// <summary>Reads a buffer output (for example the bytes a <c>*save_buffer</c> operation wrote) as a managed copy.</summary>
    public byte[] GetBuffer(string option)
    {
        var value = default(VipsNative.GValue);
        VipsNative.g_value_init(ref value, VipsNative.vips_blob_get_type());
        try
        {
            VipsNative.g_object_get_property(handle, option, ref value);
            var blob = VipsNative.g_value_get_boxed(ref value);
            if (blob == 0)
            {
                throw new VipsException($"{name}: output {option} is not set");
            }
            var data = VipsNative.vips_blob_get(blob, out var length);
            var bytes = new byte[checked((int)length)];
            Marshal.Copy(data, bytes, 0, bytes.Length);
            return bytes;
        }
        finally
        {
            VipsNative.g_value_unset(ref value);
        }
    }

    /// <summary>Drops the operation's references to its outputs (the images we read hold their own) and the operation itself.</summary>
    public void Dispose()
    {
        if (!handle.IsClosed && !handle.IsInvalid)
        {
            VipsNative.vips_object_unref_outputs(handle);
        }
        handle.Dispose();
    }
}
