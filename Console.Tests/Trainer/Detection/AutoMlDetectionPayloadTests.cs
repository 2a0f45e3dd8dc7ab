using System.Text.Json;
using VisionConsole.Domain;
using VisionConsole.Trainer.Detection;

namespace VisionConsole.Tests.Trainer.Detection;

public class AutoMlDetectionPayloadTests
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static readonly string[] Labels = ["raccoon", "dog"];

    [Fact]
    public void From_OneDetection_SerializesInTheAutoMlV1Shape()
    {
        var response = DetectionPredictResponse.From(
            [new DetectedObject(0, 0.93f, YMin: 0.2f, XMin: 0.1f, YMax: 0.9f, XMax: 0.6f)], Labels, new AutoMlDetectionParams());

        Assert.Equal(
            """{"payload":[{"annotationSpecId":"0","displayName":"raccoon","imageObjectDetection":{"boundingBox":{"normalizedVertices":[{"x":0.1,"y":0.2},{"x":0.6,"y":0.9}]},"score":0.93}}]}""",
            JsonSerializer.Serialize(response, Json));
    }

    [Fact]
    public void From_WithMetadata_WritesItAfterThePayload()
    {
        var response = DetectionPredictResponse.From([], Labels, new AutoMlDetectionParams(), new DetectionPredictMetadata("7", 12.5));

        Assert.Equal("""{"payload":[],"metadata":{"modelVersionId":"7","elapsedMilliseconds":12.5}}""", JsonSerializer.Serialize(response, Json));
    }

    [Fact]
    public void From_ScoreThresholdAndMaxCount_FilterBestFirst()
    {
        DetectedObject[] detections =
        [
            new(0, 0.40f, 0, 0, 0.5f, 0.5f),
            new(1, 0.95f, 0.5f, 0.5f, 1, 1),
            new(0, 0.70f, 0.1f, 0.1f, 0.3f, 0.3f),
            new(1, 0.55f, 0.2f, 0.2f, 0.4f, 0.4f),
        ];

        var defaults = DetectionPredictResponse.From(detections, Labels, new AutoMlDetectionParams());
        var two = DetectionPredictResponse.From(detections, Labels, new AutoMlDetectionParams(0.3f, 2));
        var atScore = DetectionPredictResponse.From(detections, Labels, new AutoMlDetectionParams(0.7f, 100));

        Assert.Equal([0.95f, 0.70f, 0.55f], defaults.Payload.Select(p => p.ImageObjectDetection.Score));
        Assert.Equal([("dog", 0.95f), ("raccoon", 0.70f)], two.Payload.Select(p => (p.DisplayName, p.ImageObjectDetection.Score)));
        Assert.Equal([0.95f, 0.70f], atScore.Payload.Select(p => p.ImageObjectDetection.Score)); // a score at the threshold is kept
        Assert.Equal("1", two.Payload[0].AnnotationSpecId);
    }

    [Fact]
    public void From_LabelOutOfRange_Throws()
    {
        Assert.Contains("label index 2",
            Assert.Throws<ArgumentException>(() => DetectionPredictResponse.From([new DetectedObject(2, 0.9f, 0, 0, 1, 1)], Labels, new AutoMlDetectionParams())).Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_AutoMlParams_ReadsStringsAndDefaults()
    {
        Assert.Equal(new AutoMlDetectionParams(0.5f, 100), AutoMlDetectionParams.Parse(null, " "));
        Assert.Equal(new AutoMlDetectionParams(0.25f, 3), AutoMlDetectionParams.Parse("0.25", "3"));
        Assert.Equal(new AutoMlDetectionParams(0f, 1), AutoMlDetectionParams.Parse("0", "1"));
    }

    [Theory]
    [InlineData("1.5", null, "params.score_threshold '1.5'")]
    [InlineData("abc", null, "params.score_threshold 'abc'")]
    [InlineData(null, "0", "params.max_bounding_box_count '0'")]
    [InlineData(null, "-2", "params.max_bounding_box_count '-2'")]
    [InlineData(null, "2.5", "params.max_bounding_box_count '2.5'")]
    public void Parse_BadParams_RefusedAsInvalidRequest(string? threshold, string? count, string expected)
    {
        var error = Assert.Throws<DomainException>(() => AutoMlDetectionParams.Parse(threshold, count));

        Assert.Equal("invalid-request", error.Code);
        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
    }
}
