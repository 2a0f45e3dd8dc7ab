using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;

namespace VisionConsole.Web.Api;

/// <summary>One limit: at most <see cref="PermitLimit"/> requests per <see cref="Window"/> from one client; 0 turns it off.</summary>
public sealed class RateLimit
{
    /// <summary>Requests allowed per window; 0 means no limit.</summary>
    public int PermitLimit { get; set; }

    /// <summary>The fixed window the permits are counted in.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// <c>RateLimits</c> in configuration: a limit for prediction (<c>:predict</c>), imports (<c>:importData</c>) and
/// trainings (<c>POST models</c>), each per client: per bearer token when the request carries one (the API key), else per
/// remote address. For example <c>--RateLimits:Predict:PermitLimit 600 --RateLimits:Predict:Window 00:01:00</c>.
/// </summary>
public sealed class RateLimitOptions
{
    /// <summary>Per client, <c>:predict</c> calls (default 6,000 a minute: 100 a second).</summary>
    public RateLimit Predict { get; set; } = new() { PermitLimit = 6000 };

    /// <summary>Per client, imports started (default 60 a minute).</summary>
    public RateLimit Import { get; set; } = new() { PermitLimit = 60 };

    /// <summary>Per client, trainings started (default 30 a minute).</summary>
    public RateLimit Training { get; set; } = new() { PermitLimit = 30 };
}

/// <summary>
/// ASP.NET Core's rate limiter over <see cref="RateLimitOptions"/>: fixed windows partitioned by client; a refused request
/// gets <c>429</c>, <c>Retry-After</c> in seconds and the error shape of its API family.
/// </summary>
internal static class ApiRateLimits
{
    public const string Predict = "predict";
    public const string Import = "import";
    public const string Training = "training";

    public static IServiceCollection AddApiRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RateLimitOptions>().Bind(configuration.GetSection("RateLimits"));
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = RejectAsync;
            limiter.AddPolicy(Predict, context => Partition(context, Predict, o => o.Predict));
            limiter.AddPolicy(Import, context => Partition(context, Import, o => o.Import));
            limiter.AddPolicy(Training, context => Partition(context, Training, o => o.Training));
        });
        return services;
    }

    private static RateLimitPartition<string> Partition(HttpContext context, string policy, Func<RateLimitOptions, RateLimit> pick)
    {
        var limit = pick(context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<RateLimitOptions>>().Value);
        var client = ClientKey(context);
        if (limit.PermitLimit <= 0)
        {
            return RateLimitPartition.GetNoLimiter(client);
        }
        return RateLimitPartition.GetFixedWindowLimiter($"{policy}:{client}", _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = limit.PermitLimit,
            Window = limit.Window,
            QueueLimit = 0,
        });
    }

    /// <summary>
    /// The client a limit counts for: the bearer token (hashed, never kept as sent) when there is one, else the remote
    /// address. A name in <c>X-User</c> does not count: anyone can send any name.
    /// </summary>
    internal static string ClientKey(HttpContext context)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && authorization.Length > 7)
        {
            return "key:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(authorization[7..].Trim())))[..16];
        }
        return "ip:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
    }

    private static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var http = rejected.HttpContext;
        var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)) : 1;
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        var problem = new ProblemDetails
        {
            Status = StatusCodes.Status429TooManyRequests,
            Title = "Too many requests",
            Detail = $"Too many requests of this kind from this client; try again in {seconds} s (the limits are RateLimits in the console's configuration).",
            Instance = http.Request.Path,
        };
        problem.Extensions["code"] = "rate-limited";
        problem.Extensions["retryAfterSeconds"] = seconds;
        await http.RequestServices.GetRequiredService<IProblemDetailsService>()
            .WriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem }).ConfigureAwait(false);
    }
}
