using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Storage;
using VisionConsole.Tests.Trainer.Jobs;

namespace VisionConsole.Tests.Web.Api;

/// <summary>
/// Model-assisted labeling on hymenoptera: a model trained on 40 labeled photos suggests labels for held-out photos
/// uploaded unlabeled; accepting the confident ones labels them, mostly right, and the audit names the model.
/// </summary>
public sealed class LabelSuggestionsApiTests
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    [Fact]
    public async Task SuggestThenAccept_ModelTrainedOnFortyPhotos_ConfidentOnesLabeledRightAndAuditedWithTheModel()
    {
        await using var host = TrainingHost.Start();
        var datasetId = await TrainingHost.ImportHymenopteraAsync(host.Services, "hymenoptera", trainPerLabel: 20, valPerLabel: 5);
        var trained = await host.WaitDoneAsync(await host.StartTrainingAsync(datasetId, "mobile-low-latency-1"), TimeSpan.FromMinutes(5));
        Assert.Equal("SUCCEEDED", TrainingHost.State(trained));
        var modelId = TrainingHost.ModelIdOf(trained);
        // Held-out photos (the val split's last ones, never imported), uploaded without labels; the file name keeps the truth.
        var truth = new Dictionary<string, string>(StringComparer.Ordinal);
        using (var form = new MultipartFormDataContent())
        {
            foreach (var label in new[] { "ants", "bees" })
            {
                foreach (var file in Directory.GetFiles(Path.Combine(SharedData.Hymenoptera, "val", label), "*.jpg").Order(StringComparer.Ordinal).TakeLast(6))
                {
                    var name = $"{label}-{Path.GetFileName(file)}";
                    truth[name] = label;
                    form.Add(new StreamContent(File.OpenRead(file)), "files", name);
                }
            }
            (await host.Client.PostAsync(new Uri($"/api/datasets/{datasetId}/images", UriKind.Relative), form)).EnsureSuccessStatusCode();
        }

        var suggested = await host.Client.PostAsJsonAsync($"/api/datasets/{datasetId}/label-suggestions", new { modelId, take = 50 });
        Assert.Equal(HttpStatusCode.OK, suggested.StatusCode);
        var page = (await suggested.Content.ReadFromJsonAsync<LabelSuggestionPage>(Json))!;
        Assert.Equal((12, 12, 0), (page.Unlabeled, page.Items.Count, page.Failed));
        Assert.Equal(page.Items.OrderByDescending(s => s.Score).Select(s => s.ImageId), page.Items.Select(s => s.ImageId));
        var confident = page.Items.Where(s => s.Score >= 0.8f).ToList();
        Assert.True(confident.Count >= 4, $"only {confident.Count} of 12 suggestions scored 0.8 or more");

        var accepted = await host.Client.PostAsJsonAsync($"/api/datasets/{datasetId}/label-suggestions:accept",
            new { modelId, items = confident.Select(s => new { s.ImageId, s.LabelId, s.Version }) });
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);

        var images = (await host.Client.GetFromJsonAsync<ImagePage>($"/api/datasets/{datasetId}/images?take=200", Json))!.Items.ToDictionary(i => i.Id);
        Assert.All(confident, s => Assert.Equal([s.Label], images[s.ImageId].Labels));
        var right = confident.Count(s => truth[images[s.ImageId].FileName] == s.Label);
        Assert.True(right >= confident.Count - 1, $"{right} of {confident.Count} accepted suggestions are right");
        var after = await (await host.Client.PostAsJsonAsync($"/api/datasets/{datasetId}/label-suggestions", new { modelId })).Content.ReadFromJsonAsync<LabelSuggestionPage>(Json);
        Assert.Equal(12 - confident.Count, after!.Unlabeled);
        await using var db = await host.Services.GetRequiredService<IDbContextFactory<ConsoleDbContext>>().CreateDbContextAsync();
        var ids = confident.Select(s => s.ImageId.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var audits = await db.AuditEvents.Where(a => a.EntityType == "image" && a.Action == "labels-changed" && ids.Contains(a.EntityId)).ToListAsync();
        Assert.Equal(confident.Count, audits.Count);
        Assert.All(audits, a => Assert.Contains($"suggested by model {modelId}", a.AfterJson, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Suggest_UnknownModelOrBadPage_RefusedWithProblemBodies()
    {
        await using var host = TrainingHost.Start();
        var datasetId = await TrainingHost.ImportHymenopteraAsync(host.Services, "tiny", trainPerLabel: 1, valPerLabel: 0);

        var unknown = await host.Client.PostAsJsonAsync($"/api/datasets/{datasetId}/label-suggestions", new { modelId = 999 });
        var badPage = await host.Client.PostAsJsonAsync($"/api/datasets/{datasetId}/label-suggestions", new { modelId = 999, take = 0 });

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badPage.StatusCode);
        Assert.Contains("invalid-query", await badPage.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
