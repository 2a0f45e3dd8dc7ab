// The MSBuild task of build/TorchSharpDebian.targets (compiled by RoslynCodeTaskFactory) and the ELF logic it uses.
// Console.Tests compiles this file too, with TORCHSHARP_PATCH_NO_TASK defined, to unit-test the ELF logic without MSBuild.
// Written by hand because no tool edits an ELF version-need entry: patchelf (0.14) can clear a symbol's version and add
// a NEEDED entry, but it cannot drop or rewrite a version requirement, and glibc refuses a library while it is there.
#nullable enable
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text;
#if !TORCHSHARP_PATCH_NO_TASK
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
#endif

namespace VisionConsole.Build
{
#if !TORCHSHARP_PATCH_NO_TASK
    /// <summary>
    /// Makes the copy of libLibTorchSharp.so in one output folder load where the system libstdc++ lacks GLIBCXX_3.4.32:
    /// builds the shim next to it, clears the version of its only 3.4.32 import, adds the shim as NEEDED and points the
    /// remaining 3.4.32 version-need entry at an older GLIBCXX version the library already requires. Does nothing when the
    /// system libstdc++ has 3.4.32 (the package runs as shipped) or when the copy was already patched.
    /// </summary>
    public sealed class PatchTorchSharpForOldLibstdcxx : Task
    {
        /// <summary>The libLibTorchSharp.so copy to patch in place (in a build output, never the NuGet cache).</summary>
        [Required]
        public string Library { get; set; } = "";

        /// <summary>The shim's C++ source.</summary>
        [Required]
        public string ShimSource { get; set; } = "";

        /// <summary>The system libstdc++ to check; empty finds it through ldconfig.</summary>
        public string SystemLibstdcxx { get; set; } = "";

        public string Compiler { get; set; } = "g++";

        public string Patchelf { get; set; } = "patchelf";

        /// <summary>What was done: untouched, already-patched or patched.</summary>
        [Output]
        public string Outcome { get; set; } = "";

        public override bool Execute()
        {
            if (!File.Exists(Library))
            {
                Outcome = "absent";
                return true;
            }
            var system = SystemLibstdcxx.Length > 0 ? SystemLibstdcxx : GlibcxxPatch.FindSystemLibstdcxx();
            if (system == null)
            {
                Log.LogError("TorchSharp: cannot find the system libstdc++.so.6 (ldconfig -p lists none); set TorchSharpSystemLibstdcxx to its path.");
                return false;
            }
            var decision = GlibcxxPatch.Decide(File.ReadAllBytes(system), File.ReadAllBytes(Library));
            if (decision != PatchDecision.Patch)
            {
                Outcome = decision == PatchDecision.Untouched ? "untouched" : "already-patched";
                Log.LogMessage(MessageImportance.Low, "TorchSharp: {0} left as it is ({1}; system {2}).", Library, Outcome, system);
                return true;
            }

            // Each step is idempotent, so a copy left half-patched (an interrupted or concurrent build) is finished, not broken.
            var folder = Path.GetDirectoryName(Path.GetFullPath(Library)) ?? ".";
            var shim = Path.Combine(folder, GlibcxxPatch.ShimFileName);
            if (!Run(Compiler, new[] { "-shared", "-fPIC", "-O2", "-o", shim, ShimSource }, "compile the libstdc++ shim (install g++)", out _)
                || !Run(Patchelf, new[] { "--print-needed", Library }, "read " + Library + " (install Debian's patchelf: scripts/setup.sh does)", out var needed))
            {
                return false;
            }
            var patchArguments = new List<string> { "--clear-symbol-version", GlibcxxPatch.InitSymbol };
            if (Array.IndexOf(needed.Split('\n'), GlibcxxPatch.ShimFileName) < 0)
            {
                patchArguments.Add("--add-needed");
                patchArguments.Add(GlibcxxPatch.ShimFileName);
            }
            patchArguments.Add(Library);
            if (!Run(Patchelf, patchArguments.ToArray(), "patch " + Library, out _))
            {
                return false;
            }
            var bytes = File.ReadAllBytes(Library);
            string? rewritten;
            try
            {
                rewritten = GlibcxxPatch.RewriteVersionNeed(bytes, GlibcxxPatch.NewVersion);
            }
            catch (InvalidDataException ex)
            {
                Log.LogError("TorchSharp: cannot patch {0}: {1}", Library, ex.Message);
                return false;
            }
            if (rewritten != null)
            {
                File.WriteAllBytes(Library, bytes);
            }
            Outcome = "patched";
            Log.LogMessage(MessageImportance.Normal, "TorchSharp: patched {0} for a libstdc++ without {1} (version need now {2}, shim {3}).", Library, GlibcxxPatch.NewVersion, rewritten ?? "rewritten before", shim);
            return true;
        }

