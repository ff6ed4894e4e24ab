using System.Text.Json.Serialization;
using EdgeTwin.Core.Config;

namespace EdgeTwin.Connectors.Kafka;

// $.sinks.kafka[]: the Kafka uplink and its librdkafka settings. config/edgetwin.json documents each key.

public sealed class KafkaSinkConfig
{
    public string Name { get; set; } = "kafka";

    /// <summary>Comma-separated <c>host:port</c> list (librdkafka's <c>bootstrap.servers</c>).</summary>
    public string BootstrapServers { get; set; } = "";

    public KafkaTopicsConfig Topics { get; set; } = new();

    /// <summary><c>lz4</c>, <c>zstd</c>, <c>gzip</c>, <c>snappy</c> or <c>none</c>.</summary>
    [JsonIgnore]
    public KafkaCompression Compression { get; set; } = KafkaCompression.Lz4;

    /// <summary>The JSON text of <see cref="Compression"/> (see <see cref="ConfigEnumConverter"/>).</summary>
    [JsonPropertyName("compression"), JsonConverter(typeof(KafkaCompressionJson))]
    public string CompressionText { get => KafkaCompressionJson.Names.Text(Compression); set => Compression = KafkaCompressionJson.Names.Parse(value); }

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
    [JsonIgnore]
    public KafkaSecurityProtocol Protocol { get; set; } = KafkaSecurityProtocol.Plaintext;

    /// <summary>The JSON text of <see cref="Protocol"/> (see <see cref="ConfigEnumConverter"/>).</summary>
    [JsonPropertyName("protocol"), JsonConverter(typeof(KafkaSecurityProtocolJson))]
    public string ProtocolText { get => KafkaSecurityProtocolJson.Names.Text(Protocol); set => Protocol = KafkaSecurityProtocolJson.Names.Parse(value); }

    /// <summary><c>PLAIN</c>, <c>SCRAM-SHA-256</c> or <c>SCRAM-SHA-512</c> (with a sasl_* protocol).</summary>
    [JsonIgnore]
    public KafkaSaslMechanism? SaslMechanism { get; set; }

    /// <summary>The JSON text of <see cref="SaslMechanism"/> (see <see cref="ConfigEnumConverter"/>).</summary>
    [JsonPropertyName("saslMechanism"), JsonConverter(typeof(KafkaSaslMechanismJson))]
    public string? SaslMechanismText { get => SaslMechanism is { } value ? KafkaSaslMechanismJson.Names.Text(value) : null; set => SaslMechanism = value is null ? null : KafkaSaslMechanismJson.Names.Parse(value); }

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

/// <summary>$.sinks.kafka[].compression (librdkafka's <c>compression.type</c>).</summary>
public enum KafkaCompression
{
    Lz4,
    Zstd,
    Gzip,
    Snappy,
    None,
}

/// <summary>$.sinks.kafka[].security.protocol (librdkafka's <c>security.protocol</c>).</summary>
public enum KafkaSecurityProtocol
{
    Plaintext,
    Ssl,
    SaslPlaintext,
    SaslSsl,
}

/// <summary>$.sinks.kafka[].security.saslMechanism, with a sasl_* protocol.</summary>
public enum KafkaSaslMechanism
{
    Plain,
    ScramSha256,
    ScramSha512,
}

public sealed class KafkaCompressionJson() : ConfigEnumConverter(Names)
{
    public static readonly ConfigEnumNames<KafkaCompression> Names = new(
        (KafkaCompression.Lz4, "lz4"), (KafkaCompression.Zstd, "zstd"), (KafkaCompression.Gzip, "gzip"), (KafkaCompression.Snappy, "snappy"), (KafkaCompression.None, "none"));
}

public sealed class KafkaSecurityProtocolJson() : ConfigEnumConverter(Names)
{
    public static readonly ConfigEnumNames<KafkaSecurityProtocol> Names = new(
        (KafkaSecurityProtocol.Plaintext, "plaintext"), (KafkaSecurityProtocol.Ssl, "ssl"), (KafkaSecurityProtocol.SaslPlaintext, "sasl_plaintext"), (KafkaSecurityProtocol.SaslSsl, "sasl_ssl"));
}

public sealed class KafkaSaslMechanismJson() : ConfigEnumConverter(Names)
{
    public static readonly ConfigEnumNames<KafkaSaslMechanism> Names = new(
        (KafkaSaslMechanism.Plain, "PLAIN"), (KafkaSaslMechanism.ScramSha256, "SCRAM-SHA-256"), (KafkaSaslMechanism.ScramSha512, "SCRAM-SHA-512"));
}
