using VisionConsole.Trainer.Native.Ort;

namespace VisionConsole.Tests.Trainer.Ort;

public sealed class OrtSessionTests
{
    [Fact]
    public void Run_MulAddModelFromBytes_ReturnsXTimesTwoPlusOne()
    {
        using var session = OrtSession.FromBytes(TestModels.MulAdd());
        float[] x = [0f, 1f, 2f, -3f, 0.5f, 10f];
        using var input = OrtTensor.Create<float>(x, [2, 3]);

        var outputs = session.Run([new OrtInput("X", input)], ["Y"]);
        using var y = outputs[0];

        Assert.Equal([2L, 3L], y.Shape);
        Assert.Equal([1f, 3f, 5f, -5f, 2f, 21f], y.ToArray<float>());
    }

    [Fact]
    public void Run_MulAddModelFromFileWithDynamicBatch_ReturnsEveryRow()
    {
        var path = Path.Combine(Path.GetTempPath(), $"mul-add-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, TestModels.MulAdd());
        try
        {
            using var session = OrtSession.FromFile(path, new OrtSessionOptions { IntraOpThreads = 1, OptimizationLevel = GraphOptimizationLevel.Basic });
            foreach (var rows in new[] { 1, 5 })
            {
                var x = Enumerable.Range(0, rows * 3).Select(i => (float)i).ToArray();
                using var input = OrtTensor.Create<float>(x, [rows, 3]);
                var outputs = session.Run([new OrtInput("X", input)], ["Y"]);
                using var y = outputs[0];
                var copy = new float[rows * 3];
                y.CopyTo<float>(copy);
                Assert.Equal(x.Select(v => v * 2 + 1), copy);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Inputs_MulAddModel_ReportsNamesElementTypesAndDynamicBatch()
    {
        using var session = OrtSession.FromBytes(TestModels.MulAdd());

        var input = Assert.Single(session.Inputs);
        var output = Assert.Single(session.Outputs);
        Assert.Equal("X", input.Name);
        Assert.Equal(OrtElementType.Float, input.ElementType);
        Assert.Equal([-1L, 3L], input.Shape);
        Assert.Equal("Y", output.Name);
        Assert.Equal([-1L, 3L], output.Shape);
        Assert.Equal(["CPUExecutionProvider"], session.ExecutionProviders);
        Assert.Empty(session.ProviderWarnings);
    }

    [Fact]
    public void Run_UInt8AndInt64Tensors_CastsAndAdds()
    {
        using var session = OrtSession.FromBytes(TestModels.CastAndAddIntegers());
        byte[] a = [0, 7, 255];
        long[] b = [-4, 5_000_000_000, 1];
        using var aTensor = OrtTensor.Create<byte>(a, [3]);
        using var bTensor = OrtTensor.Create<long>(b, [3]);

        var outputs = session.Run([new OrtInput("A", aTensor), new OrtInput("B", bTensor)], ["S", "F"]);
        using var s = outputs[0];
        using var f = outputs[1];

        Assert.Equal(OrtElementType.Int64, s.ElementType);
        Assert.Equal([-8L, 10_000_000_000, 2], s.ToArray<long>());
        Assert.Equal(OrtElementType.Float, f.ElementType);
        Assert.Equal([0f, 7f, 255f], f.ToArray<float>());
        Assert.Equal([OrtElementType.UInt8, OrtElementType.Int64], session.Inputs.Select(i => i.ElementType));
    }

    [Fact]
    public void FromBytes_NotAModel_ThrowsOrtExceptionWithOrtMessage()
    {
        var broken = "this is not an ONNX file"u8.ToArray();

        var error = Assert.Throws<OrtException>(() => OrtSession.FromBytes(broken));

        Assert.Equal(OrtErrorCode.InvalidProtobuf, error.ErrorCode);
        Assert.Contains("protobuf parsing failed", error.OrtMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void FromFile_TruncatedModel_ThrowsOrtExceptionNamingTheFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"truncated-{Guid.NewGuid():N}.onnx");
        var model = TestModels.MulAdd();
        File.WriteAllBytes(path, model.AsSpan(0, model.Length / 2).ToArray());
        try
        {
            var error = Assert.Throws<OrtException>(() => OrtSession.FromFile(path));

            Assert.Equal(OrtErrorCode.InvalidProtobuf, error.ErrorCode);
            Assert.Contains(path, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void FromFile_MissingFile_ThrowsOrtExceptionNamingTheFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.onnx");

        var error = Assert.Throws<OrtException>(() => OrtSession.FromFile(path));

        Assert.Equal(OrtErrorCode.NoSuchFile, error.ErrorCode);
        Assert.Contains(path, error.OrtMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_WrongInputShape_ThrowsOrtExceptionNamingInputAndDimension()
    {
        using var session = OrtSession.FromBytes(TestModels.MulAdd());
        using var input = OrtTensor.Create<float>(new float[8], [2, 4]);

        var error = Assert.Throws<OrtException>(() => session.Run([new OrtInput("X", input)], ["Y"]));

        Assert.Equal(OrtErrorCode.InvalidArgument, error.ErrorCode);
        Assert.Contains("X", error.OrtMessage, StringComparison.Ordinal);
        Assert.Contains("Got: 4 Expected: 3", error.OrtMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_WrongElementType_ThrowsOrtException()
    {
        using var session = OrtSession.FromBytes(TestModels.MulAdd());
        using var input = OrtTensor.Create<double>(new double[3], [1, 3]);

        var error = Assert.Throws<OrtException>(() => session.Run([new OrtInput("X", input)], ["Y"]));

        Assert.Equal(OrtErrorCode.InvalidArgument, error.ErrorCode);
        Assert.Contains("double", error.OrtMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_UnknownInputName_ThrowsArgumentExceptionListingInputs()
    {
        using var session = OrtSession.FromBytes(TestModels.MulAdd());
        using var input = OrtTensor.Create<float>(new float[3], [1, 3]);

        var error = Assert.Throws<ArgumentException>(() => session.Run([new OrtInput("images", input)], ["Y"]));

        Assert.Contains("no input named 'images'", error.Message, StringComparison.Ordinal);
        Assert.Contains("X: Float[?, 3]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_TerminatedRunOptions_ThrowsOrtExceptionAndSessionStaysUsable()
    {
        using var session = OrtSession.FromBytes(TestModels.MulAdd());
        using var input = OrtTensor.Create<float>(new float[3], [1, 3]);
        using var runOptions = new OrtRunOptions();
        runOptions.Terminate();

        var error = Assert.Throws<OrtException>(() => session.Run([new OrtInput("X", input)], ["Y"], runOptions));
        Assert.Contains("terminate", error.OrtMessage, StringComparison.OrdinalIgnoreCase);

        var outputs = session.Run([new OrtInput("X", input)], ["Y"]);
        using var y = outputs[0];
        Assert.Equal([1f, 1f, 1f], y.ToArray<float>());
    }

    [Fact]
    public void Create_ElementCountDifferentFromShape_ThrowsArgumentException()
    {
        var error = Assert.Throws<ArgumentException>(() => OrtTensor.Create<float>(new float[5], [2, 3]));

        Assert.Contains("holds 6 elements but the data has 5", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromBytes_CudaRequestedOnCpuBuild_RunsOnCpuAndReportsWhy()
    {
        using var session = OrtSession.FromBytes(TestModels.MulAdd(), new OrtSessionOptions { UseCuda = true });
        using var input = OrtTensor.Create<float>(new[] { 1f, 2f, 3f }, [1, 3]);

        var outputs = session.Run([new OrtInput("X", input)], ["Y"]);
        using var y = outputs[0];

        Assert.Equal([3f, 5f, 7f], y.ToArray<float>());
        Assert.Equal(["CPUExecutionProvider"], session.ExecutionProviders);
        var warning = Assert.Single(session.ProviderWarnings);
        Assert.Contains("CUDAExecutionProvider was requested but is unavailable", warning, StringComparison.Ordinal);
        Assert.Contains("libonnxruntime_providers_shared.so", warning, StringComparison.Ordinal);
    }
}
