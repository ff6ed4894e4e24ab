using System.Text.Json;

namespace EdgeTwin.Core.Config;

// The twin's model and the settings of Core's own stages: the asset registry and mappings, dedup, the normalizer's
// clock-skew bounds, and the drain settings every sink shares. config/edgetwin.json documents each key.

public sealed class AssetConfig
{
    public string Id { get; set; } = "";

    public string? Name { get; set; }

    public string? Parent { get; set; }

    public string? ModelVersion { get; set; }

    /// <summary>Free-form asset configuration, forwarded north with the registry.</summary>
    public JsonElement? Config { get; set; }
}

public sealed class MappingConfig
{
    /// <summary>The source address: <c>opcua:nsu=…;s=…</c>, <c>mqtt:{topic}</c> (<c>mqtt:{topic}#{metric}</c> for multi-metric payloads), <c>sim:asset/channel</c>.</summary>
    public string Source { get; set; } = "";

    public string Asset { get; set; } = "";

    public string Metric { get; set; } = "";

    public string? Unit { get; set; }

    /// <summary>Engineering value = raw × scale + offset (numbers only).</summary>
    public double Scale { get; set; } = 1;

    public double Offset { get; set; }

    public Dictionary<string, string>? Tags { get; set; }

    /// <summary>
    /// The model whose output this reading is, when a model outside the gateway computed it (a soft sensor in the
    /// controller, an analytics service publishing to the broker). Its points carry <c>model</c> on the wire, so the
    /// cloud keeps them apart from measurements.
    /// </summary>
    public string? Model { get; set; }

    /// <summary>The version of <see cref="Model"/> that produced the value; carried as <c>model_version</c>.</summary>
    public string? ModelVersion { get; set; }
}

public sealed class DedupConfig
{
    /// <summary>Timestamps remembered per series to recognise out-of-order duplicates.</summary>
    public int HistoryPerSeries { get; set; } = 64;

    /// <summary>
    /// Estimated bytes the per-series state (history, shadow) may take in memory; beyond it the series least
    /// recently seen are kept in the queue's database and come back on their next point.
    /// </summary>
    public long MemoryBytes { get; set; } = DefaultMemoryBytes;

    /// <summary>
    /// Keys of the last committed points of series whose timestamps are not evenly spaced, recognised as duplicates
    /// below their series' window (a broker that lost acknowledgements in a crash redelivers far below it); 0 keeps none.
    /// </summary>
    public int RecentPoints { get; set; } = DefaultRecentPoints;

    /// <summary>100,000 keys, about 10 MB once full: what Mosquitto redelivered after a kill -9 in tests was 6,000–14,000.</summary>
    public const int DefaultRecentPoints = 100_000;

    /// <summary>
    /// 160 MiB: a million series with evenly spaced timestamps (140 B each, 134 MiB) and room for ~50,000 rings
    /// besides, so a million active series need no database read; the rest of the daemon at a million series must
    /// fit the other ~350 MiB of edgetwin.service's MemoryMax=512M.
    /// </summary>
    public const long DefaultMemoryBytes = 160L << 20;
}

public sealed class ValidationConfig
{
    /// <summary>A reading older than this (relative to the gateway clock) is quarantined as clock skew.</summary>
    public double MaxPastSkewSeconds { get; set; } = 30 * 86400;

    /// <summary>A reading newer than this (relative to the gateway clock) is quarantined as clock skew.</summary>
    public double MaxFutureSkewSeconds { get; set; } = 300;
}

/// <summary>
/// A sink's backlog handling. A segment is backlog once it has waited in the queue longer than
/// <see cref="BacklogSeconds"/>; then fresh segments go out first on a live lane, and the backlog follows behind
/// them, flagged <c>"replayed": true</c>, at most <see cref="MaxPointsPerSecond"/>.
/// </summary>
public sealed class SinkDrainConfig
{
    /// <summary>Send fresh segments ahead of a backlog. Off: strictly in queue order (and never flagged replayed).</summary>
    public bool LiveLane { get; set; } = true;

    /// <summary>How long a segment may wait unsent before it counts as backlog; the live lane starts with the segments younger than this.</summary>
    public double BacklogSeconds { get; set; } = 2;

    /// <summary>Most backlog points sent per second (0 = no limit). The live lane is never limited.</summary>
    public double MaxPointsPerSecond { get; set; }
}
