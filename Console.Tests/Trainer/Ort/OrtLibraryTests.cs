using System.Reflection;
using System.Runtime.Loader;
using VisionConsole.Trainer.Native.Ort;

namespace VisionConsole.Tests.Trainer.Ort;

public sealed class OrtLibraryTests
{
    [Fact]
    public void CandidatePaths_NothingConfigured_IsTheBuildCopyNextToTheApplication()
    {
        Assert.True(string.IsNullOrEmpty(Environment.GetEnvironmentVariable(OrtLibrary.PathVariable)), "the test run must not set " + OrtLibrary.PathVariable);

        var candidate = Assert.Single(OrtLibrary.CandidatePaths());

        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libonnxruntime.so.1"), candidate);
        Assert.True(File.Exists(candidate), $"the build should copy onnxruntime-node's library to {candidate}");
    }

    [Fact]
    public void Version_BundledLibrary_IsOnnxRuntime1_30LoadedFromTheApplicationFolder()
    {
        Assert.Equal("1.30.0", OrtLibrary.Version);
        Assert.Equal(OrtLibrary.CandidatePaths()[0], OrtLibrary.LoadedPath);
    }

    [Fact]
    public void AvailableProviders_BundledBuild_ListsCpuExecutionProviderLast()
    {
        // onnxruntime-node's build also lists the CUDA/TensorRT bridges, whose provider libraries are not shipped.
        var providers = OrtLibrary.AvailableProviders;

        Assert.Equal("CPUExecutionProvider", providers[^1]);
    }

    [Fact]
    public void Version_ConfiguredPathDoesNotExist_ThrowsNamingThePath()
    {
        const string missing = "/nonexistent/vision-console/libonnxruntime.so.1";

        var error = LoadInFreshContext(missing);

        Assert.Equal(nameof(OrtLibraryNotFoundException), error.GetType().Name);
        Assert.Contains($"Paths tried, in order: {missing}.", error.Message, StringComparison.Ordinal);
        Assert.Contains($"{missing}: no such file", error.Message, StringComparison.Ordinal);
        Assert.Contains("Ort:LibraryPath", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Version_ConfiguredPathIsNotOnnxRuntime_ThrowsSayingSo()
    {
        var other = Directory.GetFiles("/usr/lib/x86_64-linux-gnu", "libjpeg.so.62*").OrderBy(p => p.Length).First();

        var error = LoadInFreshContext(other);

        Assert.Equal(nameof(OrtLibraryNotFoundException), error.GetType().Name);
        Assert.Contains($"{other} loaded but does not export OrtGetApiBase", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Loads a second copy of Console.Trainer in its own load context, so its static state (the one resolver
    /// and the loaded library) starts fresh, configures <paramref name="libraryPath"/> and asks for the version.
    /// </summary>
    private static Exception LoadInFreshContext(string libraryPath)
    {
        var context = new AssemblyLoadContext("fresh-ort-" + Guid.NewGuid().ToString("N"), isCollectible: true);
        try
        {
            var trainer = context.LoadFromAssemblyPath(typeof(OrtLibrary).Assembly.Location);
            var library = trainer.GetType(typeof(OrtLibrary).FullName!, throwOnError: true)!;
            Assert.NotSame(typeof(OrtLibrary), library);
            library.GetMethod(nameof(OrtLibrary.Configure))!.Invoke(null, [libraryPath]);
            var error = Assert.Throws<TargetInvocationException>(() => library.GetProperty(nameof(OrtLibrary.Version))!.GetValue(null));
            return error.InnerException!;
        }
        finally
        {
            context.Unload();
        }
    }
}
