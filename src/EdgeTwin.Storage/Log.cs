using Microsoft.Extensions.Logging;

namespace EdgeTwin.Storage;

/// <summary>Storage log messages; event ids 2000–2099.</summary>
internal static partial class Log
{
    [LoggerMessage(2000, LogLevel.Information, "Queue opened at {Path}: {Segments} segments, {Points} points, {Bytes} bytes, {Streams} streams, {Series} series; checked in {ElapsedMs} ms")]
    public static partial void Opened(ILogger logger, string path, int segments, long points, long bytes, int streams, int series, long elapsedMs);

    [LoggerMessage(2001, LogLevel.Error, "Queue segment {SegmentId} is corrupt ({Reason}); it was moved to quarantine and the queue goes on")]
    public static partial void CorruptSegment(ILogger logger, long segmentId, string reason);

    [LoggerMessage(2002, LogLevel.Critical, "Queue database {Path} cannot be opened ({Reason}); it was moved aside to {MovedTo} and a new queue was started. Points in it were not forwarded; see the loss ledger")]
    public static partial void MovedAside(ILogger logger, string path, string reason, string movedTo);

    [LoggerMessage(2003, LogLevel.Warning, "Queue full ({Reason}): dropped {Segments} oldest segments ({Points} points); {Ranges} new loss range(s) opened in the loss ledger, extended by further drops without a log line each")]
    public static partial void DroppedOldest(ILogger logger, string reason, int segments, long points, int ranges);

    [LoggerMessage(2004, LogLevel.Warning, "Queue state snapshot unusable ({Reason}); dedup history rebuilt from the segments still queued")]
    public static partial void SnapshotUnusable(ILogger logger, string reason);

    [LoggerMessage(2005, LogLevel.Warning, "Quarantine over its bounds: evicted {Count} oldest entries; recorded in the loss ledger")]
    public static partial void QuarantineEvicted(ILogger logger, int count);

    [LoggerMessage(2006, LogLevel.Warning, "Sink {Sink} reports segment {Recovered}, beyond the queue's last segment {Last}; its position is ignored")]
    public static partial void SinkAhead(ILogger logger, string sink, long recovered, long last);

    [LoggerMessage(2009, LogLevel.Error, "Queue {Problem}; segments that use those streams are quarantined when read")]
    public static partial void StreamCatalogDamaged(ILogger logger, string problem);

    [LoggerMessage(2007, LogLevel.Information, "Queue recovery: {What}")]
    public static partial void SegmentFileTrimmed(ILogger logger, string what);

    [LoggerMessage(2008, LogLevel.Warning, "Queue state snapshot could not be written ({Reason}); retried at the next checkpoint")]
    public static partial void SnapshotFailed(ILogger logger, string reason);

    [LoggerMessage(2010, LogLevel.Error, "Queue refuses new points at the free-disk floor ({Reason}): {Why}. Sources are slowed until disk comes back; further refusals are counted in /api/queue (floorRefusals), not logged")]
    public static partial void RefusedAtFloor(ILogger logger, string reason, string why);

    [LoggerMessage(2011, LogLevel.Warning, "Loss ledger over its allowance ($.queue.lossLedgerMaxRecords = {Max}): closed records coalesced, {Records} records now")]
    public static partial void LedgerCoalesced(ILogger logger, long records, int max);

    [LoggerMessage(2012, LogLevel.Information, "Series state over its budget ($.dedup.memoryBytes): {Evicted} cold series kept in the queue's database, {InMemory} in memory, {Spilled} held there")]
    public static partial void SeriesEvicted(ILogger logger, int evicted, int inMemory, long spilled);
}