        private bool Run(string tool, string[] arguments, string what, out string output)
        {
            output = "";
            // Arguments as one quoted string: the task factory compiles against netstandard2.0, which has no ArgumentList.
            var start = new ProcessStartInfo(tool, "\"" + string.Join("\" \"", arguments) + "\"")
            {
                RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false,
            };
            try
            {
                using var process = Process.Start(start)!;
                var error = process.StandardError.ReadToEndAsync();
                output = process.StandardOutput.ReadToEnd().Replace("\r", "");
                process.WaitForExit();
                if (process.ExitCode == 0)
                {
                    return true;
                }
                Log.LogError("TorchSharp: {0} failed to {1} (exit {2}): {3}", tool, what, process.ExitCode, error.Result.Trim());
            }
            catch (System.ComponentModel.Win32Exception ex)
            {
                Log.LogError("TorchSharp: cannot run {0} to {1}: {2}", tool, what, ex.Message);
            }
            return false;
        }
    }
#endif

    /// <summary>What the patch does to one library copy.</summary>
    public enum PatchDecision
    {
        /// <summary>The system libstdc++ has the version: the package runs as shipped.</summary>
        Untouched,
        /// <summary>The copy no longer requires the version (patched before).</summary>
        AlreadyPatched,
        /// <summary>The copy requires a version the system lacks.</summary>
        Patch,
    }

    /// <summary>ELF64 little-endian reading and the one edit the patch makes.</summary>
    public static class GlibcxxPatch
    {
        /// <summary>The libstdc++ version (GCC 13) TorchSharp 0.107's native library asks for.</summary>
        public const string NewVersion = "GLIBCXX_3.4.32";

        /// <summary>std::ios_base_library_init(), its only import of <see cref="NewVersion"/>.</summary>
        public const string InitSymbol = "_ZSt21ios_base_library_initv";

        /// <summary>The shim library, placed next to libLibTorchSharp.so (found through its $ORIGIN run path).</summary>
        public const string ShimFileName = "libVisionConsoleGlibcxxShim.so";

        private const uint ShtGnuVerneed = 0x6ffffffe;

        /// <summary>
        /// Untouched when the system library defines <see cref="NewVersion"/>; else Patch while the copy still requires it,
        /// AlreadyPatched once it does not.
        /// </summary>
        public static PatchDecision Decide(byte[] systemLibstdcxx, byte[] library)
        {
            if (Defines(systemLibstdcxx, NewVersion))
            {
                return PatchDecision.Untouched;
            }
            foreach (var need in VersionNeeds(library))
            {
                if (need.Name == NewVersion)
                {
                    return PatchDecision.Patch;
                }
            }
            return PatchDecision.AlreadyPatched;
        }

        /// <summary>
        /// Whether a shared library defines a symbol version: the name appears NUL-terminated in it (what
        /// <c>strings libstdc++.so.6 | grep GLIBCXX_3.4.32</c> checks); libstdc++ names each version it defines once.
        /// </summary>
        public static bool Defines(byte[] library, string version)
        {
            var needle = Encoding.ASCII.GetBytes(version + "\0");
            for (var i = Array.IndexOf(library, needle[0]); i >= 0 && i <= library.Length - needle.Length; i = Array.IndexOf(library, needle[0], i + 1))
            {
                var match = true;
                for (var k = 1; k < needle.Length && match; k++)
                {
                    match = library[i + k] == needle[k];
                }
                if (match)
                {
                    return true;
                }
            }
            return false;
        }

