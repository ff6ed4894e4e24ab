using System.Text.Json;

namespace EdgeTwin.Core.Config;

/// <summary>
/// The gateway's configuration file (JSON, comments allowed). Every default below is the production default;
/// config/edgetwin.json documents each of them for technicians.
/// </summary>
public sealed class EdgeTwinConfig
{
    public GatewayConfig Gateway { get; set; } = new();

    public QueueConfig Queue { get; set; } = new();

    public DedupConfig Dedup { get; set; } = new();

    public ValidationConfig Validation { get; set; } = new();

    public QuarantineConfig Quarantine { get; set; } = new();

    /// <summary>The asset registry: the one source of truth for asset metadata (design.md §2.8).</summary>
    public List<AssetConfig> Assets { get; set; } = [];

    /// <summary>Source address → asset + metric, with unit and linear scaling.</summary>
    public List<MappingConfig> Mappings { get; set; } = [];

    public SourcesConfig Sources { get; set; } = new();

    public SinksConfig Sinks { get; set; } = new();

    /// <summary>The local HTTP API, metrics endpoint and status page.</summary>
    public ApiConfig Api { get; set; } = new();
}

public sealed class GatewayConfig
{
    /// <summary>Travels north as <c>gateway_id</c> on every point.</summary>
    public string Id { get; set; } = "edgetwin";

    /// <summary>Where the queue lives. Relative paths are resolved against the config file's folder.</summary>
    public string StateDirectory { get; set; } = "/var/lib/edgetwin";

    /// <summary>How long a graceful stop may take to flush and commit before the host gives up.</summary>
    public double ShutdownTimeoutSeconds { get; set; } = 30;

    /// <summary>Trace, Debug, Information, Warning, Error or Critical.</summary>
    public string LogLevel { get; set; } = "Information";
}

public sealed class QueueConfig
{
    /// <summary>Byte budget for queued segments (encoded size).</summary>
    public long MaxBytes { get; set; } = 1L << 30;

    /// <summary>Free space the queue leaves on the state directory's file system.</summary>
    public long MinFreeDiskBytes { get; set; } = 256L << 20;

    /// <summary><c>block</c> (slow the sources, lose nothing) or <c>dropOldest</c> (drop the oldest segment, record it in the loss ledger).</summary>
    public string FullPolicy { get; set; } = "block";

    /// <summary>Most points committed in one transaction (one segment).</summary>
    public int MaxSegmentPoints { get; set; } = 4096;

    /// <summary>Longest a received point waits for its group commit.</summary>
    public double MaxCommitDelayMs { get; set; } = 20;

    /// <summary>
    /// How long a commit may wait for more points once the sources have paused (0 = commit at once). Fewer,
    /// larger commits cost fewer fsyncs and database pages at the price of this much latency.
    /// </summary>
    public double CommitLingerMs { get; set; }

    /// <summary>Batches that may wait between the sources and the pipeline before sources are slowed.</summary>
    public int IngestCapacityBatches { get; set; } = 64;

    /// <summary>How often the dedup and shadow state is checkpointed, which lets confirmed segments be deleted.</summary>
    public double StateCheckpointSeconds { get; set; } = 10;
}

public sealed class DedupConfig
{
    /// <summary>Timestamps remembered per series to recognise out-of-order duplicates.</summary>
    public int HistoryPerSeries { get; set; } = 64;
}

public sealed class ValidationConfig
{
    /// <summary>A reading older than this (relative to the gateway clock) is quarantined as clock skew.</summary>
    public double MaxPastSkewSeconds { get; set; } = 30 * 86400;

    /// <summary>A reading newer than this (relative to the gateway clock) is quarantined as clock skew.</summary>
    public double MaxFutureSkewSeconds { get; set; } = 300;
}

public sealed class QuarantineConfig
{
    public int MaxEntries { get; set; } = 100_000;

    public long MaxBytes { get; set; } = 64L << 20;

    public double MaxAgeDays { get; set; } = 14;
}

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
}

public sealed class SourcesConfig
{
    public List<SimulatorSourceConfig> Simulator { get; set; } = [];

    public List<SpoolSourceConfig> Spool { get; set; } = [];

    public List<MqttSourceConfig> Mqtt { get; set; } = [];
}

public sealed class SimulatorSourceConfig
{
    public string Name { get; set; } = "sim";

    /// <summary>Same seed, same readings.</summary>
    public ulong Seed { get; set; } = 1;

    /// <summary>Total points per second over all simulated channels.</summary>
    public double PointsPerSecond { get; set; } = 50;

    /// <summary>Simulated assets, each already in the registry: <c>{"asset":"pump-1","model":"pump"}</c>.</summary>
    public List<SimulatedAssetConfig> Assets { get; set; } = [];

    /// <summary>Extra assets generated for load tests; they are added to the registry with mappings.</summary>
    public int GeneratedPumps { get; set; }

    public int GeneratedThermalMachines { get; set; }

    /// <summary>Only these channels are simulated (e.g. ["pressure"]); null or empty means every channel of each model.</summary>
    public List<string>? Channels { get; set; }

    /// <summary>Readings per batch handed to the pipeline.</summary>
    public int BatchSize { get; set; } = 1024;

    /// <summary>Stop after this many readings (0 = run forever). Used by tests and benchmarks.</summary>
    public long StopAfter { get; set; }

    /// <summary>First simulated timestamp (ISO 8601); empty means the first start's wall clock.</summary>
    public string? Epoch { get; set; }
}

public sealed class SimulatedAssetConfig
{
    public string Asset { get; set; } = "";

    /// <summary><c>pump</c> or <c>thermal</c>.</summary>
    public string Model { get; set; } = "pump";
}

public sealed class SpoolSourceConfig
{
    public string Name { get; set; } = "spool";

    /// <summary>Folder watched for <c>*.jsonl</c> files of readings; a file moves to <c>done/</c> once durable.</summary>
    public string Directory { get; set; } = "";

    public double PollIntervalSeconds { get; set; } = 1;
}

public sealed class SinksConfig
{
    public List<FileSinkConfig> File { get; set; } = [];
}

public sealed class FileSinkConfig
{
    public string Name { get; set; } = "file";

    public string Directory { get; set; } = "";

    /// <summary>A file is rotated once it reaches this size.</summary>
    public long MaxFileBytes { get; set; } = 64L << 20;

    /// <summary>Rotated files kept; the oldest beyond this are deleted (0 = keep all).</summary>
    public int MaxFiles { get; set; } = 50;

    /// <summary>Most points written (and fsync'd) per confirmation.</summary>
    public int MaxBatchPoints { get; set; } = 16384;
}

public sealed class ApiConfig
{
    /// <summary>Serve the HTTP API, /metrics and the status page.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Address to bind: an IP literal or <c>localhost</c>. A non-loopback address needs a token.</summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>TCP port; 0 picks a free port (logged at start).</summary>
    public int Port { get; set; } = 8470;

    /// <summary>Bearer token for mutating endpoints (quarantine replay). A secret: redacted by /api/config.</summary>
    public string? Token { get; set; }

    /// <summary>A file holding the bearer token instead of <see cref="Token"/> (first line; relative to the config file).</summary>
    public string? TokenFile { get; set; }
}
