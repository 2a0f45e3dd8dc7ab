using System.IO.Compression;
using System.Text;
using VisionConsole.Trainer.Export;
using VisionConsole.Trainer.Export.Tflite;
using Xunit.Abstractions;

namespace VisionConsole.Tests.Trainer.Export;

/// <summary>
/// The exported <c>model.tflite</c> run by TFLite's own C API (2.9, from npm <c>tfjs-tflite-node</c>) on real photos,
/// against <c>model.onnx</c> run by onnxruntime-node on the same pixels: what the console's <c>:predict</c> runs.
/// </summary>
public sealed class TfliteExportTests(ExportFixture fixture, ITestOutputHelper output) : IClassFixture<ExportFixture>
{
    private const int Side = 224;

    [Fact]
    public void Convert_QuantizedCalibrated_TfliteCApiAgreesWithOnnxModel()
    {
        var tflite = ClassifierTfliteConverter.Convert(fixture.Backbone, fixture.Head, new TfliteExportOptions { CalibrationFeatures = fixture.TrainFeatures });
        var (tfliteScores, onnxScores) = Score(tflite, fixture.Head, fixture.OnnxPath, uint8: true);

        AssertAgreement(tfliteScores, onnxScores, maxMeanDifference: 0.03);
    }

    [Fact]
    public void Convert_QuantizedWithoutCalibration_FloatHeadAgreesWithOnnxModel()
    {
        var tflite = ClassifierTfliteConverter.Convert(fixture.Backbone, fixture.Head);
        var (tfliteScores, onnxScores) = Score(tflite, fixture.Head, fixture.OnnxPath, uint8: true);

        AssertAgreement(tfliteScores, onnxScores, maxMeanDifference: 0.03);
    }

    [Fact]
    public void Convert_Float32_TfliteCApiAgreesWithOnnxModel()
    {
        var tflite = ClassifierTfliteConverter.Convert(fixture.Backbone, fixture.Head, new TfliteExportOptions { Variant = TfliteVariant.Float32 });
        var (tfliteScores, onnxScores) = Score(tflite, fixture.Head, fixture.OnnxPath, uint8: false);

        AssertAgreement(tfliteScores, onnxScores, maxMeanDifference: 0.03);
    }

    [Fact]
    public void Convert_Quantized_InputUint8OutputUint8WithScoreScale()
    {
        var tflite = ClassifierTfliteConverter.Convert(fixture.Backbone, fixture.Head, new TfliteExportOptions { CalibrationFeatures = fixture.TrainFeatures });
        using var interpreter = new TfliteInterpreter(tflite);

        Assert.Equal([1, Side, Side, 3], interpreter.Shape(input: true, 0));
        Assert.Equal([1, 2], interpreter.Shape(input: false, 0));
        Assert.Equal(3, interpreter.OutputType(0));
        Assert.Equal((1f / 256f, 0), interpreter.OutputQuantization(0));
    }

    [Fact]
    public void Convert_Labels_ModelIsAlsoAZipHoldingStoredDictTxt()
    {
        var tflite = ClassifierTfliteConverter.Convert(fixture.Backbone, fixture.Head, new TfliteExportOptions { CalibrationFeatures = fixture.TrainFeatures });

        Assert.Equal("TFL3", Encoding.ASCII.GetString(tflite, 4, 4));
        using var zip = new ZipArchive(new MemoryStream(tflite), ZipArchiveMode.Read);
        var entry = Assert.Single(zip.Entries);
        Assert.Equal(ClassifierTfliteConverter.LabelsFile, entry.FullName);
        Assert.Equal(entry.Length, entry.CompressedLength);
        using var reader = new StreamReader(entry.Open());
        Assert.Equal("ants\nbees\n", reader.ReadToEnd());
    }

