using System.Diagnostics;
using System.Text.Json;

namespace VisionConsole.Tests.Trainer.Ort;

/// <summary>Runs ort-node-probe.mjs (onnxruntime-node from the repository's node_modules) as the reference.</summary>
internal static class NodeProbe
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static Dictionary<string, (long[] Dims, float[] Data)> Run(string modelPath, string inputName, float[] input, long[] dims, params string[] outputs)
    {
        var inputFile = Path.Combine(Path.GetTempPath(), $"probe-{Guid.NewGuid():N}.bin");
        File.WriteAllBytes(inputFile, System.Runtime.InteropServices.MemoryMarshal.AsBytes(input.AsSpan()).ToArray());
        try
        {
            var start = new ProcessStartInfo("node")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = RepositoryRoot,
            };
            start.ArgumentList.Add(Path.Combine(RepositoryRoot, "Console.Tests", "Trainer", "Ort", "ort-node-probe.mjs"));
            start.ArgumentList.Add(modelPath);
            start.ArgumentList.Add(inputName);
            start.ArgumentList.Add(inputFile);
            start.ArgumentList.Add(string.Join(",", dims));
            foreach (var output in outputs)
            {
                start.ArgumentList.Add(output);
            }
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, $"node probe failed: {stderr.Result}");
            using var json = JsonDocument.Parse(stdout);
            var result = new Dictionary<string, (long[], float[])>(StringComparer.Ordinal);
            foreach (var output in outputs)
            {
                var element = json.RootElement.GetProperty(output);
                result[output] = (
                    element.GetProperty("dims").EnumerateArray().Select(d => d.GetInt64()).ToArray(),
                    element.GetProperty("data").EnumerateArray().Select(d => (float)d.GetDouble()).ToArray());
            }
            return result;
        }
        finally
        {
            File.Delete(inputFile);
        }
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Console.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException("Console.sln not found above " + AppContext.BaseDirectory);
    }
}
