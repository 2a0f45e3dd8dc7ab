using VisionConsole.Domain.Datasets;

namespace VisionConsole.Web.Components.Pages.Models;

/// <summary>One way to fetch a published model, for the model page's tabs.</summary>
public sealed record ModelSnippet(string Name, string Language, string Code);

/// <summary>
/// Code that fetches a published model's stable URL, as AutoML Vision Edge's docs show for ML Kit: download once,
/// keep the file, reload it when the URL serves a newer version. The zip holds <c>model.onnx</c>, <c>dict.txt</c>
/// (labels in output order) and <c>manifest.json</c>, so the snippets open it with ONNX Runtime.
/// </summary>
public static class ModelSnippets
{
    /// <summary>The snippets for a model's stable URLs; a detector's say what its outputs are instead of a classifier's scores.</summary>
    /// <param name="packageUrl">The latest published zip.</param>
    /// <param name="manifestUrl">Its manifest.</param>
    /// <param name="kind">What the model does.</param>
    public static IReadOnlyList<ModelSnippet> For(string packageUrl, string manifestUrl, DatasetKind kind)
    {
        var outputs = kind == DatasetKind.ObjectDetection
            ? "Input: what manifest.json's input says (uint8 RGB, NHWC, the whole image stretched). Outputs: detection_boxes [1, 100, 4]\n// (ymin, xmin, ymax, xmax, 0-1), detection_classes (indices into dict.txt), detection_scores (best first), num_detections."
            : "Input: what manifest.json's input says (uint8 RGB, NHWC, and how the image is framed). Output: scores, in dict.txt order.";
        var verb = kind == DatasetKind.ObjectDetection ? "find objects in images" : "label images";
        return Build(packageUrl, manifestUrl, outputs, verb);
    }

    private static IReadOnlyList<ModelSnippet> Build(string packageUrl, string manifestUrl, string outputs, string verb) =>
    [
        new("curl", "shell", $$"""
            # The latest published version of this model, and its manifest (VC_API_KEY: a viewer key from the API keys page)
            curl -fL -H "Authorization: Bearer $VC_API_KEY" -o model.zip "{{packageUrl}}"
            curl -fL -H "Authorization: Bearer $VC_API_KEY" "{{manifestUrl}}"
            unzip -o model.zip model.onnx dict.txt manifest.json
            """),
        new("Kotlin (Android)", "kotlin", $$"""
            // ML Kit-style: download the published model once, cache it, then {{verb}} on device.
            // build.gradle: implementation("com.microsoft.onnxruntime:onnxruntime-android:1.31.0")
            val modelDir = File(context.filesDir, "vision-model").apply { mkdirs() }
            withContext(Dispatchers.IO) {
                // apiKey: a viewer key of the project (API keys page), kept out of source control.
                val download = URL("{{packageUrl}}").openConnection().apply { setRequestProperty("Authorization", "Bearer $apiKey") }
                ZipInputStream(download.getInputStream()).use { zip ->
                    generateSequence { zip.nextEntry }.filter { it.name == "model.onnx" || it.name == "dict.txt" }
                        .forEach { entry -> File(modelDir, entry.name).outputStream().use { zip.copyTo(it) } }
                }
            }
            val labels = File(modelDir, "dict.txt").readLines()
            val env = OrtEnvironment.getEnvironment()
            val session = env.createSession(File(modelDir, "model.onnx").readBytes())
            // {{outputs}}
            """),
        new("Swift (iOS)", "swift", $$"""
            // ML Kit-style: download the published model once, cache it, then {{verb}} on device.
            // Package.swift: onnxruntime-swift-package-manager, ZIPFoundation
            // apiKey: a viewer key of the project (API keys page), kept out of source control.
            var request = URLRequest(url: URL(string: "{{packageUrl}}")!)
            request.setValue("Bearer \(apiKey)", forHTTPHeaderField: "Authorization")
            let (zipFile, _) = try await URLSession.shared.download(for: request)
            let modelDir = FileManager.default.urls(for: .applicationSupportDirectory, in: .userDomainMask)[0].appendingPathComponent("vision-model")
            try? FileManager.default.removeItem(at: modelDir)
            try FileManager.default.unzipItem(at: zipFile, to: modelDir)
            let labels = try String(contentsOf: modelDir.appendingPathComponent("dict.txt"), encoding: .utf8).split(separator: "\n")
            let env = try ORTEnv(loggingLevel: .warning)
            let session = try ORTSession(env: env, modelPath: modelDir.appendingPathComponent("model.onnx").path, sessionOptions: nil)
            // {{outputs}}
            """),
        new("JavaScript", "javascript", $$"""
            // In the browser or Node: npm install onnxruntime-web jszip
            import * as ort from "onnxruntime-web";
            import JSZip from "jszip";

            // apiKey: a viewer key of the project (API keys page), kept out of source control.
            const download = await fetch("{{packageUrl}}", { headers: { Authorization: `Bearer ${apiKey}` } });
            const zip = await JSZip.loadAsync(await download.arrayBuffer());
            const labels = (await zip.file("dict.txt").async("string")).trim().split("\n");
            const manifest = JSON.parse(await zip.file("manifest.json").async("string"));
            const session = await ort.InferenceSession.create(await zip.file("model.onnx").async("uint8array"));
            // {{outputs}}
            """),
    ];
}
