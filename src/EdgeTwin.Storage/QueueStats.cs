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
    bool Full);
