using System.Runtime.InteropServices;

namespace VisionConsole.Trainer.Native.Vips;

/// <summary>
/// Raw entry points of libvips 8.14 and GLib/GObject. Only fixed-arity functions are bound: libvips'
/// varargs convenience calls are reached through the operation API (<c>vips_operation_new</c>, set
/// properties, <c>vips_cache_operation_build</c>, read outputs) instead.
/// </summary>
internal static partial class VipsNative
{
    internal const string Vips = "vips";
    internal const string GObject = "gobject-2.0";
    internal const string GLib = "glib-2.0";

    // Fundamental GTypes are fixed numbers (G_TYPE_MAKE_FUNDAMENTAL(n) = n << 2).
    internal const nint GTypeBoolean = 5 << 2;
    internal const nint GTypeInt = 6 << 2;
    internal const nint GTypeDouble = 15 << 2;

    /// <summary>GValue as laid out by GLib on 64-bit: the type, then a two-word data union.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct GValue
    {
        public nint GType;
        public long Data0;
        public long Data1;
    }

    // --- libvips: life cycle and errors
    [LibraryImport(Vips, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int vips_init(string argv0);

    [LibraryImport(Vips)]
    internal static partial void vips_cache_set_max(int max);

    [LibraryImport(Vips)]
    internal static partial nint vips_error_buffer();

    [LibraryImport(Vips)]
    internal static partial void vips_error_clear();

    [LibraryImport(Vips)]
    internal static partial nint vips_version_string();

    // --- libvips: the operation API
    [LibraryImport(Vips, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint vips_operation_new(string name);

    [LibraryImport(Vips, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int vips_object_set_argument_from_string(VipsObjectHandle vipsObject, string name, string value);

    [LibraryImport(Vips)]
    internal static partial nint vips_cache_operation_build(VipsObjectHandle operation);

    [LibraryImport(Vips)]
    internal static partial void vips_object_unref_outputs(VipsObjectHandle operation);

    [LibraryImport(Vips)]
    internal static partial nint vips_image_get_type();

    [LibraryImport(Vips)]
    internal static partial nint vips_blob_get_type();

    [LibraryImport(Vips)]
    internal static partial nint vips_array_double_get_type();

    [LibraryImport(Vips)]
    internal static partial nint vips_blob_copy(ref byte data, nuint length);

    [LibraryImport(Vips)]
    internal static partial nint vips_blob_get(nint blob, out nuint length);

    [LibraryImport(Vips)]
    internal static partial void vips_area_unref(nint area);

    [LibraryImport(Vips)]
    internal static partial void vips_value_set_array_double(ref GValue value, [In] double[] array, int count);

    // --- libvips: image accessors
    [LibraryImport(Vips)]
    internal static partial int vips_image_get_width(VipsObjectHandle image);

    [LibraryImport(Vips)]
    internal static partial int vips_image_get_height(VipsObjectHandle image);

    [LibraryImport(Vips)]
    internal static partial int vips_image_get_bands(VipsObjectHandle image);

    [LibraryImport(Vips)]
    internal static partial int vips_image_get_format(VipsObjectHandle image);

    [LibraryImport(Vips)]
    internal static partial int vips_image_get_interpretation(VipsObjectHandle image);

    [LibraryImport(Vips)]
    internal static partial int vips_image_get_orientation(VipsObjectHandle image);

    [LibraryImport(Vips)]
    [return: MarshalAs(UnmanagedType.I4)]
    internal static partial bool vips_image_hasalpha(VipsObjectHandle image);

    [LibraryImport(Vips)]
    internal static partial GLibMemoryHandle vips_image_write_to_memory(VipsObjectHandle image, out nuint size);

    // --- GObject / GLib
    [LibraryImport(GObject)]
    internal static partial void g_object_unref(nint instance);

    [LibraryImport(GObject, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void g_object_set_property(VipsObjectHandle instance, string name, ref GValue value);

    [LibraryImport(GObject, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void g_object_get_property(VipsObjectHandle instance, string name, ref GValue value);

    [LibraryImport(GObject)]
    internal static partial nint g_value_init(ref GValue value, nint gType);

    [LibraryImport(GObject)]
    internal static partial void g_value_unset(ref GValue value);

    [LibraryImport(GObject)]
    internal static partial void g_value_set_object(ref GValue value, VipsObjectHandle instance);

    [LibraryImport(GObject)]
    internal static partial nint g_value_dup_object(ref GValue value);

    [LibraryImport(GObject)]
    internal static partial void g_value_set_boxed(ref GValue value, nint boxed);

    [LibraryImport(GObject)]
    internal static partial nint g_value_get_boxed(ref GValue value);

    [LibraryImport(GObject)]
    internal static partial double g_value_get_double(ref GValue value);

    [LibraryImport(GLib)]
    internal static partial void g_free(nint memory);
}
