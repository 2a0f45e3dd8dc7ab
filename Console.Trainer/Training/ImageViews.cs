using System.Globalization;
using VisionConsole.Domain.Imaging;
using VisionConsole.Trainer.Imaging;

namespace VisionConsole.Trainer.Training;

/// <summary>Where a crop sits in the image.</summary>
public enum CropAnchor
{
    /// <summary>Centred (id <c>c</c>).</summary>
    Center,
    /// <summary>Top-left corner (id <c>tl</c>).</summary>
    TopLeft,
    /// <summary>Top-right corner (id <c>tr</c>).</summary>
    TopRight,
    /// <summary>Bottom-left corner (id <c>bl</c>).</summary>
    BottomLeft,
    /// <summary>Bottom-right corner (id <c>br</c>).</summary>
    BottomRight,
}

/// <summary>Colour jitter factors; 1 leaves the image unchanged.</summary>
/// <param name="Brightness">Multiplies every channel.</param>
/// <param name="Contrast">Scales each channel's distance from the image's mean grey level.</param>
/// <param name="Saturation">Scales each pixel's distance from its own grey level (0 gives greyscale).</param>
public sealed record ColorJitter(double Brightness, double Contrast, double Saturation)
{
    /// <summary>The default jitter strength: each factor is drawn uniformly from <c>[1 - 0.25, 1 + 0.25]</c>.</summary>
    public const double DefaultStrength = 0.25;

    /// <summary>Draws the three factors from <c>new Random(seed)</c>, uniformly in <c>[1 - strength, 1 + strength]</c>, in the order brightness, contrast, saturation.</summary>
    public static ColorJitter FromSeed(int seed, double strength = DefaultStrength)
    {
        if (!(strength >= 0 && strength < 1))
            throw new ArgumentOutOfRangeException(nameof(strength), strength, "Jitter strength must be in [0, 1).");
        var rng = new Random(seed);
        double Draw() => 1 + strength * (2 * rng.NextDouble() - 1);
        var brightness = Draw();
        var contrast = Draw();
        var saturation = Draw();
        return new ColorJitter(brightness, contrast, saturation);
    }
}

/// <summary>
/// Pure pixel operations on <see cref="RgbImage"/> used to make augmented views for feature extraction.
/// Every function returns a new image and leaves its input untouched.
/// </summary>
public static class ImageViews
{
    /// <summary>Mirrors the image left to right.</summary>
    public static RgbImage FlipHorizontal(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var pixels = new byte[image.Pixels.Length];
        var stride = image.Width * 3;
        for (var y = 0; y < image.Height; y++)
        {
            var row = y * stride;
            for (var x = 0; x < image.Width; x++)
            {
                var from = row + x * 3;
                var to = row + (image.Width - 1 - x) * 3;
                pixels[to] = image.Pixels[from];
                pixels[to + 1] = image.Pixels[from + 1];
                pixels[to + 2] = image.Pixels[from + 2];
            }
        }
        return image with { Pixels = pixels };
    }

    /// <summary>Cuts the rectangle at (<paramref name="x"/>, <paramref name="y"/>) of the given size.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The rectangle is empty or leaves the image.</exception>
    public static RgbImage Crop(RgbImage image, int x, int y, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (width < 1 || height < 1 || x < 0 || y < 0 || x + width > image.Width || y + height > image.Height)
            throw new ArgumentOutOfRangeException(nameof(width), $"The crop {width}x{height} at ({x}, {y}) does not fit in the {image.Width}x{image.Height} image.");
        var pixels = new byte[width * height * 3];
        for (var row = 0; row < height; row++)
            image.Pixels.AsSpan(((y + row) * image.Width + x) * 3, width * 3).CopyTo(pixels.AsSpan(row * width * 3));
        return new RgbImage(width, height, pixels);
    }

