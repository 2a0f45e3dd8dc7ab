using System.Runtime.InteropServices;

namespace VisionConsole.Trainer.Native.Ort;

/// <summary>
/// Finds and loads the ONNX Runtime shared library once per process, through
/// <see cref="NativeLibraryResolver"/> under the name <c>onnxruntime</c>.
/// Candidates: an explicitly configured path (<see cref="Configure"/>, from options <c>Ort:LibraryPath</c>,
/// or the environment variable <c>VISIONCONSOLE_ORT_LIBRARY</c>) — when one is configured it is the only
/// candidate, so a misconfigured CUDA build is reported instead of silently replaced by the CPU build —
/// otherwise the copy next to the application (<c>runtimes/linux-x64/native/libonnxruntime.so.1</c>).
/// </summary>
public static class OrtLibrary
{
    /// <summary>The name under which the library is registered with <see cref="NativeLibraryResolver"/>.</summary>
    public const string LibraryName = "onnxruntime";

    /// <summary>Environment variable that names the library file explicitly.</summary>
    public const string PathVariable = "VISIONCONSOLE_ORT_LIBRARY";

    /// <summary>The library file name on Linux.</summary>
    public const string FileName = "libonnxruntime.so.1";

    private static readonly Lock Gate = new();
    private static string? configuredPath;
    private static bool mapped;
    private static OrtApi? api;

    /// <summary>
    /// Sets the explicitly configured library path (null or empty: use the environment variable or the
    /// application folder). Must happen before the first ONNX Runtime use; a different path after that throws.
    /// </summary>
    public static void Configure(string? libraryPath)
    {
        lock (Gate)
        {
            var path = string.IsNullOrWhiteSpace(libraryPath) ? null : libraryPath;
            if (api is not null && path is not null && !string.Equals(Path.GetFullPath(path), api.LibraryPath, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"ONNX Runtime is already loaded from {api.LibraryPath}; it cannot be switched to {path} in a running process.");
            }
            configuredPath = path;
        }
    }

    /// <summary>The candidate paths in the order they are tried under the current configuration.</summary>
    public static IReadOnlyList<string> CandidatePaths()
    {
        string? explicitPath;
        lock (Gate)
        {
            explicitPath = configuredPath;
        }
        explicitPath ??= Environment.GetEnvironmentVariable(PathVariable);
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            return [Path.GetFullPath(explicitPath)];
        }
        return [Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", FileName)];
    }

    /// <summary>The loaded library's version string, e.g. <c>1.30.0</c> (loads the library if needed).</summary>
    public static string Version => Api.Version;

    /// <summary>The path the library was loaded from (loads the library if needed).</summary>
    public static string LoadedPath => Api.LibraryPath;

    /// <summary>Execution providers compiled into the loaded library.</summary>
    public static IReadOnlyList<string> AvailableProviders => Api.ListAvailableProviders();

    internal static OrtApi Api
    {
        get
        {
            var loaded = Volatile.Read(ref api);
            return loaded ?? Load();
        }
    }

    private static unsafe OrtApi Load()
    {
        lock (Gate)
        {
            if (api is not null)
            {
                return api;
            }
            if (!mapped)
            {
                NativeLibraryResolver.Map(LibraryName, CandidatePaths);
                mapped = true;
            }
            var candidates = CandidatePaths();
            var handle = NativeLibraryResolver.TryLoad(LibraryName);
            if (handle == IntPtr.Zero)
            {
                throw new OrtLibraryNotFoundException(candidates, Explain(candidates));
            }
            var loadedPath = candidates.FirstOrDefault(File.Exists) ?? LibraryName;
            if (!NativeLibrary.TryGetExport(handle, "OrtGetApiBase", out var getApiBase))
            {
                throw new OrtLibraryNotFoundException(candidates, $"{loadedPath} loaded but does not export OrtGetApiBase: it is not an ONNX Runtime library.");
            }
            var apiBase = (IntPtr*)((delegate* unmanaged<IntPtr>)getApiBase)();
            var getApi = (delegate* unmanaged<uint, IntPtr>)apiBase[0];
            var getVersionString = (delegate* unmanaged<byte*>)apiBase[1];
            var version = Marshal.PtrToStringUTF8((IntPtr)getVersionString()) ?? "unknown";
            var table = getApi(OrtApi.ApiVersion);
            if (table == IntPtr.Zero)
            {
                throw new OrtLibraryNotFoundException(candidates, $"{loadedPath} is ONNX Runtime {version}, which does not provide API version {OrtApi.ApiVersion} (ONNX Runtime 1.{OrtApi.ApiVersion} or newer is needed).");
            }
            var created = new OrtApi(table, version, loadedPath);
            Volatile.Write(ref api, created);
            return created;
        }
    }

    private static string Explain(IReadOnlyList<string> candidates)
    {
        var reasons = new List<string>();
        foreach (var path in candidates)
        {
            if (!File.Exists(path))
            {
                reasons.Add($"{path}: no such file");
                continue;
            }
            try
            {
                NativeLibrary.Free(NativeLibrary.Load(path));
                reasons.Add($"{path}: loads now (a retry may succeed)");
            }
            catch (DllNotFoundException e)
            {
                reasons.Add($"{path}: {e.Message}");
            }
            catch (BadImageFormatException e)
            {
                reasons.Add($"{path}: {e.Message}");
            }
        }
        return string.Join("; ", reasons) + $". Set options Ort:LibraryPath or {PathVariable} to a libonnxruntime.so.1, or run scripts/setup.sh so the build copies the one from onnxruntime-node next to the application.";
    }
}
