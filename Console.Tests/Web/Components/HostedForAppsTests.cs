using Bunit;
using VisionConsole.Domain.Hosting;
using VisionConsole.Web.Components.Pages.Models;

namespace VisionConsole.Tests.Web.Components;

/// <summary>The model page's hosting card: which hosted models it lists, and hosting under a new name.</summary>
public sealed class HostedForAppsTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 3, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Render_HostedModels_ListsOnlyThoseWithThisModelsFileAndTheirRollbacks()
    {
        var fakes = new FakeTrainingServices();
        fakes.Hosted.Add(new HostedModelView(1, "bugs", [], true, 2, "1", At, At,
            [new HostedVersionView(1, 7, 1, new string('a', 64), 1024 * 1024, At), new HostedVersionView(2, 9, 1, new string('b', 64), 1024 * 1024, At)]));
        fakes.Hosted.Add(new HostedModelView(2, "other", [], false, 1, "1", At, At, [new HostedVersionView(1, 9, 1, new string('c', 64), 1024, At)]));
        await using var harness = new ConsoleTestContext(configure: fakes.Register);

        var cut = await harness.RenderAsync<HostedForApps>(new Dictionary<string, object?> { [nameof(HostedForApps.ModelId)] = 7L });

        var row = cut.Find("[data-hosted=bugs]");
        Assert.Contains("v2 active (model 9 v1, hash bbbbbbbbbbbb", row.TextContent, StringComparison.Ordinal);
        Assert.NotNull(row.QuerySelector("[data-test=hosted-replace]"));
        Assert.NotNull(row.QuerySelector("[data-test=hosted-rollback-1]"));
        Assert.Empty(cut.FindAll("[data-hosted=other]"));
    }

    [Fact]
    public async Task Host_NameTyped_CreatesPublishedFromThisModelAndListsIt()
    {
        var fakes = new FakeTrainingServices();
        await using var harness = new ConsoleTestContext(configure: fakes.Register);
        var cut = await harness.RenderAsync<HostedForApps>(new Dictionary<string, object?> { [nameof(HostedForApps.ModelId)] = 7L });

        cut.Find("input[data-test=hosted-name], [data-test=hosted-name] input").Change("bugs");
        cut.Find("button[data-test=hosted-create]").Click();

        cut.WaitForAssertion(() => Assert.Contains("v1 active (model 7 v1", cut.Find("[data-hosted=bugs]").TextContent, StringComparison.Ordinal));
        var hosted = Assert.Single(fakes.Hosted);
        Assert.True(hosted.Published);
    }
}
