// Benchmarks are added per issue; each prints a table. See bench/README.md.
// Run one: bench/run.sh <name> [options] (or: dotnet run -c Release --project bench/Console.Bench -- <name>)
using VisionConsole.Bench;

switch (args.FirstOrDefault())
{
    case "heads":
        HeadTrainerBench.Run(args[1..]);
        return 0;
    case "training":
        return await TrainingBenchmark.RunAsync(args[1..]);
    case "zoo":
        return await ZooBenchmark.RunAsync(args[1..]);
    case "finetune":
        return await FineTuneBench.RunAsync(args[1..]);
    case "import":
        return await ImportBench.RunAsync(args[1..]);
    case "detector":
        return await DetectorBenchmark.RunAsync(args[1..]);
    case "detector-heads":
        return await DetectorHeadsBench.RunAsync(args[1..]);
    case "predict":
        return await PredictBenchmark.RunAsync(args[1..]);
    case "tflite":
        return await TfliteBenchmark.RunAsync(args[1..]);
    case "vips":
        return await VipsStressBench.RunAsync(args[1..]);
    case "vips-worker":
        return VipsStressBench.Worker(args[1..]);
    default:
        Console.WriteLine("Benchmarks: heads [--tiny] | training [--only type,type] [--mirror DIR] [--dataset DIR] | zoo [--seconds S] [--rounds R] [--mirror DIR] [--only id,id] | import [count] [--dataset DIR] | finetune [--dataset DIR] [--limit N] [--views-per-image K] [--top-lr X] [--head-lr X] [--pull X] [--epochs N] | detector [--model-types a,b] [--dataset DIR] | detector-heads [--recipes a,b] [--dataset DIR] | predict [--model-type T] [--calls N] [--dataset DIR] [--mirror DIR] | tflite [--runs N] [--dataset DIR] [--raccoon DIR] [--mirror DIR] | vips [--seconds S] [--runs N] [--dataset DIR]");
        return args.Length == 0 ? 0 : 1;
}
