using VisionConsole.Domain;

namespace VisionConsole.Web;

/// <summary>
/// The user named by the <c>X-User</c> request header, else <c>anonymous</c>. The only place that decides
/// who is asking; real sign-in replaces this class.
/// </summary>
internal sealed class HttpCurrentUser(IHttpContextAccessor accessor) : ICurrentUser
{
    public const string HeaderName = "X-User";
    public const string Anonymous = "anonymous";
    private const int MaxLength = 64;

    public string Name
    {
        get
        {
            var value = accessor.HttpContext?.Request.Headers[HeaderName].ToString().Trim();
            return string.IsNullOrEmpty(value) || value.Length > MaxLength || value.Any(char.IsControl) ? Anonymous : value;
        }
    }
}
