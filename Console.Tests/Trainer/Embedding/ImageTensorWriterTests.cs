using VisionConsole.Domain.Imaging;
using VisionConsole.Trainer.Embedding;
using VisionConsole.Trainer.Zoo;

namespace VisionConsole.Tests.Trainer.Embedding;

public sealed class ImageTensorWriterTests
{
    private static readonly float[] Mean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] Std = [0.229f, 0.224f, 0.225f];

    [Theory]
    [InlineData(16, 1)] // exactly one vector step
    [InlineData(7, 5)] // two steps and three left-over pixels
    [InlineData(224, 224)]
    public void Write_Nchw_IsPlanarNormalizedPixels(int width, int height)
    {
        var pixels = RandomPixels(width, height, seed: width);
        var pre = new Preprocessing(width, height, FitMode.Stretch, TensorLayout.Nchw, 1 / 255f, Mean, Std);
        var tensor = new float[pixels.Length];

        ImageTensorWriter.Write(pixels, pre, tensor);

        var area = width * height;
        for (var p = 0; p < area; p++)
        {
            for (var c = 0; c < 3; c++)
            {
                Assert.Equal((pixels[p * 3 + c] / 255f - Mean[c]) / Std[c], tensor[c * area + p], 1e-5f);
            }
        }
    }

    [Theory]
    [InlineData(16, 1)]
    [InlineData(9, 7)] // three steps and 15 left-over pixels
    public void Write_Nhwc_IsInterleavedNormalizedPixels(int width, int height)
    {
        var pixels = RandomPixels(width, height, seed: height);
        var pre = new Preprocessing(width, height, FitMode.CenterCrop, TensorLayout.Nhwc, 1 / 127.5f, [1f, 1f, 1f], [1f, 1f, 1f]);
        var tensor = new float[pixels.Length];

        ImageTensorWriter.Write(pixels, pre, tensor);

        for (var i = 0; i < pixels.Length; i++)
        {
            Assert.Equal(pixels[i] / 127.5f - 1f, tensor[i], 1e-5f);
        }
    }

    internal static byte[] RandomPixels(int width, int height, int seed)
    {
        var pixels = new byte[width * height * 3];
        new Random(seed).NextBytes(pixels);
        pixels[0] = 0;
        pixels[^1] = 255;
        return pixels;
    }
}
