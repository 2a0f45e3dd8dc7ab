using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Models;
using VisionConsole.Tests.Trainer.Jobs;
using Xunit.Abstractions;

namespace VisionConsole.Tests.Web.Api;

/// <summary>
/// The whole flow on the real hymenoptera set (train 245 / val 153) through the AutoML-shaped API: create a
/// versatile model, poll its operation, read its evaluations, predict validation images.
/// </summary>
public sealed class ModelsApiEndToEndTests(ITestOutputHelper output)
{
    [Fact]
    public async Task CreateModel_HymenopteraVersatile_TrainsEvaluatesAndPredicts()
    {
        await using var host = TrainingHost.Start();
        var datasetId = await TrainingHost.ImportHymenopteraAsync(host.Services, "hymenoptera", trainPerLabel: null, valPerLabel: null);
        await using (var db = host.OpenContext())
        {
            Assert.Equal(245, await db.Images.CountAsync(i => i.DatasetId == datasetId && i.Split == DataSplit.Train));
            Assert.Equal(153, await db.Images.CountAsync(i => i.DatasetId == datasetId && i.Split == DataSplit.Validation));
        }

        var clock = Stopwatch.StartNew();
        var operationId = await host.StartTrainingAsync(datasetId, "mobile-versatile-1", displayName: "hymenoptera versatile");
        var operation = await host.WaitDoneAsync(operationId, TimeSpan.FromMinutes(8));
        clock.Stop();
        Assert.True(operation.GetProperty("done").GetBoolean(), $"Not done: {operation}");
        Assert.False(operation.TryGetProperty("error", out var error), $"Failed: {error}");
        Assert.Equal("SUCCEEDED", TrainingHost.State(operation));
        var modelId = TrainingHost.ModelIdOf(operation);
        var progress = operation.GetProperty("metadata").GetProperty("progress");
        output.WriteLine($"Training wall time (POST to done, polled every 100 ms): {clock.Elapsed.TotalSeconds:0.0} s; job's own clock {progress.GetProperty("elapsedSeconds").GetDouble():0.0} s; " +
            $"{progress.GetProperty("embeddingsComputed").GetInt32()} embeddings computed, {progress.GetProperty("embeddingsCached").GetInt32()} cached, {progress.GetProperty("epoch").GetInt32()} epochs, stop reason {operation.GetProperty("metadata").GetProperty("stopReason").GetString()}");

        // The model resource.
        var model = JsonNode.Parse(await host.Client.GetStringAsync($"{TrainingHost.Api}/models/{modelId}"))!;
        Assert.Equal("hymenoptera versatile", model["displayName"]!.GetValue<string>());
        Assert.Equal("mobile-versatile-1", model["imageClassificationModelMetadata"]!["modelType"]!.GetValue<string>());
        Assert.Equal(["ants", "bees"], model["labels"]!.AsArray().Select(l => l!.GetValue<string>()));
        var list = JsonNode.Parse(await host.Client.GetStringAsync($"{TrainingHost.Api}/models"))!;
        Assert.Contains(list["model"]!.AsArray(), m => m!["name"]!.GetValue<string>().EndsWith($"/models/{modelId}", StringComparison.Ordinal));

        // Evaluations: overall + one per label, on the 153 VALIDATION images (TEST is empty, so stopping used a TRAIN hold-out).
        var evaluations = JsonNode.Parse(await host.Client.GetStringAsync($"{TrainingHost.Api}/models/{modelId}/modelEvaluations"))!["modelEvaluation"]!.AsArray();
        Assert.Equal(3, evaluations.Count);
        var overall = evaluations.Single(e => e!["annotationSpecId"] is null)!;
        Assert.Equal(153, overall["evaluatedExampleCount"]!.GetValue<int>());
        var metrics = overall["classificationEvaluationMetrics"]!;
        var accuracy = metrics["top1Accuracy"]!.GetValue<double>();
        var rows = metrics["confusionMatrix"]!["row"]!.AsArray().Select(r => r!["exampleCount"]!.AsArray().Select(c => c!.GetValue<int>()).ToArray()).ToArray();
        var correct = rows[0][0] + rows[1][1];
        output.WriteLine($"Validation top-1 accuracy {accuracy:0.0000} ({correct}/153), auPrc {metrics["auPrc"]!.GetValue<double>():0.0000}, confusion [[{string.Join(",", rows[0])}],[{string.Join(",", rows[1])}]]");
        Assert.True(accuracy >= 0.95, $"Validation accuracy {accuracy} is below 0.95");
        Assert.Equal(accuracy, correct / 153.0, 9);
        Assert.Equal(153, rows.Sum(r => r.Sum()));
        Assert.Equal(21, metrics["confidenceMetricsEntry"]!.AsArray().Count);
        Assert.InRange(metrics["auPrc"]!.GetValue<double>(), 0.9, 1.0);
        Assert.Equal(2, evaluations.Count(e => e!["annotationSpecId"] is not null && e["classificationEvaluationMetrics"]!["confidenceMetricsEntry"]!.AsArray().Count == 21));

        // :predict on validation images: the JSON payload and a multipart upload answer the true label first,
        // with the score the evaluation stored for that image.
        var stored = await host.Get<IModelService>().GetEvaluationAsync(long.Parse(modelId, System.Globalization.CultureInfo.InvariantCulture));
        static int Top(IReadOnlyList<float> scores) => scores.Select((s, i) => (s, i)).MaxBy(p => p.s).i;
        foreach (var label in new[] { "bees", "ants" })
        {
            // The first validation image of the label that the evaluation scored right (a few are scored wrong).
            var evaluated = stored.Images.Where(i => stored.Labels[i.TrueLabels[0]] == label && Top(i.Scores) == i.TrueLabels[0])
                .OrderBy(i => i.FileName, StringComparer.Ordinal).First();
            var file = Path.Combine(Domain.Import.ImportTestData.Hymenoptera, "val", label, evaluated.FileName);
            var bytes = await File.ReadAllBytesAsync(file);
            var top = Top(evaluated.Scores);

            var json = await host.Client.PostAsJsonAsync($"{TrainingHost.Api}/models/{modelId}:predict", new
            {
                payload = new { image = new { imageBytes = Convert.ToBase64String(bytes) } },
                @params = new Dictionary<string, string> { ["score_threshold"] = "0.0" },
            });
            var jsonBody = await json.Content.ReadAsStringAsync();
            Assert.True(json.IsSuccessStatusCode, jsonBody);
            var payload = JsonNode.Parse(jsonBody)!["payload"]!.AsArray();
            Assert.Equal(2, payload.Count);
            Assert.Equal(label, payload[0]!["displayName"]!.GetValue<string>());
            Assert.True(payload[0]!["classification"]!["score"]!.GetValue<float>() >= payload[1]!["classification"]!["score"]!.GetValue<float>());
            var predicted = payload[0]!["classification"]!["score"]!.GetValue<float>();
            Assert.Equal(evaluated.Scores[top], predicted, 3);
            output.WriteLine($"{Path.GetFileName(file)}: predicted {label} {predicted:0.0000}, evaluation stored {evaluated.Scores[top]:0.0000}");

            using var form = new MultipartFormDataContent();
            var part = new ByteArrayContent(bytes);
            part.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            form.Add(part, "image", Path.GetFileName(file));
            var multipart = await host.Client.PostAsync($"{TrainingHost.Api}/models/{modelId}:predict", form);
            var multipartBody = await multipart.Content.ReadAsStringAsync();
            Assert.True(multipart.IsSuccessStatusCode, multipartBody);
            var first = JsonNode.Parse(multipartBody)!["payload"]!.AsArray()[0]!;
            Assert.Equal(label, first["displayName"]!.GetValue<string>());
            Assert.Equal(predicted, first["classification"]!["score"]!.GetValue<float>(), 5);
        }

        // Bad input: not an image, not base64.
        var notImage = await host.Client.PostAsJsonAsync($"{TrainingHost.Api}/models/{modelId}:predict", new { payload = new { image = new { imageBytes = Convert.ToBase64String("hello"u8.ToArray()) } } });
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, notImage.StatusCode);
        var notBase64 = await host.Client.PostAsJsonAsync($"{TrainingHost.Api}/models/{modelId}:predict", new { payload = new { image = new { imageBytes = "%%%" } } });
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, notBase64.StatusCode);
        Assert.Contains("base64", await notBase64.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Operations list with AutoML's filter.
        var done = JsonNode.Parse(await host.Client.GetStringAsync($"{TrainingHost.Api}/operations?filter=done=true"))!["operations"]!.AsArray();
        Assert.Contains(done, o => o!["name"]!.GetValue<string>().EndsWith($"/operations/{operationId}", StringComparison.Ordinal));
        var running = JsonNode.Parse(await host.Client.GetStringAsync($"{TrainingHost.Api}/operations?done=false"))!["operations"]!.AsArray();
        Assert.Empty(running);

        // Delete removes the model and its files.
        var delete = await host.Client.DeleteAsync($"{TrainingHost.Api}/models/{modelId}");
        Assert.True(delete.IsSuccessStatusCode);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await host.Client.GetAsync($"{TrainingHost.Api}/models/{modelId}")).StatusCode);
        Assert.False(Directory.Exists(Path.Combine(host.Folder, "models", modelId)));
    }
}
