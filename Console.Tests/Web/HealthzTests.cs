using System.Net;
using System.Text.Json;

namespace VisionConsole.Tests.Web;

public sealed class HealthzTests
{
    [Fact]
    public async Task Healthz_CudaRequestedOnTheCpuBuild_DegradedOnCpuWithTheFallbackReason()
    {
        await using var factory = new ConsoleWebFactory();
        factory.Settings["Ort:UseCuda"] = "true";
        using var client = factory.CreateClient();

        var response = await client.GetAsync(new Uri("/healthz", UriKind.Relative));

        // Degraded still answers 200: predictions work, on the CPU.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var health = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Degraded", health.RootElement.GetProperty("status").GetString());
        var inference = health.RootElement.GetProperty("entries").GetProperty("inference");
        Assert.Equal("ONNX Runtime 1.31.1 (Cpu package) on CPU.", inference.GetProperty("description").GetString());
        var data = inference.GetProperty("data");
        Assert.Equal("CPU", data.GetProperty("provider").GetString());
        Assert.True(data.GetProperty("cudaRequested").GetBoolean());
        Assert.StartsWith("ONNX Runtime 1.31.1 of this build (flavour Cpu) has no CUDA execution provider", data.GetProperty("fallbackReason").GetString(), StringComparison.Ordinal);
    }
}
