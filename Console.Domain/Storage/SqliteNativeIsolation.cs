using System.Runtime.InteropServices;

namespace VisionConsole.Domain.Storage;

/// <summary>
/// Makes the bundled SQLite (<c>libe_sqlite3.so</c>) call only itself. libvips loads its OpenSlide module with
/// global symbols, and OpenSlide brings the system <c>libsqlite3.so.0</c>; e_sqlite3's lazily bound internal
/// calls (for example <c>sqlite3_step</c> to <c>sqlite3_reset</c>) would then jump into that other SQLite and
/// crash the process. Opening e_sqlite3 first with <c>RTLD_NOW | RTLD_DEEPBIND</c> binds every call to itself;
/// Microsoft.Data.Sqlite's later load of the same file reuses this handle. It lives here, not in
/// Console.Trainer/Native, because it must run before the first database connection wherever the domain is used.
/// </summary>
internal static partial class SqliteNativeIsolation
{
    private const int RtldNow = 0x2;
    private const int RtldDeepBind = 0x8;
    private static int _done;

    /// <summary>Opens e_sqlite3 self-bound, once; does nothing off Linux or when the file is not found.</summary>
    public static void Ensure()
    {
        if (!OperatingSystem.IsLinux() || Interlocked.Exchange(ref _done, 1) == 1)
        {
            return;
        }
        var baseDirectory = AppContext.BaseDirectory;
        string[] candidates =
        [
            Path.Combine(baseDirectory, "libe_sqlite3.so"),
            Path.Combine(baseDirectory, "runtimes", RuntimeInformation.RuntimeIdentifier, "native", "libe_sqlite3.so"),
            Path.Combine(baseDirectory, "runtimes", $"linux-{RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()}", "native", "libe_sqlite3.so"),
        ];
        foreach (var candidate in candidates)
        {
            if (File.Exists(candidate))
            {
                // A zero handle only means SQLite loads the ordinary way; the database still works.
                DlOpen(candidate, RtldNow | RtldDeepBind);
                return;
            }
        }
    }

    [DllImport("libc", EntryPoint = "dlopen")]
    private static extern nint DlOpen([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);
}
