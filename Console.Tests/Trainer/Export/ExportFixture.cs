using VisionConsole.Domain.Imaging;
using VisionConsole.Trainer.Export;
using VisionConsole.Trainer.Imaging;
using VisionConsole.Trainer.Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace VisionConsole.Tests.Trainer.Export;

/// <summary>
/// Real inputs for the export tests, made once: the zoo's MobileNetV2 int8, hymenoptera photos decoded by
/// libvips (centre crop to 224), and a 2-class softmax head fitted here (logistic regression by gradient
/// descent on ORT features of 20 + 20 training photos), exported to model.onnx, tfjs/ and the zip.
/// </summary>
public sealed class ExportFixture : IDisposable
{
    public const int ValidationPerClass = 25;
    private const int TrainPerClass = 20;
    private const int Side = 224;

    public ExportFixture()
    {
        Work = Directory.CreateTempSubdirectory("vc-export-tests-").FullName;
        var zoo = SharedData.Zoo;
        Datasets = SharedData.Datasets;
        Backbone = ClassifierBackbone.MobileNetV2Int8(Path.Combine(zoo, "mobilenetv2-12-int8", "mobilenetv2-12-int8.onnx"));

        // The untouched backbone with its feature map exposed: what the reference scripts run.
        var features = OnnxModelBuilder.Load(Backbone.OnnxPath);
        features.AddOutput(Backbone.FeatureMapName, DataType.Float, null, Backbone.FeatureDimension, 7, 7);
        FeatureModelPath = Path.Combine(Work, "backbone-features.onnx");
        features.Save(FeatureModelPath);

        var codec = new VipsImageCodec();
        var (trainPixels, trainLabels) = Decode(codec, "train", TrainPerClass);
        (ValidationPixels, ValidationLabels) = Decode(codec, "val", ValidationPerClass);
        ValidationImagesPath = Path.Combine(Work, "validation.rgb");
        File.WriteAllBytes(ValidationImagesPath, ValidationPixels);
        var trainPath = Path.Combine(Work, "train.rgb");
        File.WriteAllBytes(trainPath, trainPixels);

        var trainFeatures = NodeScript.Matrix(NodeScript.Run("backbone-features.mjs", BackboneSpec(trainPath, trainLabels.Length), Work).GetProperty("features"));
        Head = FitHead(trainFeatures, trainLabels, ["ants", "bees"]);
        TrainFeatures = [.. trainFeatures.Select(f => f.Select(v => (float)v).ToArray())];

        OnnxPath = Path.Combine(Work, "model.onnx");
        ClassifierOnnxExporter.Write(OnnxPath, Backbone, Head);
        TfjsFolder = Path.Combine(Work, "tfjs");
        ClassifierTfjsConverter.Write(TfjsFolder, Backbone, Head);
    }

    public string Work { get; }
    public string Datasets { get; }
    public ClassifierBackbone Backbone { get; }
    public string FeatureModelPath { get; }
    public ClassifierHead Head { get; }

    /// <summary>The pooled backbone features of the training photos the head was fitted on (TFLite calibration data).</summary>
    public float[][] TrainFeatures { get; }
    public string OnnxPath { get; }
    public string TfjsFolder { get; }
    public byte[] ValidationPixels { get; }
    public int[] ValidationLabels { get; }
    public string ValidationImagesPath { get; }
    public int ValidationCount => ValidationLabels.Length;

    /// <summary>The case the reference scripts take for the backbone part.</summary>
    public object BackboneSpec(string imagesPath, int count) => new
    {
        backbone = FeatureModelPath,
        featureOutput = Backbone.FeatureMapName,
        backboneInput = Backbone.InputName,
        images = imagesPath,
        count,
        height = Side,
        width = Side,
        mean = Backbone.Preprocessing.Mean,
        std = Backbone.Preprocessing.Std,
    };

