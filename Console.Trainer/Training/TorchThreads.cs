using TorchSharp;

namespace VisionConsole.Trainer.Training;

/// <summary>
/// The one place that sets libtorch's intra-op thread count. Setting it resizes a process-wide thread pool that another
/// training in the same process may be using, so it is set only when the count really changes, one caller at a time.
/// </summary>
public static class TorchThreads
{
    private static readonly Lock Gate = new();

    /// <summary>Makes libtorch use <paramref name="threads"/> intra-op threads (null: one per logical processor).</summary>
    public static void Use(int? threads)
    {
        var wanted = threads ?? Environment.ProcessorCount;
        lock (Gate)
        {
            if (torch.get_num_threads() != wanted)
            {
                torch.set_num_threads(wanted);
            }
        }
    }
}
