using System.Reflection;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;
using VisionConsole.Domain.Imaging;
using VisionConsole.Tests.Trainer.Embedding;
using VisionConsole.Trainer.Embedding;
using VisionConsole.Trainer.Inference;
using VisionConsole.Trainer.Zoo;

namespace VisionConsole.Tests.Trainer.Ort;

public sealed class OrtRuntimeTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("ort-runtime-tests-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void CreateSession_MulAddModelFromBytes_ReturnsXTimesTwoPlusOne()
    {
        using var session = TestOrt.Runtime().CreateSession(TestModels.MulAdd());
        float[] x = [0f, 1f, 2f, -3f, 0.5f, 10f];
        using var input = OrtValue.CreateTensorValueFromMemory(x, [2, 3]);
        using var runOptions = new RunOptions();

        using var outputs = session.Run(runOptions, ["X"], [input], ["Y"]);

        Assert.Equal([2L, 3L], outputs[0].GetTensorTypeAndShape().Shape);
        Assert.Equal([1f, 3f, 5f, -5f, 2f, 21f], outputs[0].GetTensorDataAsSpan<float>().ToArray());
    }

    [Fact]
    public void CreateSession_NotAModel_ThrowsInvalidProtobuf()
    {
        var error = Assert.Throws<OnnxRuntimeException>(() => TestOrt.Runtime().CreateSession("this is not an ONNX file"u8.ToArray()));

        Assert.Contains("[ErrorCode:InvalidProtobuf]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateSession_TruncatedModelFile_ThrowsNamingTheFile()
    {
        var path = Path.Combine(folder, "truncated.onnx");
        var model = TestModels.MulAdd();
        File.WriteAllBytes(path, model.AsSpan(0, model.Length / 2).ToArray());

        var error = Assert.Throws<OnnxRuntimeException>(() => TestOrt.Runtime().CreateSession(path));

        Assert.Contains("[ErrorCode:InvalidProtobuf]", error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateSession_MissingFile_ThrowsNoSuchFileNamingTheFile()
    {
        var path = Path.Combine(folder, "missing.onnx");

        var error = Assert.Throws<OnnxRuntimeException>(() => TestOrt.Runtime().CreateSession(path));

        Assert.Contains("[ErrorCode:NoSuchFile]", error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateSessionOptions_NoSettings_OneThreadPerProcessorAndEveryGraphOptimization()
    {
        var runtime = new OrtRuntime(Options.Create(new OrtOptions()));

        using var sessionOptions = runtime.CreateSessionOptions();

        Assert.Equal(Environment.ProcessorCount, sessionOptions.IntraOpNumThreads);
        Assert.Equal(GraphOptimizationLevel.ORT_ENABLE_ALL, sessionOptions.GraphOptimizationLevel);
        Assert.Equal(OrtRuntime.Cpu, runtime.Provider);
        Assert.Null(runtime.FallbackReason);
        Assert.False(runtime.CudaRequested);
    }

    [Fact]
    public void CreateSessionOptions_IntraOpThreadsSet_UsesThem()
    {
        var runtime = new OrtRuntime(Options.Create(new OrtOptions { IntraOpThreads = 1 }));

        using var sessionOptions = runtime.CreateSessionOptions();

        Assert.Equal(1, sessionOptions.IntraOpNumThreads);
    }

    /// <summary>
    /// Neither this machine nor CI has CUDA 13 and cuDNN 9: the CPU flavour has no CUDA provider at all, the CUDA
    /// flavour (test.sh's second run) has one whose libraries do not load. Either way: one warning with the reason,
    /// CPU reported, and sessions (several, from several threads) still compute the right answer.
    /// </summary>
    [Fact]
    public void Provider_CudaRequestedWithoutCudaLibraries_LogsTheReasonOnceReportsCpuAndScores()
    {
        var logger = new ListLogger<OrtRuntime>();
        var runtime = new OrtRuntime(Options.Create(new OrtOptions { UseCuda = true }), logger);
        using var embedding = new EmbeddingService(runtime, Options.Create(new EmbeddingOptions { BatchSize = 2 }));
        var nchw = Path.Combine(folder, "nchw.onnx");
        var nhwc = Path.Combine(folder, "nhwc.onnx");
        File.WriteAllBytes(nchw, TestModels.ImageFeatures([3, 4, 5]));
        File.WriteAllBytes(nhwc, TestModels.ImageFeatures([4, 5, 3]));
        var images = Enumerable.Range(0, 3).Select(i => new RgbImage(5, 4, ImageTensorWriterTests.RandomPixels(5, 4, seed: 7 + i))).ToArray();
        var backbone = new BackboneInfo("test", "Test", "MIT", "test", new Preprocessing(5, 4, FitMode.Stretch, TensorLayout.Nchw, 1 / 255f, [0f, 0f, 0f], [1f, 1f, 1f]), "image", "features", 3);

        var results = new float[4][][];
        Parallel.For(0, 4, i => results[i] = i % 2 == 0
            ? embedding.Embed(backbone, nchw, images)
            : embedding.Embed(backbone with { Preprocessing = backbone.Preprocessing with { Layout = TensorLayout.Nhwc } }, nhwc, images));
        using var mulAdd = runtime.CreateSession(TestModels.MulAdd());
        using var input = OrtValue.CreateTensorValueFromMemory(new[] { 1f, 2f, 3f }, [1, 3]);
        using var runOptions = new RunOptions();
        using var y = mulAdd.Run(runOptions, ["X"], [input], ["Y"]);

        Assert.Equal([3f, 5f, 7f], y[0].GetTensorDataAsSpan<float>().ToArray());
        foreach (var features in results)
        {
            for (var i = 0; i < images.Length; i++)
            {
                for (var c = 0; c < 3; c++)
                {
                    Assert.Equal(Enumerable.Range(0, 20).Average(p => images[i].Pixels[p * 3 + c] / 255.0), features[i][c], 4);
                }
            }
        }
        Assert.Equal(OrtRuntime.Cpu, runtime.Provider);
        Assert.True(runtime.CudaRequested);
        var reason = Assert.IsType<string>(runtime.FallbackReason);
        Assert.Contains(TestOrt.ExpectedFlavor == "Cuda" ? "cannot open shared object file" : "has no CUDA execution provider", reason, StringComparison.Ordinal);
        var warning = Assert.Single(logger.Entries, e => e.Level >= LogLevel.Warning);
        Assert.Contains(reason, warning.Message, StringComparison.Ordinal);
        Assert.Contains("Ort:UseCuda is set but ONNX Runtime runs on the CPU", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Flavor_ThisBuild_IsTheOneTheRunExpectsWithItsPackageVersion()
    {
        var runtime = new OrtRuntime(Options.Create(new OrtOptions()));

        Assert.Equal(TestOrt.ExpectedFlavor, runtime.Flavor);
        Assert.Equal(runtime.Flavor == "Cuda" ? "1.31.0" : "1.31.1", runtime.Version);
        Assert.Equal("1.31.1", typeof(InferenceSession).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0]);
    }

    /// <summary>
    /// The output holds the natives of exactly one ONNX Runtime package: the CPU package's core and no CUDA
    /// providers, or the GPU package's core and providers and not the CPU package's core (the two cores share a name).
    /// </summary>
    [Fact]
    public void OutputFolder_ThisBuildsFlavour_HoldsTheNativesOfItsPackageOnly()
    {
        var native = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native");
        var packages = typeof(OrtRuntimeTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "NuGetPackageRoot").Value!;
        var cpuPackage = Path.Combine(packages, "microsoft.ml.onnxruntime", "1.31.1", "runtimes", "linux-x64", "native");
        var gpuPackage = Path.Combine(packages, "microsoft.ml.onnxruntime.gpu.linux", "1.31.0", "runtimes", "linux-x64", "native");
        var everything = Directory.GetFiles(AppContext.BaseDirectory, "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToHashSet();

        if (TestOrt.ExpectedFlavor == "Cuda")
        {
            Assert.Equal(Hash(Path.Combine(gpuPackage, "libonnxruntime.so")), Hash(Path.Combine(native, "libonnxruntime.so")));
            Assert.NotEqual(Hash(Path.Combine(cpuPackage, "libonnxruntime.so")), Hash(Path.Combine(native, "libonnxruntime.so")));
            foreach (var provider in new[] { "libonnxruntime_providers_cuda.so", "libonnxruntime_providers_shared.so", "libonnxruntime_providers_tensorrt.so" })
            {
                Assert.Equal(Hash(Path.Combine(gpuPackage, provider)), Hash(Path.Combine(native, provider)));
            }
            Assert.DoesNotContain("onnxruntime.dll", everything);
        }
        else
        {
            Assert.Equal(Hash(Path.Combine(cpuPackage, "libonnxruntime.so")), Hash(Path.Combine(native, "libonnxruntime.so")));
            Assert.Equal(Hash(Path.Combine(cpuPackage, "libonnxruntime_providers_shared.so")), Hash(Path.Combine(native, "libonnxruntime_providers_shared.so")));
            Assert.DoesNotContain(everything, name => name!.Contains("providers_cuda", StringComparison.Ordinal) || name.Contains("providers_tensorrt", StringComparison.Ordinal));
            Assert.Equal(["CPUExecutionProvider"], OrtEnv.Instance().GetAvailableProviders());
        }
        // Nothing of npm's onnxruntime-node is copied in any more.
        Assert.DoesNotContain("libonnxruntime.so.1", everything);
    }

    private static string Hash(string path)
    {
        Assert.True(File.Exists(path), $"{path} should exist");
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream));
    }
}
