using System.Reflection;
using System.Text;
using TorchSharp;
using VisionConsole.Build;
using VisionConsole.Trainer.Training;
using static TorchSharp.torch;

namespace VisionConsole.Tests.Trainer.Training;

/// <summary>
/// TorchSharp loads and trains in the test output as built, and the build patched its native library exactly when the
/// system libstdc++ lacks GLIBCXX_3.4.32 (build/TorchSharpDebian.targets; DESIGN.md, "TorchSharp on Debian 12").
/// </summary>
public class TorchSharpRuntimeTests
{
    private const string NativeFolder = "runtimes/linux-x64/native";

    [Fact]
    public void TorchSharp_TinyModel_TrainsWithAutogradAndOurAdam()
    {
        // XOR: not linearly separable, so a falling loss and a perfect score need the hidden layer's gradients.
        torch.manual_seed(3);
        using var x = tensor(new float[] { 0, 0, 0, 1, 1, 0, 1, 1 }, [4, 2]);
        using var y = tensor(new long[] { 0, 1, 1, 0 });
        using var model = nn.Sequential(("hidden", nn.Linear(2, 16)), ("relu", nn.ReLU()), ("out", nn.Linear(16, 2)));
        using var optimizer = new AdamOptimizer([new AdamGroup(model.parameters().ToArray(), 0.05, 0)]);
        using var lossFunction = nn.CrossEntropyLoss();
        float first = 0, last = 0;
        for (var step = 0; step < 300; step++)
        {
            optimizer.ZeroGrad();
            using var loss = lossFunction.forward(model.forward(x), y);
            loss.backward();
            optimizer.Step();
            last = loss.item<float>();
            if (step == 0)
            {
                first = last;
            }
        }

        using var predicted = model.forward(x).argmax(1);
        Assert.Equal(new long[] { 0, 1, 1, 0 }, predicted.data<long>().ToArray());
        Assert.True(last < first / 10, $"loss went from {first} to {last}");
    }

