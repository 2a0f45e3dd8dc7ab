using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Security.Cryptography;
using Microsoft.Net.Http.Headers;

namespace VisionConsole.Web;

/// <summary>
/// Serves <c>/_framework/blazor.web.js</c>. .NET 10 ships that script only in a package our source lacks,
/// so the build copies the .NET 9 assembly that embeds it (see Console.Web.csproj) and this reads the
/// resource once, without loading the assembly.
/// </summary>
internal static class BlazorClientScript
{
    private const string ResourceName = "_framework/blazor.web.js";
    private static readonly Lazy<(byte[] Script, string ETag)> Script = new(Load);

    public static IEndpointConventionBuilder MapBlazorClientScript(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet("/" + ResourceName, (HttpContext context) =>
        {
            var (script, etag) = Script.Value;
            context.Response.Headers.ETag = etag;
            context.Response.Headers.CacheControl = "no-cache";
            if (context.Request.Headers.IfNoneMatch == etag)
            {
                return Results.StatusCode(StatusCodes.Status304NotModified);
            }
            return Results.Bytes(script, "text/javascript");
        }).ExcludeFromDescription();

    private static (byte[], string) Load()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "blazor-client", "Microsoft.AspNetCore.Components.Endpoints.dll");
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        var resources = pe.GetSectionData(pe.PEHeaders.CorHeader!.ResourcesDirectory.RelativeVirtualAddress);
        foreach (var handle in metadata.ManifestResources)
        {
            var resource = metadata.GetManifestResource(handle);
            if (metadata.GetString(resource.Name) != ResourceName)
            {
                continue;
            }
            var reader = resources.GetReader((int)resource.Offset, resources.Length - (int)resource.Offset);
            var script = reader.ReadBytes(reader.ReadInt32());
            var etag = new EntityTagHeaderValue("\"" + Convert.ToHexString(SHA256.HashData(script))[..16] + "\"").ToString();
            return (script, etag);
        }
        throw new InvalidOperationException($"{path} does not contain {ResourceName}; run the build again.");
    }
}
