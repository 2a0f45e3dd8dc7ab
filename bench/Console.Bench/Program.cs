// Benchmarks are added per issue; each prints a table. See bench/README.md.
using VisionConsole.Bench;

var command = args.Length > 0 ? args[0] : "help";
switch (command)
{
    case "zoo":
        return await ZooBenchmark.RunAsync(args[1..]);
    default:
        Console.WriteLine("usage: bench/run.sh zoo [--seconds S] [--rounds R] [--mirror DIR] [--only id,id]");
        return command == "help" ? 0 : 2;
}
