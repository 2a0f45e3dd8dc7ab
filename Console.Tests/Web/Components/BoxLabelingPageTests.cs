using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using VisionConsole.Domain.Datasets;
using VisionConsole.Tests.Domain;
using VisionConsole.Tests.Domain.Imaging;
using VisionConsole.Web.Components.Pages.Labeling;

namespace VisionConsole.Tests.Web.Components;

/// <summary>The box labeling page's server side over the real domain services (SQLite file, raccoon photos); the canvas calls are made directly.</summary>
public sealed class BoxLabelingPageTests : IAsyncLifetime
{
    private TestDatabase _database = null!;
    private long _dataset;
    private long _dog;
    private long _raccoon;
    private long[] _images = [];

    private IBoxLabeling Boxes => _database.Get<IBoxLabeling>();

    public async Task InitializeAsync()
    {
        _database = await VisionConsole.Tests.Domain.Import.ImportJobFixture.CreateAsync();
        var datasets = _database.Get<IDatasetService>();
        _dataset = (await datasets.CreateAsync("raccoons", DatasetKind.ObjectDetection, "ann")).Id;
        _dog = (await datasets.AddLabelAsync(_dataset, "dog", "ann")).Id;
        _raccoon = (await datasets.AddLabelAsync(_dataset, "raccoon", "ann")).Id;
        var ids = new List<long>();
        foreach (var file in new[] { "raccoon-1.jpg", "raccoon-2.jpg" })
        {
            await using var content = File.OpenRead(TestImages.Raccoon($"images/{file}"));
            ids.Add((await _database.Get<IImageIntake>().AddAsync(_dataset, file, content, "ann")).ImageId!.Value);
        }
        _images = [.. ids];
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    private ConsoleTestContext NewContext()
    {
        var context = new ConsoleTestContext(_database.Get<IDatasetService>(), services =>
        {
            services.AddSingleton(Boxes);
            // The notifier the domain services publish on.
            services.AddSingleton(_database.Get<IDatasetChangeNotifier>());
        });
        context.JSInterop.SetupModule("./js/boxes.js").Mode = JSRuntimeMode.Loose;
        return context;
    }

    [Fact]
    public async Task DrawNumberKeyNudge_SavedWithTheLabelAndShownInTheList()
    {
        await using var context = NewContext();
        var cut = await context.RenderAsync<BoxLabelingPage>(new Dictionary<string, object?> { ["DatasetId"] = _dataset, ["ImageId"] = _images[0] });

        await cut.InvokeAsync(() => cut.Instance.OnDrawn(new BoxRect(0.1, 0.2, 0.3, 0.4)));
        await cut.InvokeAsync(() => cut.Instance.OnKey("2", false, false));
        await cut.InvokeAsync(() => cut.Instance.OnKey("ArrowRight", true, false));

        cut.WaitForAssertion(() => Assert.Equal("Saved", cut.Find("[data-test=save-status]").TextContent));
        var stored = await Boxes.GetBoxesAsync(_dataset, _images[0]);
        var box = Assert.Single(stored.Boxes);
        Assert.Equal(("raccoon", "tester"), (box.Label, stored.ChangedBy));
        Assert.Equal(0.1 + 10.0 / stored.Width, box.Left, 9);
        Assert.Equal("raccoon", cut.Find("[data-test=box-row]").GetAttribute("data-label"));
        Assert.Equal("1 box", cut.Find("[data-test=box-state]").TextContent.Trim());
    }

    [Fact]
    public async Task Next_AfterAnEdit_SavesThenNavigates()
    {
        await using var context = NewContext();
        var cut = await context.RenderAsync<BoxLabelingPage>(new Dictionary<string, object?> { ["DatasetId"] = _dataset, ["ImageId"] = _images[0] });

        await cut.InvokeAsync(() => cut.Instance.OnDrawn(new BoxRect(0.1, 0.2, 0.3, 0.4)));
        await cut.InvokeAsync(() => cut.Instance.OnKey("Escape", false, false));
        await cut.InvokeAsync(() => cut.Instance.OnKey("ArrowRight", false, false));

        Assert.Single((await Boxes.GetBoxesAsync(_dataset, _images[0])).Boxes);
        Assert.EndsWith($"datasets/{_dataset}/boxes/{_images[1]}", context.Services.GetRequiredService<NavigationManager>().Uri, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Save_AfterSomeoneElseSaved_RefusedBoxesReloadedAndSaid()
    {
        await using var context = NewContext();
        var cut = await context.RenderAsync<BoxLabelingPage>(new Dictionary<string, object?> { ["DatasetId"] = _dataset, ["ImageId"] = _images[0] });
        await Boxes.SaveBoxesAsync(_dataset, _images[0], 0, [new BoxEdit(null, _dog, new BoxRect(0.5, 0.5, 0.2, 0.2))], false, "bob");

        await cut.InvokeAsync(() => cut.Instance.OnDrawn(new BoxRect(0.1, 0.1, 0.2, 0.2)));

        cut.WaitForAssertion(() => Assert.Contains("bob saved this image's boxes", cut.Find("[data-test=box-conflict]").TextContent, StringComparison.Ordinal));
        Assert.Equal("dog", cut.Find("[data-test=box-row]").GetAttribute("data-label"));
        var stored = await Boxes.GetBoxesAsync(_dataset, _images[0]);
        Assert.Equal((1L, "bob", 0.5), (stored.Version, stored.ChangedBy, Assert.Single(stored.Boxes).Left));
    }

    [Fact]
    public async Task SomeoneElseSaves_SaidAndReloadShowsTheirBoxes_OwnSavesSayNothing()
    {
        await using var context = NewContext();
        var cut = await context.RenderAsync<BoxLabelingPage>(new Dictionary<string, object?> { ["DatasetId"] = _dataset, ["ImageId"] = _images[0] });
        await cut.InvokeAsync(() => cut.Instance.OnDrawn(new BoxRect(0.1, 0.1, 0.2, 0.2)));
        cut.WaitForAssertion(() => Assert.Equal("Saved", cut.Find("[data-test=save-status]").TextContent));
        var own = cut.FindAll("[data-test=box-changed-elsewhere]").Count;
        var stored = await Boxes.GetBoxesAsync(_dataset, _images[0]);

        await Boxes.SaveBoxesAsync(_dataset, _images[0], stored.Version, [new BoxEdit(stored.Boxes[0].Id, _dog, new BoxRect(0.5, 0.5, 0.2, 0.2))], false, "bob");

        cut.WaitForAssertion(() => Assert.Contains("bob saved this image's boxes", cut.Find("[data-test=box-changed-elsewhere]").TextContent, StringComparison.Ordinal));
        Assert.Equal(0, own);
        await cut.Find("[data-test=reload-boxes]").ClickAsync(new Microsoft.AspNetCore.Components.Web.MouseEventArgs());
        cut.WaitForAssertion(() => Assert.Equal("dog", cut.Find("[data-test=box-row]").GetAttribute("data-label")));
        Assert.Empty(cut.FindAll("[data-test=box-changed-elsewhere]"));
    }

    [Fact]
    public async Task CopyPreviousAndNoObjects_OnTheSecondImage()
    {
        await Boxes.SaveBoxesAsync(_dataset, _images[0], 0, [new BoxEdit(null, _dog, new BoxRect(0.5, 0.5, 0.2, 0.2))], false, "bob");
        await using var context = NewContext();
        var cut = await context.RenderAsync<BoxLabelingPage>(new Dictionary<string, object?> { ["DatasetId"] = _dataset, ["ImageId"] = _images[1] });

        await cut.InvokeAsync(() => cut.Instance.OnKey("n", false, false));
        cut.WaitForAssertion(() => Assert.Equal("Saved", cut.Find("[data-test=save-status]").TextContent));
        var none = await Boxes.GetBoxesAsync(_dataset, _images[1]);
        await cut.InvokeAsync(() => cut.Instance.OnKey("c", false, false));
        cut.WaitForAssertion(() => Assert.Equal("Saved", cut.Find("[data-test=save-status]").TextContent));

        Assert.Equal(BoxLabelState.NoObjects, none.State);
        var copied = await Boxes.GetBoxesAsync(_dataset, _images[1]);
        Assert.Equal(BoxLabelState.Boxes, copied.State);
        Assert.Equal((_dog, 0.5), (Assert.Single(copied.Boxes).LabelId, copied.Boxes[0].Left));
    }

    [Fact]
    public async Task ClassificationDataset_SaysSo()
    {
        var pets = await _database.Get<IDatasetService>().CreateAsync("pets", DatasetKind.SingleLabel, "ann");
        await using var context = NewContext();

        var cut = await context.RenderAsync<BoxLabelingPage>(new Dictionary<string, object?> { ["DatasetId"] = pets.Id });

        Assert.Contains("is for classification", cut.Find("[data-test=boxes-error]").TextContent, StringComparison.Ordinal);
    }
}
