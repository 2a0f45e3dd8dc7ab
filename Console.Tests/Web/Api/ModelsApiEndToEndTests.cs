using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Models;
using VisionConsole.Tests.Trainer.Export;
using VisionConsole.Tests.Trainer.Jobs;
using VisionConsole.Trainer.Jobs;
using Xunit.Abstractions;

namespace VisionConsole.Tests.Web.Api;

/// <summary>
/// The whole flow on the real hymenoptera set (train 245 / val 153) through the AutoML-shaped API: create a
/// versatile model, poll its operation, read its evaluations, predict validation images, then check the exported
/// files of that very model against the console's own prediction on all 153 validation images:
/// <list type="bullet">
/// <item><c>model.onnx</c> from the download zip, run by node's onnxruntime-node on exactly the pixels the console
/// feeds it (the version's framing, rendered by the product's <see cref="VisionConsole.Trainer.Inference.ClassifierInference"/>
/// with libvips), must give the console's <c>:predict</c> scores within 1e-5 on every image: <c>:predict</c> and the
/// evaluation run that very file through ONNX Runtime.</item>
/// <item>The zip's <c>tfjs/</c> folder loaded by <c>@tensorflow/tfjs-automl</c> 1.3.0 (its own loader and classify,
/// wasm backend) on the same 224x224 crops (its centre crop of a square and resize 224 to 224 are identities) must
/// agree with <c>model.onnx</c> on the top label for at least 98% of the images, mean |score difference| under 0.02.
/// The difference is expected and small: TF.js has no int8 kernels, so the TF.js graph carries the int8 backbone's
/// weights dequantized to float32 and computes every activation in float, while ONNX Runtime runs the quantized
/// graph (activations rounded to uint8 between layers); the rounding noise moves scores by about 1e-2 and can
/// flip an image whose two scores are nearly equal.</item>
/// </list>
/// The same export checks run on a high-accuracy model (test-time flip in the console and so in the exported graphs)
/// trained on a small set, with the package rebuilt on first use compared to the training job's.
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
        // 0.954 (146/153) with libvips' orc resampling, 0.935 (143/153) with its C paths (orc is off: it crashed under
        // concurrent decodes): three borderline images of 153, so the floor sits just below what is measured now.
        Assert.True(accuracy >= 0.93, $"Validation accuracy {accuracy} is below 0.93");
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

        // 98% of 153: at most 3 top labels may differ between tfjs/ and model.onnx.
        await AssertExportAgreesWithConsoleAsync(host, modelId, stored, ["crop-c-0.875"], expectedImages: 153, maxTfjsDisagreements: 3);

        // AutoML's models.export: an operation whose response names the file (gcsDestination is accepted, the file is served
        // here); formats the console does not make are refused at once with what to do instead.
        var export = await host.Client.PostAsJsonAsync($"{TrainingHost.Api}/models/{modelId}:export",
            new { outputConfig = new { modelFormat = "tflite", gcsDestination = new { outputUriPrefix = "gs://bucket/models/" } } });
        var exportBody = await export.Content.ReadAsStringAsync();
        Assert.True(export.IsSuccessStatusCode, exportBody);
        var exportOperation = await host.WaitDoneAsync(long.Parse(JsonNode.Parse(exportBody)!["name"]!.GetValue<string>().Split('/')[^1], System.Globalization.CultureInfo.InvariantCulture), TimeSpan.FromMinutes(2));
        Assert.False(exportOperation.TryGetProperty("error", out var exportError), $"The export failed: {exportError}");
        Assert.Equal("export-model", exportOperation.GetProperty("metadata").GetProperty("kind").GetString());
        var exportResponse = exportOperation.GetProperty("response");
        Assert.Equal("tflite", exportResponse.GetProperty("modelFormat").GetString());
        var exportedFile = await host.Client.GetByteArrayAsync(exportResponse.GetProperty("downloadUri").GetString());
        Assert.Equal(exportResponse.GetProperty("byteSize").GetInt64(), exportedFile.Length);
        using (var interpreter = new TfliteInterpreter(exportedFile))
        {
            Assert.Equal([1, 2], interpreter.Shape(input: false, 0));
        }
        foreach (var (format, remedy) in new[] { ("edgetpu_tflite", "edgetpu_compiler"), ("core-ml", "coremltools") })
        {
            var refused = await host.Client.PostAsJsonAsync($"{TrainingHost.Api}/models/{modelId}:export", new { outputConfig = new { modelFormat = format } });
            var refusedBody = await refused.Content.ReadAsStringAsync();
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains(remedy, refusedBody, StringComparison.Ordinal);
            Assert.Contains("export-unsupported", refusedBody, StringComparison.Ordinal);
        }

        // The float32 TFLite variant, made on request (float in, float scores out), and the Firebase layout.
        var float32 = await host.Client.GetByteArrayAsync($"/api/models/{modelId}/versions/1/model.tflite?variant=float32");
        using (var interpreter = new TfliteInterpreter(float32))
        {
            Assert.Equal(1, interpreter.OutputType(0));
        }
        var firebase = await host.Client.GetAsync($"/api/models/{modelId}/versions/1/package.zip?format=firebase");
        Assert.True(firebase.IsSuccessStatusCode, $"The Firebase layout answered {(int)firebase.StatusCode}");
        using (var zip = new System.IO.Compression.ZipArchive(await firebase.Content.ReadAsStreamAsync()))
        {
            Assert.Equal(["dict.txt", "manifest.json", "model.tflite"], zip.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal));
        }

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

    /// <summary>
    /// <c>mobile-high-accuracy-1</c> predicts with test-time flip; its exports must too. On a small set (train 20 + 20,
    /// validation 10 + 10, so CI stays quick): model.onnx from the package the training job wrote gives the console's
    /// :predict scores on every validation image, tfjs/ agrees with it, and the package built on first use for a version
    /// without package.zip, model.onnx and tfjs/ (from head.json and the training record in the database) holds the same files.
    /// </summary>
    [Fact]
    public async Task CreateModel_HighAccuracySmallSet_ExportAveragesImageAndMirrorLikeConsole()
    {
        await using var host = TrainingHost.Start();
        var datasetId = await TrainingHost.ImportHymenopteraAsync(host.Services, "hymenoptera small", trainPerLabel: 20, valPerLabel: 10);
        var operationId = await host.StartTrainingAsync(datasetId, "mobile-high-accuracy-1", displayName: "hymenoptera high accuracy");
        var operation = await host.WaitDoneAsync(operationId, TimeSpan.FromMinutes(8));
        Assert.True(operation.GetProperty("done").GetBoolean(), $"Not done: {operation}");
        Assert.False(operation.TryGetProperty("error", out var error), $"Failed: {error}");
        var modelId = TrainingHost.ModelIdOf(operation);
        var stored = await host.Get<IModelService>().GetEvaluationAsync(long.Parse(modelId, CultureInfo.InvariantCulture));
        output.WriteLine($"mobile-high-accuracy-1 on train 40 / validation {stored.Images.Count}");

        // The training job's package (ClassifierModelExporter): at most one of 20 top labels may differ in tfjs/.
        // The fine-tuned float top (trained on 40 images, sharper than a head on frozen features) magnifies TF.js's float
        // rounding of the int8 layers below the cut: mean |score difference| 0.021 was seen here, above the 0.02 kept for versatile.
        var trained = await AssertExportAgreesWithConsoleAsync(host, modelId, stored, ["crop-c-0.875", "crop-c-0.875-flip"], expectedImages: 20, maxTfjsDisagreements: 1, maxTfjsMeanDiff: 0.03);
        var graph = VisionConsole.Trainer.Onnx.OnnxModelBuilder.Load(Path.Combine(trained, "model.onnx")).Graph;
        Assert.Contains(graph.Node, n => n.OpType == "Slice" && n.Output[0].StartsWith("pixels_mirrored", StringComparison.Ordinal));
        Assert.Contains(graph.Node, n => n.OpType == "ReduceMean" && n.Output[0] == "scores");
        Assert.Contains("\"ReverseV2\"", await File.ReadAllTextAsync(Path.Combine(trained, "tfjs", "model.json")), StringComparison.Ordinal);
        // Fine-tuned: both graphs run the trained float top in place of the backbone's last (quantized) convolution.
        Assert.True((await host.Get<IModelService>().GetAsync(long.Parse(modelId, CultureInfo.InvariantCulture))).Training!.FineTunedTop);
        Assert.Contains(graph.Node, n => n.OpType == "Conv" && n.Output[0].StartsWith("top_conv", StringComparison.Ordinal));
        Assert.DoesNotContain(graph.Node, n => n.Name == VisionConsole.Trainer.Export.ClassifierOnnxExporter.BackbonePrefix + "Conv_95_quant");
        Assert.Contains("\"top/layer0/conv\"", await File.ReadAllTextAsync(Path.Combine(trained, "tfjs", "model.json")), StringComparison.Ordinal);

        // A version without its exported files (ModelPackageBuilder exports head.json on the recorded prediction views).
        var versionFolder = Assert.Single(Directory.GetDirectories(Path.Combine(host.Folder, "models", modelId)));
        File.Delete(Path.Combine(versionFolder, "package.zip"));
        File.Delete(Path.Combine(versionFolder, "model.onnx"));
        Directory.Delete(Path.Combine(versionFolder, "tfjs"), recursive: true);
        var rebuilt = await DownloadPackageAsync(host, modelId, "export-rebuilt");
        Assert.True(File.Exists(Path.Combine(versionFolder, "package.zip")));
        var files = Directory.GetFiles(trained, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(trained, f)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(files, Directory.GetFiles(rebuilt, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(rebuilt, f)).Order(StringComparer.Ordinal));
        foreach (var file in files)
        {
            Assert.True(File.ReadAllBytes(Path.Combine(trained, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(rebuilt, file))), $"{file} of the package built on first use differs from the training job's.");
        }
        output.WriteLine($"package.zip built on first use from head.json: the same {files.Length} files, byte for byte ({string.Join(", ", files.Where(f => !f.Contains("shard", StringComparison.Ordinal)))}, shards)");
    }

    /// <summary>
    /// The exported model.onnx and tfjs/ against the console's own :predict on every evaluation image. The exported
    /// models are fed the first prediction view (the centre crop); with test-time flip (views: the crop and its mirror
    /// image) the graphs mirror it themselves. Returns the folder the version's package.zip was extracted to.
    /// </summary>
    private async Task<string> AssertExportAgreesWithConsoleAsync(
        TrainingHost host, string modelId, ModelEvaluationView stored, string[] expectedViews, int expectedImages, int maxTfjsDisagreements, double maxTfjsMeanDiff = 0.02)
    {
        const int side = 224;
        var package = await DownloadPackageAsync(host, modelId, "export-check");
        var work = Directory.CreateDirectory(Path.Combine(host.Folder, "export-check-work")).FullName;

        // How the version was trained (kept in the database) and the exact pixels the console feeds its model.onnx,
        // from the product's own framing code.
        var service = host.Get<IModelService>();
        var id = long.Parse(modelId, CultureInfo.InvariantCulture);
        var record = (await service.GetAsync(id)).Training ?? throw new InvalidOperationException($"Model {modelId} has no training record.");
        var views = PredictionFraming.Views(record);
        Assert.Equal(expectedViews, views.Select(v => v.Id));
        Assert.Equal(side, record.InputSize);
        var inference = host.Get<VisionConsole.Trainer.Inference.ClassifierInference>();
        var images = stored.Images.OrderBy(i => i.TrueLabels[0]).ThenBy(i => i.FileName, StringComparer.Ordinal).ToArray();
        Assert.Equal(expectedImages, images.Length);
        var console = new float[images.Length][];
        var pixelsPath = Path.Combine(work, "validation-crops.rgb");
        var storedVsPredicted = 0.0;
        await using (var pixels = File.Create(pixelsPath))
        {
            for (var n = 0; n < images.Length; n++)
            {
                var bytes = await File.ReadAllBytesAsync(Path.Combine(Domain.Import.ImportTestData.Hymenoptera, "val", stored.Labels[images[n].TrueLabels[0]], images[n].FileName));
                var prediction = await service.PredictAsync(id, bytes);
                console[n] = new float[stored.Labels.Count];
                foreach (var score in prediction.Scores)
                {
                    console[n][score.LabelIndex] = score.Score;
                }
                storedVsPredicted = Math.Max(storedVsPredicted, console[n].Zip(images[n].Scores, (a, b) => Math.Abs(a - b)).Max());
                var rendered = inference.Frame(bytes, PredictionFraming.Input(record));
                Assert.Equal((side, side), (rendered.Width, rendered.Height));
                await pixels.WriteAsync(rendered.Pixels);
            }
        }
        output.WriteLine($"console :predict vs the evaluation's stored scores on {images.Length} validation images: max |diff| {storedVsPredicted:E2}");
        // The evaluation ran the same model.onnx on the same framing (in batches): the scores are the prediction's.
        Assert.True(storedVsPredicted <= 1e-5, $"The console's prediction differs from its stored evaluation by {storedVsPredicted}");

        static int Top(IReadOnlyList<double> row) => row.Select((s, i) => (s, i)).MaxBy(p => p.s).i;
        var consoleScores = console.Select(row => row.Select(v => (double)v).ToArray()).ToArray();

        var onnx = NodeScript.Matrix(NodeScript.Run("onnx-scores.mjs", new { model = Path.Combine(package, "model.onnx"), images = pixelsPath, count = images.Length, height = side, width = side }, work).GetProperty("scores"));
        Assert.Equal(images.Length, onnx.Length);
        var onnxDiff = onnx.Zip(consoleScores).SelectMany(p => p.First.Zip(p.Second, (a, b) => Math.Abs(a - b))).Max();
        var onnxSameTop = onnx.Zip(consoleScores).Count(p => Top(p.First) == Top(p.Second));
        output.WriteLine($"exported model.onnx (onnxruntime-node) vs console :predict: same top label {onnxSameTop}/{images.Length}, max |score diff| {onnxDiff:E2}");
        Assert.Equal(images.Length, onnxSameTop);
        // :predict runs this very model.onnx in ONNX Runtime's .NET package; only the runtime build differs.
        Assert.True(onnxDiff <= 1e-5, $"model.onnx scores differ from the console's by up to {onnxDiff}");

        var clock = Stopwatch.StartNew();
        var automl = NodeScript.Run("tfjs-automl-check.mjs", new { tfjsDir = Path.Combine(package, "tfjs"), images = pixelsPath, count = images.Length, height = side, width = side }, work);
        clock.Stop();
        var tfjs = NodeScript.Matrix(automl.GetProperty("scores"));
        Assert.Equal(stored.Labels, automl.GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
        Assert.Equal(images.Length, tfjs.Length);
        var agreeing = tfjs.Zip(onnx).Count(p => Top(p.First) == Top(p.Second));
        var agreement = agreeing / (double)images.Length;
        var tfjsDiff = tfjs.Zip(onnx).SelectMany(p => p.First.Zip(p.Second, (a, b) => Math.Abs(a - b))).ToArray();
        output.WriteLine($"tfjs/ (tfjs-automl 1.3.0, {automl.GetProperty("backend").GetString()} backend, {clock.Elapsed.TotalSeconds:0} s) vs model.onnx: top-label agreement {agreeing}/{images.Length} = {agreement:P1}, " +
            $"mean |score diff| {tfjsDiff.Average():F4}, max {tfjsDiff.Max():F4}");
        Assert.True(images.Length - agreeing <= maxTfjsDisagreements, $"tfjs top-label agreement {agreement}: {images.Length - agreeing} images differ, at most {maxTfjsDisagreements} may");
        Assert.True(tfjsDiff.Average() < maxTfjsMeanDiff, $"tfjs mean |score diff| {tfjsDiff.Average()}, at most {maxTfjsMeanDiff}");
        return package;
    }

    /// <summary>GETs version 1's package.zip and extracts it into a new folder of the host's data folder.</summary>
    private static async Task<string> DownloadPackageAsync(TrainingHost host, string modelId, string folderName)
    {
        var work = Directory.CreateDirectory(Path.Combine(host.Folder, folderName)).FullName;
        var package = await host.Client.GetAsync($"/api/models/{modelId}/versions/1/package.zip");
        Assert.True(package.IsSuccessStatusCode, $"package.zip answered {(int)package.StatusCode}");
        await using (var zip = await package.Content.ReadAsStreamAsync())
        {
            await ZipFile.ExtractToDirectoryAsync(zip, work);
        }
        return work;
    }
}
