using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Console;
using VisionConsole.Web;

namespace VisionConsole.Tests.Web;

public class ConsoleHostTests
{
    private static IConfiguration Configuration(string[] args, Dictionary<string, string?>? environment = null) =>
        new ConfigurationBuilder().AddInMemoryCollection(environment ?? []).AddCommandLine(args).Build();

    [Fact]
    public void ReadOptions_DataArgument_WinsOverEnvironmentAndDerivesPaths()
    {
        var folder = Path.Combine(Path.GetTempPath(), "vc-data");

        var options = ConsoleHost.ReadOptions(Configuration(["--data", folder], new() { ["VISIONCONSOLE_DATA"] = "/elsewhere" }));

        Assert.Equal(folder, options.DataFolder);
        Assert.Equal(Path.Combine(folder, "console.db"), options.DatabasePath);
        Assert.Equal(Path.Combine(folder, "blobs"), options.BlobFolder);
    }

    [Theory]
    [InlineData(new[] { "--data", "/d", "--single-user" }, "true")]
    [InlineData(new[] { "--single-user", "--data", "/d" }, "true")]
    [InlineData(new[] { "--single-user", "false", "--data", "/d" }, "false")]
    [InlineData(new[] { "--data", "/d" }, null)]
    public void WithFlagValues_BareSingleUserFlag_ReadAsTrueAndTheRestKept(string[] args, string? expected)
    {
        var configuration = Configuration(ConsoleHost.WithFlagValues(args));

        Assert.Equal(expected, configuration["single-user"]);
        Assert.Equal("/d", configuration["data"]);
    }

    [Fact]
    public void ReadOptions_OnlyEnvironment_UsesIt()
    {
        var options = ConsoleHost.ReadOptions(Configuration([], new() { ["VISIONCONSOLE_DATA"] = "/srv/console" }));

        Assert.Equal("/srv/console", options.DataFolder);
    }

    [Fact]
    public void ReadOptions_NothingSet_DotDataUnderCurrentDirectory()
    {
        var options = ConsoleHost.ReadOptions(Configuration([]));

        Assert.Equal(Path.Combine(Environment.CurrentDirectory, ".data"), options.DataFolder);
    }

    [Fact]
    public void ReadOptions_SweepGrace_ParsedDefaultTenMinutesAndNonsenseRefusedNamingIt()
    {
        Assert.Equal(TimeSpan.FromMinutes(10), ConsoleHost.ReadOptions(Configuration([])).SweepGracePeriod);
        Assert.Equal(TimeSpan.FromSeconds(90), ConsoleHost.ReadOptions(Configuration(["--sweep-grace", "00:01:30"])).SweepGracePeriod);
        Assert.Equal(TimeSpan.Zero, ConsoleHost.ReadOptions(Configuration(["--sweep-grace", "0"])).SweepGracePeriod);

        var error = Assert.Throws<InvalidOperationException>(() => ConsoleHost.ReadOptions(Configuration(["--sweep-grace", "soon"])));
        Assert.Contains("'soon'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, ConsoleFormatterNames.Simple)]
    [InlineData("simple", ConsoleFormatterNames.Simple)]
    [InlineData("JSON", ConsoleFormatterNames.Json)]
    public void ReadLogFormat_KnownValue_PicksFormatter(string? value, string expected)
    {
        string[] args = value is null ? [] : ["--log-format", value];

        Assert.Equal(expected, ConsoleHost.ReadLogFormat(Configuration(args)));
    }

    [Fact]
    public void ReadLogFormat_UnknownValue_ThrowsNamingIt()
    {
        var error = Assert.Throws<InvalidOperationException>(() => ConsoleHost.ReadLogFormat(Configuration(["--log-format", "xml"])));

        Assert.Contains("'xml'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Host_FirstPage_KeepsDataProtectionKeysInTheDataFolder()
    {
        await using var factory = new ConsoleWebFactory();
        using var client = factory.CreateClient();

        // The first page issues an antiforgery token, which needs a key.
        var page = await client.GetAsync("/datasets");
        page.EnsureSuccessStatusCode();

        Assert.NotEmpty(Directory.GetFiles(Path.Combine(factory.DataFolder, "keys"), "key-*.xml"));
    }
}