    [Fact]
    public void BuildOutput_NativeLibrary_PatchedExactlyWhenSystemLibstdcxxLacksGlibcxx3432()
    {
        var system = GlibcxxPatch.FindSystemLibstdcxx();
        Assert.NotNull(system);
        var systemHasIt = GlibcxxPatch.Defines(File.ReadAllBytes(system), GlibcxxPatch.NewVersion);
        var output = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, NativeFolder, "libLibTorchSharp.so"));
        var shipped = File.ReadAllBytes(ShippedLibrary());
        var shim = Path.Combine(AppContext.BaseDirectory, NativeFolder, GlibcxxPatch.ShimFileName);
        Assert.Contains(GlibcxxPatch.VersionNeeds(shipped), n => n.Name == GlibcxxPatch.NewVersion);

        if (systemHasIt)
        {
            // A newer libstdc++ (Debian 13, Ubuntu 24.04): the package runs as shipped.
            Assert.Equal(shipped, output);
            Assert.False(File.Exists(shim));
        }
        else
        {
            Assert.DoesNotContain(GlibcxxPatch.VersionNeeds(output), n => n.Name == GlibcxxPatch.NewVersion);
            Assert.True(File.Exists(shim), $"{shim} was not built");
            Assert.True(GlibcxxPatch.Defines(output, GlibcxxPatch.ShimFileName), "the shim is not among the library's strings (NEEDED)");
            // The NuGet cache itself is never patched.
            Assert.NotEqual(shipped, output);
        }
    }

    [Fact]
    public void Decide_SystemVersionAndLibraryState_PatchesOnlyAnUnpatchedCopyOnAnOldSystem()
    {
        var shipped = File.ReadAllBytes(ShippedLibrary());
        var oldSystem = Encoding.ASCII.GetBytes("\0GLIBCXX_3.4.29\0GLIBCXX_3.4.30\0GLIBCXX_3.4.320\0");
        var newSystem = Encoding.ASCII.GetBytes("\0GLIBCXX_3.4.30\0GLIBCXX_3.4.31\0GLIBCXX_3.4.32\0GLIBCXX_3.4.33\0");
        var patched = (byte[])shipped.Clone();
        Assert.NotNull(GlibcxxPatch.RewriteVersionNeed(patched, GlibcxxPatch.NewVersion));

        Assert.Equal(PatchDecision.Untouched, GlibcxxPatch.Decide(newSystem, shipped));
        Assert.Equal(PatchDecision.Patch, GlibcxxPatch.Decide(oldSystem, shipped));
        Assert.Equal(PatchDecision.AlreadyPatched, GlibcxxPatch.Decide(oldSystem, patched));
    }

    [Fact]
    public void RewriteVersionNeed_ShippedLibrary_PointsTheEntryAtTheNewestOlderGlibcxxAndChangesNothingElse()
    {
        var shipped = File.ReadAllBytes(ShippedLibrary());
        var before = GlibcxxPatch.VersionNeeds(shipped);
        var edited = (byte[])shipped.Clone();

        var used = GlibcxxPatch.RewriteVersionNeed(edited, GlibcxxPatch.NewVersion);

        var after = GlibcxxPatch.VersionNeeds(edited);
        var expected = before.Where(n => n.File == "libstdc++.so.6" && n.Name.StartsWith("GLIBCXX_", StringComparison.Ordinal) && n.Name != GlibcxxPatch.NewVersion)
            .Select(n => n.Name).Max(Comparer<string>.Create(GlibcxxPatch.CompareVersions));
        Assert.Equal(expected, used);
        Assert.Equal(before.Count, after.Count);
        for (var i = 0; i < before.Count; i++)
        {
            Assert.Equal(before[i].Name == GlibcxxPatch.NewVersion ? used : before[i].Name, after[i].Name);
        }
        Assert.Equal(shipped.Length, edited.Length);
        Assert.Equal(8, shipped.Zip(edited).Count(p => p.First != p.Second) + CountEqualRewrittenBytes(before, shipped, edited));
        Assert.Null(GlibcxxPatch.RewriteVersionNeed(edited, GlibcxxPatch.NewVersion));
    }

    [Fact]
    public void ParseLdconfig_Listing_FindsTheX8664Libstdcxx()
    {
        const string listing = """
            1234 libs found in cache `/etc/ld.so.cache'
            	libstdc++.so.6 (libc6) => /usr/lib/i386-linux-gnu/libstdc++.so.6
            	libstdc++.so.6 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libstdc++.so.6
            	libstdc++fs.so.6 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libstdc++fs.so.6
            """;

        Assert.Equal("/usr/lib/x86_64-linux-gnu/libstdc++.so.6", GlibcxxPatch.ParseLdconfig(listing));
        Assert.Null(GlibcxxPatch.ParseLdconfig("0 libs found in cache"));
    }

    [Fact]
    public void CompareVersions_NumericParts_OrderNumericallyNotAsText()
    {
        Assert.True(GlibcxxPatch.CompareVersions("GLIBCXX_3.4.9", "GLIBCXX_3.4.26") < 0);
        Assert.True(GlibcxxPatch.CompareVersions("GLIBCXX_3.4.32", "GLIBCXX_3.4.30") > 0);
        Assert.Equal(0, GlibcxxPatch.CompareVersions("GLIBCXX_3.4", "GLIBCXX_3.4.0"));
    }

    /// <summary>Bytes of the 8 rewritten (hash, name offset) that happened to keep their value.</summary>
    private static int CountEqualRewrittenBytes(List<GlibcxxPatch.VersionNeed> needs, byte[] shipped, byte[] edited)
    {
        var entry = needs.Single(n => n.Name == GlibcxxPatch.NewVersion).Offset;
        return new[] { 0, 1, 2, 3, 8, 9, 10, 11 }.Count(k => shipped[entry + k] == edited[entry + k]);
    }

    /// <summary>The package's own copy in the NuGet cache (the build never edits it).</summary>
    private static string ShippedLibrary()
    {
        var root = typeof(TorchSharpRuntimeTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "NuGetPackageRoot").Value!;
        var version = typeof(torch).Assembly.GetName().Version!;
        var path = Path.Combine(root, "torchsharp", $"{version.Major}.{version.Minor}.{version.Build}", NativeFolder, "libLibTorchSharp.so");
        Assert.True(File.Exists(path), $"{path} is missing");
        return path;
    }
}
