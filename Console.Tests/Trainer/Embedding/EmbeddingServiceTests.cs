using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VisionConsole.Domain.Imaging;
using VisionConsole.Tests.Trainer.Ort;
using VisionConsole.Trainer.Embedding;
using VisionConsole.Trainer.Inference;
using VisionConsole.Trainer.Zoo;

namespace VisionConsole.Tests.Trainer.Embedding;

public sealed class EmbeddingServiceTests : IDisposable
{
    private const int Width = 5;
    private const int Height = 4;
    private static readonly float[] Mean = [0.5f, 0.25f, 0f];
    private static readonly float[] Std = [0.5f, 0.25f, 2f];
    private readonly string folder = Directory.CreateTempSubdirectory("embedding-tests-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void Embed_SpatialNchwFeaturesInBatchesOfTwo_ReturnsChannelMeansOfEveryImage()
    {
        var model = Write("identity-nchw.onnx", TestModels.ImageFeatures([3, Height, Width]));
        var images = Images(5);
        using var service = Service(batchSize: 2);

        var features = service.Embed(Backbone(TensorLayout.Nchw), model, images);

        AssertChannelMeans(images, features);
    }

    [Fact]
    public void Embed_SpatialNhwcFeatures_ReturnsChannelMeans()
    {
        var model = Write("identity-nhwc.onnx", TestModels.ImageFeatures([Height, Width, 3]));
        var images = Images(3);
        using var service = Service(batchSize: 16);

        var features = service.Embed(Backbone(TensorLayout.Nhwc), model, images);

        AssertChannelMeans(images, features);
    }

    [Theory]
    [InlineData(true)] // [N, 3, 1, 1]
    [InlineData(false)] // [N, 3]
    public void Embed_PooledFeatures_ReturnsThemAsTheyAre(bool keepDims)
    {
        var model = Write($"pooled-{keepDims}.onnx", TestModels.ImageFeatures([3, Height, Width], axes: [2, 3], keepDims: keepDims));
        var images = Images(3);
        using var service = Service(batchSize: 2);

        var features = service.Embed(Backbone(TensorLayout.Nchw), model, images);

        AssertChannelMeans(images, features);
    }

    [Fact]
    public void Embed_ModelWithFixedBatchOfOne_RunsImageByImage()
    {
        var model = Write("fixed.onnx", TestModels.ImageFeatures([3, Height, Width], fixedBatch: 1));
        var images = Images(3);
        using var service = Service(batchSize: 16);

        var features = service.Embed(Backbone(TensorLayout.Nchw), model, images);

        AssertChannelMeans(images, features);
    }

    [Fact]
    public void Embed_ImageOfWrongSize_ThrowsNamingTheImage()
    {
        var model = Write("identity.onnx", TestModels.ImageFeatures([3, Height, Width]));
        var images = Images(2).Append(new RgbImage(Width + 1, Height, new byte[(Width + 1) * Height * 3])).ToArray();
        using var service = Service(batchSize: 2);

        var error = Assert.Throws<ArgumentException>(() => service.Embed(Backbone(TensorLayout.Nchw), model, images));

        Assert.Contains("Image 2 is 6x4", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Embed_BackboneNamesMissingOutput_ThrowsListingTheModelOutputs()
    {
        var model = Write("identity.onnx", TestModels.ImageFeatures([3, Height, Width]));
        using var service = Service(batchSize: 2);
        var backbone = Backbone(TensorLayout.Nchw) with { FeatureOutputName = "pool5" };

        var error = Assert.Throws<InvalidOperationException>(() => service.Embed(backbone, model, Images(1)));

        Assert.Contains("has no output 'pool5'", error.Message, StringComparison.Ordinal);
        Assert.Contains("features: Float[", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Embed_LayoutDifferentFromModel_ThrowsSayingWhatTheModelTakes()
    {
        var model = Write("identity.onnx", TestModels.ImageFeatures([3, Height, Width]));
        using var service = Service(batchSize: 2);

        var error = Assert.Throws<InvalidOperationException>(() => service.Embed(Backbone(TensorLayout.Nhwc), model, Images(1)));

        Assert.Contains("image: Float[?, 3, 4, 5] does not take Nhwc float images of 5x4", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Embed_MissingModelFile_ThrowsNoSuchFileAndRetriesNextTime()
    {
        var model = Path.Combine(folder, "later.onnx");
        using var service = Service(batchSize: 2);

        var error = Assert.Throws<Microsoft.ML.OnnxRuntime.OnnxRuntimeException>(() => service.Embed(Backbone(TensorLayout.Nchw), model, Images(1)));
        Assert.Contains("[ErrorCode:NoSuchFile]", error.Message, StringComparison.Ordinal);

        Write("later.onnx", TestModels.ImageFeatures([3, Height, Width]));
        AssertChannelMeans(Images(1), service.Embed(Backbone(TensorLayout.Nchw), model, Images(1)));
    }

    [Fact]
    public void Embed_CancelledToken_ThrowsOperationCanceled()
    {
        var model = Write("identity.onnx", TestModels.ImageFeatures([3, Height, Width]));
        using var service = Service(batchSize: 2);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => service.Embed(Backbone(TensorLayout.Nchw), model, Images(3), cancelled.Token));
    }

    [Fact]
    public void GetSession_SameFileByTwoPaths_ReturnsOneCachedSessionWithThreadsPerCore()
    {
        var model = Write("identity.onnx", TestModels.ImageFeatures([3, Height, Width]));
        using var service = Service(batchSize: 2);

        var first = service.GetSession(model);
        var second = service.GetSession(Path.Combine(folder, ".", "identity.onnx"));

        Assert.Same(first, second);
        Assert.Equal(Environment.ProcessorCount, new OrtOptions().EffectiveIntraOpThreads);
    }

    [Fact]
    public void AddEmbedding_ConfigurationSections_BindOrtAndBatchOptions()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Ort:IntraOpThreads"] = "1",
            ["Ort:UseCuda"] = "true",
            ["Embedding:BatchSize"] = "4",
        }).Build();
        using var provider = new ServiceCollection().AddLogging().AddEmbedding(configuration).BuildServiceProvider();

        var ort = provider.GetRequiredService<IOptions<OrtOptions>>().Value;
        Assert.Equal(1, ort.EffectiveIntraOpThreads);
        Assert.True(ort.UseCuda);
        Assert.Same(provider.GetRequiredService<OrtRuntime>(), provider.GetRequiredService<IExecutionProviderInfo>());
        Assert.True(provider.GetRequiredService<IExecutionProviderInfo>().CudaRequested);
        Assert.Equal(4, provider.GetRequiredService<IOptions<EmbeddingOptions>>().Value.BatchSize);
        Assert.Same(provider.GetRequiredService<EmbeddingService>(), provider.GetRequiredService<EmbeddingService>());
    }

    private static EmbeddingService Service(int batchSize) => TestOrt.Embedding(batchSize);

    private static BackboneInfo Backbone(TensorLayout layout) =>
        new("test", "Test", "MIT", "test", new Preprocessing(Width, Height, FitMode.Stretch, layout, 1 / 255f, Mean, Std), "image", "features", 3);

    private static RgbImage[] Images(int count) =>
        Enumerable.Range(0, count).Select(i => new RgbImage(Width, Height, ImageTensorWriterTests.RandomPixels(Width, Height, seed: 100 + i))).ToArray();

    private static void AssertChannelMeans(RgbImage[] images, float[][] features)
    {
        Assert.Equal(images.Length, features.Length);
        for (var i = 0; i < images.Length; i++)
        {
            for (var c = 0; c < 3; c++)
            {
                var expected = Enumerable.Range(0, Width * Height).Average(p => (images[i].Pixels[p * 3 + c] / 255.0 - Mean[c]) / Std[c]);
                Assert.Equal(expected, features[i][c], 4);
            }
        }
    }

    private string Write(string name, byte[] model)
    {
        var path = Path.Combine(folder, name);
        File.WriteAllBytes(path, model);
        return path;
    }
}
