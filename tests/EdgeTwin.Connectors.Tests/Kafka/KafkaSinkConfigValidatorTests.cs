using EdgeTwin.Connectors.Kafka;
using EdgeTwin.Core.Config;

namespace EdgeTwin.Connectors.Tests.Kafka;

/// <summary>$.sinks.kafka[].</summary>
public sealed class KafkaSinkConfigValidatorTests : ConfigSectionTests<KafkaSinkConfigValidatorTests, KafkaSinkConfig>, IConfigSectionCases<KafkaSinkConfig>
{
    public static string SectionPath => "$.sinks.kafka";

    public static Dictionary<string, (Action<List<KafkaSinkConfig>> Break, string Path, string Says)> Mistakes { get; } = new()
    {
        ["null kafka sink"] = (l => l.Add(null!), "$.sinks.kafka[0]", "null"),
        ["kafka without bootstrap servers"] = (l => Kafka(l).BootstrapServers = " ", "$.sinks.kafka[0].bootstrapServers", "host:port"),
        ["kafka bootstrap without a port"] = (l => Kafka(l).BootstrapServers = "kafka-1:9092,kafka-2", "$.sinks.kafka[0].bootstrapServers", "'kafka-2'"),
        ["kafka topic with a slash"] = (l => Kafka(l).Topics.Telemetry = "edge/telemetry", "$.sinks.kafka[0].topics.telemetry", "'edge/telemetry'"),
        ["kafka empty events topic"] = (l => Kafka(l).Topics.Events = "", "$.sinks.kafka[0].topics.events", "topic name"),
        ["kafka negative linger"] = (l => Kafka(l).LingerMs = -1, "$.sinks.kafka[0].lingerMs", "between 0"),
        ["kafka tiny max message"] = (l => Kafka(l).MaxMessageBytes = 10, "$.sinks.kafka[0].maxMessageBytes", "1000"),
        ["kafka short delivery timeout"] = (l => Kafka(l).DeliveryTimeoutMs = 10, "$.sinks.kafka[0].deliveryTimeoutMs", "1000"),
        ["kafka sasl without a user"] = (l => Kafka(l).Security = new() { Protocol = KafkaSecurityProtocol.SaslPlaintext, SaslMechanism = KafkaSaslMechanism.Plain, Password = "p" }, "$.sinks.kafka[0].security.username", "sasl_plaintext"),
        ["kafka sasl settings over plaintext"] = (l => Kafka(l).Security = new() { SaslMechanism = KafkaSaslMechanism.Plain, Username = "u", Password = "p" }, "$.sinks.kafka[0].security.protocol", "SASL"),
        ["kafka ca file over plaintext"] = (l => Kafka(l).Security.CaFile = "/etc/ca.pem", "$.sinks.kafka[0].security.protocol", "TLS"),
        ["kafka client certificate without its key"] = (l => Kafka(l).Security = new() { Protocol = KafkaSecurityProtocol.Ssl, CertFile = "/etc/c.pem" }, "$.sinks.kafka[0].security.keyFile", "together"),
        ["kafka passthrough acks=1"] = (l => Kafka(l).Properties["acks"] = "1", "$.sinks.kafka[0].properties['acks']", "acks=all"),
        ["kafka passthrough without idempotence"] = (l => Kafka(l).Properties["enable.idempotence"] = "false", "$.sinks.kafka[0].properties['enable.idempotence']", "idempotent"),
        ["kafka drain backlog threshold of zero"] = (l => Kafka(l).Drain.BacklogSeconds = 0, "$.sinks.kafka[0].drain.backlogSeconds", "between 0.1"),
        ["kafka negative drain rate"] = (l => Kafka(l).Drain.MaxPointsPerSecond = -5, "$.sinks.kafka[0].drain.maxPointsPerSecond", "0 (no limit)"),
        ["kafka null drain"] = (l => Kafka(l).Drain = null!, "$.sinks.kafka[0].drain", "null"),
        ["kafka passthrough bootstrap"] = (l => Kafka(l).Properties["bootstrap.servers"] = "x:1", "$.sinks.kafka[0].properties['bootstrap.servers']", "bootstrapServers"),
    };

    [Fact]
    public void Validate_KafkaWithScramOverTlsAndPassthrough_IsValid()
    {
        var section = Valid();
        var kafka = Kafka(section);
        kafka.Compression = KafkaCompression.Zstd;
        kafka.Security = new KafkaSecurityConfig
        {
            Protocol = KafkaSecurityProtocol.SaslSsl, SaslMechanism = KafkaSaslMechanism.ScramSha512, Username = "gw", Password = "secret",
            CaFile = "/etc/edgetwin/ca.pem", CertFile = "/etc/edgetwin/gw.pem", KeyFile = "/etc/edgetwin/gw.key",
        };
        kafka.Properties["socket.keepalive.enable"] = "true";
        kafka.Properties["acks"] = "all";
        Assert.Empty(Validate(section));
    }

    private static KafkaSinkConfig Kafka(List<KafkaSinkConfig> section)
    {
        var kafka = new KafkaSinkConfig { Name = "cloud", BootstrapServers = "kafka-1:9092,kafka-2:9092" };
        section.Add(kafka);
        return kafka;
    }

    static void IConfigSectionCases<KafkaSinkConfig>.ValidateSection(List<KafkaSinkConfig> section, string path, ConfigCheck check) => KafkaSinkConfigValidator.Validate(section, path, check);

    public static List<KafkaSinkConfig> Valid() => [];
}
