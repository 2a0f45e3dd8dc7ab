using Microsoft.Extensions.DependencyInjection;
using VisionConsole.Web.Components.Pages.Settings;

namespace VisionConsole.Tests.Web.Components;

public sealed class SettingsPageTests
{
    [Fact]
    public async Task Render_GivenEnvironment_ShowsPathsAndVersions()
    {
        await using var harness = new ComponentHarness();

        var document = await harness.RenderAsync<SettingsPage>();

        Assert.Equal("/srv/vision", document.QuerySelector("[data-test=data-folder]")!.Text());
        Assert.Equal("/srv/vision/console.db", document.QuerySelector("[data-test=database-path]")!.Text());
        var versions = document.QuerySelectorAll(".settings-list").Last().QuerySelectorAll("dt").Select(d => d.Text()).ToList();
        Assert.Equal(["Vision Console", ".NET", "Operating system", "libvips"], versions);
        Assert.Contains(document.QuerySelectorAll("dd"), d => d.Text() == "8.14.1");
        Assert.Equal("Inference: ONNX Runtime 1.31.1 (Cpu package) on CPU", document.QuerySelector("[data-test=ort-provider]")!.Text());
        Assert.Null(document.QuerySelector("[data-test=ort-fallback]"));
    }

    [Fact]
    public async Task Render_CudaFellBackToCpu_ShowsProviderAndReason()
    {
        await using var harness = new ComponentHarness(configure: services => services.AddSingleton<VisionConsole.Trainer.Inference.IExecutionProviderInfo>(
            new TestExecutionProvider("CPU", "libcublasLt.so.13: cannot open shared object file", true, "Cuda", "1.31.0")));

        var document = await harness.RenderAsync<SettingsPage>();

        var line = document.QuerySelector("[data-test=ort-provider]")!.Text();
        Assert.StartsWith("Inference: ONNX Runtime 1.31.0 (Cuda package) on CPU", line, StringComparison.Ordinal);
        Assert.Equal("; CUDA was requested but is not used: libcublasLt.so.13: cannot open shared object file", document.QuerySelector("[data-test=ort-fallback]")!.Text());
    }
}
