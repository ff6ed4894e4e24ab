using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Core.Config;

/// <summary>
/// Checks a bound configuration as a whole: ranges, names, and the references between assets, mappings,
/// sources and sinks. Collects every error instead of stopping at the first, so a technician fixes a file
/// in one pass.
/// </summary>
public static partial class ConfigValidator
{
    public static IReadOnlyList<ConfigError> Validate(EdgeTwinConfig config)
    {
        var errors = new List<ConfigError>();
        void Error(string path, string message) => errors.Add(new ConfigError(path, message));
        void Positive(string path, double value) { if (!(value > 0) || !double.IsFinite(value)) Error(path, $"must be a positive number (got {value})"); }
        void Name(string path, string? value)
        {
            if (SeriesKey.Check(value) is { } why) Error(path, $"'{value}' {why}");
        }

        Name("$.gateway.id", config.Gateway.Id);
        if (string.IsNullOrWhiteSpace(config.Gateway.StateDirectory)) Error("$.gateway.stateDirectory", "must name a directory");
        Positive("$.gateway.shutdownTimeoutSeconds", config.Gateway.ShutdownTimeoutSeconds);
        if (config.Gateway.LogLevel is not { Length: > 0 } level || char.IsDigit(level[0]) || level[0] == '-'
            || !Enum.TryParse<Microsoft.Extensions.Logging.LogLevel>(level, ignoreCase: true, out var parsed) || parsed == Microsoft.Extensions.Logging.LogLevel.None)
        {
            Error("$.gateway.logLevel", $"'{config.Gateway.LogLevel}' is not one of Trace, Debug, Information, Warning, Error, Critical");
        }

        var q = config.Queue;
        if (q.MaxBytes < 1 << 20) Error("$.queue.maxBytes", $"must be at least 1048576 (1 MiB), got {q.MaxBytes}");
        if (q.MinFreeDiskBytes < 0) Error("$.queue.minFreeDiskBytes", $"must not be negative, got {q.MinFreeDiskBytes}");
        if (q.FullPolicy is not ("block" or "dropOldest")) Error("$.queue.fullPolicy", $"'{q.FullPolicy}' is not 'block' or 'dropOldest'");
        if (!(q.LossRangeSeconds >= 1) || q.LossRangeSeconds > 7 * 86400) Error("$.queue.lossRangeSeconds", $"must be between 1 and 604800 (a week), got {q.LossRangeSeconds}");
        if (q.LossLedgerMaxRecords is < 100 or > 1_000_000) Error("$.queue.lossLedgerMaxRecords", $"must be between 100 and 1000000, got {q.LossLedgerMaxRecords}");
        if (q.MaxSegmentPoints is < 1 or > 1_000_000) Error("$.queue.maxSegmentPoints", $"must be between 1 and 1000000, got {q.MaxSegmentPoints}");
        Positive("$.queue.maxCommitDelayMs", q.MaxCommitDelayMs);
        if (!(q.CommitLingerMs >= 0) || q.CommitLingerMs > q.MaxCommitDelayMs) Error("$.queue.commitLingerMs", $"must be between 0 and $.queue.maxCommitDelayMs ({q.MaxCommitDelayMs}), got {q.CommitLingerMs}");
        if (q.IngestCapacityBatches < 1) Error("$.queue.ingestCapacityBatches", $"must be at least 1, got {q.IngestCapacityBatches}");
        Positive("$.queue.stateCheckpointSeconds", q.StateCheckpointSeconds);

        if (config.Dedup.HistoryPerSeries is < 1 or > 65536) Error("$.dedup.historyPerSeries", $"must be between 1 and 65536, got {config.Dedup.HistoryPerSeries}");
        Positive("$.validation.maxPastSkewSeconds", config.Validation.MaxPastSkewSeconds);
        Positive("$.validation.maxFutureSkewSeconds", config.Validation.MaxFutureSkewSeconds);
        if (config.Quarantine.MaxEntries < 1) Error("$.quarantine.maxEntries", $"must be at least 1, got {config.Quarantine.MaxEntries}");
        if (config.Quarantine.MaxBytes < 4096) Error("$.quarantine.maxBytes", $"must be at least 4096, got {config.Quarantine.MaxBytes}");
        Positive("$.quarantine.maxAgeDays", config.Quarantine.MaxAgeDays);

        var assets = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < config.Assets.Count; i++)
        {
            var asset = config.Assets[i];
            var path = $"$.assets[{i}]";
            if (asset is null) { Error(path, "is null"); continue; }
            Name(path + ".id", asset.Id);
            if (!string.IsNullOrEmpty(asset.Id) && !assets.TryAdd(asset.Id, i)) Error(path + ".id", $"'{asset.Id}' is already defined at $.assets[{assets[asset.Id]}]");
        }
        for (var i = 0; i < config.Assets.Count; i++)
        {
            var asset = config.Assets[i];
            if (asset?.Parent is null) continue;
            if (!assets.ContainsKey(asset.Parent)) { Error($"$.assets[{i}].parent", $"'{asset.Parent}' is not an asset in $.assets"); continue; }
            var seen = new HashSet<string>(StringComparer.Ordinal) { asset.Id };
            for (var p = asset.Parent; p is not null; p = assets.TryGetValue(p, out var pi) ? config.Assets[pi].Parent : null)
            {
                if (!seen.Add(p)) { Error($"$.assets[{i}].parent", $"the parent chain of '{asset.Id}' runs into a cycle at '{p}'"); break; }
            }
        }

