using EdgeTwin.Core.Config;

namespace EdgeTwin.Core.Tests.Config;

public class ConfigValidatorTests
{
    /// <summary>
    /// One mistake each, applied to an otherwise valid config, with the path the error must name and a word the
    /// message must contain. Keyed by name so each case is its own test in the runner.
    /// </summary>
    private static readonly Dictionary<string, (Action<EdgeTwinConfig> Break, string Path, string Says)> Mistakes = new()
    {
        ["gateway id with the key separator"] = (c => c.Gateway.Id = "gw|7", "$.gateway.id", "'|'"),
        ["empty gateway id"] = (c => c.Gateway.Id = "", "$.gateway.id", "empty"),
        ["blank state directory"] = (c => c.Gateway.StateDirectory = " ", "$.gateway.stateDirectory", "directory"),
        ["zero shutdown timeout"] = (c => c.Gateway.ShutdownTimeoutSeconds = 0, "$.gateway.shutdownTimeoutSeconds", "positive"),
        ["NaN shutdown timeout"] = (c => c.Gateway.ShutdownTimeoutSeconds = double.NaN, "$.gateway.shutdownTimeoutSeconds", "positive"),
        ["unknown log level"] = (c => c.Gateway.LogLevel = "Verbose", "$.gateway.logLevel", "'Verbose'"),
        ["queue under 1 MiB"] = (c => c.Queue.MaxBytes = 1000, "$.queue.maxBytes", "1048576"),
        ["negative free-disk watermark"] = (c => c.Queue.MinFreeDiskBytes = -1, "$.queue.minFreeDiskBytes", "negative"),
        ["zero loss range span"] = (c => c.Queue.LossRangeSeconds = 0, "$.queue.lossRangeSeconds", "between 1 and 604800"),
        ["loss range span over a week"] = (c => c.Queue.LossRangeSeconds = 8 * 86400, "$.queue.lossRangeSeconds", "got 691200"),
        ["NaN loss range span"] = (c => c.Queue.LossRangeSeconds = double.NaN, "$.queue.lossRangeSeconds", "got NaN"),
        ["tiny loss ledger"] = (c => c.Queue.LossLedgerMaxRecords = 10, "$.queue.lossLedgerMaxRecords", "between 100 and 1000000, got 10"),
        ["unknown full policy"] = (c => c.Queue.FullPolicy = "dropNewest", "$.queue.fullPolicy", "'dropNewest'"),
        ["full policy in the wrong case"] = (c => c.Queue.FullPolicy = "DropOldest", "$.queue.fullPolicy", "'DropOldest'"),
        ["zero segment points"] = (c => c.Queue.MaxSegmentPoints = 0, "$.queue.maxSegmentPoints", "between"),
        ["zero commit delay"] = (c => c.Queue.MaxCommitDelayMs = 0, "$.queue.maxCommitDelayMs", "positive"),
        ["no ingest capacity"] = (c => c.Queue.IngestCapacityBatches = 0, "$.queue.ingestCapacityBatches", "at least 1"),
        ["infinite checkpoint interval"] = (c => c.Queue.StateCheckpointSeconds = double.PositiveInfinity, "$.queue.stateCheckpointSeconds", "positive"),
        ["no dedup history"] = (c => c.Dedup.HistoryPerSeries = 0, "$.dedup.historyPerSeries", "between 1 and 65536"),
        ["dedup history too long"] = (c => c.Dedup.HistoryPerSeries = 65537, "$.dedup.historyPerSeries", "between 1 and 65536"),
        ["negative past skew"] = (c => c.Validation.MaxPastSkewSeconds = -1, "$.validation.maxPastSkewSeconds", "positive"),
        ["zero future skew"] = (c => c.Validation.MaxFutureSkewSeconds = 0, "$.validation.maxFutureSkewSeconds", "positive"),
        ["no quarantine entries"] = (c => c.Quarantine.MaxEntries = 0, "$.quarantine.maxEntries", "at least 1"),
        ["tiny quarantine"] = (c => c.Quarantine.MaxBytes = 100, "$.quarantine.maxBytes", "4096"),
        ["zero quarantine age"] = (c => c.Quarantine.MaxAgeDays = 0, "$.quarantine.maxAgeDays", "positive"),

        ["null asset"] = (c => c.Assets.Add(null!), "$.assets[4]", "null"),
        ["asset id with the key separator"] = (c => c.Assets[3].Id = "valve|1", "$.assets[3].id", "'|'"),
        ["asset id with a control character"] = (c => c.Assets[3].Id = "valve\t1", "$.assets[3].id", "control"),
        ["empty asset id"] = (c => c.Assets[3].Id = "", "$.assets[3].id", "empty"),
        ["duplicate asset id"] = (c => c.Assets.Add(new AssetConfig { Id = "pump-1" }), "$.assets[4].id", "$.assets[1]"),
        ["unknown parent"] = (c => c.Assets[1].Parent = "line-9", "$.assets[1].parent", "'line-9'"),
        ["own parent"] = (c => c.Assets[3].Parent = "valve-1", "$.assets[3].parent", "cycle"),

        ["null mapping"] = (c => c.Mappings.Insert(0, null!), "$.mappings[0]", "null"),
        ["mapping of an unknown asset"] = (c => c.Mappings[1].Asset = "pump-9", "$.mappings[1].asset", "'pump-9'"),
        ["mapping without an asset"] = (c => c.Mappings[1].Asset = "", "$.mappings[1].asset", "asset"),
        ["mapping without a source"] = (c => c.Mappings[1].Source = "", "$.mappings[1].source", "source"),
        ["source mapped twice"] = (c => c.Mappings[1].Source = c.Mappings[0].Source, "$.mappings[1].source", "$.mappings[0]"),
        ["metric with the key separator"] = (c => c.Mappings[0].Metric = "pressure|max", "$.mappings[0].metric", "'|'"),
        ["empty metric"] = (c => c.Mappings[0].Metric = "", "$.mappings[0].metric", "empty"),
        ["zero scale"] = (c => c.Mappings[0].Scale = 0, "$.mappings[0].scale", "non-zero"),
        ["NaN scale"] = (c => c.Mappings[0].Scale = double.NaN, "$.mappings[0].scale", "finite"),
        ["infinite offset"] = (c => c.Mappings[0].Offset = double.NegativeInfinity, "$.mappings[0].offset", "finite"),
        ["null tag value"] = (c => c.Mappings[0].Tags = new() { ["site"] = null! }, "$.mappings[0].tags.site", "null"),

        ["null simulator"] = (c => c.Sources.Simulator.Add(null!), "$.sources.simulator[1]", "null"),
        ["simulator without a name"] = (c => c.Sources.Simulator[0].Name = "", "$.sources.simulator[0].name", "unique"),
        ["simulator named like the spool"] = (c => c.Sources.Simulator[0].Name = "spool", "$.sources.spool[0].name", "unique"),
        ["simulator at zero rate"] = (c => c.Sources.Simulator[0].PointsPerSecond = 0, "$.sources.simulator[0].pointsPerSecond", "positive"),
        ["simulator batch of zero"] = (c => c.Sources.Simulator[0].BatchSize = 0, "$.sources.simulator[0].batchSize", "between"),
        ["negative stop-after"] = (c => c.Sources.Simulator[0].StopAfter = -1, "$.sources.simulator[0].stopAfter", "negative"),
        ["negative catch-up bound"] = (c => c.Sources.Simulator[0].MaxCatchUpSeconds = -5, "$.sources.simulator[0].maxCatchUpSeconds", "0 or more, got -5"),
        ["catch-up bound that is no number"] = (c => c.Sources.Simulator[0].MaxCatchUpSeconds = double.NaN, "$.sources.simulator[0].maxCatchUpSeconds", "got NaN"),
        ["negative generated pumps"] = (c => c.Sources.Simulator[0].GeneratedPumps = -1, "$.sources.simulator[0].generatedPumps", "negative"),
        ["negative generated machines"] = (c => c.Sources.Simulator[0].GeneratedThermalMachines = -1, "$.sources.simulator[0].generatedThermalMachines", "negative"),
        ["epoch that is no time"] = (c => c.Sources.Simulator[0].Epoch = "yesterday", "$.sources.simulator[0].epoch", "'yesterday'"),
        ["simulator of nothing"] = (c => c.Sources.Simulator[0].Assets.Clear(), "$.sources.simulator[0].assets", "nothing"),
        ["null simulated asset"] = (c => c.Sources.Simulator[0].Assets.Add(null!), "$.sources.simulator[0].assets[1]", "null"),
        ["simulated unknown asset"] = (c => c.Sources.Simulator[0].Assets[0].Asset = "pump-9", "$.sources.simulator[0].assets[0].asset", "'pump-9'"),
        ["simulated unknown model"] = (c => c.Sources.Simulator[0].Assets[0].Model = "turbine", "$.sources.simulator[0].assets[0].model", "'turbine'"),

        ["null spool"] = (c => c.Sources.Spool.Add(null!), "$.sources.spool[1]", "null"),
        ["spool without a directory"] = (c => c.Sources.Spool[0].Directory = "", "$.sources.spool[0].directory", "directory"),
        ["spool never polled"] = (c => c.Sources.Spool[0].PollIntervalSeconds = 0, "$.sources.spool[0].pollIntervalSeconds", "positive"),

        ["null mqtt source"] = (c => c.Sources.Mqtt.Add(null!), "$.sources.mqtt[1]", "null"),
        ["mqtt source named like the spool"] = (c => c.Sources.Mqtt[0].Name = "spool", "$.sources.mqtt[0].name", "unique"),
        ["mqtt without a host"] = (c => c.Sources.Mqtt[0].Host = " ", "$.sources.mqtt[0].host", "host"),
        ["mqtt port 0"] = (c => c.Sources.Mqtt[0].Port = 0, "$.sources.mqtt[0].port", "between 1 and 65535"),
        ["mqtt protocol 4"] = (c => c.Sources.Mqtt[0].ProtocolVersion = "4", "$.sources.mqtt[0].protocolVersion", "'4'"),
        ["mqtt empty client id"] = (c => c.Sources.Mqtt[0].ClientId = "", "$.sources.mqtt[0].clientId", "1 to 65535"),
        ["mqtt session that ends at disconnect"] = (c => c.Sources.Mqtt[0].SessionExpirySeconds = 0, "$.sources.mqtt[0].sessionExpirySeconds", "outlive"),
        ["mqtt keep-alive of zero"] = (c => c.Sources.Mqtt[0].KeepAliveSeconds = 0, "$.sources.mqtt[0].keepAliveSeconds", "between 1 and 65535"),
        ["mqtt NaN connect timeout"] = (c => c.Sources.Mqtt[0].ConnectTimeoutSeconds = double.NaN, "$.sources.mqtt[0].connectTimeoutSeconds", "between"),
        ["mqtt password twice"] = (c => c.Sources.Mqtt[0].PasswordFile = "/etc/edgetwin/mqtt.pw", "$.sources.mqtt[0].passwordFile", "not both"),
        ["mqtt 3.1.1 password without user"] = (c => { c.Sources.Mqtt[0].ProtocolVersion = "3.1.1"; c.Sources.Mqtt[0].Username = null; }, "$.sources.mqtt[0].username", "3.1.1"),
        ["mqtt client certificate without key"] = (c => c.Sources.Mqtt[0].Tls.ClientKeyFile = null, "$.sources.mqtt[0].tls.clientKeyFile", "private key"),
        ["mqtt blank CA file"] = (c => c.Sources.Mqtt[0].Tls.CaFile = "", "$.sources.mqtt[0].tls.caFile", "blank"),
        ["mqtt insecure beside a CA"] = (c => c.Sources.Mqtt[0].Tls.InsecureSkipVerify = true, "$.sources.mqtt[0].tls.insecureSkipVerify", "caFile"),
        ["mqtt receive maximum 0"] = (c => c.Sources.Mqtt[0].ReceiveMaximum = 0, "$.sources.mqtt[0].receiveMaximum", "between 1 and 65535"),
        ["mqtt tiny payload limit"] = (c => c.Sources.Mqtt[0].MaxPayloadBytes = 1, "$.sources.mqtt[0].maxPayloadBytes", "between"),
        ["mqtt batch of zero"] = (c => c.Sources.Mqtt[0].BatchMaxMessages = 0, "$.sources.mqtt[0].batchMaxMessages", "between"),
        ["mqtt negative linger"] = (c => c.Sources.Mqtt[0].BatchLingerMs = -1, "$.sources.mqtt[0].batchLingerMs", "between"),
        ["mqtt reconnect max under min"] = (c => c.Sources.Mqtt[0].ReconnectMaxSeconds = 0.1, "$.sources.mqtt[0].reconnectMaxSeconds", "reconnectMinSeconds"),
        ["mqtt subscribed to nothing"] = (c => c.Sources.Mqtt[0].Subscriptions.Clear(), "$.sources.mqtt[0].subscriptions", "nothing"),
        ["mqtt null subscription"] = (c => c.Sources.Mqtt[0].Subscriptions.Add(null!), "$.sources.mqtt[0].subscriptions[3]", "null"),
        ["mqtt '#' mid-topic"] = (c => c.Sources.Mqtt[0].Subscriptions[0].Topic = "plant/#/{asset}/{metric}", "$.sources.mqtt[0].subscriptions[0].topic", "'#'"),
        ["mqtt unknown placeholder"] = (c => c.Sources.Mqtt[0].Subscriptions[0].Topic = "plant/{site}/{metric}", "$.sources.mqtt[0].subscriptions[0].topic", "{asset} or {metric}"),
        ["mqtt same filter twice"] = (c => c.Sources.Mqtt[0].Subscriptions[1].Topic = "plant/+/+", "$.sources.mqtt[0].subscriptions[1].topic", "subscriptions[0]"),
        ["mqtt unknown format"] = (c => c.Sources.Mqtt[0].Subscriptions[0].Format = "xml", "$.sources.mqtt[0].subscriptions[0].format", "'xml'"),
        ["mqtt fixed asset unknown"] = (c => c.Sources.Mqtt[0].Subscriptions[1].Asset = "pump-9", "$.sources.mqtt[0].subscriptions[1].asset", "'pump-9'"),
        ["mqtt asset in topic and config"] = (c => c.Sources.Mqtt[0].Subscriptions[0].Asset = "pump-1", "$.sources.mqtt[0].subscriptions[0].asset", "already"),
        ["mqtt metric with the key separator"] = (c => c.Sources.Mqtt[0].Subscriptions[1].Metric = "a|b", "$.sources.mqtt[0].subscriptions[1].metric", "'|'"),
        ["mqtt asset without metric"] = (c => c.Sources.Mqtt[0].Subscriptions[1].Metric = null, "$.sources.mqtt[0].subscriptions[1].metric", "not the metric"),
        ["mqtt multi with a metric"] = (c => c.Sources.Mqtt[0].Subscriptions[2].Metric = "x", "$.sources.mqtt[0].subscriptions[2].metric", "names its metrics"),
        ["mqtt multi with {metric}"] = (c => c.Sources.Mqtt[0].Subscriptions[2].Topic = "multi/{asset}/{metric}", "$.sources.mqtt[0].subscriptions[2].topic", "drop {metric}"),
        ["mqtt value path on a value payload"] = (c => c.Sources.Mqtt[0].Subscriptions[0].ValuePath = "v", "$.sources.mqtt[0].subscriptions[0].valuePath", "\"json\" only"),
        ["mqtt malformed value path"] = (c => c.Sources.Mqtt[0].Subscriptions[1].ValuePath = "data..v", "$.sources.mqtt[0].subscriptions[1].valuePath", "empty name"),
        ["mqtt arrival time with a timestamp path"] = (c => c.Sources.Mqtt[0].Subscriptions[1].ArrivalTime = true, "$.sources.mqtt[0].subscriptions[1].timestampPath", "arrivalTime"),
        ["mqtt unknown epoch unit"] = (c => c.Sources.Mqtt[0].Subscriptions[1].EpochUnit = "minutes", "$.sources.mqtt[0].subscriptions[1].epochUnit", "'minutes'"),
        ["mqtt raw without a type"] = (c => { c.Sources.Mqtt[0].Subscriptions[0].Format = "raw"; }, "$.sources.mqtt[0].subscriptions[0].rawType", "needs the number type"),
        ["mqtt raw type on json"] = (c => c.Sources.Mqtt[0].Subscriptions[1].RawType = "int16", "$.sources.mqtt[0].subscriptions[1].rawType", "\"raw\" only"),

        ["null file sink"] = (c => c.Sinks.File.Add(null!), "$.sinks.file[1]", "null"),
        ["two sinks of one name"] = (c => c.Sinks.File.Add(new FileSinkConfig { Name = "out", Directory = "/x" }), "$.sinks.file[1].name", "unique"),
        ["sink without a directory"] = (c => c.Sinks.File[0].Directory = "", "$.sinks.file[0].directory", "directory"),
        ["tiny sink files"] = (c => c.Sinks.File[0].MaxFileBytes = 10, "$.sinks.file[0].maxFileBytes", "4096"),
        ["negative sink file count"] = (c => c.Sinks.File[0].MaxFiles = -1, "$.sinks.file[0].maxFiles", "negative"),
        ["sink batch of zero"] = (c => c.Sinks.File[0].MaxBatchPoints = 0, "$.sinks.file[0].maxBatchPoints", "at least 1"),
        ["no sinks"] = (c => c.Sinks.File.Clear(), "$.sinks", "no sink"),
        ["null kafka sink"] = (c => c.Sinks.Kafka.Add(null!), "$.sinks.kafka[0]", "null"),
        ["kafka sink named like the file sink"] = (c => Kafka(c).Name = c.Sinks.File[0].Name, "$.sinks.kafka[0].name", "unique"),
        ["kafka without bootstrap servers"] = (c => Kafka(c).BootstrapServers = " ", "$.sinks.kafka[0].bootstrapServers", "host:port"),
        ["kafka bootstrap without a port"] = (c => Kafka(c).BootstrapServers = "kafka-1:9092,kafka-2", "$.sinks.kafka[0].bootstrapServers", "'kafka-2'"),
        ["kafka topic with a slash"] = (c => Kafka(c).Topics.Telemetry = "edge/telemetry", "$.sinks.kafka[0].topics.telemetry", "'edge/telemetry'"),
        ["kafka empty events topic"] = (c => Kafka(c).Topics.Events = "", "$.sinks.kafka[0].topics.events", "topic name"),
        ["kafka unknown compression"] = (c => Kafka(c).Compression = "brotli", "$.sinks.kafka[0].compression", "'brotli'"),
        ["kafka negative linger"] = (c => Kafka(c).LingerMs = -1, "$.sinks.kafka[0].lingerMs", "between 0"),
        ["kafka tiny max message"] = (c => Kafka(c).MaxMessageBytes = 10, "$.sinks.kafka[0].maxMessageBytes", "1000"),
        ["kafka short delivery timeout"] = (c => Kafka(c).DeliveryTimeoutMs = 10, "$.sinks.kafka[0].deliveryTimeoutMs", "1000"),
        ["kafka unknown security protocol"] = (c => Kafka(c).Security.Protocol = "tls", "$.sinks.kafka[0].security.protocol", "'tls'"),
        ["kafka sasl with an unknown mechanism"] = (c => { var k = Kafka(c); k.Security = new() { Protocol = "sasl_ssl", SaslMechanism = "GSSAPI", Username = "u", Password = "p" }; }, "$.sinks.kafka[0].security.saslMechanism", "'GSSAPI'"),
        ["kafka sasl without a user"] = (c => Kafka(c).Security = new() { Protocol = "sasl_plaintext", SaslMechanism = "PLAIN", Password = "p" }, "$.sinks.kafka[0].security.username", "sasl_plaintext"),
        ["kafka sasl settings over plaintext"] = (c => Kafka(c).Security = new() { SaslMechanism = "PLAIN", Username = "u", Password = "p" }, "$.sinks.kafka[0].security.protocol", "SASL"),
        ["kafka ca file over plaintext"] = (c => Kafka(c).Security.CaFile = "/etc/ca.pem", "$.sinks.kafka[0].security.protocol", "TLS"),
        ["kafka client certificate without its key"] = (c => Kafka(c).Security = new() { Protocol = "ssl", CertFile = "/etc/c.pem" }, "$.sinks.kafka[0].security.keyFile", "together"),
        ["kafka passthrough acks=1"] = (c => Kafka(c).Properties["acks"] = "1", "$.sinks.kafka[0].properties['acks']", "acks=all"),
        ["kafka passthrough without idempotence"] = (c => Kafka(c).Properties["enable.idempotence"] = "false", "$.sinks.kafka[0].properties['enable.idempotence']", "idempotent"),
        ["mqtt uplink without a host"] = (c => c.Sinks.Mqtt.Add(new MqttSinkConfig { Name = "m" }), "$.sinks.mqtt[0].host", "host"),
        ["mqtt uplink port out of range"] = (c => c.Sinks.Mqtt.Add(new MqttSinkConfig { Name = "m", Host = "b", Port = 0 }), "$.sinks.mqtt[0].port", "between 1 and 65535"),
        ["mqtt uplink template without the asset"] = (c => c.Sinks.Mqtt.Add(new MqttSinkConfig { Name = "m", Host = "b", TopicTemplate = "plant/{metric}" }), "$.sinks.mqtt[0].topicTemplate", "{asset_id}"),
        ["mqtt template with a wildcard"] = (c => c.Sinks.Mqtt.Add(new MqttSinkConfig { Name = "m", Host = "b", TopicTemplate = "plant/+/{asset_id}" }), "$.sinks.mqtt[0].topicTemplate", "wildcard"),
        ["mqtt template with an unknown placeholder"] = (c => c.Sinks.Mqtt.Add(new MqttSinkConfig { Name = "m", Host = "b", TopicTemplate = "{site}/{asset_id}" }), "$.sinks.mqtt[0].topicTemplate", "placeholder"),
        ["mqtt password without a user"] = (c => c.Sinks.Mqtt.Add(new MqttSinkConfig { Name = "m", Host = "b", Password = "p" }), "$.sinks.mqtt[0].username", "password"),
        ["mqtt ca file without tls"] = (c => c.Sinks.Mqtt.Add(new MqttSinkConfig { Name = "m", Host = "b", CaFile = "/ca.pem" }), "$.sinks.mqtt[0].tls", "tls is false"),
        ["kafka drain backlog threshold of zero"] = (c => Kafka(c).Drain.BacklogSeconds = 0, "$.sinks.kafka[0].drain.backlogSeconds", "between 0.1"),
        ["kafka negative drain rate"] = (c => Kafka(c).Drain.MaxPointsPerSecond = -5, "$.sinks.kafka[0].drain.maxPointsPerSecond", "0 (no limit)"),
        ["kafka null drain"] = (c => Kafka(c).Drain = null!, "$.sinks.kafka[0].drain", "null"),
        ["mqtt infinite drain rate"] = (c => c.Sinks.Mqtt.Add(new MqttSinkConfig { Name = "m", Host = "b", Drain = new() { MaxPointsPerSecond = double.PositiveInfinity } }), "$.sinks.mqtt[0].drain.maxPointsPerSecond", "positive"),
        ["kafka passthrough bootstrap"] = (c => Kafka(c).Properties["bootstrap.servers"] = "x:1", "$.sinks.kafka[0].properties['bootstrap.servers']", "bootstrapServers"),

        ["api port out of range"] = (c => c.Api.Port = 70000, "$.api.port", "between 0 and 65535"),
        ["api address that is no address"] = (c => c.Api.Address = "gateway.local", "$.api.address", "'gateway.local'"),
        ["api bound to every interface without a token"] = (c => c.Api.Address = "0.0.0.0", "$.api.address", "not a loopback address"),
        ["api bound to a LAN address without a token"] = (c => c.Api.Address = "192.168.1.20", "$.api.address", "$.api.token"),
        ["api bound to IPv6 any without a token"] = (c => c.Api.Address = "::", "$.api.address", "not a loopback address"),
        ["short api token"] = (c => c.Api.Token = "short", "$.api.token", "16 to 256"),
        ["api token with a space"] = (c => c.Api.Token = "a token with spaces in it", "$.api.token", "spaces"),
        ["api token and token file"] = (c => { c.Api.Token = "0123456789abcdef"; c.Api.TokenFile = "/etc/t"; }, "$.api.tokenFile", "not both"),
    };

