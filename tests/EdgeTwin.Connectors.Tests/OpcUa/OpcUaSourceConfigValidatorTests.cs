using EdgeTwin.Connectors.OpcUa;
using EdgeTwin.Core.Config;

namespace EdgeTwin.Connectors.Tests.OpcUa;

/// <summary>$.sources.opcua[]: one mistake at a time gives one error at its JSON path.</summary>
public sealed class OpcUaSourceConfigValidatorTests
{
    private static readonly Dictionary<string, (Action<OpcUaSourceConfig> Break, string Path, string Says)> Mistakes = new()
    {
        ["no url"] = (s => s.Url = "", "$.sources.opcua[0].url", "opc.tcp://"),
        ["http url"] = (s => s.Url = "http://plc:4840", "$.sources.opcua[0].url", "'http://plc:4840'"),
        ["username without a name"] = (s => s.Identity = new OpcUaIdentityConfig { Type = OpcUaIdentityType.Username, Password = "x" }, "$.sources.opcua[0].identity.username", "username"),
        ["signed without a policy"] = (s => s.SecurityMode = OpcUaSecurityMode.Sign, "$.sources.opcua[0].securityPolicy", "\"sign\""),
        ["a policy without a mode"] = (s => s.SecurityPolicy = OpcUaSecurityPolicy.Basic256Sha256, "$.sources.opcua[0].securityMode", "\"Basic256Sha256\""),
        ["blank pki directory"] = (s => s.PkiDirectory = " ", "$.sources.opcua[0].pkiDirectory", "blank"),
        ["certificate identity without a key"] = (s => s.Identity = new OpcUaIdentityConfig { Type = OpcUaIdentityType.Certificate, CertificateFile = "user.pem" }, "$.sources.opcua[0].identity.privateKeyFile", "private key"),
        ["anonymous with a password"] = (s => s.Identity.Password = "x", "$.sources.opcua[0].identity.type", "anonymous"),
        ["zero session timeout"] = (s => s.SessionTimeoutSeconds = 0, "$.sources.opcua[0].sessionTimeoutSeconds", "between"),
        ["reconnect max below min"] = (s => s.ReconnectMaxSeconds = 0.1, "$.sources.opcua[0].reconnectMaxSeconds", "reconnectMinSeconds"),
        ["no groups"] = (s => s.Groups.Clear(), "$.sources.opcua[0].groups", "at least one"),
        ["publishing too fast"] = (s => s.Groups[0].PublishingIntervalMs = 1, "$.sources.opcua[0].groups[0].publishingIntervalMs", "between"),
        ["negative sampling"] = (s => s.Groups[0].SamplingIntervalMs = -5, "$.sources.opcua[0].groups[0].samplingIntervalMs", "-1"),
        ["empty queue"] = (s => s.Groups[0].QueueSize = 0, "$.sources.opcua[0].groups[0].queueSize", "between"),
        ["percent over 100"] = (s => { s.Groups[0].DeadbandType = OpcUaDeadbandType.Percent; s.Groups[0].DeadbandValue = 150; }, "$.sources.opcua[0].groups[0].deadbandValue", "100"),
        ["deadband value without a type"] = (s => s.Groups[0].DeadbandValue = 2, "$.sources.opcua[0].groups[0].deadbandValue", "\"none\""),
        ["deadband on a polled group"] = (s => { s.Groups[1].DeadbandType = OpcUaDeadbandType.Absolute; s.Groups[1].DeadbandValue = 1; }, "$.sources.opcua[0].groups[1].deadbandType", "subscriptions only"),
        ["group without nodes"] = (s => s.Groups[1].Nodes.Clear(), "$.sources.opcua[0].groups[1].nodes", "no nodes"),
        ["node by namespace index"] = (s => s.Groups[0].Nodes[0].Node = "ns=2;s=Line1.Pressure", "$.sources.opcua[0].groups[0].nodes[0].node", "namespace URI"),
        ["malformed node"] = (s => s.Groups[0].Nodes[0].Node = "nsu=urn:plc;x=1", "$.sources.opcua[0].groups[0].nodes[0].node", "nsu=urn:plc;x=1"),
        ["node on another server"] = (s => s.Groups[0].Nodes[0].Node = "svr=1;nsu=urn:plc;s=A", "$.sources.opcua[0].groups[0].nodes[0].node", "svr="),
        ["node read twice"] = (s => s.Groups[1].Nodes[0].Node = s.Groups[0].Nodes[0].Node, "$.sources.opcua[0].groups[1].nodes[0].node", "groups[0].nodes[0]"),
        ["unknown asset"] = (s => s.Groups[0].Nodes[0].Asset = "pump-9", "$.sources.opcua[0].groups[0].nodes[0].asset", "'pump-9'"),
        ["asset without metric"] = (s => s.Groups[0].Nodes[0].Metric = null, "$.sources.opcua[0].groups[0].nodes[0].metric", "metric"),
        ["metric with the key separator"] = (s => s.Groups[0].Nodes[0].Metric = "a|b", "$.sources.opcua[0].groups[0].nodes[0].metric", "'|'"),
        ["unmapped node"] = (s => s.Groups[0].Nodes.Add(new OpcUaNodeConfig { Node = "nsu=urn:plc;s=Other" }), "$.sources.opcua[0].groups[0].nodes[2]", "$.mappings"),
        ["no array elements allowed"] = (s => s.MaxArrayElements = 0, "$.sources.opcua[0].maxArrayElements", "between 1"),
        ["element that is no index"] = (s => s.Groups[0].Nodes[0].Element = "3", "$.sources.opcua[0].groups[0].nodes[0].element", "\"[3]\""),
        ["element and field"] = (s => { s.Groups[0].Nodes[0].Element = "[3]"; s.Groups[0].Nodes[0].Field = "A"; }, "$.sources.opcua[0].groups[0].nodes[0].field", "either"),
        ["field with an empty name"] = (s => s.Groups[0].Nodes[0].Field = "Status..Speed", "$.sources.opcua[0].groups[0].nodes[0].field", "field path"),
        ["same element twice"] = (s =>
        {
            s.Groups[0].Nodes[0].Element = "[3]";
            s.Groups[1].Nodes.Add(new OpcUaNodeConfig { Node = s.Groups[0].Nodes[0].Node, Element = "[3]", Asset = "pump-1", Metric = "x" });
        }, "$.sources.opcua[0].groups[1].nodes[1].node", "[3] is already read at $.sources.opcua[0].groups[0].nodes[0]"),
        ["mapped in two places"] = (s => s.Groups[0].Nodes[1] = new OpcUaNodeConfig { Node = "nsu=urn:plc;s=Pump1.Pressure", Asset = "pump-1", Metric = "p" }, "$.sources.opcua[0].groups[0].nodes[1]", "$.mappings[0]"),
    };

