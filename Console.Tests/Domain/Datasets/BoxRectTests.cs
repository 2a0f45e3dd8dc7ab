using VisionConsole.Domain;
using VisionConsole.Domain.Datasets;
using VisionConsole.Domain.Imaging;

namespace VisionConsole.Tests.Domain.Datasets;

public class BoxRectTests
{
    [Theory]
    [InlineData(0, 0, 1, 1)]
    [InlineData(0.25, 0.5, 0.5, 0.5)]
    [InlineData(0.9, 0.9, 0.1000000001, 0.1)]
    public void Validate_InsideWithPositiveSize_Passes(double left, double top, double width, double height)
    {
        new BoxRect(left, top, width, height).Validate();
    }

    [Theory]
    [InlineData(0.1, 0.1, 0, 0.2, "positive")]
    [InlineData(0.1, 0.1, 0.2, -0.1, "positive")]
    [InlineData(-0.1, 0.1, 0.2, 0.2, "outside")]
    [InlineData(0.9, 0.1, 0.2, 0.2, "outside")]
    [InlineData(0.1, 0.95, 0.2, 0.1, "outside")]
    [InlineData(double.NaN, 0.1, 0.2, 0.2, "finite")]
    public void Validate_BrokenRule_ThrowsInvalidBoxNamingIt(double left, double top, double width, double height, string why)
    {
        var error = Assert.Throws<DomainException>(() => new BoxRect(left, top, width, height).Validate());

        Assert.Equal("invalid-box", error.Code);
        Assert.Contains(why, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MoveTo_InvalidRect_KeepsOldRectAndVersion()
    {
        var dataset = new Dataset(1, "cars", DatasetKind.ObjectDetection, "ann", DateTimeOffset.UnixEpoch);
        var label = dataset.AddLabel("car", DateTimeOffset.UnixEpoch);
        var image = new Image(0, new StoredImage(new string('a', 64), ImageFormat.Png, 100, 100, 10, false), "x.png", "ann", DateTimeOffset.UnixEpoch);
        var box = image.AddBox(label, new BoxRect(0.1, 0.1, 0.5, 0.5), "ann", DateTimeOffset.UnixEpoch);

        Assert.Throws<DomainException>(() => box.MoveTo(new BoxRect(0.6, 0.6, 0.5, 0.5)));
        box.MoveTo(new BoxRect(0.2, 0.2, 0.3, 0.3));

        Assert.Equal(new BoxRect(0.2, 0.2, 0.3, 0.3), box.Rect);
        Assert.Equal(2, box.Version);
    }
}
