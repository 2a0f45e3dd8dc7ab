using System.Diagnostics;
using System.Globalization;
using VisionConsole.Domain.Imaging;
using VisionConsole.Trainer.Imaging;

namespace VisionConsole.Bench;

/// <summary>
/// Why the codec turns libvips' SIMD paths off: each run is a child process that decodes hymenoptera's JPEGs on eight
/// threads (the console's decode mix: stretch and centre-crop decodes, thumbnails, resizes, truncated data) for a set
/// time, once with orc's vector code on and once as the console runs it. A run that ends by a signal crashed.
/// </summary>
internal static class VipsStressBench
{
    private const int Threads = 8;

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = int.Parse(ZooBenchmark.Option(args, "--seconds") ?? "60", CultureInfo.InvariantCulture);
        var runs = int.Parse(ZooBenchmark.Option(args, "--runs") ?? "3", CultureInfo.InvariantCulture);
        var dataset = Dataset(args);
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {ZooBenchmark.CpuModel()}, load average {ZooBenchmark.LoadAverage()}; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine($"libvips {VipsImageCodec.LibraryVersion}, {Threads} threads, {runs} runs of {seconds} s each, {dataset}");
        Console.WriteLine();
        Console.WriteLine("| libvips vector (orc) | runs | crashed | decodes/s, median of the runs that finished |");
        Console.WriteLine("|---|---|---|---|");
        double? baseline = null;
        foreach (var vector in new[] { false, true })
        {
            var rates = new List<double>();
            var crashes = new List<string>();
            for (var run = 0; run < runs; run++)
            {
                var (exitCode, rate) = await ChildAsync(vector, seconds, dataset);
                if (rate is { } r)
                {
                    rates.Add(r);
                }
                else
                {
                    crashes.Add(exitCode > 128 ? $"signal {exitCode - 128}" : $"exit {exitCode}");
                }
            }
            rates.Sort();
            var median = rates.Count > 0 ? rates[rates.Count / 2] : (double?)null;
            baseline ??= median;
            var ratio = median is { } m && baseline is { } b ? $" ({m / b:0.00}x)" : string.Empty;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {(vector ? "on (libvips' default)" : "off (the console)")} | {runs} | {crashes.Count}{(crashes.Count > 0 ? $" ({string.Join(", ", crashes)})" : string.Empty)} | {(median is { } x ? $"{x:0}{ratio}" : "-")} |"));
        }
        return 0;
    }

    /// <summary>The child: decodes for <c>--seconds</c> and prints its rate; a crash ends it before it prints.</summary>
    public static int Worker(string[] args)
    {
        var codec = new VipsImageCodec();
        // The codec's start-up turned vector off; the comparison run turns it back on.
        NetVips.NetVips.Vector = args.Contains("--vector");
        var seconds = int.Parse(ZooBenchmark.Option(args, "--seconds") ?? "60", CultureInfo.InvariantCulture);
        var files = Directory.GetFiles(Dataset(args), "*.jpg", SearchOption.AllDirectories).Select(File.ReadAllBytes).ToArray();
        var end = Stopwatch.StartNew();
        long decodes = 0;
        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, thread =>
        {
            var random = new Random(thread);
            while (end.Elapsed.TotalSeconds < seconds)
            {
                var file = files[random.Next(files.Length)];
                var side = 100 + random.Next(500);
                _ = random.Next(4) switch
                {
                    0 => codec.DecodeRgb(file, side, side, FitMode.Stretch).Pixels.Length,
                    1 => codec.DecodeRgb(file, side, side + 7, FitMode.CenterCrop).Pixels.Length,
                    2 => codec.MakeThumbnail(file, side).Length,
                    _ => VipsImageCodec.Resize(codec.DecodeRgb(file, 300, 200, FitMode.Stretch), side, (side / 2) + 1).Pixels.Length,
                };
                try
                {
                    codec.DecodeRgb(file.AsSpan(0, file.Length / 2), 64, 64, FitMode.Stretch);
                }
                catch (ImageRejectedException)
                {
                    // Expected: half a JPEG is refused.
                }
                Interlocked.Increment(ref decodes);
            }
        });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rate {decodes / end.Elapsed.TotalSeconds:0.0}"));
        return 0;
    }

    private static async Task<(int ExitCode, double? Rate)> ChildAsync(bool vector, int seconds, string dataset)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { typeof(VipsStressBench).Assembly.Location, "vips-worker", "--seconds", seconds.ToString(CultureInfo.InvariantCulture), "--dataset", dataset })
        {
            start.ArgumentList.Add(argument);
        }
        if (vector)
        {
            start.ArgumentList.Add("--vector");
        }
        // glibc checks every free, so a corrupted heap aborts near its cause instead of much later.
        start.Environment["MALLOC_CHECK_"] = "3";
        using var child = Process.Start(start)!;
        var output = child.StandardOutput.ReadToEndAsync();
        _ = child.StandardError.ReadToEndAsync();
        await child.WaitForExitAsync();
        var line = (await output).Split('\n').FirstOrDefault(l => l.StartsWith("rate ", StringComparison.Ordinal));
        return (child.ExitCode, line is null ? null : double.Parse(line[5..], CultureInfo.InvariantCulture));
    }

    private static string Dataset(string[] args) =>
        ZooBenchmark.Option(args, "--dataset")
        ?? new[] { Path.Combine(ZooBenchmark.RepositoryRoot(), "..", "shared", "datasets", "hymenoptera"), Path.Combine(ZooBenchmark.RepositoryRoot(), "..", "..", "shared", "datasets", "hymenoptera") }
            .Select(Path.GetFullPath).FirstOrDefault(Directory.Exists)
        ?? throw new DirectoryNotFoundException("No hymenoptera dataset: pass --dataset DIR.");
}
