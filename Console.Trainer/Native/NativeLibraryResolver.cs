using System.Reflection;
using System.Runtime.InteropServices;

namespace VisionConsole.Trainer.Native;

/// <summary>
/// The one place that decides which native file backs each library name used in <c>[DllImport]</c>
/// or <see cref="NativeLibrary.Load(string)"/> calls. Registered once per process; never throws
/// (a miss returns <see cref="IntPtr.Zero"/> so the runtime's own probing and error message follow).
/// </summary>
public static class NativeLibraryResolver
{
    private static readonly Dictionary<string, Func<IEnumerable<string>>> Candidates = new(StringComparer.Ordinal);
    private static readonly Lock Gate = new();
    private static bool registered;

    /// <summary>Adds the candidate paths for a library name; earlier registrations are tried first.</summary>
    public static void Map(string libraryName, Func<IEnumerable<string>> candidates)
    {
        lock (Gate)
        {
            if (Candidates.TryGetValue(libraryName, out var existing))
            {
                Candidates[libraryName] = () => existing().Concat(candidates());
            }
            else
            {
                Candidates[libraryName] = candidates;
            }
            if (!registered)
            {
                NativeLibrary.SetDllImportResolver(typeof(NativeLibraryResolver).Assembly, Resolve);
                registered = true;
            }
        }
    }

    /// <summary>Loads the first candidate that exists and loads, or returns <see cref="IntPtr.Zero"/>.</summary>
    public static IntPtr TryLoad(string libraryName)
    {
        Func<IEnumerable<string>>? candidates;
        lock (Gate)
        {
            Candidates.TryGetValue(libraryName, out candidates);
        }
        if (candidates is null)
        {
            return NativeLibrary.TryLoad(libraryName, out var plain) ? plain : IntPtr.Zero;
        }
        foreach (var path in candidates())
        {
            if (string.IsNullOrEmpty(path))
            {
                continue;
            }
            if ((Path.IsPathRooted(path) ? File.Exists(path) : true) && NativeLibrary.TryLoad(path, out var handle))
            {
                return handle;
            }
        }
        return IntPtr.Zero;
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        try
        {
            return TryLoad(libraryName);
        }
#pragma warning disable CA1031 // A resolver must never throw: the runtime reports the failure.
        catch
        {
            return IntPtr.Zero;
        }
#pragma warning restore CA1031
    }
}
