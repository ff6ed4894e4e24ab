using EdgeTwin.Core.Assets;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Core.Config;

public static partial class ConfigValidator
{
    private static readonly string[] MqttFormats = ["value", "json", "multi", "raw"];
    private static readonly string[] RawTypes = ["float32", "float64", "int16", "uint16", "int32", "uint32", "int64", "uint64"];

    private static void ValidateMqttSources(List<MqttSourceConfig> sources, Dictionary<string, int> assets, HashSet<string> sourceNames, List<ConfigError> errors)
    {
        void Error(string path, string message) => errors.Add(new ConfigError(path, message));
        void Range(string path, double value, double min, double max)
        {
            if (!(value >= min && value <= max)) Error(path, $"must be between {min} and {max}, got {value}");
        }

        for (var i = 0; i < sources.Count; i++)
        {
            var s = sources[i];
            var path = $"$.sources.mqtt[{i}]";
            if (s is null) { Error(path, "is null"); continue; }
            if (string.IsNullOrWhiteSpace(s.Name) || !sourceNames.Add(s.Name)) Error(path + ".name", $"'{s.Name}' must be a unique, non-empty source name");
            if (string.IsNullOrWhiteSpace(s.Host)) Error(path + ".host", "must name the broker's host");
            if (s.Port is { } port && port is < 1 or > 65535) Error(path + ".port", $"must be between 1 and 65535, got {port}");
            var v5 = s.ProtocolVersion == "5";
            if (!v5 && s.ProtocolVersion != "3.1.1") Error(path + ".protocolVersion", $"'{s.ProtocolVersion}' is not \"5\" or \"3.1.1\"");
            if (s.ClientId is { } id && (id.Length == 0 || id.Length > 65535 || id.Any(char.IsControl)))
            {
                Error(path + ".clientId", "must be 1 to 65535 characters without control characters, or null for the default");
            }
            if (s.SessionExpirySeconds is < 1 or > uint.MaxValue)
            {
                Error(path + ".sessionExpirySeconds", $"must be between 1 and {uint.MaxValue}, got {s.SessionExpirySeconds}: the session must outlive a restart of the gateway, or messages published meanwhile are lost");
            }
            Range(path + ".keepAliveSeconds", s.KeepAliveSeconds, 1, 65535);
            Range(path + ".connectTimeoutSeconds", s.ConnectTimeoutSeconds, 0.1, 3600);
            if (s.Password is not null && s.PasswordFile is not null) Error(path + ".passwordFile", "set password or passwordFile, not both");
            if (s.PasswordFile is { } pf && string.IsNullOrWhiteSpace(pf)) Error(path + ".passwordFile", "must name a file");
            if ((s.Password is not null || s.PasswordFile is not null) && string.IsNullOrEmpty(s.Username) && !v5)
            {
                Error(path + ".username", "MQTT 3.1.1 sends a password only with a username (MQTT 3.1.1 §3.1.2.9)");
            }
            if (s.Tls is null)
            {
                Error(path + ".tls", "is null");
            }
            else
            {
                var tls = s.Tls;
                foreach (var (key, value) in new[] { ("caFile", tls.CaFile), ("clientCertFile", tls.ClientCertFile), ("clientKeyFile", tls.ClientKeyFile), ("serverName", tls.ServerName) })
                {
                    if (value is not null && string.IsNullOrWhiteSpace(value)) Error($"{path}.tls.{key}", "must not be blank (leave it out instead)");
                }
                if (tls.ClientCertFile is not null && tls.ClientKeyFile is null) Error(path + ".tls.clientKeyFile", "a client certificate needs its private key file");
                if (tls.ClientKeyFile is not null && tls.ClientCertFile is null) Error(path + ".tls.clientCertFile", "a client key needs its certificate file");
                if (tls.InsecureSkipVerify && tls.CaFile is not null) Error(path + ".tls.insecureSkipVerify", "cannot be combined with caFile: either the broker is verified against the CA or not at all");
            }
            Range(path + ".receiveMaximum", s.ReceiveMaximum, 1, 65535);
            Range(path + ".maxPayloadBytes", s.MaxPayloadBytes, 16, 256 << 20);
            Range(path + ".batchMaxMessages", s.BatchMaxMessages, 1, 65536);
            Range(path + ".batchLingerMs", s.BatchLingerMs, 0, 1000);
            Range(path + ".reconnectMinSeconds", s.ReconnectMinSeconds, 0.01, 3600);
            if (!(s.ReconnectMaxSeconds >= s.ReconnectMinSeconds && s.ReconnectMaxSeconds <= 86400))
            {
                Error(path + ".reconnectMaxSeconds", $"must be between reconnectMinSeconds ({s.ReconnectMinSeconds}) and 86400, got {s.ReconnectMaxSeconds}");
            }
            if (s.Subscriptions.Count == 0) Error(path + ".subscriptions", "subscribes to nothing: list at least one topic");
            var filters = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var j = 0; j < s.Subscriptions.Count; j++)
            {
                ValidateSubscription(s.Subscriptions[j], $"{path}.subscriptions[{j}]", j, filters, assets, errors);
            }
        }
    }

    private static void ValidateSubscription(MqttSubscriptionConfig sub, string path, int index, Dictionary<string, int> filters, Dictionary<string, int> assets, List<ConfigError> errors)
    {
        void Error(string at, string message) => errors.Add(new ConfigError(at, message));
        if (sub is null) { Error(path, "is null"); return; }
        TopicTemplate? template = null;
        if (!TopicTemplate.TryParse(sub.Topic, out template, out var why)) Error(path + ".topic", $"'{sub.Topic}' {why}");
        else if (!filters.TryAdd(template!.Filter, index)) Error(path + ".topic", $"subscribes to {template.Filter} like subscriptions[{filters[template.Filter]}]: a message would be taken twice");

        var format = sub.Format;
        if (!MqttFormats.Contains(format)) Error(path + ".format", $"'{format}' is not one of {string.Join(", ", MqttFormats)}");
        if (sub.Asset is not null)
        {
            if (template?.HasAsset == true) Error(path + ".asset", "the topic names the asset already ({asset})");
            else if (SeriesKey.Check(sub.Asset) is { } bad) Error(path + ".asset", $"'{sub.Asset}' {bad}");
            else if (!assets.ContainsKey(sub.Asset)) Error(path + ".asset", $"'{sub.Asset}' is not an asset in $.assets");
        }
        if (sub.Metric is not null)
        {
            if (format == "multi") Error(path + ".metric", "a multi-metric payload names its metrics itself");
            else if (template?.HasMetric == true) Error(path + ".metric", "the topic names the metric already ({metric})");
            else if (SeriesKey.Check(sub.Metric) is { } bad) Error(path + ".metric", $"'{sub.Metric}' {bad}");
        }
        if (template is not null && format != "multi")
        {
            var hasAsset = template.HasAsset || sub.Asset is not null;
            var hasMetric = template.HasMetric || sub.Metric is not null;
            if (hasAsset && !hasMetric) Error(path + ".metric", "the asset is named but not the metric: add {metric} to the topic or set metric");
            if (hasMetric && !hasAsset) Error(path + ".asset", "the metric is named but not the asset: add {asset} to the topic or set asset");
        }
        if (template?.HasMetric == true && format == "multi") Error(path + ".topic", "a multi-metric payload names its metrics itself: drop {metric}");

        foreach (var (key, value) in new[] { ("valuePath", sub.ValuePath), ("timestampPath", sub.TimestampPath), ("qualityPath", sub.QualityPath) })
        {
            if (value is null) continue;
            if (format != "json") Error($"{path}.{key}", "applies to format \"json\" only");
            else if (!JsonFieldPath.TryParse(value, out _, out var pathError)) Error($"{path}.{key}", $"'{value}' {pathError}");
        }
        if (sub.ArrivalTime && format != "json") Error(path + ".arrivalTime", "applies to format \"json\" only (value and raw payloads always take their arrival time)");
        if (sub.ArrivalTime && sub.TimestampPath is not null) Error(path + ".timestampPath", "cannot be combined with arrivalTime");
        if (sub.EpochUnit is not ("auto" or "seconds" or "milliseconds")) Error(path + ".epochUnit", $"'{sub.EpochUnit}' is not \"auto\", \"seconds\" or \"milliseconds\"");
        else if (sub.EpochUnit != "auto" && format is not ("json" or "multi")) Error(path + ".epochUnit", "applies to formats \"json\" and \"multi\" only");
        if (format == "raw")
        {
            if (sub.RawType is null) Error(path + ".rawType", $"format \"raw\" needs the number type: one of {string.Join(", ", RawTypes)}");
            else if (!RawTypes.Contains(sub.RawType)) Error(path + ".rawType", $"'{sub.RawType}' is not one of {string.Join(", ", RawTypes)}");
            if (sub.ByteOrder is not (null or "bigEndian" or "littleEndian")) Error(path + ".byteOrder", $"'{sub.ByteOrder}' is not \"bigEndian\" or \"littleEndian\"");
        }
        else
        {
            if (sub.RawType is not null) Error(path + ".rawType", "applies to format \"raw\" only");
            if (sub.ByteOrder is not null) Error(path + ".byteOrder", "applies to format \"raw\" only");
        }
    }
}