    /// <summary>The case onnx-reference.mjs takes.</summary>
    public object OnnxReferenceSpec(string modelPath, ClassifierHead head, string imagesPath, int count) => new
    {
        model = modelPath,
        backbone = FeatureModelPath,
        featureOutput = Backbone.FeatureMapName,
        backboneInput = Backbone.InputName,
        images = imagesPath,
        count,
        height = Side,
        width = Side,
        mean = Backbone.Preprocessing.Mean,
        std = Backbone.Preprocessing.Std,
        head = new
        {
            mean = head.Mean,
            std = head.Std,
            hidden = head.HiddenLayers.Select(l => new { inputs = l.Inputs, outputs = l.Outputs, weights = l.Weights, bias = l.Bias }),
            weights = head.Weights,
            bias = head.Bias,
            activation = head.Activation.ToString(),
        },
    };

    public void Dispose()
    {
        try { Directory.Delete(Work, recursive: true); } catch (IOException) { }
    }

    private (byte[] Pixels, int[] Labels) Decode(VipsImageCodec codec, string split, int perClass)
    {
        var pixels = new List<byte>();
        var labels = new List<int>();
        string[] classes = ["ants", "bees"];
        for (var c = 0; c < classes.Length; c++)
        {
            var taken = 0;
            foreach (var file in Directory.GetFiles(Path.Combine(Datasets, "hymenoptera", split, classes[c])).Order(StringComparer.Ordinal))
            {
                if (taken == perClass) break;
                RgbImage image;
                try
                {
                    image = codec.DecodeRgb(File.ReadAllBytes(file), Side, Side, FitMode.CenterCrop);
                }
                catch (ImageRejectedException)
                {
                    continue; // the dataset keeps a non-photo on purpose; the codec's tests cover it.
                }
                pixels.AddRange(image.Pixels);
                labels.Add(c);
                taken++;
            }
        }
        return ([.. pixels], [.. labels]);
    }

    /// <summary>Softmax regression on standardized features, full-batch gradient descent with L2: deterministic.</summary>
    private static ClassifierHead FitHead(double[][] features, int[] labels, string[] names)
    {
        int n = features.Length, d = features[0].Length, classes = names.Length;
        var mean = new float[d];
        var std = new float[d];
        for (var k = 0; k < d; k++)
        {
            var m = features.Average(f => f[k]);
            var v = features.Average(f => (f[k] - m) * (f[k] - m));
            mean[k] = (float)m;
            std[k] = (float)Math.Sqrt(v + 1e-6);
        }
        var z = features.Select(f => Enumerable.Range(0, d).Select(k => (f[k] - mean[k]) / std[k]).ToArray()).ToArray();
        var w = new double[classes * d];
        var b = new double[classes];
        const double rate = 0.05, l2 = 0.05;
        for (var step = 0; step < 200; step++)
        {
            var gw = new double[w.Length];
            var gb = new double[classes];
            for (var i = 0; i < n; i++)
            {
                var logits = Enumerable.Range(0, classes).Select(c => b[c] + Enumerable.Range(0, d).Sum(k => w[c * d + k] * z[i][k])).ToArray();
                var max = logits.Max();
                var e = logits.Select(l => Math.Exp(l - max)).ToArray();
                var total = e.Sum();
                for (var c = 0; c < classes; c++)
                {
                    var g = e[c] / total - (labels[i] == c ? 1 : 0);
                    gb[c] += g / n;
                    for (var k = 0; k < d; k++) gw[c * d + k] += g * z[i][k] / n;
                }
            }
            for (var j = 0; j < w.Length; j++) w[j] -= rate * (gw[j] + l2 * w[j]);
            for (var c = 0; c < classes; c++) b[c] -= rate * gb[c];
        }
        return new ClassifierHead(names, mean, std, [.. w.Select(v => (float)v)], [.. b.Select(v => (float)v)], HeadActivation.Softmax);
    }

}
