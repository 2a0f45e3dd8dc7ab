namespace VisionConsole.Domain.Projects;

/// <summary>
/// A kind of thing that belongs to a project, found by the key a route carries: a request that names one is decided by
/// the role in that thing's project (a guessed id of another project's dataset is then refused like a missing one).
/// </summary>
public enum ProjectResource
{
    /// <summary>A dataset, by id; its images, labels, boxes, queue and audit go with it.</summary>
    Dataset,

    /// <summary>A trained model, by id.</summary>
    Model,

    /// <summary>An operation, by id: the project of the dataset it works on (one on no dataset, a backup, the default project).</summary>
    Operation,

    /// <summary>A model hosted for apps (Firebase ML), by id.</summary>
    HostedModel,

    /// <summary>An image blob, by SHA-256: every project with an image of those bytes.</summary>
    Blob,
}
