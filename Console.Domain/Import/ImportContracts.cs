using VisionConsole.Domain.Datasets;

namespace VisionConsole.Domain.Import;

/// <summary>One uploaded file waiting on disk for its import.</summary>
/// <param name="Name">The name the client sent (a relative path for folder uploads), as the planner sees it.</param>
/// <param name="Path">Where the bytes are (under <c>&lt;data&gt;/uploads/&lt;operation&gt;/</c> for uploads through the console).</param>
public sealed record ImportFile(string Name, string Path);

/// <summary>What an import operation is asked to do.</summary>
/// <param name="DatasetId">The dataset the images go into.</param>
/// <param name="Files">The uploaded files (zips, CSV, COCO JSON, VOC XML, loose images).</param>
/// <param name="Format">Force a format, or <see cref="ImportFormat.Auto"/> to detect it (see <see cref="ImportPlanner"/>).</param>
/// <param name="CocoBoxes">How COCO <c>bbox</c> values are read.</param>
/// <param name="DefaultSplit">The split for images the upload assigns none (null: UNASSIGNED, the hash decides when training).</param>
/// <param name="User">Who imports (recorded as "added by" and in the audit).</param>
public sealed record ImportRequest(
    long DatasetId,
    IReadOnlyList<ImportFile> Files,
    ImportFormat Format = ImportFormat.Auto,
    CocoBoxUnits CocoBoxes = CocoBoxUnits.Auto,
    DataSplit? DefaultSplit = null,
    string User = "system") : Operations.OperationRequest
{
    /// <summary>The operation kind of an import (AutoML's <c>importData</c>).</summary>
    public const string Kind = "import-data";
}

/// <summary>Where an import is.</summary>
public enum ImportPhase { Queued, Reading, Importing, RollingBack, Done }

/// <summary>
/// An import's progress, reported after every image. <see cref="Done"/> of <see cref="Total"/> images are handled;
/// each handled image is exactly one of imported, duplicate (merged) or refused.
/// </summary>
/// <param name="Phase">Reading the upload, importing images, or undoing a cancelled import.</param>
/// <param name="Done">Images handled so far.</param>
/// <param name="Total">Images the upload holds (known once it is read).</param>
/// <param name="Imported">New images added to the dataset.</param>
/// <param name="Duplicates">Images whose bytes were already in the dataset or earlier in the upload: merged (labels and boxes unioned), not stored twice.</param>
/// <param name="Refused">Images that could not be read or broke an intake rule (each is an Error in the report).</param>
/// <param name="Warnings">Warning findings so far (the upload's and the import's).</param>
/// <param name="Errors">Error findings so far.</param>
/// <param name="Message">A short line for people, e.g. <c>importing 120/398</c>.</param>
public sealed record ImportProgress(ImportPhase Phase, int Done, int Total, int Imported, int Duplicates, int Refused, int Warnings, int Errors, string Message) : Operations.OperationProgress;

/// <summary>What a finished import did.</summary>
/// <param name="Format">The format the upload was read as.</param>
/// <param name="Items">Images the upload held (distinct paths).</param>
/// <param name="Imported">New images added.</param>
/// <param name="Duplicates">Images merged into one already in the dataset or earlier in the upload.</param>
/// <param name="Refused">Images not imported (each has an Error in the report).</param>
/// <param name="Warnings">Warning findings in the report.</param>
/// <param name="Errors">Error findings in the report (dropped rows, entries, boxes and refused images).</param>
/// <param name="LabelsCreated">Labels this import added to the dataset.</param>
/// <param name="LabelsAssigned">Whole-image labels given (to new or merged images).</param>
/// <param name="BoxesAdded">Boxes drawn (on new or merged images).</param>
/// <param name="ReportFile">The CSV report, relative to the data folder (<c>reports/import-&lt;operation&gt;.csv</c>).</param>
public sealed record ImportResult(
    ImportFormat Format, int Items, int Imported, int Duplicates, int Refused, int Warnings, int Errors,
    int LabelsCreated, int LabelsAssigned, int BoxesAdded, string ReportFile) : Operations.OperationResult;
