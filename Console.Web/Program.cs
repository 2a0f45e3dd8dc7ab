using VisionConsole.Web;

var builder = ConsoleHost.CreateBuilder(args);
var app = ConsoleHost.Build(builder);
app.Run();

/// <summary>Entry point type, visible to <c>WebApplicationFactory</c>.</summary>
public partial class Program;
