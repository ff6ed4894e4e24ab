namespace EdgeTwin.Storage;

/// <summary>
/// The most disk the queue's state directory can take for a configuration: the README's formula, in code, so that
/// a test holds the queue to it. Every term is bounded by the configuration or by a figure /api/queue reports:
/// <list type="bullet">
/// <item>segment files: the byte budget, plus one file's worth (the oldest file is deleted only when its last
/// segment goes), plus a 20-byte frame per queued segment;</item>
/// <item>queue.db: a document per queued segment, the loss ledger (at most its allowance plus one open record per
/// series), the stream catalog, and the quarantine (its byte bound, twice over for the database's own layout);
/// the engine reuses freed pages, so the file stays at its high-water mark of these;</item>
/// <item>the dedup snapshot (per series, its history of timestamps, and 12 bytes per recent point; twice, while a new one replaces the old), and the engine's log (checkpointed after every
/// transaction, bounded by its headroom).</item>
/// </list>
/// </summary>
public static class QueueDiskBound
{
    /// <summary>Bytes a segment document takes in queue.db, at most (index entry and page slack included).</summary>
    public const long SegmentDocumentBytes = 256;

    /// <summary>Bytes a loss-ledger record takes in queue.db, at most.</summary>
    public const long LossRecordBytes = 512;

    /// <summary>Bytes a stream takes in the catalog, at most (with a few short tags).</summary>
    public const long StreamBytes = 256;

    /// <summary>Bytes per series in the dedup snapshot beyond its timestamps.</summary>
    public const long SeriesSnapshotBytes = 256;

    /// <summary>The database's fixed pages (header, collections, index heads).</summary>
    public const long DatabaseBaseBytes = 256L << 10;

    /// <param name="segments">Segments queued at most (/api/queue "segments"); never more than maxBytes / 28, the size of a one-point segment.</param>
    /// <param name="streams">Streams in the catalog (/api/queue "streams"), loss streams included.</param>
    /// <param name="series">Series the dedup index holds (/api/queue "series").</param>
    public static long Compute(QueueOptions options, long segments, long streams, long series) =>
        options.MaxBytes + options.SegmentFileBytes + segments * SegmentLog.FrameHeaderSize
        + DatabaseBaseBytes + segments * SegmentDocumentBytes + (options.LossLedgerMaxRecords + series) * LossRecordBytes
        + streams * StreamBytes + 2 * options.QuarantineMaxBytes
        + 2 * series * (SeriesSnapshotBytes + 8L * options.HistoryPerSeries)
        + 2 * options.RecentPoints * RecentPointSnapshotBytes
        + DurableQueue.EngineHeadroomBytes;

    /// <summary>Bytes a recent point takes in the dedup snapshot: its stream's catalog id and its timestamp.</summary>
    public const long RecentPointSnapshotBytes = 12;
}
