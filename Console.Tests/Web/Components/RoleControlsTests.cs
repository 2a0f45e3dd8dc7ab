using Bunit;
using VisionConsole.Domain;
using VisionConsole.Domain.Accounts;
using VisionConsole.Domain.Datasets;
using VisionConsole.Web;
using VisionConsole.Web.Components.Pages.Datasets;
using VisionConsole.Web.Components.Pages.Models;

namespace VisionConsole.Tests.Web.Components;

/// <summary>Pages render the controls the circuit account's role allows, and a handler refuses the rest.</summary>
public sealed class RoleControlsTests
{
    [Fact]
    public async Task DatasetList_Viewer_NoCreateOrDeleteControls()
    {
        var service = new InMemoryDatasetService();
        service.AddDataset("insects", images: [InMemoryDatasetService.Image(1)]);
        await using var context = new ConsoleTestContext(service, role: ProjectRole.Viewer);

        var cut = context.Render<DatasetList>();

        cut.WaitForElements(".dataset-table tbody tr", 1);
        Assert.Empty(cut.FindAll("[data-test=create-dataset]"));
        Assert.Empty(cut.FindAll("[data-test=delete-dataset]"));
    }

    [Fact]
    public async Task DatasetList_Editor_CreateAndDeleteControls()
    {
        var service = new InMemoryDatasetService();
        service.AddDataset("insects", images: [InMemoryDatasetService.Image(1)]);
        await using var context = new ConsoleTestContext(service, role: ProjectRole.Editor);

        var cut = context.Render<DatasetList>();

        cut.WaitForElements(".dataset-table tbody tr", 1);
        Assert.Single(cut.FindAll("[data-test=create-dataset]"));
        Assert.Single(cut.FindAll("[data-test=delete-dataset]"));
    }

    [Fact]
    public async Task ImageBrowser_Labeler_LabelButtonsButNoSplitDeleteOrLabelSet()
    {
        var (service, dataset) = Seed();
        await using var context = new ConsoleTestContext(service, role: ProjectRole.Labeler);

        var cut = RenderBrowser(context, service, dataset);

        Assert.NotEmpty(cut.FindAll("[data-test=label-bar] button[data-label-id]"));
        Assert.Single(cut.FindAll("[data-test=remove-labels]"));
        Assert.Empty(cut.FindAll("[data-test=split-menu]"));
        Assert.Empty(cut.FindAll("[data-test=delete-images]"));
        Assert.Empty(cut.FindAll("[data-test=new-label-form]"));
        Assert.Empty(cut.FindAll("[data-test=manage-labels]"));
    }

    [Fact]
    public async Task ImageBrowser_Viewer_NoLabelBarAndNumberKeysChangeNothing()
    {
        var (service, dataset) = Seed();
        await using var context = new ConsoleTestContext(service, role: ProjectRole.Viewer);
        var cut = RenderBrowser(context, service, dataset);

        cut.FindAll(".image-tile")[0].Click();
        cut.Find("[data-test=labeling-area]").KeyDown(new Microsoft.AspNetCore.Components.Web.KeyboardEventArgs { Key = "2" });

        Assert.Empty(cut.FindAll("[data-test=label-bar]"));
        Assert.Empty(service.LabelChanges);
    }

    [Fact]
    public async Task ModelPage_Viewer_NoDeleteOrPublish()
    {
        var fakes = new FakeTrainingServices();
        fakes.Models.Add(FakeTrainingServices.Model(7));
        await using var context = new ConsoleTestContext(configure: fakes.Register, role: ProjectRole.Viewer);

        var cut = await context.RenderAsync<ModelPage>(new Dictionary<string, object?> { [nameof(ModelPage.ModelId)] = 7L });

        Assert.Equal("Ants and bees model", cut.Find("[data-test=model-name]").Text());
        Assert.Empty(cut.FindAll("[data-test=delete-model]"));
        Assert.Empty(cut.FindAll("[data-test=publish-1]"));
        Assert.Single(cut.FindAll("[data-test=open-evaluation]"));
    }

    [Theory]
    [InlineData(ProjectRole.Viewer, ProjectPermission.Label, "This needs the labeler role in project 'default'; you have the viewer role.")]
    [InlineData(ProjectRole.Labeler, ProjectPermission.Edit, "This needs the editor role in project 'default'; you have the labeler role.")]
    [InlineData(null, ProjectPermission.Read, "This needs the viewer role in project 'default'; you are not a member.")]
    public void Require_RoleTooLow_ThrowsNamingTheRoleNeededAndHeld(ProjectRole? role, ProjectPermission permission, string message)
    {
        var user = new CircuitUser { Role = role };

        var refused = Assert.Throws<DomainException>(() => user.Require(permission));

        Assert.Equal(("permission-denied", message), (refused.Code, refused.Message));
        Assert.False(user.Can(permission));
    }

    [Fact]
    public void Require_RoleHighEnough_Passes()
    {
        var user = new CircuitUser { Role = ProjectRole.Reviewer };

        user.Require(ProjectPermission.Label);

        Assert.True(user.Can(ProjectPermission.Review));
        Assert.False(user.Can(ProjectPermission.Edit));
    }

    private static (InMemoryDatasetService Service, DatasetSummary Dataset) Seed()
    {
        var service = new InMemoryDatasetService();
        var dataset = service.AddDataset("insects", images: Enumerable.Range(1, 4).Select(i => InMemoryDatasetService.Image(i, DataSplit.Train, i % 2 == 0 ? "bees" : "ants")));
        return (service, dataset);
    }

    private static IRenderedComponent<ImageBrowser> RenderBrowser(ConsoleTestContext context, InMemoryDatasetService service, DatasetSummary dataset) =>
        context.Render<ImageBrowser>(p => p
            .Add(x => x.DatasetId, dataset.Id)
            .Add(x => x.Labels, service.ListLabelsAsync(dataset.Id).Result)
            .Add(x => x.Kind, dataset.Kind));
}