        /// <summary>The path the dynamic loader uses for libstdc++.so.6 (from <c>ldconfig -p</c>), or null.</summary>
        public static string? FindSystemLibstdcxx()
        {
            foreach (var ldconfig in new[] { "/sbin/ldconfig", "/usr/sbin/ldconfig", "ldconfig" })
            {
                try
                {
                    var start = new ProcessStartInfo(ldconfig, "-p") { RedirectStandardOutput = true, UseShellExecute = false };
                    using var process = Process.Start(start)!;
                    var listing = process.StandardOutput.ReadToEnd();
                    process.WaitForExit();
                    var found = ParseLdconfig(listing);
                    if (found != null)
                    {
                        return found;
                    }
                }
                catch (System.ComponentModel.Win32Exception)
                {
                    // Not at this path; try the next.
                }
            }
            foreach (var candidate in new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6" })
            {
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
            return null;
        }

        /// <summary>The x86-64 libstdc++.so.6 path in an <c>ldconfig -p</c> listing, or null.</summary>
        public static string? ParseLdconfig(string listing)
        {
            foreach (var raw in listing.Split('\n'))
            {
                var line = raw.Trim();
                var arrow = line.IndexOf("=>", StringComparison.Ordinal);
                if (line.StartsWith("libstdc++.so.6 ", StringComparison.Ordinal) && arrow > 0 && line.Contains("x86-64"))
                {
                    return line.Substring(arrow + 2).Trim();
                }
            }
            return null;
        }

        /// <summary>One version requirement (an ELF Vernaux entry) of a library.</summary>
        public readonly struct VersionNeed
        {
            public VersionNeed(string file, string name, int offset, uint hash, uint nameOffset)
            {
                File = file;
                Name = name;
                Offset = offset;
                Hash = hash;
                NameOffset = nameOffset;
            }

            /// <summary>The library the version is required from (for example libstdc++.so.6).</summary>
            public string File { get; }

            /// <summary>The version name (for example GLIBCXX_3.4.26).</summary>
            public string Name { get; }

            /// <summary>The entry's file offset.</summary>
            public int Offset { get; }

            public uint Hash { get; }

            public uint NameOffset { get; }
        }

        /// <summary>Every version requirement in the library's .gnu.version_r section.</summary>
        /// <exception cref="InvalidDataException">Not a little-endian ELF64 file.</exception>
        public static List<VersionNeed> VersionNeeds(byte[] elf)
        {
            if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F' || elf[4] != 2 || elf[5] != 1)
            {
                throw new InvalidDataException("Not a little-endian 64-bit ELF file.");
            }
            var result = new List<VersionNeed>();
            var sectionTable = checked((int)U64(elf, 0x28));
            var sectionSize = U16(elf, 0x3a);
            var sectionCount = U16(elf, 0x3c);
            for (var s = 0; s < sectionCount; s++)
            {
                var header = sectionTable + s * sectionSize;
                if (U32(elf, header + 4) != ShtGnuVerneed)
                {
                    continue;
                }
                var offset = checked((int)U64(elf, header + 0x18));
                var count = (int)U32(elf, header + 0x2c); // sh_info: number of Verneed entries
                var stringsHeader = sectionTable + (int)U32(elf, header + 0x28) * sectionSize; // sh_link: .dynstr
                var strings = checked((int)U64(elf, stringsHeader + 0x18));
                var need = offset;
                for (var n = 0; n < count; n++)
                {
                    var file = CString(elf, strings + (int)U32(elf, need + 4));
                    var aux = need + (int)U32(elf, need + 8);
                    for (var a = 0; a < U16(elf, need + 2); a++)
                    {
                        var nameOffset = U32(elf, aux + 8);
                        result.Add(new VersionNeed(file, CString(elf, strings + (int)nameOffset), aux, U32(elf, aux), nameOffset));
                        aux += (int)U32(elf, aux + 12);
                    }
                    need += (int)U32(elf, need + 12);
                }
            }
            return result;
        }

        /// <summary>
        /// Points every requirement of <paramref name="version"/> at the newest older version the same library is already
        /// required for (hash and name), in place; the entry's own version index is kept, so nothing else moves.
        /// Returns the version now required, or null when nothing requires <paramref name="version"/>.
        /// </summary>
        /// <exception cref="InvalidDataException">The library requires no older version from the same file to use instead.</exception>
        public static string? RewriteVersionNeed(byte[] elf, string version)
        {
            var needs = VersionNeeds(elf);
            string? used = null;
            foreach (var target in needs)
            {
                if (target.Name != version)
                {
                    continue;
                }
                VersionNeed? best = null;
                foreach (var other in needs)
                {
                    if (other.File == target.File && other.Name != version && SamePrefix(other.Name, version)
                        && CompareVersions(other.Name, version) < 0 && (best == null || CompareVersions(other.Name, best.Value.Name) > 0))
                    {
                        best = other;
                    }
                }
                if (best == null)
                {
                    throw new InvalidDataException("it requires " + version + " from " + target.File + " but no older version of it to point that requirement at.");
                }
                WriteU32(elf, target.Offset, best.Value.Hash);
                WriteU32(elf, target.Offset + 8, best.Value.NameOffset);
                used = best.Value.Name;
            }
            return used;
        }

        /// <summary>Orders GLIBCXX_a.b.c names by their numbers.</summary>
        public static int CompareVersions(string left, string right)
        {
            var a = Numbers(left);
            var b = Numbers(right);
            for (var i = 0; i < Math.Max(a.Count, b.Count); i++)
            {
                var x = i < a.Count ? a[i] : 0;
                var y = i < b.Count ? b[i] : 0;
                if (x != y)
                {
                    return x.CompareTo(y);
                }
            }
            return 0;
        }

        private static bool SamePrefix(string left, string right) =>
            left.Substring(0, left.IndexOf('_') + 1) == right.Substring(0, right.IndexOf('_') + 1);

        private static List<int> Numbers(string name)
        {
            var result = new List<int>();
            foreach (var part in name.Substring(name.IndexOf('_') + 1).Split('.'))
            {
                result.Add(int.TryParse(part, out var value) ? value : 0);
            }
            return result;
        }

        private static string CString(byte[] data, int offset)
        {
            var end = Array.IndexOf(data, (byte)0, offset);
            return Encoding.ASCII.GetString(data, offset, end - offset);
        }

        private static ushort U16(byte[] data, int offset) => BitConverter.ToUInt16(data, offset);

        private static uint U32(byte[] data, int offset) => BitConverter.ToUInt32(data, offset);

        private static ulong U64(byte[] data, int offset) => BitConverter.ToUInt64(data, offset);

        private static void WriteU32(byte[] data, int offset, uint value) => BitConverter.GetBytes(value).CopyTo(data, offset);
    }
}
