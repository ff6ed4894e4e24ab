namespace EdgeTwin.Cloud.Config;

/// <summary>The cloud service's configuration (a JSON file with comments; see README "Cloud service").</summary>
public sealed class CloudConfig
{
    public KafkaSection Kafka { get; set; } = new();

    public PostgresSection Postgres { get; set; } = new();

    public IngestSection Ingest { get; set; } = new();

    public ApiSection Api { get; set; } = new();
}

public sealed class KafkaSection
{
    public string BootstrapServers { get; set; } = "";

    public string GroupId { get; set; } = "edgetwin-cloud";

    public string TelemetryTopic { get; set; } = "edge-telemetry";

    public string EventsTopic { get; set; } = "edge-events";

    public string TwinMetadataTopic { get; set; } = "edge-twin-metadata";

    /// <summary>librdkafka properties passed through to the consumer as they are (security, timeouts).</summary>
    public Dictionary<string, string> Properties { get; } = new(StringComparer.Ordinal);
}

public sealed class PostgresSection
{
    public string ConnectionString { get; set; } = "";

    /// <summary>Apply pending migrations when <c>run</c> starts.</summary>
    public bool MigrateOnStart { get; set; } = true;
}

public sealed class IngestSection
{
    /// <summary>At most this many Kafka messages per database transaction.</summary>
    public int BatchMessages { get; set; } = 5000;

    /// <summary>A batch is written when it is full or this long after its first message.</summary>
    public int BatchMilliseconds { get; set; } = 100;

    /// <summary>Longest wait between two attempts while the database is unreachable.</summary>
    public double RetryMaxSeconds { get; set; } = 10;
}

public sealed class ApiSection
{
    /// <summary>Where the twin API listens; empty disables it.</summary>
    public string Listen { get; set; } = "http://127.0.0.1:8480";

    /// <summary>Bearer token required by every request that changes something; null: such requests are refused.</summary>
    public string? Token { get; set; }
}
