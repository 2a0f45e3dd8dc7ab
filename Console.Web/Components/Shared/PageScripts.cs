using Microsoft.JSInterop;
using MudBlazor;

namespace VisionConsole.Web.Components.Shared;

/// <summary>
/// The <c>wwwroot/js/pages.js</c> module (clipboard, scroll into view), loaded once per circuit on first use.
/// Browser calls are courtesies here: when the circuit's browser is gone or refuses, they answer false.
/// </summary>
public sealed class PageScripts(IJSRuntime js) : IAsyncDisposable
{
    private IJSObjectReference? _module;

    /// <summary>Copies <paramref name="text"/> to the clipboard; false when the browser refused.</summary>
    public async Task<bool> CopyTextAsync(string text)
    {
        try
        {
            return await ModuleAsync() is { } module && await module.InvokeAsync<bool>("copyText", text);
        }
        catch (JSException)
        {
            return false;
        }
    }

    /// <summary>Copies <paramref name="text"/> and says so in a snackbar, or says how to copy it by hand when the browser refused.</summary>
    /// <param name="text">What to copy.</param>
    /// <param name="what">What it is, for the notice ("The download URL").</param>
    /// <param name="snackbar">The page's snackbar.</param>
    public async Task CopyWithNoticeAsync(string text, string what, ISnackbar snackbar)
    {
        ArgumentNullException.ThrowIfNull(snackbar);
        if (await CopyTextAsync(text))
        {
            snackbar.Add($"{what} is copied.", Severity.Success);
        }
        else
        {
            snackbar.Add("The browser did not allow copying; select the text and copy it by hand.", Severity.Warning);
        }
    }

    /// <summary>Scrolls the element with this id into view when it is not already visible.</summary>
    public async Task ScrollIntoViewAsync(string elementId)
    {
        try
        {
            if (await ModuleAsync() is { } module)
            {
                await module.InvokeVoidAsync("scrollIntoView", elementId);
            }
        }
        catch (JSException)
        {
            // The element is on the page either way.
        }
    }

    private async Task<IJSObjectReference?> ModuleAsync() =>
        _module ??= await js.InvokeAsync<IJSObjectReference>("import", "./js/pages.js");

    public async ValueTask DisposeAsync()
    {
        if (_module is not null)
        {
            try
            {
                await _module.DisposeAsync();
            }
            catch (JSDisconnectedException)
            {
                // The circuit is gone, and the module with it.
            }
        }
    }
}
