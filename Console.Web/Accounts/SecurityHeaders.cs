namespace VisionConsole.Web.Accounts;

/// <summary>Headers every answer carries: no MIME sniffing, no framing by other sites, no referrer to other sites.</summary>
internal static class SecurityHeaders
{
    public static WebApplication UseConsoleSecurityHeaders(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "SAMEORIGIN";
            headers["Referrer-Policy"] = "same-origin";
            // Only framing is restricted (the API page frames its own Swagger UI): Blazor and MudBlazor need inline styles.
            headers.ContentSecurityPolicy = "frame-ancestors 'self'";
            return next(context);
        });
        return app;
    }
}
