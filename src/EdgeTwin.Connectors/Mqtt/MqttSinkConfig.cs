using EdgeTwin.Core.Config;

namespace EdgeTwin.Connectors.Mqtt;

// $.sinks.mqtt[]: the MQTT uplink. config/edgetwin.json documents each key.

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

/// <summary>Validates $.sinks.mqtt[] (the MQTT uplink).</summary>
public static class MqttSinkConfigValidator
{
    public static void Validate(IReadOnlyList<MqttSinkConfig?> sinks, string path, ConfigCheck check) =>
        check.Each(sinks, path, (s, at) => Sink(s, at, check));

    private static void Sink(MqttSinkConfig s, string path, ConfigCheck check)
    {
        check.SinkName(path + ".name", s.Name);
        if (string.IsNullOrWhiteSpace(s.Host)) check.Error(path + ".host", "must name the broker's host");
        if (s.Port is < 1 or > 65535) check.Error(path + ".port", $"must be between 1 and 65535, got {s.Port}");
        if (!s.TopicTemplate.Contains("{asset_id}", StringComparison.Ordinal)) check.Error(path + ".topicTemplate", $"'{s.TopicTemplate}' must contain {{asset_id}}");
        else if (s.TopicTemplate.IndexOfAny(['#', '+', '\0']) >= 0) check.Error(path + ".topicTemplate", $"'{s.TopicTemplate}' contains a wildcard, which a published topic cannot");
        else if (s.TopicTemplate.Replace("{gateway_id}", "", StringComparison.Ordinal).Replace("{asset_id}", "", StringComparison.Ordinal)
            .Replace("{metric}", "", StringComparison.Ordinal).IndexOfAny(['{', '}']) >= 0)
        {
            check.Error(path + ".topicTemplate", $"'{s.TopicTemplate}' has a placeholder other than {{gateway_id}}, {{asset_id}}, {{metric}}");
        }
        if (s.MaxInflight is < 1 or > 65535) check.Error(path + ".maxInflight", $"must be between 1 and 65535, got {s.MaxInflight}");
        if (s.MaxBatchPoints < 1) check.Error(path + ".maxBatchPoints", "must be at least 1");
        ModelConfigValidator.Drain(s.Drain, path + ".drain", check);
        check.Positive(path + ".timeoutSeconds", s.TimeoutSeconds);
        if (s.Password is not null && string.IsNullOrEmpty(s.Username)) check.Error(path + ".username", "is required with a password");
        if (!s.Tls && (s.CaFile ?? s.CertFile ?? s.KeyFile) is not null) check.Error(path + ".tls", "TLS files are given but tls is false");
        if ((s.CertFile is null) != (s.KeyFile is null)) check.Error(path + "." + (s.CertFile is null ? "certFile" : "keyFile"), "certFile and keyFile go together");
    }
}
