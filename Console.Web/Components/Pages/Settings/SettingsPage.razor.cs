using System.Globalization;
using Microsoft.AspNetCore.Components;
using VisionConsole.Domain;
using VisionConsole.Domain.Storage;
using VisionConsole.Trainer.Inference;
using VisionConsole.Trainer.Zoo;

namespace VisionConsole.Web.Components.Pages.Settings;

/// <summary>Where the data lives and how much each area uses, what inference runs on, and which backbones are cached.</summary>
public partial class SettingsPage
{
    private IReadOnlyList<DataFolderArea>? _usage;
    private DateTimeOffset _measuredAt;
    private bool _measuring;
    private IReadOnlyList<(BackboneInfo Backbone, ZooCacheState Cache)> _backbones = [];

    [Inject] private ConsoleEnvironment Environment { get; set; } = null!;
    [Inject] private ConsoleOptions Options { get; set; } = null!;
    [Inject] private IExecutionProviderInfo Inference { get; set; } = null!;
    [Inject] private IModelZoo Zoo { get; set; } = null!;
    [Inject] private ZooOptions ZooOptions { get; set; } = null!;
    [Inject] private TimeProvider Time { get; set; } = null!;

    protected override async Task OnInitializedAsync()
    {
        _backbones = Zoo.Catalog.Select(b => (b, Zoo.CacheState(b.Id))).ToList();
        await MeasureAsync();
    }

    private async Task MeasureAsync()
    {
        _measuring = true;
        try
        {
            // Walking a large data folder takes a while: off the circuit's thread.
            var zooFolder = Path.Combine(Path.GetFullPath(ZooOptions.DataFolder), "zoo");
            _usage = await Task.Run(() => DataFolderUsage.Measure(Options, zooFolder));
            _measuredAt = Time.GetUtcNow();
            _backbones = Zoo.Catalog.Select(b => (b, Zoo.CacheState(b.Id))).ToList();
        }
        finally
        {
            _measuring = false;
        }
    }

    /// <summary>Bytes as people read them: <c>0 B</c>, <c>12.3 KB</c>, <c>4.5 MB</c>, <c>1.2 GB</c> (1024-based).</summary>
    internal static string FormatSize(long bytes)
    {
        string[] units = ["B", "KB", "MB", "GB", "TB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? string.Create(CultureInfo.InvariantCulture, $"{bytes} B") : string.Create(CultureInfo.InvariantCulture, $"{value:0.#} {units[unit]}");
    }
}