    /// <summary>
    /// Cuts a crop of <c>round(fraction * width)</c> x <c>round(fraction * height)</c> pixels (at least 1) at
    /// the anchor; the centre crop's offset is rounded down.
    /// </summary>
    public static RgbImage Crop(RgbImage image, double fraction, CropAnchor anchor)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (!(fraction > 0 && fraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The crop fraction must be in (0, 1].");
        var width = Math.Max(1, (int)Math.Round(image.Width * fraction, MidpointRounding.AwayFromZero));
        var height = Math.Max(1, (int)Math.Round(image.Height * fraction, MidpointRounding.AwayFromZero));
        var (x, y) = anchor switch
        {
            CropAnchor.Center => ((image.Width - width) / 2, (image.Height - height) / 2),
            CropAnchor.TopLeft => (0, 0),
            CropAnchor.TopRight => (image.Width - width, 0),
            CropAnchor.BottomLeft => (0, image.Height - height),
            CropAnchor.BottomRight => (image.Width - width, image.Height - height),
            _ => throw new ArgumentOutOfRangeException(nameof(anchor), anchor, "Unknown crop anchor."),
        };
        return Crop(image, x, y, width, height);
    }

    /// <summary>
    /// Applies brightness, then contrast (around the mean grey level of the brightened image), then saturation
    /// (around each pixel's grey level, Rec. 601 luma), rounding and clamping to [0, 255].
    /// </summary>
    public static RgbImage Jitter(RgbImage image, ColorJitter jitter)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(jitter);
        var count = image.Width * image.Height;
        var values = new double[count * 3];
        double greySum = 0;
        for (var p = 0; p < count; p++)
        {
            var r = image.Pixels[p * 3] * jitter.Brightness;
            var g = image.Pixels[p * 3 + 1] * jitter.Brightness;
            var b = image.Pixels[p * 3 + 2] * jitter.Brightness;
            values[p * 3] = r;
            values[p * 3 + 1] = g;
            values[p * 3 + 2] = b;
            greySum += Luma(r, g, b);
        }
        var meanGrey = count == 0 ? 0 : greySum / count;
        var pixels = new byte[image.Pixels.Length];
        for (var p = 0; p < count; p++)
        {
            var r = meanGrey + jitter.Contrast * (values[p * 3] - meanGrey);
            var g = meanGrey + jitter.Contrast * (values[p * 3 + 1] - meanGrey);
            var b = meanGrey + jitter.Contrast * (values[p * 3 + 2] - meanGrey);
            var grey = Luma(r, g, b);
            pixels[p * 3] = ToByte(grey + jitter.Saturation * (r - grey));
            pixels[p * 3 + 1] = ToByte(grey + jitter.Saturation * (g - grey));
            pixels[p * 3 + 2] = ToByte(grey + jitter.Saturation * (b - grey));
        }
        return image with { Pixels = pixels };
    }

    /// <summary>
    /// Resamples to exactly <paramref name="width"/> x <paramref name="height"/> through libvips
    /// (<see cref="VipsImageCodec.Resize"/>), the same resampling the decoder's thumbnails use.
    /// </summary>
    public static RgbImage Resize(RgbImage image, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        return width == image.Width && height == image.Height
            ? image with { Pixels = (byte[])image.Pixels.Clone() }
            : VipsImageCodec.Resize(image, width, height);
    }

    private static double Luma(double r, double g, double b) => 0.299 * r + 0.587 * g + 0.114 * b;

    private static byte ToByte(double value) => (byte)Math.Clamp(Math.Round(value, MidpointRounding.AwayFromZero), 0, 255);
}

/// <summary>
/// A named, fully determined augmentation. The <see cref="Id"/> alone decides the pixels, so features can be
/// cached by (image sha256, backbone id, view id). Ids:
/// <list type="bullet">
/// <item><c>orig</c>: the image as decoded.</item>
/// <item><c>flip</c>: mirrored left to right.</item>
/// <item><c>crop-{c|tl|tr|bl|br}-{fraction}</c>, e.g. <c>crop-tl-0.875</c>: a crop of that fraction of each side at the centre or a corner.</item>
/// <item><c>jitter-{seed}</c>, e.g. <c>jitter-1</c>: colour jitter with <see cref="ColorJitter.FromSeed"/>(seed) (the same factors for every image).</item>
/// <item><c>{crop or jitter id}-flip</c>, e.g. <c>crop-c-0.875-flip</c>: that view, then mirrored left to right.</item>
/// </list>
/// </summary>
public sealed class ImageView
{
    private readonly Func<RgbImage, RgbImage> _transform;

    private ImageView(string id, double cropFraction, Func<RgbImage, RgbImage> transform)
    {
        Id = id;
        CropFraction = cropFraction;
        _transform = transform;
    }

    /// <summary>The image as decoded.</summary>
    public static ImageView Original { get; } = new("orig", 1, image => image with { Pixels = (byte[])image.Pixels.Clone() });

    /// <summary>The horizontal mirror image.</summary>
    public static ImageView Flip { get; } = new("flip", 1, ImageViews.FlipHorizontal);

    /// <summary>The stable id (see the type's summary).</summary>
    public string Id { get; }

    /// <summary>The fraction of each side the view keeps (1 unless it crops).</summary>
    public double CropFraction { get; }

