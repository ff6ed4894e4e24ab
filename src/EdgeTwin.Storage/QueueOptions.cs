using EdgeTwin.Core.Config;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Storage;

/// <summary>Everything the queue needs to know, taken from the config's queue, dedup and quarantine sections.</summary>
public sealed class QueueOptions
{
    public required string Directory { get; init; }

    public long MaxBytes { get; init; } = 1L << 30;

    public long MinFreeDiskBytes { get; init; } = 256L << 20;

    public QueueFullPolicy FullPolicy { get; init; } = QueueFullPolicy.Block;

    public int HistoryPerSeries { get; init; } = 64;

    /// <summary>Keys of recently committed points of irregular series kept besides the windows (<c>$.dedup.recentPoints</c>).</summary>
    public int RecentPoints { get; init; } = DedupConfig.DefaultRecentPoints;

    /// <summary>Estimated bytes the series state may take in memory; beyond it the coldest series go to the database.</summary>
    public long SeriesMemoryBytes { get; init; } = DedupConfig.DefaultMemoryBytes;

    /// <summary>
    /// The instance the process already holds of a stream equal to one the catalog reads when the queue opens (a
    /// mapping's), or null for none: the catalog then keeps that instance instead of a copy of its own, which at a
    /// million streams held ~250 MB beside the mappings through the recovery.
    /// </summary>
    public Func<StreamDescriptor, StreamDescriptor?>? KnownStream { get; set; }

    /// <summary>
    /// The series the process expects (its mapped series), or 0: the dedup index is sized for them once when the queue
    /// opens, up to what <see cref="SeriesMemoryBytes"/> holds, instead of growing by doubling (which leaves up to
    /// twice the entries needed, and holds both tables while it copies).
    /// </summary>
    public int ExpectedSeries { get; set; }

    /// <summary>The streams the process expects (its mappings), or 0: the stream catalog is sized for them once.</summary>
    public int ExpectedStreams { get; set; }

    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the database engine is closed and reopened to release its page cache.</summary>
    public TimeSpan EngineRecycleInterval { get; init; } = TimeSpan.FromSeconds(5);

    public int QuarantineMaxEntries { get; init; } = 100_000;

    public long QuarantineMaxBytes { get; init; } = 64L << 20;

    public TimeSpan QuarantineMaxAge { get; init; } = TimeSpan.FromDays(14);

    /// <summary>Longest a loss-ledger range stays open: a series dropped longer gets a new range (and its loss event) per span.</summary>
    public TimeSpan LossRangeSpan { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Records the loss ledger holds at most before it coalesces closed ones (per asset, then per gateway).</summary>
    public int LossLedgerMaxRecords { get; init; } = 10_000;

    /// <summary>
    /// Size at which a segment file is rolled over. A file is deleted only when none of its segments is queued,
    /// so smaller files give disk back sooner; by default 1/16 of the byte budget, between 256 KiB and 8 MiB.
    /// </summary>
    public long SegmentFileBytes
    {
        get => _segmentFileBytes ?? DefaultSegmentFileBytes(MaxBytes);
        init => _segmentFileBytes = value;
    }

    public static long DefaultSegmentFileBytes(long maxBytes) => Math.Clamp(maxBytes / 16, 256L << 10, 8L << 20);

    private readonly long? _segmentFileBytes;

    public static QueueOptions FromConfig(string stateDirectory, QueueConfig queue, DedupConfig dedup, QuarantineConfig quarantine) => new()
    {
        Directory = stateDirectory,
        MaxBytes = queue.MaxBytes,
        MinFreeDiskBytes = queue.MinFreeDiskBytes,
        FullPolicy = queue.FullPolicy,
        HistoryPerSeries = dedup.HistoryPerSeries,
        SeriesMemoryBytes = dedup.MemoryBytes,
        RecentPoints = dedup.RecentPoints,
        CheckpointInterval = TimeSpan.FromSeconds(queue.StateCheckpointSeconds),
        QuarantineMaxEntries = quarantine.MaxEntries,
        QuarantineMaxBytes = quarantine.MaxBytes,
        QuarantineMaxAge = TimeSpan.FromDays(quarantine.MaxAgeDays),
        LossRangeSpan = TimeSpan.FromSeconds(queue.LossRangeSeconds),
        LossLedgerMaxRecords = queue.LossLedgerMaxRecords,
    };
}
