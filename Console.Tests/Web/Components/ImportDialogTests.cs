using Bunit;
using Microsoft.Extensions.DependencyInjection;
using VisionConsole.Domain.Import;
using VisionConsole.Domain.Operations;
using VisionConsole.Web.Components.Pages.Datasets;

namespace VisionConsole.Tests.Web.Components;

/// <summary>The import dialog through its stages: choose, upload, importing, and the finished report with its errors.</summary>
public sealed class ImportDialogTests
{
    private static readonly DateTimeOffset Created = new(2026, 11, 2, 9, 0, 0, TimeSpan.Zero);

    private static OperationSummary Import(OperationState state, ImportProgress? progress, ImportResult? result, string? error = null) =>
        new(12, ImportRequest.Kind, state, 1, new ImportRequest(1, [new ImportFile("hive.zip", "/tmp/hive.zip")], ImportFormat.Auto), progress, result, error, null,
            Created, Created.AddSeconds(1), state is OperationState.Succeeded or OperationState.Failed ? Created.AddSeconds(9) : null, "tester");

    /// <summary>Opens the dialog as the dataset page does (through the dialog service, inside the providers).</summary>
    private static async Task<(IRenderedComponent<Microsoft.AspNetCore.Components.IComponent> Providers, ImportDialog Dialog)> OpenAsync(ConsoleTestContext harness)
    {
        // import.js as the browser runs it: attach gives an importer whose start begins the upload.
        var module = harness.JSInterop.SetupModule("./js/import.js");
        module.Mode = JSRuntimeMode.Loose;
        var importer = module.SetupModule(invocation => invocation.Identifier == "attach");
        importer.Mode = JSRuntimeMode.Loose;
        importer.Setup<bool>("start", _ => true).SetResult(true);
        var providers = harness.RenderProviders();
        var dialogs = harness.Services.GetRequiredService<MudBlazor.IDialogService>();
        await providers.InvokeAsync(() => dialogs.ShowAsync<ImportDialog>("Import", new MudBlazor.DialogParameters { [nameof(ImportDialog.DatasetId)] = 1L }));
        providers.WaitForAssertion(() => providers.Find("[data-test=import-dialog]"));
        return (providers, providers.FindComponent<ImportDialog>().Instance);
    }

    [Fact]
    public async Task Stages_ChooseUploadImportThenReport_EachShownWithItsFigures()
    {
        var fakes = new FakeTrainingServices();
        await using var harness = new ConsoleTestContext(configure: fakes.Register);
        var (cut, dialog) = await OpenAsync(harness);
        string Stage() => cut.Find("[data-test=import-dialog]").GetAttribute("data-stage")!;

        Assert.Equal("choosing", Stage());
        Assert.True(cut.Find("[data-test=import-start]").HasAttribute("disabled"));

        await cut.InvokeAsync(() => dialog.FilesChosen([new ChosenFile("hive.zip", 2048)]));
        Assert.StartsWith("1 file(s)", cut.Find("[data-test=import-chosen]").Text(), StringComparison.Ordinal);

        cut.Find("[data-test=import-start]").Click();
        cut.WaitForAssertion(() => Assert.Equal("uploading", Stage()));
        await cut.InvokeAsync(() => dialog.UploadProgress(1024, 2048));
        Assert.EndsWith("sent", cut.Find("[data-test=upload-bytes]").Text(), StringComparison.Ordinal);

        fakes.Operations.Add(Import(OperationState.Running, new ImportProgress(ImportPhase.Importing, 1, 3, 1, 0, 0, 0, 0, "importing 1/3"), null));
        await cut.InvokeAsync(() => dialog.UploadFinished(new UploadOutcome(12, null)));
        cut.WaitForAssertion(() => Assert.Equal("importing", Stage()));
        Assert.Equal("Running", cut.Find("[data-test=import-state]").Text());
        Assert.Equal("1", cut.Find("[data-test=import-imported]").Text());

        fakes.Operations.Clear();
        fakes.Operations.Add(Import(OperationState.Succeeded, null, new ImportResult(ImportFormat.Csv, 3, 2, 0, 1, 0, 1, 1, 2, 0, "reports/import-12.csv")));
        fakes.ImportReports[12] = new ImportReportPage([new ImportIssue(ImportSeverity.Error, "labels.csv", 3, null, "The image 'c.jpg' is not in the upload.")], 1);
        harness.Services.GetRequiredService<IOperationNotifier>().Publish(new OperationUpdate(fakes.Operations[0], Created));

        cut.WaitForAssertion(() => Assert.Equal("finished", Stage()), TimeSpan.FromSeconds(30));
        cut.WaitForAssertion(() => Assert.Equal("labels.csv, line 3", cut.Find("[data-test=import-report-rows] .import-issue-source").Text()));
        Assert.Equal("1", cut.Find("[data-test=import-errors]").Text());
        Assert.Equal("2", cut.Find("[data-test=import-imported]").Text());
        Assert.Equal("api/imports/12/report", cut.Find("[data-test=import-report]").GetAttribute("href"));
    }

    [Fact]
    public async Task Stages_ImportThatImportedNothing_ShowsFailedWithTheReason()
    {
        var fakes = new FakeTrainingServices();
        fakes.Operations.Add(Import(OperationState.Failed, null, new ImportResult(ImportFormat.Csv, 2, 0, 0, 2, 0, 2, 0, 0, 0, "reports/import-12.csv"),
            "Nothing was imported: every image was refused (see the report)."));
        await using var harness = new ConsoleTestContext(configure: fakes.Register);
        var (cut, dialog) = await OpenAsync(harness);

        await cut.InvokeAsync(() => dialog.FilesChosen([new ChosenFile("bad.csv", 10)]));
        cut.Find("[data-test=import-start]").Click();
        await cut.InvokeAsync(() => dialog.UploadFinished(new UploadOutcome(12, null)));

        cut.WaitForAssertion(() => Assert.Equal("Nothing was imported: every image was refused (see the report).", cut.Find("[data-test=import-failure]").Text()));
        Assert.Equal("Failed", cut.Find("[data-test=import-state]").Text());
    }
}
