using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Models;
using VisionConsole.Tests.Domain.Metrics;
using VisionConsole.Tests.Trainer.Jobs;
using VisionConsole.Trainer.Jobs;

namespace VisionConsole.Tests.Web.Api;

/// <summary>
/// <c>modelEvaluations</c> of a detector through the real host and SQLite file: the Evaluation row is written as the
/// detection training writes it (its report and evaluated images, with the trainer's JSON options) over the hand-worked
/// <see cref="DetectionFixture"/>, so the figures are known without training a detector.
/// </summary>
public sealed class DetectorEvaluationsApiTests
{
    private static async Task<(long ModelId, long EvaluationId)> StoreDetectorAsync(TrainingHost host)
    {
        var dataset = await host.Client.PostAsJsonAsync($"{TrainingHost.Api}/datasets", new { displayName = "raccoon", imageObjectDetectionDatasetMetadata = new { } });
        var body = await dataset.Content.ReadAsStringAsync();
        Assert.True(dataset.IsSuccessStatusCode, body);
        var name = JsonNode.Parse(body)!["response"]!["name"]!.GetValue<string>();
        var datasetId = long.Parse(name[(name.LastIndexOf('/') + 1)..], CultureInfo.InvariantCulture);
        await using var db = host.OpenContext();
        var projectId = db.Datasets.Single(d => d.Id == datasetId).ProjectId;
        var now = DateTimeOffset.UtcNow;
        var model = new Model(projectId, datasetId, "raccoon detector", DatasetKind.ObjectDetection, DetectionFixture.Labels, "tester", now);
        db.Models.Add(model);
        await db.SaveChangesAsync();
        var version = model.AddVersion("mobile-versatile-1", new ModelFiles($"models/{model.Id}/v1/model.onnx", $"models/{model.Id}/v1/dict.txt"), null, now);
        await db.SaveChangesAsync();
        var evaluation = new Evaluation(version.Id,
            JsonSerializer.Serialize(DetectionFixture.Evaluation().Report(), ClassifierFiles.Json),
            JsonSerializer.Serialize(DetectionFixture.Images(), ClassifierFiles.Json), now);
        db.Evaluations.Add(evaluation);
        await db.SaveChangesAsync();
        return (model.Id, evaluation.Id);
    }

    private static JsonNode Entry(JsonNode metrics, double iou) =>
        metrics["boundingBoxMetricsEntries"]!.AsArray().Single(e => Math.Abs(e!["iouThreshold"]!.GetValue<double>() - iou) < 1e-9)!;

    private static JsonNode Confidence(JsonNode entry, double threshold) =>
        entry["confidenceMetricsEntries"]!.AsArray().Single(e => Math.Abs(e!["confidenceThreshold"]!.GetValue<double>() - threshold) < 1e-6)!;

