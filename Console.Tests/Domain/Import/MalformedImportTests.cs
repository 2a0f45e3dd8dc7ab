using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using VisionConsole.Domain.Import;
using static VisionConsole.Tests.Domain.Import.ImportTestData;

namespace VisionConsole.Tests.Domain.Import;

/// <summary>Bad input made on purpose: each bad row or entry is reported where it is, and everything else is kept.</summary>
public sealed class MalformedImportTests
{
    private static List<string> HymenopteraFiles(int count) =>
        Directory.EnumerateFiles(Path.Combine(Hymenoptera, "train", "bees")).Order(StringComparer.Ordinal)
            .Concat(Directory.EnumerateFiles(Path.Combine(Hymenoptera, "val", "bees")).Order(StringComparer.Ordinal))
            .Take(count).ToList();

    [Fact]
    public void Plan_CsvWithFiveBadRowsAmongHundredGood_Gives100ItemsAndFiveErrorsAtTheirLines()
    {
        using var temp = new TempFolder();
        var files = HymenopteraFiles(100);
        var lines = files.Select((f, i) => $"{(i % 10 == 0 ? "TEST" : "TRAIN")},\"images/{Path.GetFileName(f)}\",{(i % 2 == 0 ? "bee" : "honey bee")}").ToList();
        var bad = new SortedDictionary<int, string> // 1-based line number in the final file -> bad row
        {
            [4] = $"TRAINING,images/{Path.GetFileName(files[0])},bee",          // unknown set
            [20] = "TRAIN,gs://bucket/images/not-uploaded.jpg,bee",             // missing file
            [51] = "TRAIN,,bee",                                                // no path
            [77] = $"VALIDATE,images/{Path.GetFileName(files[1])},bee",          // unknown set
            [105] = $"TRAIN,images/{Path.GetFileName(files[2])},\"???\"",        // label with nothing usable
        };
        foreach (var (line, row) in bad)
            lines.Insert(line - 1, row);
        var csv = temp.Write("labels.csv", string.Join("\r\n", lines) + "\r\n");
        using var upload = new ImportUpload(files.Select(f => UploadedFile.FromPath(f, "images/" + Path.GetFileName(f))).Prepend(UploadedFile.FromPath(csv)));

        var plan = ImportPlanner.Plan(upload);

        Assert.Equal(100, plan.Items.Count);
        var errors = plan.Issues.Where(i => i.Severity == ImportSeverity.Error).ToList();
        Assert.Equal(bad.Keys, errors.Select(e => e.Line!.Value));
        Assert.All(errors, e => Assert.Equal("labels.csv", e.Source));
        Assert.Contains("Unknown set 'TRAINING'", errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("not-uploaded.jpg", errors[1].Message, StringComparison.Ordinal);
        Assert.Contains("no image path", errors[2].Message, StringComparison.Ordinal);
        Assert.Contains("Unknown set 'VALIDATE'", errors[3].Message, StringComparison.Ordinal);
        Assert.Contains("'???'", errors[4].Message, StringComparison.Ordinal);
        // "honey bee" breaks the naming rule once, is sanitized everywhere, and is reported once at its first line.
        var rename = Assert.Single(plan.Issues, i => i.Severity == ImportSeverity.Warning);
        Assert.Equal(("honey_bee", 2), (rename.SuggestedFix, rename.Line));
        Assert.Equal(["bee", "honey_bee"], plan.Labels);
        Assert.Equal(10, plan.Items.Count(i => i.Split == VisionConsole.Domain.Datasets.DataSplit.Test));
    }

    [Fact]
    public void Plan_DetectionCsvWithBadBoxes_DropsOnlyThoseBoxesAndWarnsOnTinyOnes()
    {
        using var temp = new TempFolder();
        var files = HymenopteraFiles(3);
        var (a, b, c) = (Path.GetFileName(files[0]), Path.GetFileName(files[1]), Path.GetFileName(files[2]));
        var csv = temp.Write("boxes.csv", string.Join("\n",
            $"TRAIN,{a},bee,0.1,0.1,,,0.5,0.5,,",                  // 1 good, two-vertex
            $"TRAIN,{a},bee,0.2,0.2,0.6,0.2,0.6,0.7,0.2,0.7",       // 2 good, four-vertex
            $"TRAIN,{a},bee,0.1,0.1,,,1.5,0.5,,",                  // 3 outside 0-1
            $"TRAIN,{b},bee,0.5,0.1,,,0.4,0.5,,",                  // 4 x2 <= x1
            $"TRAIN,{b},bee,0.1,0.5,,,0.4,0.5,,",                  // 5 y2 <= y1
            $"TRAIN,{b},bee,0.1,0.1,,,0.105,0.5,,",                // 6 tiny: kept with a warning
            $"TRAIN,{b},bee,abc,0.1,,,0.4,0.5,,",                  // 7 not a number
            $"TEST,{c},,,,,,,,,",                                  // 8 no objects
            $"TRAIN,{b},bee,0.1,0.1,0.4",                          // 9 too few fields
            ""));
        using var upload = new ImportUpload(files.Select(f => UploadedFile.FromPath(f)).Prepend(UploadedFile.FromPath(csv)));

        var plan = ImportPlanner.Plan(upload);

        Assert.Equal(3, plan.Items.Count);
        var byName = plan.Items.ToDictionary(i => i.FileName);
        Assert.Equal(2, byName[a].Boxes.Count);
        AssertBox(new ImportBox("bee", 0.2, 0.2, 0.4, 0.5), byName[a].Boxes[1]);
        var tiny = Assert.Single(byName[b].Boxes);
        Assert.Equal(0.005, tiny.Width, 1e-12);
        Assert.True(byName[c].Annotated);
        Assert.Empty(byName[c].Boxes);
        Assert.Equal(VisionConsole.Domain.Datasets.DataSplit.Test, byName[c].Split);
        Assert.Equal([3, 4, 5, 7, 9], plan.Issues.Where(i => i.Severity == ImportSeverity.Error).Select(i => i.Line!.Value));
        Assert.Equal([6], plan.Issues.Where(i => i.Severity == ImportSeverity.Warning).Select(i => i.Line!.Value));
        Assert.Contains("outside 0-1", plan.Issues.Single(i => i.Line == 3).Message, StringComparison.Ordinal);
        Assert.Contains("x2 > x1", plan.Issues.Single(i => i.Line == 4).Message, StringComparison.Ordinal);
        Assert.Contains("smaller than 1%", plan.Issues.Single(i => i.Line == 6).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_ZipWithZipSlipEntries_RefusesThemByNameAndKeepsTheOthers()
    {
        using var temp = new TempFolder();
        var files = HymenopteraFiles(2);
        var zip = WriteZip(temp.File("slip.zip"), [
            ("bees/" + Path.GetFileName(files[0]), files[0], null),
            ("../../etc/evil.jpg", files[1], null),
            ("/abs/evil2.jpg", files[1], null),
            ("bees/../../evil3.jpg", files[1], null),
            ("bees/" + Path.GetFileName(files[1]), files[1], null),
        ]);
        using var upload = new ImportUpload([UploadedFile.FromPath(zip)]);

        var plan = ImportPlanner.Plan(upload);

        Assert.Equal(2, plan.Items.Count);
        Assert.All(plan.Items, i => Assert.Equal(["bees"], i.Labels));
        var errors = plan.Issues.Where(i => i.Severity == ImportSeverity.Error).ToList();
        Assert.Equal([2, 3, 4], errors.Select(e => e.Entry!.Value));
        Assert.Contains("'../../etc/evil.jpg'", errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("'/abs/evil2.jpg'", errors[1].Message, StringComparison.Ordinal);
        Assert.Contains("'bees/../../evil3.jpg'", errors[2].Message, StringComparison.Ordinal);
        Assert.All(errors, e => Assert.Contains("zip-slip", e.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void Plan_ZipWhoseCentralDirectoryClaimsA4GbEntry_RefusesItUpFrontWithoutReadingIt()
    {
        using var temp = new TempFolder();
        var good = HymenopteraFiles(1)[0];
        var path = WriteZip(temp.File("bomb.zip"), [
            ("good.jpg", good, null),
            ("bomb.jpg", null, new byte[4096]),
            ("also-good.jpg", good, null),
        ]);
        // Patch the stored entry's declared uncompressed size to 0xFFFFFFFE bytes (4 GB) in both headers.
        var bytes = File.ReadAllBytes(path);
        var bomb = ReadCentralDirectory(bytes).Single(e => e.Name == "bomb.jpg");
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bomb.RecordOffset + 24), 0xFFFFFFFE);
        Assert.Equal(0x04034b50u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan((int)bomb.LocalHeaderOffset)));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan((int)bomb.LocalHeaderOffset + 22), 0xFFFFFFFE);
        File.WriteAllBytes(path, bytes);
        var bombStart = bomb.LocalHeaderOffset;
        var bombEnd = bomb.LocalHeaderOffset + 30 + "bomb.jpg".Length + bomb.CompressedSize;
        var reads = new List<(long Start, int Count)>();
        using var upload = new ImportUpload([new UploadedFile("bomb.zip", () => new ReadRecordingStream(File.OpenRead(path), reads))]);

        var plan = ImportPlanner.Plan(upload);

        var error = Assert.Single(plan.Issues);
        Assert.Equal(ImportSeverity.Error, error.Severity);
        Assert.Equal(("bomb.zip", 2), (error.Source, error.Entry));
        Assert.Equal("Entry 'bomb.jpg' claims 4.0 GB uncompressed, over the 30.0 MB limit for one image; refused without extracting it.", error.Message);
        Assert.Equal(["good.jpg", "also-good.jpg"], plan.Items.Select(i => i.Path));
        // The one read that may cover it is the end-record probe, which reads the whole tail of a small file at once.
        var tail = Math.Min(bytes.Length, 22 + 0xFFFF);
        Assert.DoesNotContain(reads, r => r.Count > 0 && r.Start < bombEnd && r.Start + r.Count > bombStart && (r.Start, r.Count) != (bytes.Length - tail, tail));
        Assert.Throws<InvalidDataException>(() => upload.OpenImage(new ImageReference("bomb.zip", "bomb.jpg")));
        // The recorder does see extraction: reading the good entry touches its range.
        var goodEntry = ReadCentralDirectory(bytes).Single(e => e.Name == "good.jpg");
        using (var stream = upload.OpenImage(plan.Items[0].Source))
            stream.CopyTo(Stream.Null);
        Assert.Contains(reads, r => r.Count > 0 && r.Start <= goodEntry.LocalHeaderOffset + 30 + goodEntry.CompressedSize / 2 && r.Start + r.Count > goodEntry.LocalHeaderOffset + 30 + goodEntry.CompressedSize / 2);
    }

    [Fact]
    public void OpenImage_EntryInflatingPastItsDeclaredSize_YieldsNoMoreThanDeclared()
    {
        using var temp = new TempFolder();
        var path = WriteZip(temp.File("liar.zip"), [("a.jpg", null, new byte[100_000])], CompressionLevel.Optimal);
        var bytes = File.ReadAllBytes(path);
        var entry = ReadCentralDirectory(bytes).Single();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(entry.RecordOffset + 24), 1000);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan((int)entry.LocalHeaderOffset + 22), 1000);
        File.WriteAllBytes(path, bytes);
        using var upload = new ImportUpload([UploadedFile.FromPath(path)]);
        var item = Assert.Single(ImportPlanner.Plan(upload).Items);

        using var stream = upload.OpenImage(item.Source);
        long total = 0;
        try
        {
            var buffer = new byte[8192];
            for (int n; (n = stream.Read(buffer)) > 0;)
                total += n;
        }
        catch (InvalidDataException)
        {
            // Refusing the rest is as good as stopping at the declared size.
        }

        Assert.InRange(total, 0, 1000);
    }

    [Fact]
    public void Plan_ZipOverTheEntryOrTotalLimits_IsRefusedWhole()
    {
        using var temp = new TempFolder();
        var files = HymenopteraFiles(4);
        var zip = WriteZip(temp.File("many.zip"), files.Select(f => (Path.GetFileName(f), (string?)f, (byte[]?)null)));
        using var upload = new ImportUpload([UploadedFile.FromPath(zip)]);

        var tooMany = ImportPlanner.Plan(upload, new ImportOptions { Zip = new ZipLimits { MaxEntries = 3 } });
        var tooBig = ImportPlanner.Plan(upload, new ImportOptions { Zip = new ZipLimits { MaxTotalUncompressedBytes = 10_000 } });

        Assert.Empty(tooMany.Items);
        Assert.Contains(tooMany.Issues, i => i.Severity == ImportSeverity.Error && i.Message.StartsWith("The zip lists 4 entries, more than the limit of 3", StringComparison.Ordinal));
        Assert.Empty(tooBig.Items);
        Assert.Contains(tooBig.Issues, i => i.Severity == ImportSeverity.Error && i.Message.Contains("more than the limit of 9.8 KB", StringComparison.Ordinal));
    }

    [Fact]
    public void Plan_ZipWithNestedArchives_IgnoresThemWithAWarning()
    {
        using var temp = new TempFolder();
        var file = HymenopteraFiles(1)[0];
        var zip = WriteZip(temp.File("outer.zip"), [
            ("bees/a.jpg", file, null), ("more/inner.zip", null, [1, 2, 3]), ("more/x.tar.gz", null, [1]), ("more/y.7z", null, [1])]);
        using var upload = new ImportUpload([UploadedFile.FromPath(zip)]);

        var plan = ImportPlanner.Plan(upload);

        Assert.Single(plan.Items);
        Assert.Equal([2, 3, 4], plan.Issues.Select(i => i.Entry!.Value));
        Assert.All(plan.Issues, i => Assert.Equal(ImportSeverity.Warning, i.Severity));
        Assert.All(plan.Issues, i => Assert.Contains("nested archive", i.Message, StringComparison.Ordinal));
    }

    /// <summary>Found by <see cref="ImportFuzzTests"/>: a byte that is not UTF-8 inside a JSON string threw out of the planner.</summary>
    [Fact]
    public void Plan_CocoWithAByteThatIsNotUtf8_AnErrorNamingTheLineAndByte()
    {
        var json = Encoding.UTF8.GetBytes("{\n  \"images\": [{\"id\": 1, \"file_name\": \"a.jpg\", \"width\": 5, \"height\": 4}],\n  \"categories\": [{\"id\": 1, \"name\": \"bee\"}]\n}");
        var at = Array.IndexOf(json, (byte)'b');
        json[at] = 0xA5;
        using var upload = new ImportUpload([new UploadedFile("coco.json", () => new MemoryStream(json))]);

        var plan = ImportPlanner.Plan(upload);

        var error = Assert.Single(plan.Issues, i => i.Message.Contains("UTF-8", StringComparison.Ordinal));
        Assert.Equal((ImportSeverity.Error, "coco.json", (int?)3), (error.Severity, error.Source, error.Line));
        Assert.Equal($"The JSON is not valid UTF-8: byte {at} (0xA5) starts no character. Save the file as UTF-8.", error.Message);
        Assert.Empty(plan.Items);
    }

    /// <summary>Found by <see cref="ImportFuzzTests"/>: a zip whose end record counts more entries than its directory holds threw out of the planner.</summary>
    [Fact]
    public void Plan_ZipWhoseEndRecordMiscountsItsEntries_AnErrorForTheZip()
    {
        using var temp = new TempFolder();
        var path = WriteZip(temp.File("miscounted.zip"), [("a.jpg", null, new byte[16]), ("b.jpg", null, new byte[16])]);
        var bytes = File.ReadAllBytes(path);
        // The end-of-central-directory record: its two entry counts (this disk, total) say 3.
        var end = bytes.Length - 22;
        Assert.Equal(0x06054b50u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(end)));
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(end + 8), 3);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(end + 10), 3);
        using var upload = new ImportUpload([new UploadedFile("miscounted.zip", () => new MemoryStream(bytes))]);

        var plan = ImportPlanner.Plan(upload);

        var error = Assert.Single(plan.Issues, i => i.Message.StartsWith("The zip's central directory is damaged: ", StringComparison.Ordinal));
        Assert.Equal((ImportSeverity.Error, "miscounted.zip"), (error.Severity, error.Source));
        Assert.Empty(plan.Items);
    }

    [Fact]
    public void Plan_CocoWithDanglingCategoryId_DropsOnlyThatAnnotation()
    {
        using var temp = new TempFolder();
        var files = HymenopteraFiles(3);
        var names = files.Select(Path.GetFileName).ToList();
        var json = temp.Write("coco.json", $$"""
            {
              "images": [
                {"id": 1, "file_name": "{{names[0]}}", "width": 500, "height": 400},
                {"id": 2, "file_name": "{{names[1]}}", "width": 500, "height": 400},
                {"id": 3, "file_name": "{{names[2]}}", "width": 500, "height": 400}
              ],
              "categories": [{"id": 1, "name": "bee"}, {"id": 2, "name": "flower"}],
              "annotations": [
                {"id": 10, "image_id": 1, "category_id": 1, "bbox": [50, 40, 100, 80]},
                {"id": 11, "image_id": 2, "category_id": 2, "bbox": [0, 0, 500, 400]},
                {"id": 12, "image_id": 2, "category_id": 99, "bbox": [10, 10, 20, 20]},
                {"id": 13, "image_id": 42, "category_id": 1, "bbox": [10, 10, 20, 20]},
                {"id": 14, "image_id": 3, "category_id": 1, "bbox": [400, 300, 200, 50]}
              ]
            }
            """);
        using var upload = new ImportUpload(files.Select(f => UploadedFile.FromPath(f)).Prepend(UploadedFile.FromPath(json)));

        var plan = ImportPlanner.Plan(upload);

        Assert.Equal(3, plan.Items.Count);
        AssertBox(new ImportBox("bee", 0.1, 0.1, 0.2, 0.2), plan.Items[0].Boxes.Single());
        AssertBox(new ImportBox("flower", 0, 0, 1, 1), plan.Items[1].Boxes.Single());
        Assert.Empty(plan.Items[2].Boxes);
        var errors = plan.Issues.Where(i => i.Severity == ImportSeverity.Error).ToList();
        Assert.Equal([3, 4, 5], errors.Select(e => e.Entry!.Value));
        Assert.Contains("annotations[2] (id 12) points to category id 99", errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("dangling category id", errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("image id 42", errors[1].Message, StringComparison.Ordinal);
        Assert.Contains("outside the 500x400 image", errors[2].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_VocWithoutSize_KeepsPixelBoxesUntilTheImageSizeIsKnown()
    {
        using var temp = new TempFolder();
        var image = HymenopteraFiles(1)[0];
        var name = Path.GetFileName(image);
        var xml = temp.Write(Path.ChangeExtension(name, ".xml"), $"""
            <annotation>
              <filename>{name}</filename>
              <size><width>0</width><height>0</height><depth>3</depth></size>
              <object><name>bee</name><bndbox><xmin>50</xmin><ymin>40</ymin><xmax>150</xmax><ymax>120</ymax></bndbox></object>
              <object><name>bee</name><bndbox><xmin>450</xmin><ymin>40</ymin><xmax>900</xmax><ymax>120</ymax></bndbox></object>
              <object>
                <name>bee</name>
              </object>
            </annotation>
            """);
        using var upload = new ImportUpload([UploadedFile.FromPath(xml), UploadedFile.FromPath(image)]);

        var plan = ImportPlanner.Plan(upload);

        var item = Assert.Single(plan.Items);
        Assert.True(item.NeedsImageSize);
        Assert.Equal(2, item.PixelBoxes.Count);
        var missingBox = Assert.Single(plan.Issues);
        Assert.Equal((ImportSeverity.Error, 6), (missingBox.Severity, missingBox.Line));

        var issues = new List<ImportIssue>();
        var sized = item.WithImageSize(500, 400, issues);

        Assert.False(sized.NeedsImageSize);
        AssertBox(new ImportBox("bee", 0.1, 0.1, 0.2, 0.2), sized.Boxes.Single());
        var outside = Assert.Single(issues);
        Assert.Equal((ImportSeverity.Error, 5), (outside.Severity, outside.Line));
        Assert.Contains("outside the 500x400 image", outside.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_MalformedVocXml_ReportsTheLineAndReadsTheOtherFiles()
    {
        using var temp = new TempFolder();
        var images = HymenopteraFiles(2);
        var good = temp.Write("good.xml", $"<annotation><filename>{Path.GetFileName(images[0])}</filename><size><width>100</width><height>100</height></size>" +
            "<object><name>bee</name><bndbox><xmin>10</xmin><ymin>10</ymin><xmax>50</xmax><ymax>50</ymax></bndbox></object></annotation>");
        var broken = temp.Write("broken.xml", $"<annotation>\n<filename>{Path.GetFileName(images[1])}</filename>\n<object><name>bee</oops>\n</annotation>");
        using var upload = new ImportUpload([UploadedFile.FromPath(good), UploadedFile.FromPath(broken), .. images.Select(i => UploadedFile.FromPath(i))]);

        var plan = ImportPlanner.Plan(upload, new ImportOptions { Format = ImportFormat.PascalVoc });

        AssertBox(new ImportBox("bee", 0.1, 0.1, 0.4, 0.4), plan.Items.Single(i => i.FileName == Path.GetFileName(images[0])).Boxes.Single());
        var error = Assert.Single(plan.Issues, i => i.Severity == ImportSeverity.Error);
        Assert.Equal(("broken.xml", 3), (error.Source, error.Line));
    }

    [Fact]
    public void Plan_UploadNamedWithDotDot_IsRefused()
    {
        var image = HymenopteraFiles(1)[0];
        using var upload = new ImportUpload([UploadedFile.FromPath(image, "../x.jpg"), UploadedFile.FromPath(image, "ok/x.jpg")]);

        var plan = ImportPlanner.Plan(upload);

        Assert.Equal("ok/x.jpg", Assert.Single(plan.Items).Path);
        Assert.Equal(ImportSeverity.Error, Assert.Single(plan.Issues).Severity);
    }

    [Fact]
    public void CsvRecordReader_QuotedFieldsCrLfAndBom_ParsesFieldsAndLineNumbers()
    {
        var text = "\uFEFFa,\"b,c\",\"say \"\"hi\"\"\"\r\n\r\n\"multi\nline\",x\r\nlast,\"\"";
        using var reader = new StreamReader(new MemoryStream(new UTF8Encoding(true).GetBytes(text)), Encoding.UTF8, true);

        var records = new CsvRecordReader(reader).ReadAll().ToList();

        Assert.Equal(3, records.Count);
        Assert.Equal(["a", "b,c", "say \"hi\""], records[0].Fields);
        Assert.Equal(1, records[0].Line);
        Assert.Equal(["multi\nline", "x"], records[1].Fields);
        Assert.Equal(3, records[1].Line);
        Assert.Equal(["last", ""], records[2].Fields);
        Assert.Equal(5, records[2].Line);
    }

    private static void AssertBox(ImportBox expected, ImportBox actual)
    {
        Assert.Equal(expected.Label, actual.Label);
        Assert.Equal(expected.Left, actual.Left, 1e-12);
        Assert.Equal(expected.Top, actual.Top, 1e-12);
        Assert.Equal(expected.Width, actual.Width, 1e-12);
        Assert.Equal(expected.Height, actual.Height, 1e-12);
    }

    [Theory]
    [InlineData("golden retriever", "golden_retriever")]
    [InlineData("  Café-au-lait ", "Cafe_au_lait")]
    [InlineData("a.b/c", "a_b_c")]
    [InlineData("-x-", "x")]
    [InlineData("Straße Æble", "Strasse_AEble")]
    [InlineData("abcdefghijklmnopqrstuvwxyz_0123456789", "abcdefghijklmnopqrstuvwxyz_01234")]
    [InlineData("???", null)]
    public void Sanitize_InvalidName_GivesTheClosestValidName(string raw, string? expected)
    {
        Assert.False(LabelNames.IsValid(raw));
        Assert.Equal(expected, LabelNames.Sanitize(raw));
        if (expected is not null)
            Assert.True(LabelNames.IsValid(expected));
    }
}
