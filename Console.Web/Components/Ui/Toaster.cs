namespace VisionConsole.Web.Components.Ui;

/// <summary>One short message shown in the corner for a few seconds.</summary>
public sealed record Toast(long Id, string Message, Color Color);

/// <summary>
/// Short-lived notifications for one circuit (MudBlazor's ISnackbar habit): pages call
/// <see cref="Show"/>, the <c>ToastHost</c> in the layout renders them.
/// </summary>
public sealed class Toaster
{
    private readonly List<Toast> _toasts = [];
    private long _nextId;

    public event Action? Changed;

    public IReadOnlyList<Toast> Toasts
    {
        get
        {
            lock (_toasts)
            {
                return [.. _toasts];
            }
        }
    }

    public Toast Show(string message, Color color = Color.Success)
    {
        Toast toast;
        lock (_toasts)
        {
            toast = new Toast(++_nextId, message, color);
            _toasts.Add(toast);
        }
        Changed?.Invoke();
        return toast;
    }

    public void Dismiss(long id)
    {
        lock (_toasts)
        {
            _toasts.RemoveAll(t => t.Id == id);
        }
        Changed?.Invoke();
    }
}
