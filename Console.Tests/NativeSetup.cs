using System.Runtime.CompilerServices;
using VisionConsole.Domain.Storage;

namespace VisionConsole.Tests;

/// <summary>
/// Some tests open SQLite directly before any DbContext is configured. Whichever code loads the bundled SQLite first
/// decides how it binds, so the test assembly makes it self-bound before anything else can (see
/// <see cref="SqliteNativeIsolation"/>): with libvips' OpenSlide module in the same process, a plainly loaded copy
/// crashes the test host now and then.
/// </summary>
internal static class NativeSetup
{
#pragma warning disable CA2255 // A test assembly, not a library: it must run before the first test touches SQLite.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialize() => SqliteNativeIsolation.Ensure();
}