    public static TheoryData<string> MistakeNames() => [.. Mistakes.Keys];

    [Fact]
    public void Validate_TheBaseSection_HasNoErrors() => Assert.Empty(Validate(Valid()));

    [Fact]
    public void Validate_ElementsAndFieldsOfOneNode_AreSeriesOfTheirOwn_AndMappable()
    {
        var sources = Valid();
        var wave = sources[0].Groups[0].Nodes[0].Node;
        sources[0].Groups[0].Nodes.Add(new OpcUaNodeConfig { Node = wave, Element = "[3]", Asset = "pump-1", Metric = "sample_3" });
        sources[0].Groups[0].Nodes.Add(new OpcUaNodeConfig { Node = wave, Element = "[1][2]", Asset = "pump-1", Metric = "cell" });
        sources[0].Groups[1].Nodes.Add(new OpcUaNodeConfig { Node = "nsu=urn:plc;s=Drive", Field = "Status.Speed" });
        var check = new ConfigCheck([new AssetConfig { Id = "pump-1" }],
        [
            new MappingConfig { Source = "opcua:nsu=urn:plc;s=Pump1.Pressure", Asset = "pump-1", Metric = "pressure" },
            new MappingConfig { Source = "opcua:nsu=urn:plc;s=Drive#Status.Speed", Asset = "pump-1", Metric = "speed", Unit = "rpm" },
        ]);

        OpcUaSourceConfigValidator.Validate(sources, "$.sources.opcua", check);

        Assert.Empty(check.Errors);
        Assert.Equal("opcua:nsu=urn:plc;s=Line1.Pressure#[3]", OpcUaValueSelector.AddressOf(sources[0].Groups[0].Nodes[2]));
    }

    [Theory]
    [MemberData(nameof(MistakeNames))]
    public void Validate_OneMistake_GivesOneErrorAtItsPath(string mistake)
    {
        var (breakIt, path, says) = Mistakes[mistake];
        var sources = Valid();
        breakIt(sources[0]);

        var errors = Validate(sources);

        var error = Assert.Single(errors);
        Assert.Equal(path, error.Path);
        Assert.Contains(says, error.Message, StringComparison.Ordinal);
    }

    /// <summary>The section's neighbours: pump-1 in $.assets, and a mapping of one node that the group reads unnamed.</summary>
    private static IReadOnlyList<ConfigError> Validate(List<OpcUaSourceConfig> sources)
    {
        var check = new ConfigCheck([new AssetConfig { Id = "pump-1" }], [new MappingConfig { Source = "opcua:nsu=urn:plc;s=Pump1.Pressure", Asset = "pump-1", Metric = "pressure" }]);
        OpcUaSourceConfigValidator.Validate(sources, "$.sources.opcua", check);
        return check.Errors;
    }

    private static List<OpcUaSourceConfig> Valid() =>
    [
        new OpcUaSourceConfig
        {
            Name = "plc",
            Url = "opc.tcp://plc-1.local:4840/UA",
            Groups =
            [
                new OpcUaNodeGroupConfig
                {
                    Mode = OpcUaGroupMode.Subscription,
                    Nodes =
                    [
                        new OpcUaNodeConfig { Node = "nsu=urn:plc;s=Line1.Pressure", Asset = "pump-1", Metric = "discharge_pressure" },
                        new OpcUaNodeConfig { Node = "nsu=urn:plc;s=Pump1.Pressure" },
                    ],
                },
                new OpcUaNodeGroupConfig
                {
                    Mode = OpcUaGroupMode.Polling,
                    PublishingIntervalMs = 5000,
                    Nodes = [new OpcUaNodeConfig { Node = "nsu=urn:plc;i=1001", Asset = "pump-1", Metric = "run_hours" }],
                },
            ],
        },
    ];
}