    public static TheoryData<string> MistakeNames => [.. Mistakes.Keys];

    private static KafkaSinkConfig Kafka(EdgeTwinConfig config)
    {
        var kafka = new KafkaSinkConfig { Name = "cloud", BootstrapServers = "kafka-1:9092,kafka-2:9092" };
        config.Sinks.Kafka.Add(kafka);
        return kafka;
    }

    [Fact]
    public void Validate_KafkaWithScramOverTlsAndPassthrough_IsValid()
    {
        var config = Valid();
        var kafka = Kafka(config);
        kafka.Compression = "zstd";
        kafka.Security = new KafkaSecurityConfig
        {
            Protocol = "sasl_ssl", SaslMechanism = "SCRAM-SHA-512", Username = "gw", Password = "secret",
            CaFile = "/etc/edgetwin/ca.pem", CertFile = "/etc/edgetwin/gw.pem", KeyFile = "/etc/edgetwin/gw.key",
        };
        kafka.Properties["socket.keepalive.enable"] = "true";
        kafka.Properties["acks"] = "all";
        Assert.Empty(ConfigValidator.Validate(config));
    }

    [Fact]
    public void Validate_TheBaseConfig_HasNoErrors() => Assert.Empty(ConfigValidator.Validate(Valid()));

    [Theory]
    [MemberData(nameof(MistakeNames))]
    public void Validate_OneMistake_GivesOneErrorAtItsPath(string mistake)
    {
        var (breakIt, path, says) = Mistakes[mistake];
        var config = Valid();
        breakIt(config);

        var errors = ConfigValidator.Validate(config);

        var error = Assert.Single(errors);
        Assert.Equal(path, error.Path);
        Assert.Contains(says, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1", null, null)]
    [InlineData("::1", null, null)]
    [InlineData("localhost", null, null)]
    [InlineData("0.0.0.0", "0123456789abcdef", null)]
    [InlineData("10.1.2.3", null, "/etc/edgetwin/api-token")]
    public void Validate_ApiOnLoopback_OrWithAToken_IsValid(string address, string? token, string? tokenFile)
    {
        var config = Valid();
        config.Api.Address = address;
        config.Api.Token = token;
        config.Api.TokenFile = tokenFile;
        Assert.Empty(ConfigValidator.Validate(config));
    }

    [Fact]
    public void Validate_ApiDisabled_MayNameAnyAddressWithoutAToken()
    {
        var config = Valid();
        config.Api.Enabled = false;
        config.Api.Address = "0.0.0.0";
        Assert.Empty(ConfigValidator.Validate(config));
    }

    [Fact]
    public void Validate_ParentCycle_ReportsEveryAssetWhoseParentChainLoops()
    {
        var config = Valid();
        config.Assets[0].Parent = "pump-1"; // line-1 → pump-1 → line-1; pump-2 and valve-1 hang below it

        var errors = ConfigValidator.Validate(config);

        Assert.Equal(["$.assets[0].parent", "$.assets[1].parent", "$.assets[2].parent", "$.assets[3].parent"], errors.Select(e => e.Path));
        Assert.All(errors, e => Assert.Contains("cycle", e.Message, StringComparison.Ordinal));
        // valve-1 is not on the cycle, only below it: the message must not call it its own ancestor.
        Assert.Contains("'valve-1'", errors[3].Message, StringComparison.Ordinal);
        Assert.DoesNotContain("own ancestor", errors[3].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_LongerParentCycle_IsFound()
    {
        var config = Valid();
        config.Assets[0].Parent = "pump-2"; // line-1 → pump-2 → pump-1 → line-1

        var errors = ConfigValidator.Validate(config);

        Assert.Equal(["$.assets[0].parent", "$.assets[1].parent", "$.assets[2].parent", "$.assets[3].parent"], errors.Select(e => e.Path));
    }

    [Fact]
    public void Validate_ThreeMistakes_ReportsAllThreeInFileOrder()
    {
        var config = Valid();
        config.Queue.FullPolicy = "sometimes";
        config.Assets.Add(new AssetConfig { Id = "line-1" });
        config.Mappings[1].Asset = "pump-9";

        var errors = ConfigValidator.Validate(config);

        Assert.Equal(["$.queue.fullPolicy", "$.assets[4].id", "$.mappings[1].asset"], errors.Select(e => e.Path));
    }

    [Fact]
    public void Validate_EveryMistakeAtOnce_ReportsEveryOne()
    {
        // Mistakes that do not overlap: each one's error must survive the others.
        var config = Valid();
        var applied = new[] { "unknown full policy", "no dedup history", "mapping of an unknown asset", "zero scale", "simulated unknown model", "tiny sink files" };
        foreach (var name in applied) Mistakes[name].Break(config);

        var errors = ConfigValidator.Validate(config);

        Assert.Equal(applied.Select(n => Mistakes[n].Path).Order(StringComparer.Ordinal), errors.Select(e => e.Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ConfigError_ToString_IsPathThenMessage() =>
        Assert.Equal("$.queue.fullPolicy: 'x' is not 'block' or 'dropOldest'", new ConfigError("$.queue.fullPolicy", "'x' is not 'block' or 'dropOldest'").ToString());

    private static EdgeTwinConfig Valid() => new()
    {
        Gateway = new GatewayConfig { Id = "gw-7", StateDirectory = "/var/lib/edgetwin" },
        Assets =
        [
            new AssetConfig { Id = "line-1" },
            new AssetConfig { Id = "pump-1", Parent = "line-1" },
            new AssetConfig { Id = "pump-2", Parent = "pump-1" },
            new AssetConfig { Id = "valve-1", Parent = "line-1" }, // referenced by nothing, so its own mistakes stay alone
        ],
        Mappings =
        [
            new MappingConfig { Source = "opcua:nsu=urn:plc;s=Pump1.Pressure", Asset = "pump-1", Metric = "pressure", Unit = "bar", Scale = 0.01, Tags = new() { ["site"] = "north" } },
            new MappingConfig { Source = "opcua:nsu=urn:plc;s=Pump2.Flow", Asset = "pump-2", Metric = "flow" },
        ],
        Sources = new SourcesConfig
        {
            Simulator = [new SimulatorSourceConfig { Name = "sim", Assets = [new SimulatedAssetConfig { Asset = "pump-1", Model = "pump" }], Epoch = "2026-11-24T00:00:00Z" }],
            Spool = [new SpoolSourceConfig { Name = "spool", Directory = "/var/spool/edgetwin" }],
            Mqtt =
            [
                new MqttSourceConfig
                {
                    Name = "broker",
                    Host = "broker.local",
                    Username = "gw",
                    Password = "secret",
                    Tls = new MqttTlsConfig { Enabled = true, CaFile = "/etc/edgetwin/ca.pem", ClientCertFile = "/etc/edgetwin/gw.pem", ClientKeyFile = "/etc/edgetwin/gw.key" },
                    Subscriptions =
                    [
                        new MqttSubscriptionConfig { Topic = "plant/{asset}/{metric}", Format = "value" },
                        new MqttSubscriptionConfig { Topic = "line1/pump2/status", Format = "json", Asset = "pump-2", Metric = "status", TimestampPath = "$.t" },
                        new MqttSubscriptionConfig { Topic = "multi/{asset}", Format = "multi", EpochUnit = "milliseconds" },
                    ],
                },
            ],
        },
        Sinks = new SinksConfig { File = [new FileSinkConfig { Name = "out", Directory = "/var/lib/edgetwin/out" }] },
    };
}
