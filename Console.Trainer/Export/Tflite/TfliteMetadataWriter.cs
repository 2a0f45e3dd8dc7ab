using System.IO.Compression;
using System.Text;
using Google.FlatBuffers;

namespace VisionConsole.Trainer.Export.Tflite;

/// <summary>How an image input is normalized before the model: <c>(pixel − Mean) / Std</c> per channel (TFLite Support's <c>NormalizationOptions</c>).</summary>
/// <param name="Mean">Per-channel mean (one value: every channel).</param>
/// <param name="Std">Per-channel standard deviation.</param>
public sealed record TfliteNormalization(float[] Mean, float[] Std);

/// <summary>
/// The TFLite Support metadata of a model (<c>metadata_schema.fbs</c> 1.1.0, identifier <c>M001</c>), the part ML Kit and
/// the Task Library read: model name, description, version, author, license; one image input (RGB, its size and
/// normalization); the outputs, each with its content and, for the scores, the labels file as <c>TENSOR_AXIS_LABELS</c>.
/// </summary>
/// <param name="Name">Model name.</param>
/// <param name="Description">What the model does.</param>
/// <param name="Version">Model version.</param>
/// <param name="Author">Who made it.</param>
/// <param name="License">Its license.</param>
/// <param name="InputName">The image input's name.</param>
/// <param name="InputWidth">Input width in pixels.</param>
/// <param name="InputHeight">Input height in pixels.</param>
/// <param name="Normalization">The input's normalization.</param>
/// <param name="Outputs">The outputs in subgraph order.</param>
public sealed record TfliteModelMetadata(
    string Name, string Description, string Version, string Author, string License,
    string InputName, int InputWidth, int InputHeight, TfliteNormalization Normalization, IReadOnlyList<TfliteOutputMetadata> Outputs);

/// <summary>What one output holds.</summary>
public enum TfliteOutputContent
{
    /// <summary>Scores, one per label (the labels file annotates the last axis: <c>TENSOR_AXIS_LABELS</c>).</summary>
    Scores,
    /// <summary>Detection boxes <c>[top, left, bottom, right]</c> normalized to [0, 1].</summary>
    Boxes,
    /// <summary>Detection classes, each a label index (the labels file maps values: <c>TENSOR_VALUE_LABELS</c>).</summary>
    Classes,
    /// <summary>Detection scores (no labels).</summary>
    DetectionScores,
    /// <summary>The number of detections.</summary>
    Count,
}

/// <summary>Metadata of one output.</summary>
/// <param name="Name">The output's name.</param>
/// <param name="Description">What it holds.</param>
/// <param name="Content">Its content.</param>
/// <param name="LabelsFile">The labels file attached to it (its name in the zip appended to the model), or null.</param>
public sealed record TfliteOutputMetadata(string Name, string Description, TfliteOutputContent Content, string? LabelsFile = null);

/// <summary>
/// Writes TFLite Support metadata and packs associated files into a model as its spec says: the metadata flatbuffer goes
/// into a model buffer named <c>TFLITE_METADATA</c> (<see cref="TfliteModelWriter"/>), and the files are appended as an
/// uncompressed zip, so the model is at once a valid TFLite flatbuffer and a valid zip whose entries the metadata names.
/// Written by hand because no package ships the metadata schema's C# (DESIGN.md, "TFLite").
/// </summary>
public static class TfliteMetadataWriter
{
    /// <summary>The metadata flatbuffer's file identifier.</summary>
    public const string FileIdentifier = "M001";

    /// <summary>The oldest metadata parser that reads every field written here (TENSOR_AXIS_LABELS and the rest are 1.0.0).</summary>
    public const string MinParserVersion = "1.0.0";

    /// <summary>The metadata flatbuffer's bytes.</summary>
    public static byte[] Write(TfliteModelMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var b = new FlatBufferBuilder(4096);
        var input = ImageInput(b, metadata);
        var outputs = metadata.Outputs.Select(o => Output(b, o)).ToArray();
        var inputVector = TfliteModelWriter.OffsetVector(b, [input]);
        var outputVector = TfliteModelWriter.OffsetVector(b, outputs);
        var subgraphName = b.CreateString(metadata.Name);
        // SubGraphMetadata: name, description, input_tensor_metadata, output_tensor_metadata.
        b.StartTable(4);
        b.AddOffset(0, subgraphName.Value, 0);
        b.AddOffset(2, inputVector, 0);
        b.AddOffset(3, outputVector, 0);
        var subgraph = b.EndTable();

        var subgraphVector = TfliteModelWriter.OffsetVector(b, [subgraph]);
        var name = b.CreateString(metadata.Name);
        var description = b.CreateString(metadata.Description);
        var version = b.CreateString(metadata.Version);
        var author = b.CreateString(metadata.Author);
        var license = b.CreateString(metadata.License);
        var parser = b.CreateString(MinParserVersion);
        // ModelMetadata: name, description, version, subgraph_metadata, author, license, associated_files, min_parser_version.
        b.StartTable(8);
        b.AddOffset(0, name.Value, 0);
        b.AddOffset(1, description.Value, 0);
        b.AddOffset(2, version.Value, 0);
        b.AddOffset(3, subgraphVector, 0);
        b.AddOffset(4, author.Value, 0);
        b.AddOffset(5, license.Value, 0);
        b.AddOffset(7, parser.Value, 0);
        var root = b.EndTable();
        b.Finish(root, FileIdentifier);
        return b.SizedByteArray();
    }

