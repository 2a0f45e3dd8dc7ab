// Benchmarks are added per issue; each prints a table. See bench/README.md.
// Run one: dotnet run -c Release --project bench/Console.Bench -- <name>
switch (args.FirstOrDefault())
{
    case "heads":
        VisionConsole.Bench.HeadTrainerBench.Run();
        return 0;
    case "import":
        return await VisionConsole.Bench.ImportBench.RunAsync(args[1..]);
    default:
        Console.WriteLine("Benchmarks: heads, import [count]");
        return args.Length == 0 ? 0 : 1;
}
