using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Components;
using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;
using VisionConsole.Web.Components.Pages.Training;

namespace VisionConsole.Tests.Web.Components;

/// <summary>The new-training form: messages as the user types, nothing sent while invalid, the server's refusal shown.</summary>
public sealed class NewTrainingTests
{
    private static InMemoryDatasetService Bees()
    {
        var datasets = new InMemoryDatasetService();
        datasets.AddDataset("Hive photos", DatasetKind.SingleLabel,
            [InMemoryDatasetService.Image(1, DataSplit.Train, "ants"), InMemoryDatasetService.Image(2, DataSplit.Train, "bees")]);
        return datasets;
    }

    private static Task<IRenderedComponent<NewTraining>> RenderAsync(ConsoleTestContext harness) =>
        harness.RenderAsync<NewTraining>(new Dictionary<string, object?> { [nameof(NewTraining.DatasetId)] = 1L });

    [Fact]
    public async Task Typing_EmptyNameAndZeroBudget_ShowsEachMessageAndStartSendsNothing()
    {
        var fakes = new FakeTrainingServices();
        await using var harness = new ConsoleTestContext(Bees(), fakes.Register);
        var cut = await RenderAsync(harness);
        Assert.Equal("Hive photos model", cut.Find("input[data-test=model-name], [data-test=model-name] input").GetAttribute("value"));

        cut.Find("input[data-test=model-name], [data-test=model-name] input").Input("");
        cut.Find("input[data-test=budget-minutes], [data-test=budget-minutes] input").Input("0");

        cut.WaitForAssertion(() =>
        {
            var messages = cut.FindAll(".mud-input-helper-text.mud-input-error, .mud-input-error .mud-input-helper-text").Select(e => e.Text()).ToList();
            Assert.Contains("Give the model a name.", messages);
            Assert.Contains("The time budget must be more than 0 minutes.", messages);
        });
        Assert.Equal("= 0 milli node hours (0 node hours)", cut.Find("[data-test=node-hours]").Text());

        cut.Find("button[data-test=start-training]").Click();

        Assert.Empty(fakes.Started);
        Assert.Equal("http://localhost/", harness.Services.GetRequiredService<NavigationManager>().Uri);
    }

    [Fact]
    public async Task Start_ValidForm_QueuesTheRequestAndOpensItsOperation()
    {
        var fakes = new FakeTrainingServices();
        await using var harness = new ConsoleTestContext(Bees(), fakes.Register);
        var cut = await RenderAsync(harness);

        cut.Find("input[data-test=model-name], [data-test=model-name] input").Input("  Bee spotter  ");
        cut.Find("input[data-test=budget-minutes], [data-test=budget-minutes] input").Input("2.5");
        cut.Find("button[data-test=start-training]").Click();

        cut.WaitForAssertion(() => Assert.Single(fakes.Started));
        var request = fakes.Started[0];
        Assert.Equal(("Bee spotter", 1L, "mobile-versatile-1", 2.5), (request.DisplayName, request.DatasetId, request.ModelType, request.BudgetMinutes!.Value));
        Assert.EndsWith("/operations/99", harness.Services.GetRequiredService<NavigationManager>().Uri, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_ServerRefuses_ShowsItsMessageOnTheForm()
    {
        var fakes = new FakeTrainingServices { StartRefusal = new DomainException("dataset-not-ready", "No VALIDATION image is labeled 'bees'; label one or re-split the dataset.") };
        await using var harness = new ConsoleTestContext(Bees(), fakes.Register);
        var cut = await RenderAsync(harness);

        cut.Find("button[data-test=start-training]").Click();

        cut.WaitForAssertion(() => Assert.Equal("No VALIDATION image is labeled 'bees'; label one or re-split the dataset.", cut.Find("[data-test=training-error]").Text()));
    }

    [Theory]
    [InlineData(null, "Enter a time budget in minutes.")]
    [InlineData(-1.0, "The time budget must be more than 0 minutes.")]
    [InlineData(0.5, null)]
    public void BudgetError_Value_SaysWhatIsWrong(double? minutes, string? expected) =>
        Assert.Equal(expected, NewTraining.BudgetError(minutes));
}
