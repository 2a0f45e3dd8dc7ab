using Microsoft.ML.OnnxRuntime;
using VisionConsole.Trainer.Inference;

namespace VisionConsole.Tests.Trainer.Ort;

/// <summary>The bounded LRU cache of exported-model sessions, on real ONNX Runtime sessions of small model files.</summary>
public sealed class ModelSessionCacheTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("session-cache-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Model(string name)
    {
        var path = Path.Combine(_folder, name + ".onnx");
        File.WriteAllBytes(path, TestModels.MulAdd());
        return path;
    }

    private static ModelSessionCache Cache(int size) =>
        new(TestOrt.Runtime(), Microsoft.Extensions.Options.Options.Create(new InferenceOptions { SessionCacheSize = size }));

    /// <summary>Y = 2X + 1 through the cached session.</summary>
    private static float[] MulAdd(ModelSessionCache cache, string path, params float[] x) => cache.Run(path, session =>
    {
        using var input = OrtValue.CreateTensorValueFromMemory(x, [x.Length / 3, 3]);
        using var outputs = session.Run(new RunOptions(), ["X"], [input], ["Y"]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    });

    [Fact]
    public void Run_SameFileAgain_LoadsOnce_AThirdFileClosesTheLeastRecentlyUsed()
    {
        using var cache = Cache(2);
        var (a, b, c) = (Model("a"), Model("b"), Model("c"));

        MulAdd(cache, a, 1, 2, 3);
        MulAdd(cache, b, 1, 2, 3);
        MulAdd(cache, a, 1, 2, 3);
        Assert.Equal(2, cache.Loads);
        MulAdd(cache, c, 1, 2, 3);

        Assert.Equal(3, cache.Loads);
        Assert.Equal([c, a], cache.Cached);
        MulAdd(cache, b, 1, 2, 3);
        Assert.Equal(4, cache.Loads);
        Assert.Equal([b, c], cache.Cached);
    }

    [Fact]
    public void Run_ManyThreadsOnOneFile_ShareOneSessionAndEachGetsItsOwnAnswer()
    {
        using var cache = Cache(2);
        var a = Model("a");

        var results = new float[64][];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => results[i] = MulAdd(cache, a, i, i + 1, i + 2));

        Assert.Equal(1, cache.Loads);
        for (var i = 0; i < results.Length; i++)
        {
            Assert.Equal([2f * i + 1, 2f * (i + 1) + 1, 2f * (i + 2) + 1], results[i]);
        }
    }

    [Fact]
    public void Evict_WhileARunHoldsTheSession_TheRunFinishesAndTheNextRunLoadsAgain()
    {
        using var cache = Cache(2);
        var a = Model("a");

        var during = cache.Run(a, session =>
        {
            cache.Evict(a);
            // Still open for this run although it left the cache.
            using var input = OrtValue.CreateTensorValueFromMemory(new float[] { 5, 6, 7 }, [1, 3]);
            using var outputs = session.Run(new RunOptions(), ["X"], [input], ["Y"]);
            return outputs[0].GetTensorDataAsSpan<float>().ToArray();
        });

        Assert.Equal([11f, 13f, 15f], during);
        Assert.Empty(cache.Cached);
        Assert.Equal([3f, 5f, 7f], MulAdd(cache, a, 1, 2, 3));
        Assert.Equal(2, cache.Loads);
    }

    [Fact]
    public void Run_MissingFile_FailsWithoutCachingTheFailure()
    {
        using var cache = Cache(2);
        var later = Path.Combine(_folder, "later.onnx");

        Assert.ThrowsAny<OnnxRuntimeException>(() => MulAdd(cache, later, 1, 2, 3));

        Assert.Empty(cache.Cached);
        File.WriteAllBytes(later, TestModels.MulAdd());
        Assert.Equal([3f, 5f, 7f], MulAdd(cache, later, 1, 2, 3));
    }

    [Fact]
    public void New_SizeBelowOne_IsRefusedNamingTheSetting()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Cache(0));

        Assert.Contains("Inference:SessionCacheSize", error.Message, StringComparison.Ordinal);
    }
}
