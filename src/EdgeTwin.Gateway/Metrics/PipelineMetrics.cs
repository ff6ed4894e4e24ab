using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using EdgeTwin.Core.Quarantine;

namespace EdgeTwin.Gateway.Metrics;

/// <summary>
/// Counters of the pipeline, shared by the workers, the status file, the local API and the metrics endpoint
/// (<see cref="GatewayInstruments"/> observes them). Totals and per-source/per-sink breakdowns are kept here,
/// whether or not anything exports them, so every view reports the same numbers.
/// </summary>
public sealed class PipelineMetrics : IDisposable
{
    /// <summary>The meter of the pipeline's own instruments (the commit-latency histogram).</summary>
    public const string MeterName = "EdgeTwin.Pipeline";

    /// <summary>Bucket bounds of the commit-latency histogram, in seconds: 250 µs to 10 s.</summary>
    public static readonly double[] CommitBuckets = [0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Meter _meter = new(MeterName);
    private readonly Histogram<double> _commitDuration;
    private long _readingsIn;
    private long _accepted;
    private long _duplicates;
    private long _late;
    private long _quarantined;
    private long _commits;
    private long _droppedPoints;
    private long _blockedMillis;
    private long _replayedCured;

    public PipelineMetrics()
    {
        _commitDuration = _meter.CreateHistogram("edgetwin.queue.commit.duration", "s",
            "Time to commit one group of points to the durable queue (one transaction, written and flushed)",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = CommitBuckets });
    }

    public ConcurrentDictionary<string, SourceCounters> PerSource { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, long> ForwardedPerSink { get; } = new(StringComparer.Ordinal);

    /// <summary>Per sink, its state as text for people ("retrying: connection refused").</summary>
    public ConcurrentDictionary<string, string> SinkStates { get; } = new(StringComparer.Ordinal);

    /// <summary>Per sink, its state as one of a fixed set, for monitoring.</summary>
    public ConcurrentDictionary<string, SinkState> SinkKinds { get; } = new(StringComparer.Ordinal);

    /// <summary>Per source, what the source worker knows of it (running, restarting after a failure, returned).</summary>
    public ConcurrentDictionary<string, SourceRun> SourceRuns { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<QuarantineReason, long> QuarantinedPerReason { get; } = new();

    public ConcurrentDictionary<(string Source, QuarantineReason Reason), long> QuarantinedPerSourceAndReason { get; } = new();

    public LatencyHistogram CommitLatency { get; } = new();

    public long ReadingsIn => Volatile.Read(ref _readingsIn);

    public long Accepted => Volatile.Read(ref _accepted);

    public long Duplicates => Volatile.Read(ref _duplicates);

    public long LateUnverified => Volatile.Read(ref _late);

    public long Quarantined => Volatile.Read(ref _quarantined);

    public long Commits => Volatile.Read(ref _commits);

    public long DroppedPoints => Volatile.Read(ref _droppedPoints);

    public long BlockedMillis => Volatile.Read(ref _blockedMillis);

    /// <summary>Quarantined readings that a replay through the running pipeline cured.</summary>
    public long ReplayedCured => Volatile.Read(ref _replayedCured);

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
        var counters = PerSource.GetOrAdd(source, static _ => new SourceCounters());
        Interlocked.Add(ref counters.ReadingsIn, readings);
        Interlocked.Add(ref counters.Accepted, accepted);
        Interlocked.Add(ref counters.Duplicates, duplicates);
        Interlocked.Add(ref counters.LateUnverified, late);
        Interlocked.Add(ref counters.Quarantined, quarantined);
        Interlocked.Add(ref _readingsIn, readings);
        Interlocked.Add(ref _accepted, accepted);
        Interlocked.Add(ref _duplicates, duplicates);
        Interlocked.Add(ref _late, late);
        Interlocked.Add(ref _quarantined, quarantined);
    }

    /// <summary>One reading quarantined: by reason, and by the source (or <c>sink:name</c>) it came from.</summary>
    public void AddQuarantined(string source, QuarantineReason reason)
    {
        QuarantinedPerReason.AddOrUpdate(reason, 1, static (_, v) => v + 1);
        QuarantinedPerSourceAndReason.AddOrUpdate((source, reason), 1, static (_, v) => v + 1);
    }

    public void AddCommit(TimeSpan latency, long dropped)
    {
        Interlocked.Increment(ref _commits);
        Interlocked.Add(ref _droppedPoints, dropped);
        CommitLatency.Record(latency);
        _commitDuration.Record(latency.TotalSeconds);
    }

    public void AddBlocked(long millis) => Interlocked.Add(ref _blockedMillis, millis);

    public void AddForwarded(string sink, int points) => ForwardedPerSink.AddOrUpdate(sink, points, (_, v) => v + points);

    public void AddReplayed(int cured) => Interlocked.Add(ref _replayedCured, cured);

    public void SetSinkState(string sink, SinkState kind, string text)
    {
        SinkKinds[sink] = kind;
        SinkStates[sink] = text;
    }

    public void Dispose() => _meter.Dispose();
}

/// <summary>What one source delivered, and what became of it.</summary>
public sealed class SourceCounters
{
    public long ReadingsIn;
    public long Accepted;
    public long Duplicates;
    public long LateUnverified;
    public long Quarantined;
}

/// <summary>A sink's state, as a fixed set for the uplink-state gauge.</summary>
public enum SinkState : byte
{
    Starting = 0,
    Up = 1,
    Retrying = 2,
    WaitingForQueue = 3,
    /// <summary>The uplink's circuit breaker is open: sends are not attempted until its break ends.</summary>
    CircuitOpen = 4,
    /// <summary>Delivering: fresh points on the live lane, a backlog draining behind them.</summary>
    Draining = 5,
    /// <summary>The sink knows its uplink is down (every Kafka broker unreachable), whether or not a send has failed yet.</summary>
    Down = 6,
}

/// <summary>What the source worker knows of a source.</summary>
public enum SourceRun : byte
{
    Running = 0,
    Restarting = 1,
    Returned = 2,
}
