using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using VisionConsole.Domain.Datasets;
using VisionConsole.Web.Components.Pages.Datasets;

namespace VisionConsole.Tests.Web.Components;

public sealed class PresenceComponentsTests
{
    [Fact]
    public async Task ImageGrid_ViewersOnAnImage_TileNamesThem()
    {
        await using var context = new ConsoleTestContext();
        ImageSummary[] images = [InMemoryDatasetService.Image(1), InMemoryDatasetService.Image(2)];
        var viewers = new[] { (Id: 2L, User: "lena"), (Id: 2L, User: "lars") }.ToLookup(v => v.Id, v => v.User);

        var cut = context.Render<ImageGrid>(p => p.Add(x => x.Images, images).Add(x => x.Viewers, viewers));

        var badge = cut.Find("li[data-image-id='2'] [data-test=tile-presence]");
        Assert.Equal("lena, lars", badge.TextContent);
        Assert.Empty(cut.FindAll("li[data-image-id='1'] [data-test=tile-presence]"));
    }

    [Fact]
    public void CircuitPresence_ConnectionDownThenUp_OthersStopSeeingThePageThenSeeItAgain()
    {
        var presence = new DatasetPresence(NullLogger<DatasetPresence>.Instance);
        var circuit = new CircuitPresence(presence);
        using var session = circuit.Open("lena", 7, 12, () => { });

        circuit.SuspendAll();
        var whileDown = presence.Snapshot(7).People;
        circuit.ResumeAll();

        Assert.Empty(whileDown);
        Assert.Equal([new PresenceEntry("lena", 12)], presence.Snapshot(7).People);
        session.Dispose();
        Assert.Empty(presence.Snapshot(7).People);
    }
}
