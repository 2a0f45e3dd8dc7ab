using VisionConsole.Domain.Datasets;
using VisionConsole.Web.Components.Ui;

namespace VisionConsole.Web.Components.Pages.Datasets;

/// <summary>How dataset enums read on screen.</summary>
public static class DatasetText
{
    public static string Describe(this DatasetKind kind) => kind switch
    {
        DatasetKind.SingleLabel => "Single-label classification",
        DatasetKind.MultiLabel => "Multi-label classification",
        DatasetKind.ObjectDetection => "Object detection",
        _ => kind.ToString(),
    };

    public static string Describe(this DataSplit split) => split switch
    {
        DataSplit.Unassigned => "Unassigned",
        DataSplit.Train => "Train",
        DataSplit.Validation => "Validation",
        DataSplit.Test => "Test",
        _ => split.ToString(),
    };

    public static Color BadgeColor(this DataSplit split) => split switch
    {
        DataSplit.Train => Color.Primary,
        DataSplit.Validation => Color.Warning,
        DataSplit.Test => Color.Info,
        _ => Color.Secondary,
    };
}
