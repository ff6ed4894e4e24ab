using System.Collections.Concurrent;
using EdgeTwin.Core.Quarantine;

namespace EdgeTwin.Gateway.Metrics;

/// <summary>Counters of the pipeline, shared by the workers, the status file and (later) the metrics endpoint.</summary>
public sealed class PipelineMetrics
{
    private long _readingsIn;
    private long _accepted;
    private long _duplicates;
    private long _late;
    private long _quarantined;
    private long _commits;
    private long _droppedPoints;
    private long _blockedMillis;

    public ConcurrentDictionary<string, long> ReadingsPerSource { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, long> ForwardedPerSink { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, string> SinkStates { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<QuarantineReason, long> QuarantinedPerReason { get; } = new();

    public LatencyHistogram CommitLatency { get; } = new();

    public long ReadingsIn => Volatile.Read(ref _readingsIn);

    public long Accepted => Volatile.Read(ref _accepted);

    public long Duplicates => Volatile.Read(ref _duplicates);

    public long LateUnverified => Volatile.Read(ref _late);

    public long Quarantined => Volatile.Read(ref _quarantined);

    public long Commits => Volatile.Read(ref _commits);

    public long DroppedPoints => Volatile.Read(ref _droppedPoints);

    public long BlockedMillis => Volatile.Read(ref _blockedMillis);

    /// <summary>Set by the pipeline when a commit fails for a storage error; cleared by the next successful commit.</summary>
    public string? StorageError { get; set; }

    /// <summary>
    /// When the pipeline thread last came back from the storage or from waiting for input (UTC ticks): each loop
    /// iteration, each commit attempt (committed, refused as full, or failed and backing off) and each second of
    /// a backoff. The systemd watchdog reads it: batches waiting while this stands still mean a stuck pipeline.
    /// </summary>
    public long LastProgressTicks;

    /// <summary>Batches the pipeline thread holds (taken from the channel, not yet committed).</summary>
    public int PendingBatches;

    public void AddBatch(string source, int readings, int accepted, int duplicates, int late, int quarantined)
    {
        ReadingsPerSource.AddOrUpdate(source, readings, (_, v) => v + readings);
        Interlocked.Add(ref _readingsIn, readings);
        Interlocked.Add(ref _accepted, accepted);
        Interlocked.Add(ref _duplicates, duplicates);
        Interlocked.Add(ref _late, late);
        Interlocked.Add(ref _quarantined, quarantined);
    }

    public void AddQuarantineReason(QuarantineReason reason) => QuarantinedPerReason.AddOrUpdate(reason, 1, (_, v) => v + 1);

    public void AddCommit(TimeSpan latency, long dropped)
    {
        Interlocked.Increment(ref _commits);
        Interlocked.Add(ref _droppedPoints, dropped);
        CommitLatency.Record(latency);
    }

    public void AddBlocked(long millis) => Interlocked.Add(ref _blockedMillis, millis);

    public void AddForwarded(string sink, int points) => ForwardedPerSink.AddOrUpdate(sink, points, (_, v) => v + points);
}