        var sources = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < config.Mappings.Count; i++)
        {
            var m = config.Mappings[i];
            var path = $"$.mappings[{i}]";
            if (m is null) { Error(path, "is null"); continue; }
            if (string.IsNullOrWhiteSpace(m.Source)) Error(path + ".source", "must name a source address");
            else if (!sources.TryAdd(m.Source, i)) Error(path + ".source", $"'{m.Source}' is already mapped at $.mappings[{sources[m.Source]}]");
            if (string.IsNullOrEmpty(m.Asset)) Error(path + ".asset", "must name an asset");
            else if (!assets.ContainsKey(m.Asset)) Error(path + ".asset", $"'{m.Asset}' is not an asset in $.assets");
            Name(path + ".metric", m.Metric);
            if (!double.IsFinite(m.Scale) || m.Scale == 0) Error(path + ".scale", $"must be a finite, non-zero number (got {m.Scale})");
            if (!double.IsFinite(m.Offset)) Error(path + ".offset", $"must be finite (got {m.Offset})");
            // Element and value nullability is not enforced by the binder; a null tag would reach the wire as null.
            foreach (var tag in m.Tags ?? [])
            {
                if (tag.Value is null) Error($"{path}.tags.{tag.Key}", "must be a string, not null");
            }
        }

        var sourceNames = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < config.Sources.Simulator.Count; i++)
        {
            var s = config.Sources.Simulator[i];
            var path = $"$.sources.simulator[{i}]";
            if (s is null) { Error(path, "is null"); continue; }
            if (string.IsNullOrWhiteSpace(s.Name) || !sourceNames.Add(s.Name)) Error(path + ".name", $"'{s.Name}' must be a unique, non-empty source name");
            Positive(path + ".pointsPerSecond", s.PointsPerSecond);
            if (s.BatchSize is < 1 or > 65536) Error(path + ".batchSize", $"must be between 1 and 65536, got {s.BatchSize}");
            if (s.StopAfter < 0) Error(path + ".stopAfter", "must not be negative");
            if (!double.IsFinite(s.MaxCatchUpSeconds) || s.MaxCatchUpSeconds < 0) Error(path + ".maxCatchUpSeconds", $"must be a number of seconds, 0 or more, got {s.MaxCatchUpSeconds}");
            if (s.GeneratedPumps < 0) Error(path + ".generatedPumps", "must not be negative");
            if (s.GeneratedThermalMachines < 0) Error(path + ".generatedThermalMachines", "must not be negative");
            if (s.Epoch is { Length: > 0 } epoch && !DateTime.TryParse(epoch, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal, out _))
            {
                Error(path + ".epoch", $"'{epoch}' is not an ISO 8601 time");
            }
            if (s.Assets.Count == 0 && s.GeneratedPumps == 0 && s.GeneratedThermalMachines == 0) Error(path + ".assets", "simulates nothing: list assets or generate some");
            for (var j = 0; j < s.Assets.Count; j++)
            {
                var a = s.Assets[j];
                if (a is null) { Error($"{path}.assets[{j}]", "is null"); continue; }
                if (!assets.ContainsKey(a.Asset)) Error($"{path}.assets[{j}].asset", $"'{a.Asset}' is not an asset in $.assets");
                if (a.Model is not ("pump" or "thermal")) Error($"{path}.assets[{j}].model", $"'{a.Model}' is not 'pump' or 'thermal'");
            }
        }
        for (var i = 0; i < config.Sources.Spool.Count; i++)
        {
            var s = config.Sources.Spool[i];
            var path = $"$.sources.spool[{i}]";
            if (s is null) { Error(path, "is null"); continue; }
            if (string.IsNullOrWhiteSpace(s.Name) || !sourceNames.Add(s.Name)) Error(path + ".name", $"'{s.Name}' must be a unique, non-empty source name");
            if (string.IsNullOrWhiteSpace(s.Directory)) Error(path + ".directory", "must name a directory");
            Positive(path + ".pollIntervalSeconds", s.PollIntervalSeconds);
        }
        ValidateMqttSources(config.Sources.Mqtt, assets, sourceNames, errors);
        ValidateOpcUaSources(config.Sources.OpcUa, assets, sources, sourceNames, errors);

        var sinkNames = new HashSet<string>(StringComparer.Ordinal);
        var sinkDirectories = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < config.Sinks.File.Count; i++)
        {
            var s = config.Sinks.File[i];
            var path = $"$.sinks.file[{i}]";
            if (s is null) { Error(path, "is null"); continue; }
            if (string.IsNullOrWhiteSpace(s.Name) || !sinkNames.Add(s.Name)) Error(path + ".name", $"'{s.Name}' must be a unique, non-empty sink name");
            if (string.IsNullOrWhiteSpace(s.Directory)) Error(path + ".directory", "must name a directory");
            else if (sinkDirectories.TryGetValue(s.Directory, out var other)) Error(path + ".directory", $"'{s.Directory}' is also the directory of $.sinks.file[{other}]: two sinks would overwrite each other's position");
            else sinkDirectories[s.Directory] = i;
            if (s.MaxFileBytes < 4096) Error(path + ".maxFileBytes", $"must be at least 4096, got {s.MaxFileBytes}");
            if (s.MaxFiles < 0) Error(path + ".maxFiles", "must not be negative");
            if (s.MaxBatchPoints < 1) Error(path + ".maxBatchPoints", "must be at least 1");
        }
        for (var i = 0; i < config.Sinks.Kafka.Count; i++)
        {
            var s = config.Sinks.Kafka[i];
            var path = $"$.sinks.kafka[{i}]";
            if (s is null) { Error(path, "is null"); continue; }
            if (string.IsNullOrWhiteSpace(s.Name) || !sinkNames.Add(s.Name)) Error(path + ".name", $"'{s.Name}' must be a unique, non-empty sink name");
            ValidateKafka(s, path, Error);
        }
        for (var i = 0; i < config.Sinks.Mqtt.Count; i++)
        {
            var s = config.Sinks.Mqtt[i];
            var path = $"$.sinks.mqtt[{i}]";
            if (s is null) { Error(path, "is null"); continue; }
            if (string.IsNullOrWhiteSpace(s.Name) || !sinkNames.Add(s.Name)) Error(path + ".name", $"'{s.Name}' must be a unique, non-empty sink name");
            if (string.IsNullOrWhiteSpace(s.Host)) Error(path + ".host", "must name the broker's host");
            if (s.Port is < 1 or > 65535) Error(path + ".port", $"must be between 1 and 65535, got {s.Port}");
            if (!s.TopicTemplate.Contains("{asset_id}", StringComparison.Ordinal)) Error(path + ".topicTemplate", $"'{s.TopicTemplate}' must contain {{asset_id}}");
            else if (s.TopicTemplate.IndexOfAny(['#', '+', '\0']) >= 0) Error(path + ".topicTemplate", $"'{s.TopicTemplate}' contains a wildcard, which a published topic cannot");
            else if (s.TopicTemplate.Replace("{gateway_id}", "", StringComparison.Ordinal).Replace("{asset_id}", "", StringComparison.Ordinal)
                .Replace("{metric}", "", StringComparison.Ordinal).IndexOfAny(['{', '}']) >= 0)
            {
                Error(path + ".topicTemplate", $"'{s.TopicTemplate}' has a placeholder other than {{gateway_id}}, {{asset_id}}, {{metric}}");
            }
            if (s.MaxInflight is < 1 or > 65535) Error(path + ".maxInflight", $"must be between 1 and 65535, got {s.MaxInflight}");
            if (s.MaxBatchPoints < 1) Error(path + ".maxBatchPoints", "must be at least 1");
            ValidateDrain(s.Drain, path + ".drain", Error);
            Positive(path + ".timeoutSeconds", s.TimeoutSeconds);
            if (s.Password is not null && string.IsNullOrEmpty(s.Username)) Error(path + ".username", "is required with a password");
            if (!s.Tls && (s.CaFile ?? s.CertFile ?? s.KeyFile) is not null) Error(path + ".tls", "TLS files are given but tls is false");
            if ((s.CertFile is null) != (s.KeyFile is null)) Error(path + "." + (s.CertFile is null ? "certFile" : "keyFile"), "certFile and keyFile go together");
        }
        if (sinkNames.Count == 0) Error("$.sinks", "no sink is configured: points would stay in the queue forever");

        ValidateApi(config.Api, Error);

        return errors;
    }

    private static void ValidateKafka(KafkaSinkConfig s, string path, Action<string, string> error)
    {
        if (string.IsNullOrWhiteSpace(s.BootstrapServers)) error(path + ".bootstrapServers", "must list at least one host:port");
        else
        {
            foreach (var server in s.BootstrapServers.Split(',', StringSplitOptions.TrimEntries))
            {
                var colon = server.LastIndexOf(':');
                if (colon <= 0 || !int.TryParse(server.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
                {
                    error(path + ".bootstrapServers", $"'{server}' is not host:port");
                }
            }
        }
        if (s.Topics is null) error(path + ".topics", "is null");
        else
        {
            KafkaTopic(path + ".topics.telemetry", s.Topics.Telemetry, error);
            KafkaTopic(path + ".topics.events", s.Topics.Events, error);
            KafkaTopic(path + ".topics.twinMetadata", s.Topics.TwinMetadata, error);
        }
        if (s.Compression is not ("lz4" or "zstd" or "gzip" or "snappy" or "none")) error(path + ".compression", $"'{s.Compression}' is not lz4, zstd, gzip, snappy or none");
        if (!(s.LingerMs >= 0 && s.LingerMs <= 900_000)) error(path + ".lingerMs", $"must be between 0 and 900000, got {s.LingerMs}");
        if (s.BatchBytes < 1) error(path + ".batchBytes", $"must be at least 1, got {s.BatchBytes}");
        if (s.BatchMessages < 1) error(path + ".batchMessages", $"must be at least 1, got {s.BatchMessages}");
        if (s.MaxMessageBytes is < 1000 or > 1_000_000_000) error(path + ".maxMessageBytes", $"must be between 1000 and 1000000000, got {s.MaxMessageBytes}");
        if (s.DeliveryTimeoutMs < 1000) error(path + ".deliveryTimeoutMs", $"must be at least 1000, got {s.DeliveryTimeoutMs}");
        if (s.MaxBatchPoints < 1) error(path + ".maxBatchPoints", "must be at least 1");
        ValidateDrain(s.Drain, path + ".drain", error);

        var sec = s.Security;
        if (sec is null) error(path + ".security", "is null");
        else
        {
            var sasl = sec.Protocol is "sasl_plaintext" or "sasl_ssl";
            if (sec.Protocol is not ("plaintext" or "ssl" or "sasl_plaintext" or "sasl_ssl")) error(path + ".security.protocol", $"'{sec.Protocol}' is not plaintext, ssl, sasl_plaintext or sasl_ssl");
            if (sasl)
            {
                if (sec.SaslMechanism is not ("PLAIN" or "SCRAM-SHA-256" or "SCRAM-SHA-512")) error(path + ".security.saslMechanism", $"'{sec.SaslMechanism}' is not PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512");
                if (string.IsNullOrEmpty(sec.Username)) error(path + ".security.username", $"is required with protocol {sec.Protocol}");
                if (sec.Password is null) error(path + ".security.password", $"is required with protocol {sec.Protocol}");
            }
            else if (sec.SaslMechanism is not null || sec.Username is not null || sec.Password is not null)
            {
                error(path + ".security.protocol", $"SASL settings are given but protocol '{sec.Protocol}' does not use SASL: use sasl_plaintext or sasl_ssl");
            }
            var tls = sec.Protocol is "ssl" or "sasl_ssl";
            if (!tls && (sec.CaFile ?? sec.CertFile ?? sec.KeyFile) is not null) error(path + ".security.protocol", $"TLS files are given but protocol '{sec.Protocol}' does not use TLS: use ssl or sasl_ssl");
            if ((sec.CertFile is null) != (sec.KeyFile is null)) error(path + ".security." + (sec.CertFile is null ? "certFile" : "keyFile"), "certFile and keyFile go together");
        }

        if (s.Properties is null) { error(path + ".properties", "is null"); return; }
        foreach (var (key, value) in s.Properties)
        {
            var p = $"{path}.properties['{key}']";
            if (string.IsNullOrWhiteSpace(key) || value is null) error(p, "needs a name and a string value");
            // Confirmation means "on every in-sync replica, written once": these two carry that promise.
            else if (key is "acks" or "request.required.acks" && value is not ("all" or "-1")) error(p, $"'{value}' would confirm points before every in-sync replica has them: the uplink requires acks=all");
            else if (key == "enable.idempotence" && value != "true") error(p, "the uplink requires the idempotent producer");
            else if (key is "bootstrap.servers" or "metadata.broker.list") error(p, $"set {path}.bootstrapServers instead");
        }
    }

    private static void ValidateDrain(SinkDrainConfig? d, string path, Action<string, string> error)
    {
        if (d is null) { error(path, "is null"); return; }
        if (!(d.BacklogSeconds >= 0.1 && d.BacklogSeconds <= 86400)) error(path + ".backlogSeconds", $"must be between 0.1 and 86400, got {d.BacklogSeconds}");
        if (!(d.MaxPointsPerSecond >= 0 && double.IsFinite(d.MaxPointsPerSecond))) error(path + ".maxPointsPerSecond", $"must be 0 (no limit) or a positive number, got {d.MaxPointsPerSecond}");
    }

    private static void KafkaTopic(string path, string? topic, Action<string, string> error)
    {
        // Kafka's own rule: 1 to 249 of [a-zA-Z0-9._-], and not "." or "..".
        if (string.IsNullOrEmpty(topic) || topic.Length > 249 || topic is "." or ".." || !topic.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            error(path, $"'{topic}' is not a Kafka topic name (1 to 249 of letters, digits, '.', '_', '-')");
        }
    }

    private static void ValidateApi(ApiConfig api, Action<string, string> error)
    {
        if (api.Port is < 0 or > 65535) error("$.api.port", $"must be between 0 and 65535, got {api.Port}");
        var loopback = true;
        if (api.Address == "localhost") { }
        else if (System.Net.IPAddress.TryParse(api.Address, out var ip) && !api.Address.Contains('%', StringComparison.Ordinal)) loopback = System.Net.IPAddress.IsLoopback(ip);
        else error("$.api.address", $"'{api.Address}' is not an IP address or 'localhost'");
        if (api.Token is { } token && (token.Length is < 16 or > 256 || token.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))))
        {
            error("$.api.token", $"must be 16 to 256 characters, without spaces or control characters (got {token.Length} characters)");
        }
        if (api.Token is not null && api.TokenFile is not null) error("$.api.tokenFile", "set either $.api.token or $.api.tokenFile, not both");
        if (api.TokenFile is { } file && string.IsNullOrWhiteSpace(file)) error("$.api.tokenFile", "must name a file");
        if (api.Enabled && !loopback && api.Token is null && api.TokenFile is null)
        {
            error("$.api.address", $"'{api.Address}' is not a loopback address: the API would be reachable from the network without a token. " +
                "Set $.api.token or $.api.tokenFile, or bind 127.0.0.1");
        }
    }
}
