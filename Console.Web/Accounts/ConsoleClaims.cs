using System.Security.Claims;
using VisionConsole.Domain.Accounts;

namespace VisionConsole.Web.Accounts;

/// <summary>The claims the console puts on a signed-in person or an API key, and what it reads back from them.</summary>
public static class ConsoleClaims
{
    /// <summary>Present on an administrator's principal.</summary>
    public const string Administrator = "vc:admin";

    /// <summary>The id of the API key a request came with.</summary>
    public const string ApiKeyId = "vc:key";

    /// <summary>The one project an API key opens.</summary>
    public const string KeyProject = "vc:project";

    /// <summary>The role an API key has in <see cref="KeyProject"/>.</summary>
    public const string KeyRole = "vc:role";

    /// <summary>The principal of a request made with <paramref name="key"/>: its account's id and name, its project and role.</summary>
    public static ClaimsPrincipal ForApiKey(ApiKeyIdentity key, string scheme) => new(new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, key.UserId),
            new Claim(ClaimTypes.Name, key.UserName),
            new Claim(ApiKeyId, key.KeyId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new Claim(KeyProject, key.ProjectName),
            new Claim(KeyRole, key.Role.ToString()),
        ], scheme));

    /// <summary>True for an administrator signed in (never for an API key: a key has its role, whoever made it).</summary>
    public static bool IsAdministrator(this ClaimsPrincipal user) => user.HasClaim(c => c.Type == Administrator) && !user.HasClaim(c => c.Type == ApiKeyId);
}
