using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace VisionConsole.Tests.Trainer.Zoo;

/// <summary>Runs Console.Tests/Trainer/Zoo/parity.mjs (onnxruntime-node and @tensorflow/tfjs from the repo's node_modules).</summary>
internal static class NodeReference
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static async Task<JsonElement> RunAsync(JsonObject request, string workFolder)
    {
        var requestPath = Path.Combine(workFolder, $"request-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(requestPath, request.ToJsonString());
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = RepoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(RepoRoot, "Console.Tests", "Trainer", "Zoo", "parity.mjs"));
        start.ArgumentList.Add(requestPath);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var output = await stdout;
        Assert.True(process.ExitCode == 0, $"node parity.mjs failed ({process.ExitCode}): {await stderr}");
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Console.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("Console.sln not found above " + AppContext.BaseDirectory);
    }
}