    [Fact]
    public async Task ModelEvaluations_Detector_AnswersImageObjectDetectionMetricsOverallAndPerLabel()
    {
        await using var host = TrainingHost.Start();
        var (modelId, evaluationId) = await StoreDetectorAsync(host);

        var response = await host.Client.GetAsync(new Uri($"{TrainingHost.Api}/models/{modelId}/modelEvaluations", UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        var list = JsonNode.Parse(text)!["modelEvaluation"]!.AsArray();

        Assert.Equal(3, list.Count);
        var overall = list[0]!;
        Assert.Equal($"projects/default/locations/us-central1/models/{modelId}/modelEvaluations/{evaluationId}", overall["name"]!.GetValue<string>());
        Assert.Null(overall["annotationSpecId"]);
        Assert.Null(overall["classificationEvaluationMetrics"]);
        Assert.Equal(4, overall["evaluatedExampleCount"]!.GetValue<int>());
        var metrics = overall["imageObjectDetectionEvaluationMetrics"]!;
        Assert.Equal(3, metrics["evaluatedBoundingBoxCount"]!.GetValue<int>());
        var entries = metrics["boundingBoxMetricsEntries"]!.AsArray();
        // AutoML's thresholds: 0.05 ... 0.95, then 0.96 ... 0.99, for IoU and for confidence alike.
        Assert.Equal(23, entries.Count);
        Assert.Equal(0.05, entries[0]!["iouThreshold"]!.GetValue<double>(), 9);
        Assert.Equal(0.99, entries[22]!["iouThreshold"]!.GetValue<double>(), 9);
        Assert.All(entries, e => Assert.Equal(23, e!["confidenceMetricsEntries"]!.AsArray().Count));
        Assert.Equal(0.25, Entry(metrics, 0.5)["meanAveragePrecision"]!.GetValue<double>(), 9);
        Assert.Equal(0.75, Entry(metrics, 0.3)["meanAveragePrecision"]!.GetValue<double>(), 9);
        // Confidence .5, IoU .5: precision 1/4, recall 1/3, F1 2/7; at IoU .3: 1/2, 2/3, 4/7.
        var half = Confidence(Entry(metrics, 0.5), 0.5);
        Assert.Equal((0.25, 1.0 / 3, 2.0 / 7), (half["precision"]!.GetValue<double>(), half["recall"]!.GetValue<double>(), half["f1Score"]!.GetValue<double>()), new Approx());
        var loose = Confidence(Entry(metrics, 0.3), 0.5);
        Assert.Equal((0.5, 2.0 / 3, 4.0 / 7), (loose["precision"]!.GetValue<double>(), loose["recall"]!.GetValue<double>(), loose["f1Score"]!.GetValue<double>()), new Approx());
        // Nothing scores .95 or more: nothing predicted, so precision 1 and recall 0.
        var none = Confidence(Entry(metrics, 0.5), 0.95);
        Assert.Equal((1.0, 0.0), (none["precision"]!.GetValue<double>(), none["recall"]!.GetValue<double>()));
        var mean = entries.Average(e => e!["meanAveragePrecision"]!.GetValue<double>());
        Assert.Equal(mean, metrics["boundingBoxMeanAveragePrecision"]!.GetValue<double>(), 9);

        var dog = list[2]!;
        Assert.Equal(("1", "dog"), (dog["annotationSpecId"]!.GetValue<string>(), dog["displayName"]!.GetValue<string>()));
        Assert.EndsWith($"/modelEvaluations/{evaluationId}-1", dog["name"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(1, dog["evaluatedExampleCount"]!.GetValue<int>());
        var dogMetrics = dog["imageObjectDetectionEvaluationMetrics"]!;
        Assert.Equal(1, dogMetrics["evaluatedBoundingBoxCount"]!.GetValue<int>());
        Assert.Equal(0.0, Entry(dogMetrics, 0.5)["meanAveragePrecision"]!.GetValue<double>());
        Assert.Equal(1.0, Entry(dogMetrics, 0.3)["meanAveragePrecision"]!.GetValue<double>(), 9);
        var raccoon = Confidence(Entry(list[1]!["imageObjectDetectionEvaluationMetrics"]!, 0.5), 0.5);
        Assert.Equal((1.0 / 3, 0.5), (raccoon["precision"]!.GetValue<double>(), raccoon["recall"]!.GetValue<double>()), new Approx());
    }

    [Fact]
    public async Task ModelEvaluation_GetOneByIdOrAnUnknownId_AnswersItOrNotFound()
    {
        await using var host = TrainingHost.Start();
        var (modelId, evaluationId) = await StoreDetectorAsync(host);

        var one = JsonNode.Parse(await host.Client.GetStringAsync($"{TrainingHost.Api}/models/{modelId}/modelEvaluations/{evaluationId}-0"))!;
        Assert.Equal("raccoon", one["displayName"]!.GetValue<string>());
        Assert.Equal(2, one["imageObjectDetectionEvaluationMetrics"]!["evaluatedBoundingBoxCount"]!.GetValue<int>());
        var overall = JsonNode.Parse(await host.Client.GetStringAsync($"{TrainingHost.Api}/models/{modelId}/modelEvaluations/{evaluationId}"))!;
        Assert.Null(overall["annotationSpecId"]);

        var missing = await host.Client.GetAsync(new Uri($"{TrainingHost.Api}/models/{modelId}/modelEvaluations/{evaluationId}-7", UriKind.Relative));
        var error = await GoogleErrorAssert.ReadAsync(missing, HttpStatusCode.NotFound, "NOT_FOUND");
        Assert.Equal("not-found", GoogleErrorAssert.Reason(error));
        Assert.Contains($"{evaluationId}-7", GoogleErrorAssert.Message(error), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetDetectionEvaluation_StoredRow_GivesTheBoxesAndTheBlobsOfImagesStillThere()
    {
        await using var host = TrainingHost.Start();
        var (modelId, evaluationId) = await StoreDetectorAsync(host);

        var view = await host.Get<IModelService>().GetDetectionEvaluationAsync(modelId);

        Assert.Equal(evaluationId, view.EvaluationId);
        Assert.Equal(DetectionFixture.Labels, view.Labels);
        Assert.Equal([11L, 12, 13, 14], view.Images.Select(i => i.ImageId));
        // The fixture's image ids are not in this database: shown without a thumbnail.
        Assert.All(view.Images, i => Assert.Null(i.Sha256));
        Assert.Equal(DetectionFixture.Duplicate, view.Images[0].Predictions[1].Box);
        Assert.Equal(0.25, view.ToEvaluation().MeanAveragePrecision(0.5)!.Value, 9);
        Assert.Equal(0.25, view.Report.MeanAveragePrecision.Iou50!.Value, 9);
    }

    [Fact]
    public async Task Evaluations_OfTheOtherKind_RefusedWithModelKind()
    {
        await using var host = TrainingHost.Start();
        var (detectorId, _) = await StoreDetectorAsync(host);
        long classifierId;
        await using (var db = host.OpenContext())
        {
            var model = new Model(db.Projects.Select(p => p.Id).First(), null, "bees", DatasetKind.SingleLabel, ["ants", "bees"], "tester", DateTimeOffset.UtcNow);
            db.Models.Add(model);
            await db.SaveChangesAsync();
            model.AddVersion("mobile-versatile-1", new ModelFiles($"models/{model.Id}/v1/model.onnx", $"models/{model.Id}/v1/dict.txt"), null, DateTimeOffset.UtcNow);
            await db.SaveChangesAsync();
            classifierId = model.Id;
        }
        var models = host.Get<IModelService>();

        var classification = await Assert.ThrowsAsync<VisionConsole.Domain.DomainException>(() => models.GetEvaluationAsync(detectorId));
        var detection = await Assert.ThrowsAsync<VisionConsole.Domain.DomainException>(() => models.GetDetectionEvaluationAsync(classifierId));

        Assert.Equal(("model-kind", "model-kind"), (classification.Code, detection.Code));
        Assert.Contains("object detector", classification.Message, StringComparison.Ordinal);
        Assert.Contains("classification model", detection.Message, StringComparison.Ordinal);
    }

    /// <summary>Compares tuples of doubles to 1e-9.</summary>
    private sealed class Approx : IEqualityComparer<(double, double, double)>, IEqualityComparer<(double, double)>
    {
        public bool Equals((double, double, double) x, (double, double, double) y) =>
            Math.Abs(x.Item1 - y.Item1) < 1e-9 && Math.Abs(x.Item2 - y.Item2) < 1e-9 && Math.Abs(x.Item3 - y.Item3) < 1e-9;

        public int GetHashCode((double, double, double) obj) => 0;

        public bool Equals((double, double) x, (double, double) y) => Math.Abs(x.Item1 - y.Item1) < 1e-9 && Math.Abs(x.Item2 - y.Item2) < 1e-9;

        public int GetHashCode((double, double) obj) => 0;
    }
}
