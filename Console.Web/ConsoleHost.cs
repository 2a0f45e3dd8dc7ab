using VisionConsole.Web.Components;

namespace VisionConsole.Web;

/// <summary>Builds the console's host: command line, services, middleware and endpoints.</summary>
public static class ConsoleHost
{
    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            WebRootPath = LocateWebRoot(),
        });
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        return builder;
    }

    public static WebApplication Build(WebApplicationBuilder builder)
    {
        var app = builder.Build();
        app.UseStaticFiles();
        app.UseAntiforgery();
        app.MapBlazorClientScript();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }

    /// <summary>The top-level <c>wwwroot</c> of the repository, else the copy next to the binaries.</summary>
    private static string LocateWebRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "wwwroot");
            if (File.Exists(Path.Combine(dir.FullName, "Console.sln")) && Directory.Exists(candidate))
            {
                return candidate;
            }
        }
        return Path.Combine(AppContext.BaseDirectory, "wwwroot");
    }
}
