using EdgeTwin.Connectors.File;
using EdgeTwin.Connectors.Json;
using EdgeTwin.Connectors.Kafka;
using EdgeTwin.Connectors.Mqtt;
using EdgeTwin.Connectors.Simulator;
using EdgeTwin.Connectors.Spool;
using EdgeTwin.Core.Config;
using EdgeTwin.Gateway.Config;
using EdgeTwin.Storage;

namespace EdgeTwin.Gateway.Tests.Config;

public sealed class ConfigValidatorTests
{
    /// <summary>
    /// The sections the Gateway owns and those that reach across sections (names unique over every kind of source
    /// or sink, at least one sink). One mistake each, applied to an otherwise valid config, with the path the error must name and a word the
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
        ["no dedup history"] = (c => c.Dedup.HistoryPerSeries = 0, "$.dedup.historyPerSeries", "between 1 and 65536"),
        ["dedup history too long"] = (c => c.Dedup.HistoryPerSeries = 65537, "$.dedup.historyPerSeries", "between 1 and 65536"),
        ["negative recent points"] = (c => c.Dedup.RecentPoints = -1, "$.dedup.recentPoints", "between 0 and 10000000"),
        ["too many recent points"] = (c => c.Dedup.RecentPoints = 10_000_001, "$.dedup.recentPoints", "between 0 and 10000000"),
        ["negative past skew"] = (c => c.Validation.MaxPastSkewSeconds = -1, "$.validation.maxPastSkewSeconds", "positive"),
        ["zero future skew"] = (c => c.Validation.MaxFutureSkewSeconds = 0, "$.validation.maxFutureSkewSeconds", "positive"),

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
        ["model version without a model"] = (c => c.Mappings[0].ModelVersion = "2.1", "$.mappings[0].modelVersion", "\"model\""),
        ["empty model name"] = (c => c.Mappings[0].Model = "", "$.mappings[0].model", "non-empty"),
        ["model name with a control character"] = (c => c.Mappings[0].Model = "health\u0000", "$.mappings[0].model", "\\u0000"),
        ["empty model version"] = (c => { c.Mappings[0].Model = "health"; c.Mappings[0].ModelVersion = ""; }, "$.mappings[0].modelVersion", "non-empty"),
        ["two model versions on one series"] = (c =>
        {
            (c.Mappings[0].Model, c.Mappings[0].ModelVersion) = ("health", "1");
            c.Mappings.Add(new MappingConfig { Source = "mqtt:health/v2", Asset = "pump-1", Metric = "pressure", Model = "health", ModelVersion = "2" });
        }, "$.mappings[2].metric", "model 'health' version '1'"),
        ["a model output and a measurement on one series"] = (c =>
            c.Mappings.Add(new MappingConfig { Source = "mqtt:soft-sensor", Asset = "pump-2", Metric = "flow", Model = "flow-estimate" }),
            "$.mappings[2].metric", "a measurement"),

        ["simulator named like the spool"] = (c => c.Sources.Simulator[0].Name = "spool", "$.sources.spool[0].name", "unique"),


        ["mqtt source named like the spool"] = (c => c.Sources.Mqtt[0].Name = "spool", "$.sources.mqtt[0].name", "unique"),

        ["no sinks"] = (c => c.Sinks.File.Clear(), "$.sinks", "no sink"),
        ["kafka sink named like the file sink"] = (c => c.Sinks.Kafka.Add(new KafkaSinkConfig { Name = c.Sinks.File[0].Name, BootstrapServers = "kafka-1:9092" }), "$.sinks.kafka[0].name", "unique"),

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

    [Fact]
    public void Validate_TheBaseConfig_HasNoErrors() => Assert.Empty(ConfigValidator.Validate(Valid()));

    [Fact]
    public void Validate_RedundantSourcesOfOneModelOutput_AreAccepted()
    {
        var c = Valid();
        (c.Mappings[0].Model, c.Mappings[0].ModelVersion) = ("health", "1");
        c.Mappings.Add(new MappingConfig { Source = "mqtt:health/backup", Asset = "pump-1", Metric = "pressure", Model = "health", ModelVersion = "1" });
        Assert.Empty(ConfigValidator.Validate(c));
    }

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
        config.Queue.FullPolicy = ConfigEnumNames<QueueFullPolicy>.Undefined;
        config.Assets.Add(new AssetConfig { Id = "line-1" });
        config.Mappings[1].Asset = "pump-9";

        var errors = ConfigValidator.Validate(config);

        Assert.Equal(["$.queue.fullPolicy", "$.assets[4].id", "$.mappings[1].asset"], errors.Select(e => e.Path));
    }

    [Fact]
    public void Validate_EveryMistakeAtOnce_ReportsEveryOne()
    {
        // Mistakes that do not overlap, in sections of several owners: each one's error must survive the others.
        var config = Valid();
        var applied = new (Action<EdgeTwinConfig> Break, string Path)[]
        {
            (c => c.Queue.FullPolicy = ConfigEnumNames<QueueFullPolicy>.Undefined, "$.queue.fullPolicy"),
            (Mistakes["no dedup history"].Break, Mistakes["no dedup history"].Path),
            (Mistakes["mapping of an unknown asset"].Break, Mistakes["mapping of an unknown asset"].Path),
            (Mistakes["zero scale"].Break, Mistakes["zero scale"].Path),
            (c => c.Sources.Simulator[0].Assets[0].Model = ConfigEnumNames<SimulatedModel>.Undefined, "$.sources.simulator[0].assets[0].model"),
            (c => c.Sinks.File[0].MaxFileBytes = 10, "$.sinks.file[0].maxFileBytes"),
        };
        foreach (var (breakIt, _) in applied) breakIt(config);

        var errors = ConfigValidator.Validate(config);

        Assert.Equal(applied.Select(a => a.Path).Order(StringComparer.Ordinal), errors.Select(e => e.Path).Order(StringComparer.Ordinal));
    }

    internal static EdgeTwinConfig Valid() => new()
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
            Simulator = [new SimulatorSourceConfig { Name = "sim", Assets = [new SimulatedAssetConfig { Asset = "pump-1", Model = SimulatedModel.Pump }], Epoch = "2026-11-24T00:00:00Z" }],
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
                        new MqttSubscriptionConfig { Topic = "plant/{asset}/{metric}", Format = MqttPayloadFormat.Value },
                        new MqttSubscriptionConfig { Topic = "line1/pump2/status", Format = MqttPayloadFormat.Json, Asset = "pump-2", Metric = "status", TimestampPath = "$.t" },
                        new MqttSubscriptionConfig { Topic = "multi/{asset}", Format = MqttPayloadFormat.Multi, EpochUnit = EpochUnit.Milliseconds },
                    ],
                },
            ],
        },
        Sinks = new SinksConfig { File = [new FileSinkConfig { Name = "out", Directory = "/var/lib/edgetwin/out" }] },
    };
}
