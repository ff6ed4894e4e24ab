using EdgeTwin.Core.Config;

namespace EdgeTwin.Connectors.Kafka;

/// <summary>
/// Validates $.sinks.kafka[]. Confirmation means "on every in-sync replica, written once": passthrough properties
/// may not weaken acks=all or the idempotent producer.
/// </summary>
public static class KafkaSinkConfigValidator
{
    public static void Validate(IReadOnlyList<KafkaSinkConfig?> sinks, string path, ConfigCheck check) =>
        check.Each(sinks, path, (s, at) =>
        {
            check.SinkName(at + ".name", s.Name);
            Sink(s, at, check);
        });

    private static void Sink(KafkaSinkConfig s, string path, ConfigCheck check)
    {
        if (string.IsNullOrWhiteSpace(s.BootstrapServers)) check.Error(path + ".bootstrapServers", "must list at least one host:port");
        else
        {
            foreach (var server in s.BootstrapServers.Split(',', StringSplitOptions.TrimEntries))
            {
                var colon = server.LastIndexOf(':');
                if (colon <= 0 || !int.TryParse(server.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
                {
                    check.Error(path + ".bootstrapServers", $"'{server}' is not host:port");
                }
            }
        }
        if (s.Topics is null) check.Error(path + ".topics", "is null");
        else
        {
            Topic(path + ".topics.telemetry", s.Topics.Telemetry, check);
            Topic(path + ".topics.events", s.Topics.Events, check);
            Topic(path + ".topics.twinMetadata", s.Topics.TwinMetadata, check);
        }
        check.Known(path + ".compression", s.Compression, KafkaCompressionJson.Names);
        if (!(s.LingerMs >= 0 && s.LingerMs <= 900_000)) check.Error(path + ".lingerMs", $"must be between 0 and 900000, got {s.LingerMs}");
        if (s.BatchBytes < 1) check.Error(path + ".batchBytes", $"must be at least 1, got {s.BatchBytes}");
        if (s.BatchMessages < 1) check.Error(path + ".batchMessages", $"must be at least 1, got {s.BatchMessages}");
        if (s.MaxMessageBytes is < 1000 or > 1_000_000_000) check.Error(path + ".maxMessageBytes", $"must be between 1000 and 1000000000, got {s.MaxMessageBytes}");
        if (s.DeliveryTimeoutMs < 1000) check.Error(path + ".deliveryTimeoutMs", $"must be at least 1000, got {s.DeliveryTimeoutMs}");
        if (s.MaxBatchPoints < 1) check.Error(path + ".maxBatchPoints", "must be at least 1");
        ModelConfigValidator.Drain(s.Drain, path + ".drain", check);

        var sec = s.Security;
        if (sec is null) check.Error(path + ".security", "is null");
        else
        {
            var protocol = check.Known(path + ".security.protocol", sec.Protocol, KafkaSecurityProtocolJson.Names) ? KafkaSecurityProtocolJson.Names.NameOf(sec.Protocol) : null;
            var sasl = sec.Protocol is KafkaSecurityProtocol.SaslPlaintext or KafkaSecurityProtocol.SaslSsl;
            if (sasl)
            {
                if (sec.SaslMechanism is not { } mechanism) check.Error(path + ".security.saslMechanism", $"'' is not {KafkaSaslMechanismJson.Names.Allowed}");
                else check.Known(path + ".security.saslMechanism", mechanism, KafkaSaslMechanismJson.Names);
                if (string.IsNullOrEmpty(sec.Username)) check.Error(path + ".security.username", $"is required with protocol {protocol}");
                if (sec.Password is null) check.Error(path + ".security.password", $"is required with protocol {protocol}");
            }
            else if (protocol is not null && (sec.SaslMechanism is not null || sec.Username is not null || sec.Password is not null))
            {
                check.Error(path + ".security.protocol", $"SASL settings are given but protocol '{protocol}' does not use SASL: use sasl_plaintext or sasl_ssl");
            }
            var tls = sec.Protocol is KafkaSecurityProtocol.Ssl or KafkaSecurityProtocol.SaslSsl;
            if (protocol is not null && !tls && (sec.CaFile ?? sec.CertFile ?? sec.KeyFile) is not null) check.Error(path + ".security.protocol", $"TLS files are given but protocol '{protocol}' does not use TLS: use ssl or sasl_ssl");
            if ((sec.CertFile is null) != (sec.KeyFile is null)) check.Error(path + ".security." + (sec.CertFile is null ? "certFile" : "keyFile"), "certFile and keyFile go together");
        }

        if (s.Properties is null) { check.Error(path + ".properties", "is null"); return; }
        foreach (var (key, value) in s.Properties)
        {
            var p = $"{path}.properties['{key}']";
            if (string.IsNullOrWhiteSpace(key) || value is null) check.Error(p, "needs a name and a string value");
            // Confirmation means "on every in-sync replica, written once": these two carry that promise.
            else if (key is "acks" or "request.required.acks" && value is not ("all" or "-1")) check.Error(p, $"'{value}' would confirm points before every in-sync replica has them: the uplink requires acks=all");
            else if (key == "enable.idempotence" && value != "true") check.Error(p, "the uplink requires the idempotent producer");
            else if (key is "bootstrap.servers" or "metadata.broker.list") check.Error(p, $"set {path}.bootstrapServers instead");
        }
    }

    private static void Topic(string path, string? topic, ConfigCheck check)
    {
        // Kafka's own rule: 1 to 249 of [a-zA-Z0-9._-], and not "." or "..".
        if (string.IsNullOrEmpty(topic) || topic.Length > 249 || topic is "." or ".." || !topic.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            check.Error(path, $"'{topic}' is not a Kafka topic name (1 to 249 of letters, digits, '.', '_', '-')");
        }
    }
}
