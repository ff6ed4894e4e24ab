using EdgeTwin.Core.Config;

namespace EdgeTwin.Core.Tests.Config;

/// <summary>$.sources.opcua[]: one mistake at a time gives one error at its JSON path.</summary>
public class OpcUaConfigValidatorTests
{
    private static readonly Dictionary<string, (Action<OpcUaSourceConfig> Break, string Path, string Says)> Mistakes = new()
    {
        ["no url"] = (s => s.Url = "", "$.sources.opcua[0].url", "opc.tcp://"),
        ["http url"] = (s => s.Url = "http://plc:4840", "$.sources.opcua[0].url", "'http://plc:4840'"),
        ["signed security"] = (s => s.SecurityMode = "sign", "$.sources.opcua[0].securityMode", "\"none\""),
        ["unknown identity"] = (s => s.Identity.Type = "certificate", "$.sources.opcua[0].identity.type", "'certificate'"),
        ["username without a name"] = (s => s.Identity = new OpcUaIdentityConfig { Type = "username", Password = "x" }, "$.sources.opcua[0].identity.username", "username"),
        ["anonymous with a password"] = (s => s.Identity.Password = "x", "$.sources.opcua[0].identity.type", "anonymous"),
        ["zero session timeout"] = (s => s.SessionTimeoutSeconds = 0, "$.sources.opcua[0].sessionTimeoutSeconds", "between"),
        ["reconnect max below min"] = (s => s.ReconnectMaxSeconds = 0.1, "$.sources.opcua[0].reconnectMaxSeconds", "reconnectMinSeconds"),
        ["no groups"] = (s => s.Groups.Clear(), "$.sources.opcua[0].groups", "at least one"),
        ["unknown mode"] = (s => s.Groups[0].Mode = "push", "$.sources.opcua[0].groups[0].mode", "'push'"),
        ["publishing too fast"] = (s => s.Groups[0].PublishingIntervalMs = 1, "$.sources.opcua[0].groups[0].publishingIntervalMs", "between"),
        ["negative sampling"] = (s => s.Groups[0].SamplingIntervalMs = -5, "$.sources.opcua[0].groups[0].samplingIntervalMs", "-1"),
        ["empty queue"] = (s => s.Groups[0].QueueSize = 0, "$.sources.opcua[0].groups[0].queueSize", "between"),
        ["unknown deadband"] = (s => s.Groups[0].DeadbandType = "relative", "$.sources.opcua[0].groups[0].deadbandType", "'relative'"),
        ["percent over 100"] = (s => { s.Groups[0].DeadbandType = "percent"; s.Groups[0].DeadbandValue = 150; }, "$.sources.opcua[0].groups[0].deadbandValue", "100"),
        ["deadband value without a type"] = (s => s.Groups[0].DeadbandValue = 2, "$.sources.opcua[0].groups[0].deadbandValue", "\"none\""),
        ["deadband on a polled group"] = (s => { s.Groups[1].DeadbandType = "absolute"; s.Groups[1].DeadbandValue = 1; }, "$.sources.opcua[0].groups[1].deadbandType", "subscriptions only"),
        ["group without nodes"] = (s => s.Groups[1].Nodes.Clear(), "$.sources.opcua[0].groups[1].nodes", "no nodes"),
        ["node by namespace index"] = (s => s.Groups[0].Nodes[0].Node = "ns=2;s=Line1.Pressure", "$.sources.opcua[0].groups[0].nodes[0].node", "namespace URI"),
        ["malformed node"] = (s => s.Groups[0].Nodes[0].Node = "nsu=urn:plc;x=1", "$.sources.opcua[0].groups[0].nodes[0].node", "nsu=urn:plc;x=1"),
        ["node on another server"] = (s => s.Groups[0].Nodes[0].Node = "svr=1;nsu=urn:plc;s=A", "$.sources.opcua[0].groups[0].nodes[0].node", "svr="),
        ["node read twice"] = (s => s.Groups[1].Nodes[0].Node = s.Groups[0].Nodes[0].Node, "$.sources.opcua[0].groups[1].nodes[0].node", "groups[0].nodes[0]"),
        ["unknown asset"] = (s => s.Groups[0].Nodes[0].Asset = "pump-9", "$.sources.opcua[0].groups[0].nodes[0].asset", "'pump-9'"),
        ["asset without metric"] = (s => s.Groups[0].Nodes[0].Metric = null, "$.sources.opcua[0].groups[0].nodes[0].metric", "metric"),
        ["metric with the key separator"] = (s => s.Groups[0].Nodes[0].Metric = "a|b", "$.sources.opcua[0].groups[0].nodes[0].metric", "'|'"),
        ["unmapped node"] = (s => s.Groups[0].Nodes.Add(new OpcUaNodeConfig { Node = "nsu=urn:plc;s=Other" }), "$.sources.opcua[0].groups[0].nodes[2]", "$.mappings"),
        ["mapped in two places"] = (s => s.Groups[0].Nodes[1] = new OpcUaNodeConfig { Node = "nsu=urn:plc;s=Pump1.Pressure", Asset = "pump-1", Metric = "p" }, "$.sources.opcua[0].groups[0].nodes[1]", "$.mappings[0]"),
    };