    [Fact]
    public void Convert_SameModelTwice_SameBytes()
    {
        var options = new TfliteExportOptions { CalibrationFeatures = fixture.TrainFeatures };
        var first = ClassifierTfliteConverter.Convert(fixture.Backbone, fixture.Head, options);

        Assert.Equal(first, ClassifierTfliteConverter.Convert(fixture.Backbone, fixture.Head, options));
        // The one field that could tie the bytes to the clock, the appended zip's entry time, is the zip epoch.
        using var zip = new ZipArchive(new MemoryStream(first), ZipArchiveMode.Read);
        Assert.Equal(new DateTime(1980, 1, 1), Assert.Single(zip.Entries).LastWriteTime.DateTime);
    }

    [Fact]
    public void Convert_Quantized_TaskLibraryImageClassifierReadsLabelsFromMetadataAndAgreesWithCApi()
    {
        var tflite = ClassifierTfliteConverter.Convert(fixture.Backbone, fixture.Head, new TfliteExportOptions { CalibrationFeatures = fixture.TrainFeatures });
        var modelPath = Path.Combine(fixture.Work, "task-library.tflite");
        File.WriteAllBytes(modelPath, tflite);

        // Google's TFLite Support Task Library (tfjs-tflite's wasm build) gets the model file alone: labels, input size
        // and normalization must come from the metadata written into it.
        var result = NodeScript.Run("tflite-task.mjs", new { task = "classifier", model = modelPath, images = fixture.ValidationImagesPath, count = fixture.ValidationCount, height = Side, width = Side }, fixture.Work);
        Assert.Equal(["ants", "bees"], result.GetProperty("labels").EnumerateArray().Select(l => l.GetString()));

        using var interpreter = new TfliteInterpreter(tflite);
        var size = Side * Side * 3;
        var images = result.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(fixture.ValidationCount, images.Length);
        var (sameTop, difference, maxDifference) = (0, 0.0, 0.0);
        for (var i = 0; i < images.Length; i++)
        {
            interpreter.Run(fixture.ValidationPixels.AsSpan(i * size, size));
            var expected = interpreter.Output(0);
            var scores = new double[fixture.Head.ClassCount];
            foreach (var category in images[i].EnumerateArray())
            {
                var index = category.GetProperty("index").GetInt32();
                Assert.Equal(fixture.Head.Labels[index], category.GetProperty("className").GetString());
                scores[index] = category.GetProperty("score").GetDouble();
            }
            sameTop += Array.IndexOf(scores, scores.Max()) == Array.IndexOf(expected, expected.Max()) ? 1 : 0;
            var differences = scores.Zip(expected, (a, b) => Math.Abs(a - b)).ToArray();
            difference += differences.Average() / images.Length;
            maxDifference = Math.Max(maxDifference, differences.Max());
        }
        // The wasm build runs int8 layers in XNNPACK, whose rounding differs from TFLite's C++ kernels by a step here and
        // there; near an even split that moves a score several output steps. A wrong normalization would move every image.
        output.WriteLine($"Task Library ImageClassifier ({result.GetProperty("wasm").GetString()}) vs TFLite C API on {images.Length} photos: labels from the metadata, " +
            $"same top label {sameTop}, mean |score diff| {difference:0.0000}, max {maxDifference:0.0000}");
        Assert.True(sameTop >= Math.Ceiling(0.98 * images.Length), $"same top label on {sameTop} of {images.Length}");
        Assert.True(difference < 0.03, $"mean |score diff| {difference}");
    }

