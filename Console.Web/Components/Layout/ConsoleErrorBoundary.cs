using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;
using Microsoft.AspNetCore.Components.Web;
using MudBlazor;

namespace VisionConsole.Web.Components.Layout;

/// <summary>
/// Catches an exception thrown by a page, logs it under a short reference id and shows that id in a friendly
/// message, so a user can quote it and the circuit (and the rest of the layout) keeps working.
/// The layout calls <see cref="ErrorBoundaryBase.Recover"/> on navigation.
/// </summary>
public sealed partial class ConsoleErrorBoundary : ErrorBoundaryBase
{
    [Inject] private ILogger<ConsoleErrorBoundary> Logger { get; set; } = null!;

    /// <summary>The id of the last error shown, as logged.</summary>
    public string? ReferenceId { get; private set; }

    protected override Task OnErrorAsync(Exception exception)
    {
        ReferenceId = NewReferenceId();
        LogPageError(Logger, ReferenceId, exception);
        return Task.CompletedTask;
    }

    protected override void BuildRenderTree(RenderTreeBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (CurrentException is null)
        {
            builder.AddContent(0, ChildContent);
            return;
        }
        builder.OpenComponent<MudAlert>(1);
        builder.AddComponentParameter(2, nameof(MudAlert.Severity), Severity.Error);
        builder.AddComponentParameter(3, nameof(MudAlert.Class), "console-page-error");
        builder.AddComponentParameter(4, nameof(MudAlert.ChildContent), (RenderFragment)(content =>
        {
            content.OpenElement(0, "div");
            content.AddAttribute(1, "data-test", "page-error");
            content.AddContent(2, "Something went wrong on this page. Other pages still work; try again or go back. ");
            content.AddContent(3, "If it keeps happening, quote reference ");
            content.OpenElement(4, "code");
            content.AddAttribute(5, "data-test", "page-error-reference");
            content.AddContent(6, ReferenceId);
            content.CloseElement();
            content.AddContent(7, ".");
            content.CloseElement();
        }));
        builder.CloseComponent();
    }

    // Eight hex digits: short enough to read out, unique enough to find the one log line.
    private static string NewReferenceId() =>
        Random.Shared.Next().ToString("x8", CultureInfo.InvariantCulture);

    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "A page failed (reference {ReferenceId}).")]
    private static partial void LogPageError(ILogger logger, string referenceId, Exception exception);
}
