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

    /// <summary>The asset registry: the one source of truth for asset metadata (docs/architecture.md §2.8).</summary>
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

    /// <summary>Where the queue lives. A relative path is resolved against the working directory (see <see cref="ConfigLoader.LoadFile"/>).</summary>
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

    [System.Text.Json.Serialization.JsonPropertyName("opcua")]
    public List<OpcUaSourceConfig> OpcUa { get; set; } = [];
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

    /// <summary>
    /// On a start that resumes from the checkpoint (a restart after downtime), at most this many seconds of missed
    /// readings are generated, back-dated, at full speed; older ones are skipped. 0 resumes at the present. A run
    /// with <see cref="StopAfter"/> generates all of its readings.
    /// </summary>
    public double MaxCatchUpSeconds { get; set; } = 300;
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

    public List<KafkaSinkConfig> Kafka { get; set; } = [];

    public List<MqttSinkConfig> Mqtt { get; set; } = [];
}

public sealed class MqttSinkConfig
{
    public string Name { get; set; } = "mqtt";

    public string Host { get; set; } = "";

    public int Port { get; set; } = 1883;

    /// <summary>The session's client id; the persistent session is found again by it. Empty: <c>edgetwin-GATEWAY-NAME</c>.</summary>
    public string? ClientId { get; set; }

    /// <summary>Topic per point: <c>{gateway_id}</c>, <c>{asset_id}</c> and <c>{metric}</c> are replaced.</summary>
    public string TopicTemplate { get; set; } = "edgetwin/{gateway_id}/{asset_id}/{metric}";

    /// <summary>How long the broker keeps the session (and its undelivered QoS 1 messages) while the gateway is away.</summary>
    public uint SessionExpirySeconds { get; set; } = 86400;

    /// <summary>QoS 1 publishes awaiting their PUBACK at once.</summary>
    public int MaxInflight { get; set; } = 256;

    /// <summary>Most points published per confirmation.</summary>
    public int MaxBatchPoints { get; set; } = 4096;

    /// <summary>How a backlog is drained after an outage (live-first lane, drain-rate limit).</summary>
    public SinkDrainConfig Drain { get; set; } = new();

    public double TimeoutSeconds { get; set; } = 10;

    public string? Username { get; set; }

    /// <summary>A secret: redacted by /api/config.</summary>
    public string? Password { get; set; }

    public bool Tls { get; set; }

    /// <summary>PEM file of the CA that signed the broker's certificate; empty trusts the system store.</summary>
    public string? CaFile { get; set; }

    /// <summary>PEM client certificate and key, for brokers that require client authentication.</summary>
    public string? CertFile { get; set; }

    public string? KeyFile { get; set; }
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

public sealed class KafkaSinkConfig
{
    public string Name { get; set; } = "kafka";

    /// <summary>Comma-separated <c>host:port</c> list (librdkafka's <c>bootstrap.servers</c>).</summary>
    public string BootstrapServers { get; set; } = "";

    public KafkaTopicsConfig Topics { get; set; } = new();

    /// <summary><c>lz4</c>, <c>zstd</c>, <c>gzip</c>, <c>snappy</c> or <c>none</c>.</summary>
    public string Compression { get; set; } = "lz4";

    /// <summary>How long the producer waits to fill a batch (librdkafka <c>linger.ms</c>).</summary>
    public double LingerMs { get; set; } = 20;

    /// <summary>Largest batch per partition in bytes (<c>batch.size</c>).</summary>
    public int BatchBytes { get; set; } = 1_000_000;

    /// <summary>Largest batch per partition in messages (<c>batch.num.messages</c>).</summary>
    public int BatchMessages { get; set; } = 10_000;

    /// <summary>Largest message the producer sends (<c>message.max.bytes</c>); a larger point is quarantined.</summary>
    public int MaxMessageBytes { get; set; } = 1_000_000;

    /// <summary>How long librdkafka keeps retrying one message before reporting it failed (<c>message.timeout.ms</c>); the batch is then retried.</summary>
    public int DeliveryTimeoutMs { get; set; } = 300_000;

    /// <summary>
    /// Most points handed to the producer per confirmation. Each batch waits for its last delivery report before the
    /// next is read, so larger batches drain a backlog faster (65536: about 1.5 times the rate of 16384).
    /// </summary>
    public int MaxBatchPoints { get; set; } = 65536;

    /// <summary>How a backlog is drained after an outage (live-first lane, drain-rate limit).</summary>
    public SinkDrainConfig Drain { get; set; } = new();

    public KafkaSecurityConfig Security { get; set; } = new();

    /// <summary>Any other librdkafka property, passed through as is (e.g. <c>"socket.keepalive.enable": "true"</c>).</summary>
    public Dictionary<string, string> Properties { get; set; } = [];
}

public sealed class KafkaTopicsConfig
{
    public string Telemetry { get; set; } = "edge-telemetry";

    /// <summary>Loss ledger, anomalies and gateway state.</summary>
    public string Events { get; set; } = "edge-events";

    /// <summary>The asset registry, keyed by asset id (create it compacted).</summary>
    public string TwinMetadata { get; set; } = "edge-twin-metadata";
}

public sealed class KafkaSecurityConfig
{
    /// <summary><c>plaintext</c>, <c>ssl</c>, <c>sasl_plaintext</c> or <c>sasl_ssl</c>.</summary>
    public string Protocol { get; set; } = "plaintext";

    /// <summary><c>PLAIN</c>, <c>SCRAM-SHA-256</c> or <c>SCRAM-SHA-512</c> (with a sasl_* protocol).</summary>
    public string? SaslMechanism { get; set; }

    public string? Username { get; set; }

    /// <summary>A secret: redacted by /api/config.</summary>
    public string? Password { get; set; }

    /// <summary>PEM file of the CA that signed the brokers' certificates (<c>ssl.ca.location</c>).</summary>
    public string? CaFile { get; set; }

    /// <summary>PEM client certificate and key, for brokers that require client authentication.</summary>
    public string? CertFile { get; set; }

    public string? KeyFile { get; set; }

    /// <summary>A secret: redacted by /api/config.</summary>
    public string? KeyPassword { get; set; }
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

    /// <summary>A file holding the bearer token instead of <see cref="Token"/> (first line; a relative path is resolved against the working directory).</summary>
    public string? TokenFile { get; set; }
}
