using EdgeTwin.Connectors.Json;
using EdgeTwin.Core.Assets;
using EdgeTwin.Core.Config;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Connectors.Mqtt;

/// <summary>Validates $.sources.mqtt[]: the broker session, TLS, flow control and each subscription's topic and payload settings.</summary>
public static class MqttSourceConfigValidator
{
    public static void Validate(IReadOnlyList<MqttSourceConfig?> sources, string path, ConfigCheck check) =>
        check.Each(sources, path, (s, at) => Source(s, at, check));

    private static void Source(MqttSourceConfig s, string path, ConfigCheck check)
    {
        check.SourceName(path + ".name", s.Name);
        if (string.IsNullOrWhiteSpace(s.Host)) check.Error(path + ".host", "must name the broker's host");
        if (s.Port is { } port && port is < 1 or > 65535) check.Error(path + ".port", $"must be between 1 and 65535, got {port}");
        var v5 = !check.Known(path + ".protocolVersion", s.ProtocolVersion, MqttVersionJson.Names) || s.ProtocolVersion == MqttVersion.V5;
        if (s.ClientId is { } id && (id.Length == 0 || id.Length > 65535 || id.Any(char.IsControl)))
        {
            check.Error(path + ".clientId", "must be 1 to 65535 characters without control characters, or null for the default");
        }
        if (s.SessionExpirySeconds is < 1 or > uint.MaxValue)
        {
            check.Error(path + ".sessionExpirySeconds", $"must be between 1 and {uint.MaxValue}, got {s.SessionExpirySeconds}: the session must outlive a restart of the gateway, or messages published meanwhile are lost");
        }
        check.Range(path + ".keepAliveSeconds", s.KeepAliveSeconds, 1, 65535);
        check.Range(path + ".connectTimeoutSeconds", s.ConnectTimeoutSeconds, 0.1, 3600);
        if (s.Password is not null && s.PasswordFile is not null) check.Error(path + ".passwordFile", "set password or passwordFile, not both");
        if (s.PasswordFile is { } pf && string.IsNullOrWhiteSpace(pf)) check.Error(path + ".passwordFile", "must name a file");
        if ((s.Password is not null || s.PasswordFile is not null) && string.IsNullOrEmpty(s.Username) && !v5)
        {
            check.Error(path + ".username", "MQTT 3.1.1 sends a password only with a username (MQTT 3.1.1 §3.1.2.9)");
        }
        if (s.Tls is null) check.Error(path + ".tls", "is null");
        else Tls(s.Tls, path + ".tls", check);
        check.Range(path + ".receiveMaximum", s.ReceiveMaximum, 1, 65535);
        check.Range(path + ".maxPayloadBytes", s.MaxPayloadBytes, 16, 256 << 20);
        check.Range(path + ".batchMaxMessages", s.BatchMaxMessages, 1, 65536);
        check.Range(path + ".batchLingerMs", s.BatchLingerMs, 0, 1000);
        check.Range(path + ".reconnectMinSeconds", s.ReconnectMinSeconds, 0.01, 3600);
        if (!(s.ReconnectMaxSeconds >= s.ReconnectMinSeconds && s.ReconnectMaxSeconds <= 86400))
        {
            check.Error(path + ".reconnectMaxSeconds", $"must be between reconnectMinSeconds ({s.ReconnectMinSeconds}) and 86400, got {s.ReconnectMaxSeconds}");
        }
        if (s.Subscriptions.Count == 0) check.Error(path + ".subscriptions", "subscribes to nothing: list at least one topic");
        var filters = new Dictionary<string, int>(StringComparer.Ordinal);
        check.Each(s.Subscriptions, path + ".subscriptions", (sub, at, index) => Subscription(sub, at, index, filters, check));
    }

    private static void Tls(MqttTlsConfig tls, string path, ConfigCheck check)
    {
        foreach (var (key, value) in new[] { ("caFile", tls.CaFile), ("clientCertFile", tls.ClientCertFile), ("clientKeyFile", tls.ClientKeyFile), ("serverName", tls.ServerName) })
        {
            if (value is not null && string.IsNullOrWhiteSpace(value)) check.Error($"{path}.{key}", "must not be blank (leave it out instead)");
        }
        if (tls.ClientCertFile is not null && tls.ClientKeyFile is null) check.Error(path + ".clientKeyFile", "a client certificate needs its private key file");
        if (tls.ClientKeyFile is not null && tls.ClientCertFile is null) check.Error(path + ".clientCertFile", "a client key needs its certificate file");
        if (tls.InsecureSkipVerify && tls.CaFile is not null) check.Error(path + ".insecureSkipVerify", "cannot be combined with caFile: either the broker is verified against the CA or not at all");
    }

