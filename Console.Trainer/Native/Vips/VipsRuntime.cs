using System.Runtime.InteropServices;

namespace VisionConsole.Trainer.Native.Vips;

/// <summary>
/// Loads and starts libvips once per process: maps the library names through the one
/// <see cref="NativeLibraryResolver"/>, calls <c>vips_init</c>, and turns off the operation cache
/// (the console decodes each image once; cached operations would only pin their input buffers).
/// </summary>
internal static class VipsRuntime
{
    private static readonly Lock Gate = new();
    private static bool started;

    /// <summary>The libvips version string, for example <c>8.14.1</c>.</summary>
    public static string Version
    {
        get
        {
            EnsureStarted();
            return Marshal.PtrToStringUTF8(VipsNative.vips_version_string()) ?? "unknown";
        }
    }

    /// <summary>Starts libvips if this process has not yet; throws <see cref="VipsException"/> when it cannot.</summary>
    public static void EnsureStarted()
    {
        if (Volatile.Read(ref started))
        {
            return;
        }
        lock (Gate)
        {
            if (started)
            {
                return;
            }
            // Debian's libvips42 ships these sonames; the unversioned names follow for other systems.
            NativeLibraryResolver.Map(VipsNative.Vips, () => ["libvips.so.42", "libvips.42.dylib", "libvips-42.dll"]);
            NativeLibraryResolver.Map(VipsNative.GObject, () => ["libgobject-2.0.so.0", "libgobject-2.0.0.dylib", "libgobject-2.0-0.dll"]);
            NativeLibraryResolver.Map(VipsNative.GLib, () => ["libglib-2.0.so.0", "libglib-2.0.0.dylib", "libglib-2.0-0.dll"]);
            if (VipsNative.vips_init("vision-console") != 0)
            {
                throw VipsException.FromErrorBuffer("vips_init failed");
            }
            VipsNative.vips_cache_set_max(0);
            Volatile.Write(ref started, true);
        }
    }
}

/// <summary>A libvips call failed; the message carries libvips' own error text.</summary>
public sealed class VipsException : Exception
{
    private static readonly Lock ErrorGate = new();

    /// <summary>Creates the exception from what failed and libvips' explanation.</summary>
    public VipsException(string message) : base(message)
    {
    }

    /// <summary>libvips' explanation alone (the text from <c>vips_error_buffer</c>), without the failing call's name.</summary>
    public string Detail { get; private init; } = "";

    /// <summary>
    /// The one error path: reads <c>vips_error_buffer()</c>, clears it with <c>vips_error_clear()</c>
    /// and wraps the text. libvips keeps one buffer per process, so reading and clearing are done under one lock.
    /// </summary>
    internal static VipsException FromErrorBuffer(string what)
    {
        string detail;
        lock (ErrorGate)
        {
            detail = Marshal.PtrToStringUTF8(VipsNative.vips_error_buffer()) ?? "";
            VipsNative.vips_error_clear();
        }
        detail = string.Join("; ", detail.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return new VipsException(detail.Length == 0 ? what : $"{what}: {detail}") { Detail = detail };
    }

    /// <summary>Throws the buffered libvips error when <paramref name="status"/> is libvips' failure value (non-zero).</summary>
    internal static void ThrowIfFailed(int status, string what)
    {
        if (status != 0)
        {
            throw FromErrorBuffer(what);
        }
    }
}
