using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VisionConsole.Trainer.Embedding;
using VisionConsole.Trainer.Inference;

namespace VisionConsole.Tests.Trainer.Ort;

/// <summary>
/// ONNX Runtime as the tests use it: the product's <see cref="OrtRuntime"/> with the <c>Ort</c> settings of the
/// environment (test.sh runs these tests a second time on the CUDA flavour with <c>Ort__UseCuda=true</c>).
/// </summary>
internal static class TestOrt
{
    /// <summary>The flavour this run must have been built with: <c>VISIONCONSOLE_EXPECT_ORT_FLAVOR</c>, else Cpu.</summary>
    public static string ExpectedFlavor => Environment.GetEnvironmentVariable("VISIONCONSOLE_EXPECT_ORT_FLAVOR") is { Length: > 0 } flavor ? flavor : "Cpu";

    public static OrtOptions Options()
    {
        var options = new OrtOptions();
        new ConfigurationBuilder().AddEnvironmentVariables().Build().GetSection(OrtOptions.SectionName).Bind(options);
        return options;
    }

    public static OrtRuntime Runtime(ILogger<OrtRuntime>? logger = null) => new(Microsoft.Extensions.Options.Options.Create(Options()), logger);

    public static EmbeddingService Embedding(int batchSize = 16) =>
        new(Runtime(), Microsoft.Extensions.Options.Options.Create(new EmbeddingOptions { BatchSize = batchSize }));
}

/// <summary>Collects log entries (thread-safe).</summary>
internal sealed class ListLogger<T> : ILogger<T>
{
    public List<(LogLevel Level, string Message)> Entries { get; } = [];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (Entries)
        {
            Entries.Add((logLevel, formatter(state, exception)));
        }
    }
}
