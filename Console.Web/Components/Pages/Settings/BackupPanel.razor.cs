using Microsoft.AspNetCore.Components;
using VisionConsole.Domain;
using VisionConsole.Domain.Operations;
using VisionConsole.Domain.Storage;

namespace VisionConsole.Web.Components.Pages.Settings;

/// <summary>The Settings page's backups: "Back up now" queues a <c>backup</c> operation and follows it; the list reads <c>backups/</c>.</summary>
public sealed partial class BackupPanel : IDisposable
{
    private static readonly TimeSpan PollEvery = TimeSpan.FromMilliseconds(500);
    private readonly CancellationTokenSource _closed = new();
    private OperationSummary? _operation;
    private IReadOnlyList<BackupFile> _backups = [];

    [Inject] private BackupService Backups { get; set; } = null!;

    [Inject] private IOperationService Operations { get; set; } = null!;

    [Inject] private ICurrentUser CurrentUser { get; set; } = null!;

    [Inject] private ConsoleOptions Options { get; set; } = null!;

    private string DataFolder => Options.DataFolder;

    private string BackupFolder => DataBackup.BackupFolder(Options);

    /// <summary>Percent of files copied, once the copy has started.</summary>
    private double? Progress => _operation?.Progress is BackupProgress { TotalFiles: > 0 } p ? 100.0 * p.Files / p.TotalFiles : null;

    /// <inheritdoc />
    protected override void OnInitialized() => _backups = Backups.List();

    private async Task StartAsync()
    {
        try
        {
            _operation = await Backups.StartAsync(CurrentUser.Name, _closed.Token);
            while (_operation is { Done: false } && !_closed.IsCancellationRequested)
            {
                await Task.Delay(PollEvery, _closed.Token);
                _operation = await Operations.GetAsync(_operation.Id, _closed.Token);
                StateHasChanged();
            }
            _backups = Backups.List();
        }
        catch (OperationCanceledException)
        {
            // The page closed while the backup ran; it goes on in the runner.
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _closed.Cancel();
        _closed.Dispose();
    }
}
