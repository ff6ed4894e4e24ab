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

    /// <summary>
    /// Series held only in the database: evicted and not back. A series that came back keeps its record until it is
    /// evicted again, but counts in memory (<see cref="Series"/>) only.
    /// </summary>
    public long SeriesStored { get; init; }

    /// <summary>Series that left memory for the database since the queue opened.</summary>
    public long SeriesEvictions { get; init; }

    /// <summary>Estimated bytes of the series state in memory (<see cref="Series"/> of them).</summary>
    public long SeriesMemoryBytes { get; init; }

    /// <summary>The series state's budget ($.dedup.memoryBytes).</summary>
    public long SeriesMemoryLimit { get; init; }
}
