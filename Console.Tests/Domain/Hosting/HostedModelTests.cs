using VisionConsole.Domain;
using VisionConsole.Domain.Hosting;

namespace VisionConsole.Tests.Domain.Hosting;

public sealed class HostedModelTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 3, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void AddVersion_Twice_NumbersFromOneAndActivatesTheNewest()
    {
        var model = new HostedModel(1, "bugs", ["a"], "ann", Start);

        model.AddVersion(5, 1, "aa", 10, "hosted/1/v1.tflite", Start);
        model.AddVersion(6, 1, "bb", 20, "hosted/1/v2.tflite", Start.AddMinutes(1));

        Assert.Equal([1, 2], model.Versions.Select(v => v.Number));
        Assert.Equal(2, model.ActiveVersion);
        Assert.Equal("bb", model.Active!.ModelHash);
        Assert.Equal(Start.AddMinutes(1), model.UpdatedAt);
    }

    [Fact]
    public void RollBack_EarlierVersion_MakesItActive()
    {
        var model = new HostedModel(1, "bugs", [], "ann", Start);
        model.AddVersion(5, 1, "aa", 10, "v1", Start);
        model.AddVersion(6, 1, "bb", 20, "v2", Start);

        model.RollBack(1, Start.AddMinutes(2));

        Assert.Equal("aa", model.Active!.ModelHash);
    }

    [Fact]
    public void RollBack_ActiveOrMissingVersion_Throws()
    {
        var model = new HostedModel(1, "bugs", [], "ann", Start);
        model.AddVersion(5, 1, "aa", 10, "v1", Start);

        Assert.Equal("invalid-rollback", Assert.Throws<DomainException>(() => model.RollBack(1, Start)).Code);
        Assert.Throws<NotFoundException>(() => model.RollBack(7, Start));
    }

    [Fact]
    public void SetPublished_WithoutVersion_ThrowsInvalidState()
    {
        var model = new HostedModel(1, "bugs", [], "ann", Start);

        Assert.Equal("invalid-state", Assert.Throws<DomainException>(() => model.SetPublished(true, Start)).Code);
        Assert.False(model.Published);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("a-name-that-is-much-longer-than-32")]
    [InlineData("slash/name")]
    public void Constructor_InvalidDisplayName_ThrowsInvalidName(string name)
    {
        Assert.Equal("invalid-name", Assert.Throws<DomainException>(() => new HostedModel(1, name, [], "ann", Start)).Code);
    }

    [Fact]
    public void SetTags_InvalidTag_ThrowsAndKeepsTags()
    {
        var model = new HostedModel(1, "bugs", ["ok"], "ann", Start);

        Assert.Equal("invalid-tag", Assert.Throws<DomainException>(() => model.SetTags(["ok", "not ok"], Start)).Code);
        Assert.Equal(["ok"], model.Tags);
    }
}