    /// <summary>
    /// The model with <paramref name="files"/> appended as a zip of stored (uncompressed) entries, as TFLite Support's
    /// metadata extractor requires; zip offsets count from the start of the model, so the whole file opens as a zip.
    /// </summary>
    public static byte[] AppendFiles(byte[] model, IReadOnlyList<(string Name, byte[] Data)> files)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(files);
        using var stream = new MemoryStream();
        stream.Write(model);
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, data) in files)
            {
                var entry = zip.CreateEntry(name, CompressionLevel.NoCompression);
                // A fixed time (the zip format's epoch): the same model converts to the same bytes, so its hash (an app's
                // ETag) changes only when the model does.
                entry.LastWriteTime = new DateTimeOffset(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);
                using var entryStream = entry.Open();
                entryStream.Write(data);
            }
        }
        return stream.ToArray();
    }

    /// <summary>The labels file's bytes: one label a line, in output order.</summary>
    public static byte[] LabelsFile(IReadOnlyList<string> labels) => Encoding.UTF8.GetBytes(string.Join('\n', labels) + "\n");

    private static int ImageInput(FlatBufferBuilder b, TfliteModelMetadata m)
    {
        // ImageSize{width, height}; ImageProperties{color_space = RGB, default_size}.
        b.StartTable(2);
        b.AddUint(0, (uint)m.InputWidth, 0);
        b.AddUint(1, (uint)m.InputHeight, 0);
        var size = b.EndTable();
        b.StartTable(2);
        b.AddOffset(1, size, 0);
        b.AddByte(0, 1, 0);
        var image = b.EndTable();
        var content = Content(b, 2, image, null);

        // ProcessUnit{options: NormalizationOptions{mean, std}}.
        b.StartVector(4, m.Normalization.Mean.Length, 4);
        b.Add(m.Normalization.Mean);
        var mean = b.EndVector();
        b.StartVector(4, m.Normalization.Std.Length, 4);
        b.Add(m.Normalization.Std);
        var std = b.EndVector();
        b.StartTable(2);
        b.AddOffset(0, mean.Value, 0);
        b.AddOffset(1, std.Value, 0);
        var normalization = b.EndTable();
        b.StartTable(2);
        b.AddOffset(1, normalization, 0);
        b.AddByte(0, 1, 0);
        var unit = b.EndTable();
        var units = TfliteModelWriter.OffsetVector(b, [unit]);

        var name = b.CreateString(m.InputName);
        var description = b.CreateString($"RGB image, {m.InputWidth} x {m.InputHeight}.");
        return TensorMetadata(b, name.Value, description.Value, content, units, 0);
    }

    private static int Output(FlatBufferBuilder b, TfliteOutputMetadata o)
    {
        int content;
        if (o.Content == TfliteOutputContent.Boxes)
        {
            // BoundingBoxProperties{index = [1, 0, 3, 2] ([top, left, bottom, right] against the default left-top-right-bottom), BOUNDARIES, RATIO}.
            b.StartVector(4, 4, 4);
            b.Add(new uint[] { 1, 0, 3, 2 });
            var index = b.EndVector();
            b.StartTable(3);
            b.AddOffset(0, index.Value, 0);
            b.AddByte(1, 1, 0);
            var box = b.EndTable();
            // The boxes run along axis 2 of [1, N, 4].
            content = Content(b, 3, box, (2, 2));
        }
        else
        {
            b.StartTable(0);
            var feature = b.EndTable();
            content = Content(b, 1, feature, null);
        }
        var files = 0;
        if (o.LabelsFile is { } labels)
        {
            var fileName = b.CreateString(labels);
            var fileDescription = b.CreateString("Labels, one a line, in output order.");
            b.StartTable(4);
            b.AddOffset(0, fileName.Value, 0);
            b.AddOffset(1, fileDescription.Value, 0);
            b.AddByte(2, (byte)(o.Content == TfliteOutputContent.Classes ? 3 : 2), 0);
            var file = b.EndTable();
            files = TfliteModelWriter.OffsetVector(b, [file]);
        }
        var name = b.CreateString(o.Name);
        var description = b.CreateString(o.Description);
        return TensorMetadata(b, name.Value, description.Value, content, 0, files);
    }

    private static int Content(FlatBufferBuilder b, byte propertiesType, int properties, (int Min, int Max)? range)
    {
        var rangeTable = 0;
        if (range is { } r)
        {
            b.StartTable(2);
            b.AddInt(0, r.Min, 0);
            b.AddInt(1, r.Max, 0);
            rangeTable = b.EndTable();
        }
        // Content: content_properties_type, content_properties, range.
        b.StartTable(3);
        b.AddOffset(1, properties, 0);
        if (rangeTable != 0) b.AddOffset(2, rangeTable, 0);
        b.AddByte(0, propertiesType, 0);
        return b.EndTable();
    }

    private static int TensorMetadata(FlatBufferBuilder b, int name, int description, int content, int processUnits, int associatedFiles)
    {
        // TensorMetadata: name, description, dimension_names, content, process_units, stats, associated_files.
        b.StartTable(7);
        b.AddOffset(0, name, 0);
        b.AddOffset(1, description, 0);
        b.AddOffset(3, content, 0);
        if (processUnits != 0) b.AddOffset(4, processUnits, 0);
        if (associatedFiles != 0) b.AddOffset(6, associatedFiles, 0);
        return b.EndTable();
    }
}