    public static TheoryData<string> MistakeNames() => [.. Mistakes.Keys];

    [Fact]
    public void Validate_TheBaseConfig_HasNoErrors() => Assert.Empty(ConfigValidator.Validate(Valid()));

    [Theory]
    [MemberData(nameof(MistakeNames))]
    public void Validate_OneMistake_GivesOneErrorAtItsPath(string mistake)
    {
        var (breakIt, path, says) = Mistakes[mistake];
        var config = Valid();
        breakIt(config.Sources.OpcUa[0]);

        var errors = ConfigValidator.Validate(config);

        var error = Assert.Single(errors);
        Assert.Equal(path, error.Path);
        Assert.Contains(says, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_OpcUaSection_BindsUnderItsLowerCaseName()
    {
        const string json = """
            {
              "assets": [ { "id": "pump-1" } ],
              "sinks": { "file": [ { "name": "out", "directory": "/tmp/out" } ] },
              "sources": { "opcua": [ { "name": "plc", "url": "opc.tcp://plc:4840", "groups": [
                { "mode": "polling", "publishingIntervalMs": 500, "nodes": [ { "node": "nsu=urn:plc;i=42", "asset": "pump-1", "metric": "speed" } ] } ] } ] }
            }
            """;
        var config = ConfigLoader.Load(json, "test.json", Path.GetTempPath());

        var source = Assert.Single(config.Sources.OpcUa);
        Assert.Equal("opc.tcp://plc:4840", source.Url);
        Assert.Equal("polling", source.Groups[0].Mode);
        Assert.Equal("nsu=urn:plc;i=42", source.Groups[0].Nodes[0].Node);
        Assert.Empty(ConfigValidator.Validate(config));
    }

    private static EdgeTwinConfig Valid() => new()
    {
        Gateway = new GatewayConfig { Id = "gw-7", StateDirectory = "/var/lib/edgetwin" },
        Assets = [new AssetConfig { Id = "pump-1" }],
        Mappings = [new MappingConfig { Source = "opcua:nsu=urn:plc;s=Pump1.Pressure", Asset = "pump-1", Metric = "pressure" }],
        Sinks = new SinksConfig { File = [new FileSinkConfig { Name = "out", Directory = "/var/lib/edgetwin/outbox" }] },
        Sources = new SourcesConfig
        {
            OpcUa =
            [
                new OpcUaSourceConfig
                {
                    Name = "plc",
                    Url = "opc.tcp://plc-1.local:4840/UA",
                    Groups =
                    [
                        new OpcUaNodeGroupConfig
                        {
                            Mode = "subscription",
                            Nodes =
                            [
                                new OpcUaNodeConfig { Node = "nsu=urn:plc;s=Line1.Pressure", Asset = "pump-1", Metric = "discharge_pressure" },
                                new OpcUaNodeConfig { Node = "nsu=urn:plc;s=Pump1.Pressure" },
                            ],
                        },
                        new OpcUaNodeGroupConfig
                        {
                            Mode = "polling",
                            PublishingIntervalMs = 5000,
                            Nodes = [new OpcUaNodeConfig { Node = "nsu=urn:plc;i=1001", Asset = "pump-1", Metric = "run_hours" }],
                        },
                    ],
                },
            ],
        },
    };
}
