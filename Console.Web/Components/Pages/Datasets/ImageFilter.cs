using System.Globalization;
using VisionConsole.Domain.Datasets;

namespace VisionConsole.Web.Components.Pages.Datasets;

/// <summary>
/// The grid's filters and page, as the URL carries them (<c>?split=Train&amp;label=3&amp;unlabeled=true&amp;q=ant&amp;page=2</c>,
/// page one-based), so a view can be shared and survives a reload.
/// </summary>
public sealed record ImageFilter(DataSplit? Split = null, long? LabelId = null, bool UnlabeledOnly = false, string? Search = null, int Page = 0)
{
    public bool IsFiltered => Split is not null || LabelId is not null || UnlabeledOnly || !string.IsNullOrWhiteSpace(Search);

    /// <summary>The domain query for these filters (paging is added by the caller).</summary>
    public ImageQuery ToQuery() =>
        new(Split, UnlabeledOnly ? null : LabelId, UnlabeledOnly, string.IsNullOrWhiteSpace(Search) ? null : Search.Trim());

    /// <summary>Reads the query parameters; unknown or malformed values fall back to "no filter".</summary>
    public static ImageFilter FromQuery(string? split, long? label, bool? unlabeled, string? search, int? page) =>
        new(Enum.TryParse<DataSplit>(split, ignoreCase: true, out var s) && Enum.IsDefined(s) ? s : null,
            label is > 0 ? label : null,
            unlabeled == true,
            string.IsNullOrWhiteSpace(search) ? null : search,
            page is > 1 ? page.Value - 1 : 0);

    /// <summary>The query parameters for the URL; null removes a parameter.</summary>
    public IReadOnlyDictionary<string, object?> ToQueryParameters() => new Dictionary<string, object?>
    {
        ["split"] = Split?.ToString(),
        ["label"] = UnlabeledOnly ? null : LabelId?.ToString(CultureInfo.InvariantCulture),
        ["unlabeled"] = UnlabeledOnly ? "true" : null,
        ["q"] = string.IsNullOrWhiteSpace(Search) ? null : Search,
        ["page"] = Page > 0 ? (Page + 1).ToString(CultureInfo.InvariantCulture) : null,
    };
}