    /// <summary>A crop view, id <c>crop-{anchor}-{fraction}</c>.</summary>
    public static ImageView Crop(CropAnchor anchor, double fraction)
    {
        if (!(fraction > 0 && fraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The crop fraction must be in (0, 1].");
        var code = anchor switch
        {
            CropAnchor.Center => "c",
            CropAnchor.TopLeft => "tl",
            CropAnchor.TopRight => "tr",
            CropAnchor.BottomLeft => "bl",
            CropAnchor.BottomRight => "br",
            _ => throw new ArgumentOutOfRangeException(nameof(anchor), anchor, "Unknown crop anchor."),
        };
        return new ImageView($"crop-{code}-{fraction.ToString("0.###", CultureInfo.InvariantCulture)}", fraction, image => ImageViews.Crop(image, fraction, anchor));
    }

    /// <summary>A colour-jitter view, id <c>jitter-{seed}</c>.</summary>
    public static ImageView Jitter(int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(seed);
        var jitter = ColorJitter.FromSeed(seed);
        return new ImageView($"jitter-{seed.ToString(CultureInfo.InvariantCulture)}", 1, image => ImageViews.Jitter(image, jitter));
    }

    /// <summary>The mirror image of a crop or jitter view, id <c>{inner}-flip</c> (the mirror of <c>orig</c> is <see cref="Flip"/>).</summary>
    /// <exception cref="ArgumentException"><paramref name="inner"/> is <c>orig</c> or already mirrored.</exception>
    public static ImageView Mirrored(ImageView inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (inner == Original || inner.IsMirrored)
            throw new ArgumentException($"'{inner.Id}' has no separate mirrored view (use 'flip' for the mirror of 'orig').", nameof(inner));
        return new ImageView($"{inner.Id}{MirrorSuffix}", inner.CropFraction, image => ImageViews.FlipHorizontal(inner.Apply(image)));
    }

    private const string MirrorSuffix = "-flip";

    private bool IsMirrored => this == Flip || Id.EndsWith(MirrorSuffix, StringComparison.Ordinal);

    /// <summary>The view an id names.</summary>
    /// <exception cref="FormatException">The id is not one of the forms listed on <see cref="ImageView"/>; the message quotes it.</exception>
    public static ImageView Parse(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (id == Original.Id)
            return Original;
        if (id == Flip.Id)
            return Flip;
        if (id.EndsWith(MirrorSuffix, StringComparison.Ordinal) && id.Length > MirrorSuffix.Length)
        {
            var inner = TryParse(id[..^MirrorSuffix.Length]);
            if (inner is not null && inner != Original && !inner.IsMirrored)
                return Mirrored(inner);
        }
        return TryParse(id)
            ?? throw new FormatException($"'{id}' is not a view id (expected orig, flip, crop-{{c|tl|tr|bl|br}}-{{fraction}} such as crop-tl-0.875, jitter-{{seed}}, or a crop or jitter id followed by -flip).");
    }

    private static ImageView? TryParse(string id)
    {
        if (id == Original.Id)
            return Original;
        if (id == Flip.Id)
            return Flip;
        var parts = id.Split('-');
        if (parts is ["jitter", var seedText]
            && int.TryParse(seedText, NumberStyles.None, CultureInfo.InvariantCulture, out var seed))
        {
            return Jitter(seed);
        }
        if (parts is ["crop", var anchorText, var fractionText]
            && double.TryParse(fractionText, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var fraction)
            && fraction > 0 && fraction <= 1)
        {
            CropAnchor? anchor = anchorText switch
            {
                "c" => CropAnchor.Center,
                "tl" => CropAnchor.TopLeft,
                "tr" => CropAnchor.TopRight,
                "bl" => CropAnchor.BottomLeft,
                "br" => CropAnchor.BottomRight,
                _ => null,
            };
            if (anchor is { } a)
            {
                var view = Crop(a, fraction);
                if (view.Id == id)
                    return view; // only the canonical spelling, so one view has one cache key
            }
        }
        return null;
    }

    /// <summary>
    /// The side to decode the source image at (square, <see cref="FitMode.CenterCrop"/>) so that this view lands on
    /// <paramref name="inputSide"/> without resampling: <c>ceil(inputSide / CropFraction)</c>.
    /// </summary>
    public int DecodeSide(int inputSide) => (int)Math.Ceiling(inputSide / CropFraction - 1e-9);

    /// <summary>Applies the view's transform only.</summary>
    public RgbImage Apply(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return _transform(image);
    }

    /// <summary>Applies the view, then resizes (libvips) to <paramref name="inputSide"/> squared if the result is not already that size.</summary>
    public RgbImage Render(RgbImage decoded, int inputSide)
    {
        var view = Apply(decoded);
        return view.Width == inputSide && view.Height == inputSide ? view : ImageViews.Resize(view, inputSide, inputSide);
    }

    /// <inheritdoc />
    public override string ToString() => Id;
}
