using System.Runtime.InteropServices;
using VisionConsole.Domain.Imaging;

namespace VisionConsole.Tests.Trainer.Ort;

/// <summary>
/// Decodes real dataset photos with libvips (the native decoder the product uses) and does the ONNX Model
/// Zoo's MobileNet preparation in managed code: bilinear resize of the short side to 256, centre crop 224.
/// </summary>
internal static unsafe class TestImages
{
    private static readonly delegate* unmanaged<byte*, IntPtr, IntPtr> NewFromFile;
    private static readonly delegate* unmanaged<IntPtr, int> GetWidth;
    private static readonly delegate* unmanaged<IntPtr, int> GetHeight;
    private static readonly delegate* unmanaged<IntPtr, int> GetBands;
    private static readonly delegate* unmanaged<IntPtr, nuint*, byte*> WriteToMemory;
    private static readonly delegate* unmanaged<IntPtr, void> ObjectUnref;
    private static readonly delegate* unmanaged<void*, void> Free;
    private static readonly delegate* unmanaged<IntPtr> ErrorBuffer;

    static TestImages()
    {
        var vips = NativeLibrary.Load("libvips.so.42");
        var init = (delegate* unmanaged<byte*, int>)NativeLibrary.GetExport(vips, "vips_init");
        fixed (byte* name = "vision-console-tests\0"u8)
        {
            if (init(name) != 0)
            {
                throw new InvalidOperationException("vips_init failed");
            }
        }
        // vips_image_new_from_file is variadic; called with only the NULL terminator after the name.
        NewFromFile = (delegate* unmanaged<byte*, IntPtr, IntPtr>)NativeLibrary.GetExport(vips, "vips_image_new_from_file");
        GetWidth = (delegate* unmanaged<IntPtr, int>)NativeLibrary.GetExport(vips, "vips_image_get_width");
        GetHeight = (delegate* unmanaged<IntPtr, int>)NativeLibrary.GetExport(vips, "vips_image_get_height");
        GetBands = (delegate* unmanaged<IntPtr, int>)NativeLibrary.GetExport(vips, "vips_image_get_bands");
        WriteToMemory = (delegate* unmanaged<IntPtr, nuint*, byte*>)NativeLibrary.GetExport(vips, "vips_image_write_to_memory");
        ErrorBuffer = (delegate* unmanaged<IntPtr>)NativeLibrary.GetExport(vips, "vips_error_buffer");
        ObjectUnref = (delegate* unmanaged<IntPtr, void>)NativeLibrary.GetExport(NativeLibrary.Load("libgobject-2.0.so.0"), "g_object_unref");
        Free = (delegate* unmanaged<void*, void>)NativeLibrary.GetExport(NativeLibrary.Load("libglib-2.0.so.0"), "g_free");
    }

    /// <summary>The photo as 224x224 RGB: short side resized to 256 (bilinear), centre 224x224 cut.</summary>
    public static RgbImage LoadMobileNetInput(string path, int resize = 256, int crop = 224)
    {
        var (width, height, rgb) = Decode(path);
        var scale = (double)resize / Math.Min(width, height);
        var resizedWidth = Math.Max(resize, (int)Math.Round(width * scale));
        var resizedHeight = Math.Max(resize, (int)Math.Round(height * scale));
        var left = (resizedWidth - crop) / 2;
        var top = (resizedHeight - crop) / 2;
        var output = new byte[crop * crop * 3];
        var xRatio = (double)width / resizedWidth;
        var yRatio = (double)height / resizedHeight;
        for (var y = 0; y < crop; y++)
        {
            var sy = Math.Clamp((y + top + 0.5) * yRatio - 0.5, 0, height - 1);
            var y0 = (int)sy;
            var y1 = Math.Min(y0 + 1, height - 1);
            var fy = sy - y0;
            for (var x = 0; x < crop; x++)
            {
                var sx = Math.Clamp((x + left + 0.5) * xRatio - 0.5, 0, width - 1);
                var x0 = (int)sx;
                var x1 = Math.Min(x0 + 1, width - 1);
                var fx = sx - x0;
                for (var c = 0; c < 3; c++)
                {
                    var top0 = rgb[(y0 * width + x0) * 3 + c] * (1 - fx) + rgb[(y0 * width + x1) * 3 + c] * fx;
                    var bottom = rgb[(y1 * width + x0) * 3 + c] * (1 - fx) + rgb[(y1 * width + x1) * 3 + c] * fx;
                    output[(y * crop + x) * 3 + c] = (byte)Math.Clamp(Math.Round(top0 * (1 - fy) + bottom * fy), 0, 255);
                }
            }
        }
        return new RgbImage(crop, crop, output);
    }

    private static (int Width, int Height, byte[] Rgb) Decode(string path)
    {
        var name = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        IntPtr image;
        fixed (byte* namePointer = name)
        {
            image = NewFromFile(namePointer, IntPtr.Zero);
        }
        if (image == IntPtr.Zero)
        {
            throw new InvalidOperationException($"libvips cannot open {path}: {Marshal.PtrToStringUTF8(ErrorBuffer())}");
        }
        try
        {
            var width = GetWidth(image);
            var height = GetHeight(image);
            var bands = GetBands(image);
            nuint size;
            var pixels = WriteToMemory(image, &size);
            if (pixels is null || (long)size != (long)width * height * bands)
            {
                throw new InvalidOperationException($"libvips could not decode {path} to 8-bit pixels.");
            }
            try
            {
                var rgb = new byte[width * height * 3];
                for (var i = 0; i < width * height; i++)
                {
                    for (var c = 0; c < 3; c++)
                    {
                        rgb[i * 3 + c] = pixels[i * bands + (bands >= 3 ? c : 0)];
                    }
                }
                return (width, height, rgb);
            }
            finally
            {
                Free(pixels);
            }
        }
        finally
        {
            ObjectUnref(image);
        }
    }
}
