using System.Text.Json.Serialization;
using EdgeTwin.Core.Config;

namespace EdgeTwin.Storage;

// $.queue and $.quarantine: the durable queue's budget, commit and loss-ledger settings, and the quarantine store's
// bounds. config/edgetwin.json documents each key for technicians.

/// <summary>What the queue does when its byte budget or the free-disk floor is reached ($.queue.fullPolicy).</summary>
public enum QueueFullPolicy
{
    /// <summary>Refuse new segments until sinks confirm old ones: sources are slowed, nothing is lost.</summary>
    Block,

    /// <summary>Drop the oldest segments and record every dropped point in the loss ledger.</summary>
    DropOldest,
}

public sealed class QueueFullPolicyJson() : ConfigEnumConverter(Names)
{
    public static readonly ConfigEnumNames<QueueFullPolicy> Names = new((QueueFullPolicy.Block, "block"), (QueueFullPolicy.DropOldest, "dropOldest"));
}

public sealed class QueueConfig
{
    /// <summary>Byte budget for queued segments (encoded size).</summary>
    public long MaxBytes { get; set; } = 1L << 30;

    /// <summary>Free space the queue leaves on the state directory's file system.</summary>
    public long MinFreeDiskBytes { get; set; } = 256L << 20;

    /// <summary><c>block</c> (slow the sources, lose nothing) or <c>dropOldest</c> (drop the oldest segment, record it in the loss ledger).</summary>
    [JsonIgnore]
    public QueueFullPolicy FullPolicy { get; set; } = QueueFullPolicy.Block;

    /// <summary>The JSON text of <see cref="FullPolicy"/> (see <see cref="ConfigEnumConverter"/>).</summary>
    [JsonPropertyName("fullPolicy"), JsonConverter(typeof(QueueFullPolicyJson))]
    public string FullPolicyText { get => QueueFullPolicyJson.Names.Text(FullPolicy); set => FullPolicy = QueueFullPolicyJson.Names.Parse(value); }

    /// <summary>Longest a loss-ledger range stays open (seconds): a series dropped longer gets one record and one loss event per span.</summary>
    public double LossRangeSeconds { get; set; } = 3600;

    /// <summary>Records the loss ledger holds at most; past that, closed records are coalesced per asset, then per gateway.</summary>
    public int LossLedgerMaxRecords { get; set; } = 10_000;

    /// <summary>Most points committed in one transaction (one segment).</summary>
    public int MaxSegmentPoints { get; set; } = 4096;

    /// <summary>Longest a received point waits for its group commit.</summary>
    public double MaxCommitDelayMs { get; set; } = 20;

    /// <summary>
    /// How long a commit may wait for more points once the sources have paused (0 = commit at once). Fewer,
    /// larger commits cost fewer fsyncs and database pages at the price of this much latency.
    /// </summary>
    public double CommitLingerMs { get; set; }

    /// <summary>
    /// Batches that may wait between the sources and the pipeline before sources are slowed. Each holds up to a
    /// source's batch size of readings (about 100 KiB at 1,024), so this bounds the memory in flight.
    /// </summary>
    public int IngestCapacityBatches { get; set; } = 16;

    /// <summary>How often the dedup and shadow state is checkpointed, which lets confirmed segments be deleted.</summary>
    public double StateCheckpointSeconds { get; set; } = 10;
}

public sealed class QuarantineConfig
{
    public int MaxEntries { get; set; } = 100_000;

    public long MaxBytes { get; set; } = 64L << 20;

    public double MaxAgeDays { get; set; } = 14;
}

/// <summary>Validators of $.queue and $.quarantine.</summary>
public static class QueueConfigValidator
{
    public static void Queue(QueueConfig q, string path, ConfigCheck check)
    {
        if (q.MaxBytes < 1 << 20) check.Error(path + ".maxBytes", $"must be at least 1048576 (1 MiB), got {q.MaxBytes}");
        if (q.MinFreeDiskBytes < 0) check.Error(path + ".minFreeDiskBytes", $"must not be negative, got {q.MinFreeDiskBytes}");
        check.Known(path + ".fullPolicy", q.FullPolicy, QueueFullPolicyJson.Names);
        if (!(q.LossRangeSeconds >= 1) || q.LossRangeSeconds > 7 * 86400) check.Error(path + ".lossRangeSeconds", $"must be between 1 and 604800 (a week), got {q.LossRangeSeconds}");
        if (q.LossLedgerMaxRecords is < 100 or > 1_000_000) check.Error(path + ".lossLedgerMaxRecords", $"must be between 100 and 1000000, got {q.LossLedgerMaxRecords}");
        if (q.MaxSegmentPoints is < 1 or > 1_000_000) check.Error(path + ".maxSegmentPoints", $"must be between 1 and 1000000, got {q.MaxSegmentPoints}");
        check.Positive(path + ".maxCommitDelayMs", q.MaxCommitDelayMs);
        if (!(q.CommitLingerMs >= 0) || q.CommitLingerMs > q.MaxCommitDelayMs) check.Error(path + ".commitLingerMs", $"must be between 0 and {path}.maxCommitDelayMs ({q.MaxCommitDelayMs}), got {q.CommitLingerMs}");
        if (q.IngestCapacityBatches < 1) check.Error(path + ".ingestCapacityBatches", $"must be at least 1, got {q.IngestCapacityBatches}");
        check.Positive(path + ".stateCheckpointSeconds", q.StateCheckpointSeconds);
    }

    public static void Quarantine(QuarantineConfig quarantine, string path, ConfigCheck check)
    {
        if (quarantine.MaxEntries < 1) check.Error(path + ".maxEntries", $"must be at least 1, got {quarantine.MaxEntries}");
        if (quarantine.MaxBytes < 4096) check.Error(path + ".maxBytes", $"must be at least 4096, got {quarantine.MaxBytes}");
        check.Positive(path + ".maxAgeDays", quarantine.MaxAgeDays);
    }
}
