namespace VisionConsole.Domain.Datasets;

/// <summary>
/// The labeling queue's hold on one image: while it has not expired, the queue hands the image to nobody else. The
/// holder's page renews it; a labeler who leaves lets it lapse, and the image goes back to the queue.
/// </summary>
public sealed class ImageLease
{
    private ImageLease()
    {
        Holder = string.Empty;
    }

    /// <summary>A lease on <paramref name="imageId"/> for <paramref name="holder"/> until <paramref name="expiresAt"/>.</summary>
    public ImageLease(long imageId, long datasetId, string holder, DateTimeOffset expiresAt)
    {
        ArgumentException.ThrowIfNullOrEmpty(holder);
        ImageId = imageId;
        DatasetId = datasetId;
        Holder = holder;
        ExpiresAt = expiresAt;
    }

    /// <summary>The image held (the key: one lease per image).</summary>
    public long ImageId { get; private set; }

    public long DatasetId { get; private set; }

    /// <summary>The account name holding it.</summary>
    public string Holder { get; private set; }

    public DateTimeOffset ExpiresAt { get; private set; }

    /// <summary>Whether the lease still holds at <paramref name="now"/>.</summary>
    public bool IsActive(DateTimeOffset now) => ExpiresAt > now;

    /// <summary>Extends the holder's lease to <paramref name="expiresAt"/> (also a lapsed one nobody took since).</summary>
    /// <exception cref="DomainException"><c>lease-lost</c> when someone else holds it now.</exception>
    public void Renew(string holder, DateTimeOffset expiresAt)
    {
        if (Holder != holder)
        {
            throw new DomainException("lease-lost", $"Image {ImageId} is no longer yours to label: your hold lapsed and {Holder} took it. Take the next image from the queue.");
        }
        ExpiresAt = expiresAt;
    }
}
