namespace VisionConsole.Web;

internal static class ConsoleUser
{
    public const string Name = "console";
}
