using System.Runtime.InteropServices;

namespace VisionConsole.Trainer.Native.Vips;

/// <summary>libvips' band formats (<c>VipsBandFormat</c>) the console meets.</summary>
internal enum VipsBandFormat
{
    UChar = 0,
    Char = 1,
    UShort = 2,
    Short = 3,
    UInt = 4,
    Int = 5,
    Float = 6,
    Complex = 7,
    Double = 8,
    DoubleComplex = 9,
}

/// <summary>libvips' interpretations (<c>VipsInterpretation</c>) the console checks for.</summary>
internal enum VipsInterpretation
{
    BW = 1,
    Cmyk = 15,
    Srgb = 22,
    Grey16 = 26,
    Rgb16 = 25,
}

/// <summary>An owned VipsImage. Pixels are computed lazily by libvips when something reads them.</summary>
internal sealed class VipsImage : IDisposable
{
    internal VipsImage(VipsObjectHandle handle) => Handle = handle;

    internal VipsObjectHandle Handle { get; }

    public int Width => VipsNative.vips_image_get_width(Handle);

    public int Height => VipsNative.vips_image_get_height(Handle);

    public int Bands => VipsNative.vips_image_get_bands(Handle);

    public VipsBandFormat Format => (VipsBandFormat)VipsNative.vips_image_get_format(Handle);

    public VipsInterpretation Interpretation => (VipsInterpretation)VipsNative.vips_image_get_interpretation(Handle);

    /// <summary>EXIF orientation 1..8 (1 when the file has none).</summary>
    public int Orientation => VipsNative.vips_image_get_orientation(Handle);

    public bool HasAlpha => VipsNative.vips_image_hasalpha(Handle);

    /// <summary>Computes every pixel and copies them out, row-major and band-interleaved.</summary>
    public byte[] WriteToMemory()
    {
        using var memory = VipsNative.vips_image_write_to_memory(Handle, out var size);
        if (memory.IsInvalid)
        {
            throw VipsException.FromErrorBuffer("vips_image_write_to_memory");
        }
        var bytes = new byte[checked((int)size)];
        Marshal.Copy(memory.DangerousGetHandle(), bytes, 0, bytes.Length);
        return bytes;
    }

    /// <summary>Runs a one-input, one-image-output operation, for example <c>colourspace</c>.</summary>
    public VipsImage Apply(string nickname, Action<VipsOperation>? options = null)
    {
        using var operation = VipsOperation.Create(nickname).Set("in", this);
        options?.Invoke(operation);
        return operation.Build().GetImage("out");
    }

    public void Dispose() => Handle.Dispose();
}
