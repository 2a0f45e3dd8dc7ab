using VisionConsole.Web;

if (ConsoleCommands.IsCommand(args))
{
    return await ConsoleCommands.RunAsync(args, Console.Out, Console.Error);
}
var builder = ConsoleHost.CreateBuilder(args);
var app = ConsoleHost.Build(builder);
await app.RunAsync();
return 0;

/// <summary>Entry point type, visible to <c>WebApplicationFactory</c>.</summary>
public partial class Program;
