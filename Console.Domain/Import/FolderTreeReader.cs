namespace VisionConsole.Domain.Import;

/// <summary>
/// Reads labels from folders (Firebase "Option 1", ImageFolder). Rules, in order:
/// <list type="number">
/// <item>A single top folder that holds folders and is not a split name is a wrapper and is skipped (a zip of "hymenoptera/").</item>
/// <item>A top folder named train/training, val/valid/validation, test/testing or unassigned is a split parent when it holds
/// folders or when another top folder is also split-named; its images go to that split.</item>
/// <item>Below the (split) root, the first folder is the image's label; images directly in the root are unlabeled.</item>
/// </list>
/// </summary>
internal static class FolderTreeReader
{
    public static void Read(ImportContext context, CancellationToken cancellationToken)
    {
        var images = context.Images;
        var rootDepth = WrapperDepth(images.Select(i => i.Path.Split('/')).ToList());

        var relative = images.Select(i => (Node: i, Parts: i.Path.Split('/')[rootDepth..])).ToList();
        var topFolders = relative.Where(r => r.Parts.Length > 1).Select(r => r.Parts[0]).Distinct(StringComparer.Ordinal).ToList();
        var splitNamed = topFolders.Where(f => SplitNames.FromFolder(f) is not null).ToList();
        var splitParents = new HashSet<string>(StringComparer.Ordinal);
        foreach (var folder in splitNamed)
        {
            var holdsFolders = relative.Any(r => r.Parts.Length > 2 && r.Parts[0] == folder);
            if (holdsFolders || splitNamed.Count > 1)
                splitParents.Add(folder);
        }

        foreach (var (node, parts) in relative)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var rest = parts;
            var item = context.Item(node);
            if (rest.Length > 1 && splitParents.Contains(rest[0]))
            {
                context.SetSplit(item, SplitNames.FromFolder(rest[0])!.Value, node.Display, null, null);
                rest = rest[1..];
            }
            if (rest.Length > 1 && context.Label(rest[0], node.Display, null, null) is { } label)
                item.AddLabel(label);
        }
    }

    /// <summary>How many leading single folders wrap everything (never a split-named one, never the folder images sit in).</summary>
    private static int WrapperDepth(List<string[]> paths)
    {
        var depth = 0;
        while (paths.Count > 0)
        {
            // Every image must sit below depth+1 folders, and they must share the folder at this depth.
            if (paths.Any(p => p.Length <= depth + 2))
                break;
            var first = paths[0][depth];
            if (paths.Any(p => !p[depth].Equals(first, StringComparison.Ordinal)) || SplitNames.FromFolder(first) is not null)
                break;
            depth++;
        }
        return depth;
    }
}
