using Bunit;
using VisionConsole.Domain.Datasets;
using VisionConsole.Web.Components.Pages.Datasets;

namespace VisionConsole.Tests.Web.Components;

/// <summary>The viewer when someone else labeled the image first: their labels are shown, and one click applies mine on top.</summary>
public sealed class ImageViewerConflictTests
{
    [Fact]
    public async Task Label_SomeoneElseLabeledItFirst_ShowsTheirsThenApplyMineAgainOnTheNewVersion()
    {
        var service = new InMemoryDatasetService();
        var dataset = service.AddDataset("insects", DatasetKind.MultiLabel, [InMemoryDatasetService.Image(1), InMemoryDatasetService.Image(2)]);
        await service.AddLabelAsync(dataset.Id, "ants", "tester");
        await service.AddLabelAsync(dataset.Id, "bees", "tester");
        var labels = await service.ListLabelsAsync(dataset.Id);
        var ants = labels.Single(l => l.Name == "ants");
        var bees = labels.Single(l => l.Name == "bees");
        await using var context = new ConsoleTestContext(service);
        var cut = context.Render<ImageViewer>(p => p.Add(x => x.DatasetId, dataset.Id).Add(x => x.Query, new ImageQuery()).Add(x => x.Index, 0)
            .Add(x => x.Labels, labels).Add(x => x.Kind, DatasetKind.MultiLabel));
        cut.WaitForAssertion(() => Assert.Equal("photo-00001.jpg", cut.Find("[data-test=viewer-name]").TextContent));

        // Another person labels it bees meanwhile (version 1 -> 2), then this viewer's click on ants is based on version 1.
        await service.ChangeLabelsAsync(dataset.Id, new LabelChange([1], [bees.Id], []), "lars");
        await cut.InvokeAsync(() => cut.Find($".image-viewer-bar button[data-label-id='{ants.Id}']").Click());

        cut.WaitForAssertion(() => Assert.Contains("Someone else changed this image's labels", cut.Find("[data-test=viewer-error]").TextContent, StringComparison.Ordinal));
        Assert.Equal(["bees"], cut.FindAll("[data-test=viewer-labels] .image-label").Select(l => l.TextContent));
        Assert.Contains("+ants", cut.Find("[data-test=viewer-reapply]").TextContent, StringComparison.Ordinal);

        await cut.InvokeAsync(() => cut.Find("[data-test=viewer-reapply]").Click());

        var (change, _) = service.LabelChanges[^1];
        Assert.Equal([ants.Id], change.Add);
        Assert.Equal(2, change.ExpectedVersions![1]);
        Assert.Equal(["ants", "bees"], (await service.QueryImagesAsync(dataset.Id, new ImageQuery())).Items.Single(i => i.Id == 1).Labels);
    }
}
