// Benchmarks are added per issue; each prints a table. See bench/README.md.
// Run one: dotnet run -c Release --project bench/Console.Bench -- <name>
switch (args.FirstOrDefault())
{
    case "heads":
        VisionConsole.Bench.HeadTrainerBench.Run();
        return 0;
    default:
        Console.WriteLine("Benchmarks: heads");
        return args.Length == 0 ? 0 : 1;
}
