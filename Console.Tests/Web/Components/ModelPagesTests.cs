using Bunit;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Models;
using VisionConsole.Web.Components.Pages.Models;

namespace VisionConsole.Tests.Web.Components;

/// <summary>The model page's publish and stable URL, and the prediction test page's version and threshold.</summary>
public sealed class ModelPagesTests
{
    private const string PackageUrl = "http://localhost/api/published/Ants%20and%20bees%20model/latest/model.zip";

    [Fact]
    public async Task Publish_WithoutRename_KeepsTheNameAndShowsTheAbsoluteUrlWithSnippets()
    {
        var fakes = new FakeTrainingServices();
        fakes.Models.Add(FakeTrainingServices.Model(7));
        await using var harness = new ConsoleTestContext(configure: fakes.Register);
        var providers = harness.RenderProviders();
        var cut = await harness.RenderAsync<ModelPage>(new Dictionary<string, object?> { [nameof(ModelPage.ModelId)] = 7L });
        Assert.NotNull(cut.Find("[data-test=not-published]"));

        cut.Find("button[data-test=publish-1]").Click();
        providers.WaitForElement("button[data-test=publish-submit]").Click();

        cut.WaitForAssertion(() => Assert.Single(fakes.Tagged));
        var (modelId, number, tags, displayName) = fakes.Tagged[0];
        Assert.Equal((7L, 1), (modelId, number));
        Assert.Equal([ModelPublishing.PublishedTag], tags);
        Assert.Null(displayName);
        cut.WaitForAssertion(() => Assert.Equal(PackageUrl, cut.Find("input[data-test=stable-url], [data-test=stable-url] input").GetAttribute("value")));
        Assert.Equal("Ants and bees model", cut.Find("[data-test=model-name]").Text());
        Assert.Contains($"curl -fL -H \"Authorization: Bearer $VC_API_KEY\" -o model.zip \"{PackageUrl}\"", cut.Find("[data-test=snippet-shell]").Text(), StringComparison.Ordinal);
        Assert.Contains("Version 1 of Ants and bees model is published.", providers.Markup, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DatasetKind.SingleLabel, "Output: scores, in dict.txt order", "detection_boxes")]
    [InlineData(DatasetKind.ObjectDetection, "Outputs: detection_boxes [1, 100, 4]", "Output: scores")]
    public async Task Snippets_PublishedModel_DescribeItsOwnOutputs(DatasetKind kind, string expected, string absent)
    {
        var fakes = new FakeTrainingServices();
        fakes.Models.Add(FakeTrainingServices.Model(7) with { Kind = kind });
        fakes.Versions[7] = [FakeTrainingServices.Version(7, 1, ModelPublishing.PublishedTag)];
        await using var harness = new ConsoleTestContext(configure: fakes.Register);
        harness.RenderProviders();
        var cut = await harness.RenderAsync<ModelPage>(new Dictionary<string, object?> { [nameof(ModelPage.ModelId)] = 7L });

        // Only the chosen tab's panel is rendered: open the JavaScript one.
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-test=snippet-shell]")));
        cut.FindAll(".mud-tab").First(t => t.TextContent.Contains("JavaScript", StringComparison.Ordinal)).Click();
        cut.WaitForAssertion(() => Assert.Contains(expected, cut.Find("[data-test=snippet-javascript]").TextContent, StringComparison.Ordinal));
        Assert.DoesNotContain(absent, cut.Find("[data-test=snippet-javascript]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Publish_RenameTicked_SendsTheNewName()
    {
        var fakes = new FakeTrainingServices();
        fakes.Models.Add(FakeTrainingServices.Model(7));
        await using var harness = new ConsoleTestContext(configure: fakes.Register);
        var providers = harness.RenderProviders();
        var cut = await harness.RenderAsync<ModelPage>(new Dictionary<string, object?> { [nameof(ModelPage.ModelId)] = 7L });

        cut.Find("button[data-test=publish-1]").Click();
        providers.WaitForElement("input[data-test=publish-rename], [data-test=publish-rename] input").Change(true);
        providers.WaitForElement("input[data-test=publish-name], [data-test=publish-name] input").Input("Hive watcher");
        providers.Find("button[data-test=publish-submit]").Click();

        cut.WaitForAssertion(() => Assert.Equal("Hive watcher", Assert.Single(fakes.Tagged).DisplayName));
        cut.WaitForAssertion(() => Assert.Equal("http://localhost/api/published/Hive%20watcher/latest/model.zip", cut.Find("input[data-test=stable-url], [data-test=stable-url] input").GetAttribute("value")));
    }

    [Fact]
    public async Task CopyUrl_Clicked_CopiesTheAbsoluteUrlThroughTheModule()
    {
        var fakes = new FakeTrainingServices();
        fakes.Models.Add(FakeTrainingServices.Model(7));
        fakes.Versions[7] = [FakeTrainingServices.Version(7, 1, ModelPublishing.PublishedTag)];
        await using var harness = new ConsoleTestContext(configure: fakes.Register);
        var module = harness.JSInterop.SetupModule("./js/pages.js");
        var copy = module.Setup<bool>("copyText", _ => true);
        copy.SetResult(true);
        var providers = harness.RenderProviders();
        var cut = await harness.RenderAsync<ModelPage>(new Dictionary<string, object?> { [nameof(ModelPage.ModelId)] = 7L });

        cut.Find("button[data-test=copy-url]").Click();

        cut.WaitForAssertion(() => Assert.Equal(PackageUrl, Assert.Single(copy.Invocations).Arguments[0]));
        providers.WaitForAssertion(() => Assert.Contains("The download URL is copied.", providers.Markup, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Predict_ThresholdMovedAndVersionPicked_VerdictFollowsAndTheChosenVersionScores()
    {
        var fakes = new FakeTrainingServices();
        fakes.Models.Add(FakeTrainingServices.Model(7) with { LatestVersionNumber = 2 });
        fakes.Versions[7] = [FakeTrainingServices.Version(7, 1), FakeTrainingServices.Version(7, 2, "production")];
        fakes.Predictions[2] = [new LabelScore(0, "ants", 0.62f), new LabelScore(1, "bees", 0.38f)];
        fakes.Predictions[1] = [new LabelScore(1, "bees", 0.81f), new LabelScore(0, "ants", 0.19f)];
        await using var harness = new ConsoleTestContext(configure: fakes.Register);
        var cut = await harness.RenderAsync<PredictPage>(new Dictionary<string, object?> { [nameof(PredictPage.ModelId)] = 7L });
        // No evaluation to suggest a threshold: 0.50.
        Assert.Equal("0.50", cut.Find("[data-test=predict-threshold-value]").Text());

        cut.FindComponent<Microsoft.AspNetCore.Components.Forms.InputFile>().UploadFiles(InputFileContent.CreateFromBinary([1, 2, 3], "bee.jpg", contentType: "image/jpeg"));

        cut.WaitForAssertion(() => Assert.Equal("Predicted: ants", cut.Find("[data-test=predict-verdict]").Text()));
        Assert.Equal([(int?)2], fakes.PredictedVersions);

        cut.Find("[data-test=predict-threshold] input[type=range], input[type=range]").Input("0.7");
        Assert.Equal("No label reaches the threshold 0.70 (best: ants 0.620).", cut.Find("[data-test=predict-verdict]").Text());
        Assert.Equal("false", cut.Find("li[data-label=ants]").GetAttribute("data-predicted"));

        var select = cut.FindComponent<MudBlazor.MudSelect<int>>();
        await cut.InvokeAsync(() => select.Instance.ValueChanged.InvokeAsync(1));

        cut.WaitForAssertion(() => Assert.Equal("Predicted: bees", cut.Find("[data-test=predict-verdict]").Text()));
        Assert.Equal([(int?)2, 1], fakes.PredictedVersions);
        // Picking a version without an evaluation puts the threshold back to 0.50.
        Assert.Equal("0.50", cut.Find("[data-test=predict-threshold-value]").Text());
        Assert.Contains("(v1,", cut.Find("h2").Text(), StringComparison.Ordinal);
    }
}
