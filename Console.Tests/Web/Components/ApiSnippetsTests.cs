using VisionConsole.Domain.Datasets;
using VisionConsole.Web.Components.Pages.Api;

namespace VisionConsole.Tests.Web.Components;

public sealed class ApiSnippetsTests
{
    [Fact]
    public void For_NoDatasetOrModelYet_PlaceholdersTheCreateCallsAnswer()
    {
        var snippets = ApiSnippets.For(new ApiSnippetContext("http://127.0.0.1:5080/", null, null, null));

        var all = string.Join('\n', snippets.Select(s => s.Code));
        Assert.Contains("http://127.0.0.1:5080/v1/projects/default/locations/us-central1/datasets/DATASET_ID:importData", all, StringComparison.Ordinal);
        Assert.Contains("/models/MODEL_ID:predict", all, StringComparison.Ordinal);
        Assert.DoesNotContain("5080//", all, StringComparison.Ordinal);
    }

    [Fact]
    public void For_DetectionDataset_TrainsADetectorAndImportsBoxes()
    {
        var snippets = ApiSnippets.For(new ApiSnippetContext("https://vision.example/", 7, DatasetKind.ObjectDetection, 12));

        var train = snippets.Single(s => s.Title.StartsWith("Train", StringComparison.Ordinal)).Code;
        Assert.Contains("\"datasetId\":\"7\",\"imageObjectDetectionModelMetadata\"", train, StringComparison.Ordinal);
        Assert.StartsWith("Import photos with their boxes", snippets.Single(s => s.Code.Contains(":importData", StringComparison.Ordinal)).Title, StringComparison.Ordinal);
        Assert.Contains("https://vision.example/api/models/12/versions/1/model.onnx", string.Join('\n', snippets.Select(s => s.Code)), StringComparison.Ordinal);
    }
}
