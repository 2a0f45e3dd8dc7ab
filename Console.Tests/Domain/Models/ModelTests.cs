using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Models;

namespace VisionConsole.Tests.Domain.Models;

public class ModelTests
{
    [Fact]
    public void AddVersion_Twice_NumbersFromOne()
    {
        var model = new Model(1, 2, "insects", DatasetKind.SingleLabel, ["ants", "bees"], "ann", DateTimeOffset.UnixEpoch);

        var v1 = model.AddVersion("mobile-versatile-1", new ModelFiles("models/1/model.onnx", "models/1/dict.txt"), null, DateTimeOffset.UnixEpoch);
        var v2 = model.AddVersion("mobile-low-latency-1", new ModelFiles("models/2/model.onnx", "models/2/dict.txt"), null, DateTimeOffset.UnixEpoch);

        Assert.Equal(1, v1.Number);
        Assert.Equal(2, v2.Number);
        Assert.Equal(["ants", "bees"], model.Labels);
    }

    [Fact]
    public void AddTag_ValidAndRepeated_KeepsOneCopy_RemoveTagTakesItOff()
    {
        var model = new Model(1, null, "insects", DatasetKind.SingleLabel, ["ants"], "ann", DateTimeOffset.UnixEpoch);
        var version = model.AddVersion("mobile-versatile-1", new ModelFiles("m.onnx", "dict.txt"), null, DateTimeOffset.UnixEpoch);

        version.AddTag("production");
        version.AddTag("Production");
        version.AddTag("latest");

        Assert.Equal(["production", "latest"], version.TagList);
        Assert.True(version.RemoveTag("PRODUCTION"));
        Assert.False(version.RemoveTag("nope"));
        Assert.Equal(["latest"], version.TagList);
        Assert.Equal("invalid-tag", Assert.Throws<DomainException>(() => version.AddTag("a,b")).Code);
    }
}
