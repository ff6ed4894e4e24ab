namespace EdgeTwin.Storage;

/// <summary>A snapshot of the queue's state for status output.</summary>
public sealed record QueueStats(
    long Segments,
    long Points,
    long Bytes,
    long MaxBytes,
    long FreeDiskBytes,
    long FirstSegmentId,
    long LastSegmentId,
    long OldestPointTicks,
    IReadOnlyDictionary<string, long> SinkCursors,
    IReadOnlyDictionary<string, long> SinkLagPoints,
    long QuarantineEntries,
    long LossRecords,
    long LostPoints,
    int Series,
    int Streams,
    bool Full)
{
    /// <summary>Loss-ledger records still open (extended while their series keeps being dropped).</summary>
    public int OpenLossRecords { get; init; }

    /// <summary>
    /// Drop-oldest found nothing left to drop at the free-disk floor and refuses new points, as block does, until
    /// disk comes back or a sink confirms.
    /// </summary>
    public bool RefusingAtFloor { get; init; }

    /// <summary>Commits refused at the free-disk floor since the queue opened.</summary>
    public long FloorRefusals { get; init; }
}