    [Fact]
    public void Convert_Quantized_ArmNnReferenceBackendAgreesWithCApiWithinTwoSteps()
    {
        var tflite = ClassifierTfliteConverter.Convert(fixture.Backbone, fixture.Head, new TfliteExportOptions { CalibrationFeatures = fixture.TrainFeatures });
        var modelPath = Path.Combine(fixture.Work, "armnn.tflite");
        File.WriteAllBytes(modelPath, tflite);
        // Arm NN's reference backend takes seconds an image: the first and last photos of each class.
        var size = Side * Side * 3;
        int[] picked = [0, 1, ExportFixture.ValidationPerClass, fixture.ValidationCount - 1];
        var imagesPath = Path.Combine(fixture.Work, "armnn-images.rgb");
        File.WriteAllBytes(imagesPath, [.. picked.SelectMany(i => fixture.ValidationPixels.AsSpan(i * size, size).ToArray())]);

        var result = NodeScript.RunPython("armnn-tflite.py", new { model = modelPath, images = imagesPath, count = picked.Length, height = Side, width = Side }, fixture.Work);
        Assert.False(result.TryGetProperty("knownDeviations", out var deviations), $"The model hits Arm NN 20.08's PAD deviation: {deviations}");
        Assert.Equal("uint8", result.GetProperty("outputType").GetString());
        var armnn = result.GetProperty("outputs").EnumerateArray().Select(row => row.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();

        using var interpreter = new TfliteInterpreter(tflite);
        var maxSteps = 0;
        for (var n = 0; n < picked.Length; n++)
        {
            interpreter.Run(fixture.ValidationPixels.AsSpan(picked[n] * size, size));
            var steps = interpreter.Output(0).Select(v => (int)Math.Round(v / ClassifierTfliteConverter.ScoreScale)).ToArray();
            maxSteps = Math.Max(maxSteps, steps.Zip(armnn[n], (a, b) => Math.Abs(a - b)).Max());
        }
        // Each int8 layer may round a step apart between the two runtimes' kernels; through ~70 layers that reaches the
        // scores as 2 steps of 1/256 here (issue 12 asks for 1).
        output.WriteLine($"Arm NN 20.08 (CpuRef) vs TFLite C API on {picked.Length} photos: max difference {maxSteps} output steps of 1/256");
        Assert.True(maxSteps <= 2, $"Arm NN differs from TFLite by {maxSteps} quantization steps");
    }

    private (float[][] Tflite, double[][] Onnx) Score(byte[] tflite, ClassifierHead head, string onnxPath, bool uint8)
    {
        var onnx = NodeScript.Matrix(NodeScript.Run("onnx-scores.mjs", new { model = onnxPath, images = fixture.ValidationImagesPath, count = fixture.ValidationCount, height = Side, width = Side }, fixture.Work).GetProperty("scores"));
        using var interpreter = new TfliteInterpreter(tflite);
        var size = Side * Side * 3;
        var scores = new float[fixture.ValidationCount][];
        for (var i = 0; i < scores.Length; i++)
        {
            var pixels = fixture.ValidationPixels.AsSpan(i * size, size);
            if (uint8)
            {
                interpreter.Run(pixels);
            }
            else
            {
                var normalized = new float[size];
                for (var j = 0; j < size; j++) normalized[j] = (pixels[j] - ClassifierTfliteConverter.FloatInputCentre) / ClassifierTfliteConverter.FloatInputCentre;
                interpreter.Run(normalized);
            }
            scores[i] = interpreter.Output(0);
            Assert.Equal(head.ClassCount, scores[i].Length);
        }
        return (scores, onnx);
    }

    private void AssertAgreement(float[][] tflite, double[][] onnx, double maxMeanDifference)
    {
        var sameTop = tflite.Zip(onnx).Count(p => Array.IndexOf(p.First, p.First.Max()) == Array.IndexOf(p.Second, p.Second.Max()));
        var meanDifference = tflite.Zip(onnx).SelectMany(p => p.First.Zip(p.Second, (a, b) => Math.Abs(a - b))).Average();
        output.WriteLine($"TFLite {TfliteInterpreter.Version} vs model.onnx on {tflite.Length} photos: same top label {sameTop}, mean |score diff| {meanDifference:0.0000}");
        Assert.True(sameTop >= Math.Ceiling(0.98 * tflite.Length), $"same top label on {sameTop} of {tflite.Length}");
        Assert.True(meanDifference < maxMeanDifference, $"mean |score diff| {meanDifference}");
    }
}
