using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using VisionConsole.Tests.Trainer.Jobs;

namespace VisionConsole.Tests.Web.Api;

/// <summary>
/// AutoML's <c>:batchPredict</c> on a model trained on real hymenoptera photos: a zip of held-out photos with a broken
/// file among them and a loose photo beside it, run as an operation into JSON Lines in AutoML's batch shape.
/// </summary>
public sealed class BatchPredictApiTests
{
    [Fact]
    public async Task BatchPredict_ZipWithABrokenFileAndALoosePhoto_OneLineEachTheBrokenOneAnErrorTheRestLabeled()
    {
        await using var host = TrainingHost.Start();
        var datasetId = await TrainingHost.ImportHymenopteraAsync(host.Services, "hymenoptera", trainPerLabel: 30, valPerLabel: 5);
        var trained = await host.WaitDoneAsync(await host.StartTrainingAsync(datasetId, "mobile-low-latency-1"), TimeSpan.FromMinutes(5));
        Assert.Equal("SUCCEEDED", TrainingHost.State(trained));
        var modelId = TrainingHost.ModelIdOf(trained);
        // Held-out photos: the val split's last ones, never imported (the import took the first 5 per label).
        var photos = new[] { "ants", "bees" }
            .SelectMany(label => Directory.GetFiles(Path.Combine(SharedData.Hymenoptera, "val", label)).Order(StringComparer.Ordinal).TakeLast(4).Select(f => (Label: label, File: f)))
            .ToList();
        var zip = Path.Combine(host.Folder, "batch.zip");
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Create))
        {
            foreach (var (label, file) in photos.Skip(1))
                archive.CreateEntryFromFile(file, $"photos/{label}-{Path.GetFileName(file)}");
            using var notAPhoto = new StreamWriter(archive.CreateEntry("photos/broken.jpg").Open());
            await notAPhoto.WriteAsync("this is not a JPEG");
        }
        using var content = new MultipartFormDataContent();
        var zipPart = new ByteArrayContent(await File.ReadAllBytesAsync(zip));
        zipPart.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        content.Add(zipPart, "file", "batch.zip");
        content.Add(new ByteArrayContent(await File.ReadAllBytesAsync(photos[0].File)), "file", $"{photos[0].Label}-loose.jpg");

        var started = await host.Client.PostAsync(new Uri($"{TrainingHost.Api}/models/{modelId}:batchPredict?score_threshold=0.0", UriKind.Relative), content);
        Assert.True(started.IsSuccessStatusCode, await started.Content.ReadAsStringAsync());
        var operationId = long.Parse((await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("name").GetString()!.Split('/')[^1], System.Globalization.CultureInfo.InvariantCulture);
        var done = await host.WaitDoneAsync(operationId, TimeSpan.FromMinutes(2));

        Assert.Equal("SUCCEEDED", TrainingHost.State(done));
        var response = done.GetProperty("response");
        Assert.Equal(("type.googleapis.com/google.cloud.automl.v1.BatchPredictResult", 9, 1), (response.GetProperty("@type").GetString(), response.GetProperty("images").GetInt32(), response.GetProperty("failed").GetInt32()));
        var lines = (await host.Client.GetStringAsync(response.GetProperty("downloadUri").GetString()))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        Assert.Equal(9, lines.Count);
        var broken = Assert.Single(lines, l => l.TryGetProperty("error", out _));
        Assert.Equal("photos/broken.jpg", broken.GetProperty("ID").GetString());
        Assert.Equal(3, broken.GetProperty("error").GetProperty("code").GetInt32());
        var predicted = lines.Where(l => !l.TryGetProperty("error", out _)).ToList();
        Assert.Equal(8, predicted.Count);
        Assert.Contains(predicted, l => l.GetProperty("ID").GetString() == $"{photos[0].Label}-loose.jpg");
        Assert.All(predicted, l =>
        {
            // Threshold 0: both labels, best first, the scores a softmax.
            var annotations = l.GetProperty("annotations").EnumerateArray().ToList();
            Assert.Equal(2, annotations.Count);
            Assert.InRange(annotations.Sum(a => a.GetProperty("classification").GetProperty("score").GetDouble()), 0.99, 1.01);
            Assert.True(annotations[0].GetProperty("classification").GetProperty("score").GetDouble() >= annotations[1].GetProperty("classification").GetProperty("score").GetDouble());
        });
        // A model trained on 60 photos gets most of 8 held-out ones right (the line's ID names the true label).
        var right = predicted.Count(l => l.GetProperty("ID").GetString()!.Split('/')[^1].StartsWith(l.GetProperty("annotations")[0].GetProperty("display_name").GetString()!, StringComparison.Ordinal));
        Assert.True(right >= 6, $"{right} of 8 held-out photos labeled right");
        // The upload was removed with the operation's end.
        Assert.False(Directory.Exists(Path.Combine(host.Folder, "uploads", operationId.ToString(System.Globalization.CultureInfo.InvariantCulture))));
    }

    [Fact]
    public async Task BatchPredict_UnknownModelOrNoFiles_RefusedInGoogleShapeAndNothingKept()
    {
        await using var host = TrainingHost.Start();
        using var empty = new MultipartFormDataContent { { new StringContent("x"), "note" } };

        var unknown = await host.Client.PostAsync(new Uri($"{TrainingHost.Api}/models/999:batchPredict", UriKind.Relative), empty);
        await GoogleErrorAssert.ReadAsync(unknown, HttpStatusCode.BadRequest, "INVALID_ARGUMENT");
        using var photo = new MultipartFormDataContent { { new ByteArrayContent([1, 2, 3]), "file", "a.jpg" } };
        var noModel = await host.Client.PostAsync(new Uri($"{TrainingHost.Api}/models/999:batchPredict", UriKind.Relative), photo);
        Assert.Equal("Model 999 was not found.", GoogleErrorAssert.Message(await GoogleErrorAssert.ReadAsync(noModel, HttpStatusCode.NotFound, "NOT_FOUND")));
        var json = await host.Client.PostAsJsonAsync($"{TrainingHost.Api}/models/999:batchPredict", new { inputConfig = new { } });
        await GoogleErrorAssert.ReadAsync(json, HttpStatusCode.UnsupportedMediaType, "INVALID_ARGUMENT");

        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(host.Folder, "uploads")));
    }
}
