using VisionConsole.Domain.Datasets;

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
}
