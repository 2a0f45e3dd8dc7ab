using VisionConsole.Domain;
using VisionConsole.Domain.Storage;

namespace VisionConsole.Tests.Domain.Storage;

public sealed class DataFolderUsageTests
{
    [Fact]
    public void Measure_FilesInSomeAreas_CountsEachAreaApartWithThumbnailsOutOfImages()
    {
        var folder = TestDatabase.NewFolder();
        try
        {
            var options = new ConsoleOptions { DataFolder = folder };
            void Write(string relative, int bytes)
            {
                var path = Path.Combine(folder, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllBytes(path, new byte[bytes]);
            }
            Write("blobs/ab/abcd", 1000);
            Write("blobs/cd/cdef", 500);
            Write("blobs/thumbs/ab/abcd.jpg", 40);
            Write("features/mobilenet/1.bin", 4096);
            Write("models/7/v1/model.onnx", 2048);
            Write("zoo/mobilenet-v2/model.onnx", 9000);

            var usage = DataFolderUsage.Measure(options, Path.Combine(folder, "zoo")).ToDictionary(a => a.Name);

            Assert.Equal((1500L, 2), (usage["Images"].Bytes, usage["Images"].Files));
            Assert.Equal((40L, 1), (usage["Thumbnails"].Bytes, usage["Thumbnails"].Files));
            Assert.Equal(4096, usage["Features"].Bytes);
            Assert.Equal(2048, usage["Models"].Bytes);
            Assert.Equal(9000, usage["Zoo cache"].Bytes);
            Assert.Equal((0L, 0), (usage["Exports"].Bytes, usage["Exports"].Files));
            Assert.Equal((0L, 0), (usage["Uploads"].Bytes, usage["Uploads"].Files));
            Assert.Equal(["Images", "Thumbnails", "Features", "Models", "Exports", "Uploads", "Import reports", "Zoo cache"], usage.Keys);
        }
        finally
        {
            TestDatabase.DeleteFolder(folder);
        }
    }
}
