using System.Globalization;

namespace VisionConsole.Domain.Datasets;

/// <summary>
/// The automatic TRAIN/VALIDATION/TEST split: 80/10/10 decided by the image's sha256, so the same
/// image lands in the same split on every machine and every run, and adding images never moves others.
/// </summary>
public static class SplitAssignment
{
    /// <summary>The split for an UNASSIGNED image with this hash.</summary>
    public static DataSplit ForSha256(string sha256)
    {
        if (sha256 is null || sha256.Length < 16)
        {
            throw new ArgumentException($"'{sha256}' is not a hex sha256.", nameof(sha256));
        }
        // The first 64 bits of a sha256 are uniform; modulo 100 has a negligible bias at this width.
        var bucket = ulong.Parse(sha256.AsSpan(0, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture) % 100;
        return bucket switch
        {
            < 80 => DataSplit.Train,
            < 90 => DataSplit.Validation,
            _ => DataSplit.Test,
        };
    }

    /// <summary>The user's split when set, else the hash's.</summary>
    public static DataSplit Resolve(DataSplit chosen, string sha256) =>
        chosen == DataSplit.Unassigned ? ForSha256(sha256) : chosen;
}