    private static void Subscription(MqttSubscriptionConfig sub, string path, int index, Dictionary<string, int> filters, ConfigCheck check)
    {
        if (!TopicTemplate.TryParse(sub.Topic, out var template, out var why)) check.Error(path + ".topic", $"'{sub.Topic}' {why}");
        else if (!filters.TryAdd(template!.Filter, index)) check.Error(path + ".topic", $"subscribes to {template.Filter} like subscriptions[{filters[template.Filter]}]: a message would be taken twice");

        var format = sub.Format;
        var known = check.Known(path + ".format", format, MqttPayloadFormatJson.Names);
        var multi = format == MqttPayloadFormat.Multi;
        var json = format == MqttPayloadFormat.Json;
        if (sub.Asset is not null)
        {
            if (template?.HasAsset == true) check.Error(path + ".asset", "the topic names the asset already ({asset})");
            else if (SeriesKey.Check(sub.Asset) is { } bad) check.Error(path + ".asset", $"'{sub.Asset}' {bad}");
            else check.KnownAsset(path + ".asset", sub.Asset);
        }
        if (sub.Metric is not null)
        {
            if (multi) check.Error(path + ".metric", "a multi-metric payload names its metrics itself");
            else if (template?.HasMetric == true) check.Error(path + ".metric", "the topic names the metric already ({metric})");
            else check.Name(path + ".metric", sub.Metric);
        }
        if (template is not null && !multi)
        {
            var hasAsset = template.HasAsset || sub.Asset is not null;
            var hasMetric = template.HasMetric || sub.Metric is not null;
            if (hasAsset && !hasMetric) check.Error(path + ".metric", "the asset is named but not the metric: add {metric} to the topic or set metric");
            if (hasMetric && !hasAsset) check.Error(path + ".asset", "the metric is named but not the asset: add {asset} to the topic or set asset");
        }
        if (template?.HasMetric == true && multi) check.Error(path + ".topic", "a multi-metric payload names its metrics itself: drop {metric}");

        foreach (var (key, value) in new[] { ("valuePath", sub.ValuePath), ("timestampPath", sub.TimestampPath), ("qualityPath", sub.QualityPath) })
        {
            if (value is null) continue;
            if (!json) check.Error($"{path}.{key}", "applies to format \"json\" only");
            else if (!JsonFieldPath.TryParse(value, out _, out var pathError)) check.Error($"{path}.{key}", $"'{value}' {pathError}");
        }
        if (sub.ArrivalTime && !json) check.Error(path + ".arrivalTime", "applies to format \"json\" only (value and raw payloads always take their arrival time)");
        if (sub.ArrivalTime && sub.TimestampPath is not null) check.Error(path + ".timestampPath", "cannot be combined with arrivalTime");
        if (!check.Known(path + ".epochUnit", sub.EpochUnit, EpochUnitJson.Names)) { }
        else if (sub.EpochUnit != EpochUnit.Auto && !json && !multi) check.Error(path + ".epochUnit", "applies to formats \"json\" and \"multi\" only");
        if (format == MqttPayloadFormat.Raw)
        {
            if (sub.RawType is not { } rawType) check.Error(path + ".rawType", $"format \"raw\" needs the number type: one of {string.Join(", ", RawNumberTypeJson.Names.Names)}");
            else check.Known(path + ".rawType", rawType, RawNumberTypeJson.Names);
            if (sub.ByteOrder is { } order) check.Known(path + ".byteOrder", order, MqttByteOrderJson.Names);
        }
        else if (known)
        {
            if (sub.RawType is { } rawType && check.Known(path + ".rawType", rawType, RawNumberTypeJson.Names)) check.Error(path + ".rawType", "applies to format \"raw\" only");
            if (sub.ByteOrder is { } order && check.Known(path + ".byteOrder", order, MqttByteOrderJson.Names)) check.Error(path + ".byteOrder", "applies to format \"raw\" only");
        }
    }
}
