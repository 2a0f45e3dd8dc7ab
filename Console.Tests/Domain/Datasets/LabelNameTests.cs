using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;

namespace VisionConsole.Tests.Domain.Datasets;

public class LabelNameTests
{
    [Theory]
    [InlineData("ants")]
    [InlineData("Honey_Bee_2")]
    [InlineData("a")]
    [InlineData("abcdefghijklmnopqrstuvwxyz012345")]
    public void Check_ValidName_IsValidAndSuggestsItself(string name)
    {
        var check = LabelName.Check(name, ["other"]);

        Assert.True(check.IsValid);
        Assert.Null(check.Code);
        Assert.Equal(name, check.Suggestion);
    }

    [Fact]
    public void Check_NameOf33Characters_IsRefusedWithLengthAndTruncatedSuggestion()
    {
        var name = new string('x', 33);

        var check = LabelName.Check(name);

        Assert.False(check.IsValid);
        Assert.Equal("invalid-label", check.Code);
        Assert.Contains("33 characters", check.Error, StringComparison.Ordinal);
        Assert.Equal(new string('x', 32), check.Suggestion);
    }

    [Theory]
    [InlineData("honey bee", ' ', "honey_bee")]
    [InlineData("car-2.0", '-', "car_2_0")]
    [InlineData("  --café-- ", ' ', "caf")]
    [InlineData("🐝", '\ud83d', "label")]
    public void Check_BadCharacters_IsRefusedNamingTheCharacterWithSanitizedSuggestion(string name, char bad, string suggestion)
    {
        var check = LabelName.Check(name);

        Assert.False(check.IsValid);
        Assert.Equal("invalid-label", check.Code);
        Assert.Contains($"'{bad}'", check.Error, StringComparison.Ordinal);
        Assert.Equal(suggestion, check.Suggestion);
        Assert.True(LabelName.Check(check.Suggestion).IsValid);
    }

    [Fact]
    public void Check_Empty_IsRefused()
    {
        var check = LabelName.Check("");

        Assert.False(check.IsValid);
        Assert.Equal("invalid-label", check.Code);
        Assert.Equal("label", check.Suggestion);
    }

    [Fact]
    public void Check_SameNameInOtherCase_IsDuplicateWithNumberedSuggestion()
    {
        var check = LabelName.Check("ANTS", ["ants", "ants_2"]);

        Assert.False(check.IsValid);
        Assert.Equal("duplicate-label", check.Code);
        Assert.Equal("ANTS_3", check.Suggestion);
    }

    [Fact]
    public void Check_DuplicateOfLongName_SuggestionStaysWithinLimit()
    {
        var name = new string('b', 32);

        var check = LabelName.Check(name, [name]);

        Assert.Equal("duplicate-label", check.Code);
        Assert.Equal(new string('b', 30) + "_2", check.Suggestion);
    }

    [Fact]
    public void AddLabel_DuplicateIgnoringCase_ThrowsDuplicateLabel()
    {
        var dataset = new Dataset(1, "insects", DatasetKind.SingleLabel, "ann", DateTimeOffset.UnixEpoch);
        dataset.AddLabel("Bees", DateTimeOffset.UnixEpoch);

        var error = Assert.Throws<DomainException>(() => dataset.AddLabel("bees", DateTimeOffset.UnixEpoch));

        Assert.Equal("duplicate-label", error.Code);
        Assert.Single(dataset.Labels);
    }

    [Fact]
    public void Dataset_BlankName_ThrowsInvalidName()
    {
        var error = Assert.Throws<DomainException>(() => new Dataset(1, "   ", DatasetKind.MultiLabel, "ann", DateTimeOffset.UnixEpoch));

        Assert.Equal("invalid-name", error.Code);
    }
}
