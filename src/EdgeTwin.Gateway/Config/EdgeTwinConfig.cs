using System.Text.Json.Serialization;
using EdgeTwin.Connectors.File;
using EdgeTwin.Connectors.Kafka;
using EdgeTwin.Connectors.Mqtt;
using EdgeTwin.Connectors.OpcUa;
using EdgeTwin.Connectors.Simulator;
using EdgeTwin.Connectors.Spool;
using EdgeTwin.Core.Config;
using EdgeTwin.Storage;

namespace EdgeTwin.Gateway.Config;

/// <summary>
/// The gateway's configuration file (JSON, comments allowed): the composition of every section, each owned by the
/// capability it configures (docs/architecture.md §5). Every default is the production default;
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

    /// <summary>What the durable queue takes from the gateway, queue, dedup and quarantine sections.</summary>
    public QueueOptions ToQueueOptions() => QueueOptions.FromConfig(Gateway.StateDirectory, Queue, Dedup, Quarantine);
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

public sealed class SourcesConfig
{
    public List<SimulatorSourceConfig> Simulator { get; set; } = [];

    public List<SpoolSourceConfig> Spool { get; set; } = [];

    public List<MqttSourceConfig> Mqtt { get; set; } = [];

    [JsonPropertyName("opcua")]
    public List<OpcUaSourceConfig> OpcUa { get; set; } = [];
}

public sealed class SinksConfig
{
    public List<FileSinkConfig> File { get; set; } = [];

    public List<KafkaSinkConfig> Kafka { get; set; } = [];

    public List<MqttSinkConfig> Mqtt { get; set; } = [];
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
