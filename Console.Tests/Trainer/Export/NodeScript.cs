using System.Diagnostics;
using System.Text.Json;

namespace VisionConsole.Tests.Trainer.Export;

/// <summary>Runs one of the node scripts kept beside these tests and parses the JSON it prints.</summary>
internal static class NodeScript
{
    /// <summary>The repository root (the folder holding Console.sln), found above the test binaries.</summary>
    public static string RepoRoot { get; } = FindUp(AppContext.BaseDirectory, "Console.sln")
        ?? throw new InvalidOperationException($"No Console.sln above {AppContext.BaseDirectory}.");

    /// <summary>Writes <paramref name="spec"/> as the case file, runs <c>node script case.json</c> and parses stdout.</summary>
    public static JsonElement Run(string scriptName, object spec, string workFolder) => Run("node", scriptName, spec, workFolder);

    /// <summary>The same with Debian's <c>/usr/bin/python3</c> (its packages, such as <c>python3-pyarmnn</c>, are what the script needs).</summary>
    public static JsonElement RunPython(string scriptName, object spec, string workFolder) => Run("/usr/bin/python3", scriptName, spec, workFolder);

    private static JsonElement Run(string program, string scriptName, object spec, string workFolder)
    {
        var script = Path.Combine(RepoRoot, "Console.Tests", "Trainer", "Export", scriptName);
        var casePath = Path.Combine(workFolder, $"{Path.GetFileNameWithoutExtension(scriptName)}-{Guid.NewGuid():N}.json");
        File.WriteAllText(casePath, JsonSerializer.Serialize(spec));
        var start = new ProcessStartInfo(program) { WorkingDirectory = RepoRoot, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(casePath);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start.");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {scriptName} exited with {process.ExitCode}: {stderr.Result}");
        }
        var line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.StartsWith('{'))
            ?? throw new InvalidOperationException($"{program} {scriptName} printed no JSON: {stdout} {stderr.Result}");
        return JsonDocument.Parse(line).RootElement.Clone();
    }

    public static double[][] Matrix(JsonElement element)
        => [.. element.EnumerateArray().Select(row => row.EnumerateArray().Select(v => v.GetDouble()).ToArray())];

    public static string? FindUp(string from, string relative)
    {
        for (var dir = new DirectoryInfo(from); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate) || Directory.Exists(candidate)) return dir.FullName;
        }
        return null;
    }
}
