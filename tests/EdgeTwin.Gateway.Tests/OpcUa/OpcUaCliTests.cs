using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using EdgeTwin.Gateway.Tests.Infrastructure;
using EdgeTwin.TestSupport.OpcUa;

namespace EdgeTwin.Gateway.Tests.OpcUa;

/// <summary>`edgetwin opcua …` in the published binary against the node-opcua test server.</summary>
[Collection(OpcUaServerFixture.CollectionName)]
public sealed class OpcUaCliTests(OpcUaServerFixture fixture)
{
    private const string Ns = "nsu=urn:edgetwin:test;";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private string Url => fixture.EndpointUrl;

    [Fact]
    public void Endpoints_ListsTheNoneEndpoint_WithItsIdentities()
    {
        var (code, output) = GatewayProcess.Run(Timeout, "opcua", "endpoints", Url);
        Assert.True(code == 0, output);
        Assert.Contains("None  None", output, StringComparison.Ordinal);
        Assert.Contains("(usable by EdgeTwin)", output, StringComparison.Ordinal);
        Assert.Contains("Anonymous", output, StringComparison.Ordinal);

        (code, output) = GatewayProcess.Run(Timeout, "opcua", "endpoints", Url, "--json");
        Assert.True(code == 0, output);
        var endpoints = JsonNode.Parse(output)!.AsArray();
        var none = Assert.Single(endpoints, e => (string?)e!["securityMode"] == "None");
        Assert.EndsWith("#None", (string?)none!["securityPolicyUri"], StringComparison.Ordinal);
        Assert.Contains(none["userIdentityTokens"]!.AsArray(), t => (string?)t!["tokenType"] == "Anonymous");
        Assert.Contains(endpoints, e => (string?)e!["securityMode"] == "SignAndEncrypt");
    }

    [Fact]
    public void Read_ShowsValueStatusAndTimestamps()
    {
        var (code, output) = GatewayProcess.Run(Timeout, "opcua", "read", Url, Ns + "s=Scalar.Int32", Ns + "s=Matrix.Double", "i=2258");
        Assert.True(code == 0, output);
        Assert.Contains(Ns + "s=Scalar.Int32  Int32  = -2147483648  Good  source 20", output, StringComparison.Ordinal);
        Assert.Contains("Double  = Double[2x3] [1, 2, 3, 4, 5, 6]  Good", output, StringComparison.Ordinal);
        Assert.Contains("i=2258  UtcTime  = 20", output, StringComparison.Ordinal);

        (code, output) = GatewayProcess.Run(Timeout, "opcua", "read", Url, "--json", Ns + "s=Scalar.String", Ns + "s=Scalar.UInt64", Ns + "s=Array.Int32", "ns=0;i=2255");
        Assert.True(code == 0, output);
        var rows = JsonNode.Parse(output)!.AsArray();
        Assert.Equal(4, rows.Count);
        Assert.Equal("Grüße, 世界", (string?)rows[0]!["value"]);
        Assert.Equal("String", (string?)rows[0]!["dataType"]);
        Assert.Equal("Good", (string?)rows[0]!["status"]);
        Assert.True(DateTime.TryParse((string?)rows[0]!["sourceTimestamp"], out _));
        Assert.True(DateTime.TryParse((string?)rows[0]!["serverTimestamp"], out _));
        Assert.Equal(ulong.MaxValue, (ulong)rows[1]!["value"]!);
        Assert.Equal([1, -2, int.MaxValue], rows[2]!["value"]!.AsArray().Select(v => (int)v!).ToArray());
        Assert.Contains("urn:edgetwin:test", rows[3]!["value"]!.AsArray().Select(v => (string?)v));
    }

    [Fact]
    public void Read_UnknownNodes_AreListedWithTheirStatus_AndExit65()
    {
        var (code, output) = GatewayProcess.Run(Timeout, "opcua", "read", Url, Ns + "s=Scalar.Double", Ns + "s=NoSuchNode", "nsu=urn:not-served;s=X");
        Assert.True(code == 65, output);
        Assert.Contains(Ns + "s=Scalar.Double  Double  = -1.7976931348623157E+308  Good", output, StringComparison.Ordinal);
        Assert.Contains(Ns + "s=NoSuchNode  -  = null  BadNodeIdUnknown (0x80340000)", output, StringComparison.Ordinal);
        Assert.Contains("namespace 'urn:not-served'", output, StringComparison.Ordinal);
        Assert.Contains("2 of 3 node(s) could not be read", output, StringComparison.Ordinal);
    }

    [Fact]
    public void BadArguments_NameTheOffendingText_AndExit64()
    {
        var (code, output) = GatewayProcess.Run(Timeout, "opcua", "read", Url, "ns=2;x=Pump");
        Assert.True(code == 64, output);
        Assert.Contains("'ns=2;x=Pump' is not a node id", output, StringComparison.Ordinal);
        Assert.Contains("unknown identifier type 'x'", output, StringComparison.Ordinal);

        (code, output) = GatewayProcess.Run(Timeout, "opcua", "browse", "http://127.0.0.1/x");
        Assert.True(code == 64, output);
        Assert.Contains("'http://127.0.0.1/x' is not an opc.tcp://", output, StringComparison.Ordinal);
    }

    [Fact]
    public void UnreachableServer_Exits69_Quickly()
    {
        var port = FreePort.Pick();
        var started = DateTime.UtcNow;
        var (code, output) = GatewayProcess.Run(Timeout, "opcua", "browse", $"opc.tcp://127.0.0.1:{port}/UA/Nothing", "--timeout", "3");
        Assert.True(code == 69, output);
        Assert.Contains($"cannot reach opc.tcp://127.0.0.1:{port}/UA/Nothing", output, StringComparison.Ordinal);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void SilentServer_TimesOut_WithExit69()
    {
        // A socket that accepts and never answers Hello.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var (code, output) = GatewayProcess.Run(Timeout, "opcua", "read", $"opc.tcp://127.0.0.1:{port}/", "i=2258", "--timeout", "1.5");
        Assert.True(code == 69, output);
        Assert.Contains("no answer from", output, StringComparison.Ordinal);
        Assert.Contains("1.5 s", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Browse_ShowsTheTree_WithNodeIdsInNsuForm_DataTypesAndValues()
    {
        var (code, output) = GatewayProcess.Run(Timeout, "opcua", "browse", Url, "--node", Ns + "s=EdgeTwin", "--depth", "5");
        Assert.True(code == 0, output);
        var lines = output.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("EdgeTwin  " + Ns + "s=EdgeTwin  Object", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("  Dynamic  " + Ns + "s=Dynamic  Object", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("          Leaf  " + Ns + "s=Leaf  Variable  Double  = 42.5", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("    Scalar.LocalizedText  " + Ns + "s=Scalar.LocalizedText  Variable  LocalizedText  = de: Druck", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("Scalar.NullString", StringComparison.Ordinal) && l.Contains("String  = null", StringComparison.Ordinal));

        // One level less: the leaf is out of reach.
        (code, output) = GatewayProcess.Run(Timeout, "opcua", "browse", Url, "--node", Ns + "s=EdgeTwin", "--depth", "4", "--json");
        Assert.True(code == 0, output);
        var root = JsonNode.Parse(output)!;
        Assert.Equal(Ns + "s=EdgeTwin", (string?)root["nodeId"]);
        var level4 = root["children"]!.AsArray().Single(c => (string?)c!["browseName"] == "Level1")!
            ["children"]![0]!["children"]![0]!["children"]![0]!;
        Assert.Equal("Level4", (string?)level4["browseName"]);
        Assert.Null(level4["children"]);
        var counter = root["children"]!.AsArray().Single(c => (string?)c!["browseName"] == "Dynamic")!["children"]!.AsArray().Single(c => (string?)c!["browseName"] == "Counter")!;
        Assert.Equal("Int32", (string?)counter["dataType"]);
        Assert.Equal("Variable", (string?)counter["nodeClass"]);
        Assert.True((int)counter["value"]! >= 0);
    }

    [Fact]
    public void ReadAndBrowse_DecodeServerStatusBuildInfoArgumentsRangeAndUnits_NeverPrintingADotNetTypeName()
    {
        // Server.ServerStatus, its BuildInfo, and the InputArguments of Server.GetMonitoredItems.
        var (code, output) = GatewayProcess.Run(Timeout, "opcua", "read", Url, "i=2256", "i=2260", "i=11493");
        Assert.True(code == 0, output);
        Assert.DoesNotContain("EdgeTwin.", output, StringComparison.Ordinal);
        var lines = output.Split('\n');
        var status = Assert.Single(lines, l => l.StartsWith("i=2256  ", StringComparison.Ordinal));
        Assert.Contains("= {State: Running, StartTime: 20", status, StringComparison.Ordinal);
        Assert.Contains("BuildInfo: {ProductName: \"EdgeTwinTestServer\", ManufacturerName: \"NodeOPCUA", status, StringComparison.Ordinal);
        var build = Assert.Single(lines, l => l.StartsWith("i=2260  ", StringComparison.Ordinal));
        Assert.Contains("= {ProductName: \"EdgeTwinTestServer\"", build, StringComparison.Ordinal);
        Assert.Contains("SoftwareVersion: \"", build, StringComparison.Ordinal);
        var arguments = Assert.Single(lines, l => l.StartsWith("i=11493  ", StringComparison.Ordinal));
        Assert.Contains("[{Name: \"SubscriptionId\", DataType: UInt32, ValueRank: -1 (scalar)", arguments, StringComparison.Ordinal);

        // An AnalogItem's properties: EURange and EngineeringUnits.
        (code, output) = GatewayProcess.Run(Timeout, "opcua", "browse", Url, "--node", Ns + "s=TankLevel", "--depth", "1");
        Assert.True(code == 0, output);
        Assert.DoesNotContain("EdgeTwin.", output, StringComparison.Ordinal);
        Assert.Contains("EURange  " + Ns + "s=TankLevel-EURange  Variable  Range  = {Low: 0, High: 200}", output, StringComparison.Ordinal);
        // The description is node-opcua's own text for the unit (it differs between its versions); the rest is fixed.
        var units = Assert.Single(output.Split('\n'), l => l.Contains("s=TankLevel-EngineeringUnits", StringComparison.Ordinal));
        Assert.Matches("EUInformation  = \\{DisplayName: \"%\", Description: \"[^\"]*[Pp]ercent[^\"]*\", UnitId: 20529 \\(P1\\), NamespaceUri: \"http://www.opcfoundation.org/UA/units/un/cefact\"\\}", units);

        // --json: the same fields, as objects.
        (code, output) = GatewayProcess.Run(Timeout, "opcua", "read", Url, "--json", "i=2256");
        Assert.True(code == 0, output);
        var value = JsonNode.Parse(output)!.AsArray()[0]!["value"]!;
        Assert.Equal("Running", (string?)value["state"]);
        Assert.Equal("EdgeTwinTestServer", (string?)value["buildInfo"]!["productName"]);
        Assert.True(DateTime.TryParse((string?)value["currentTime"], System.Globalization.CultureInfo.InvariantCulture, out _));
    }

    [Fact]
    public void Browse_TheDefaultStart_IsTheObjectsFolder_AndAnUnknownNodeExits65()
    {
        var (code, output) = GatewayProcess.Run(Timeout, "opcua", "browse", Url, "--depth", "1");
        Assert.True(code == 0, output);
        Assert.StartsWith("Objects  i=85  Object", output, StringComparison.Ordinal);
        Assert.Contains("  Server  i=2253  Object", output, StringComparison.Ordinal);
        Assert.Contains("  EdgeTwin  " + Ns + "s=EdgeTwin  Object", output, StringComparison.Ordinal);

        (code, output) = GatewayProcess.Run(Timeout, "opcua", "browse", Url, "--node", Ns + "s=Gone");
        Assert.True(code == 65, output);
        Assert.Contains("'" + Ns + "s=Gone'", output, StringComparison.Ordinal);
        Assert.Contains("BadNodeIdUnknown", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Map_WritesNodesWithMetricsFromBrowseNames_ThatTheValidatorAccepts()
    {
        using var dir = new TestDirectory("opcua-map");
        var block = dir["press.json"];
        var (code, output) = GatewayProcess.Run(Timeout, "opcua", "map", Url, "--under", Ns + "s=EdgeTwin", "--asset", "press-7",
            "--metric-prefix", "plc.", "--depth", "6", "--source-name", "press-plc", "--output", block);
        Assert.True(code == 0, output);
        var json = JsonNode.Parse(File.ReadAllText(block))!;
        var asset = Assert.Single(json["assets"]!.AsArray())!;
        Assert.Equal("press-7", (string?)asset["id"]);
        Assert.Equal("EdgeTwin", (string?)asset["name"]);
        var source = Assert.Single(json["sources"]!["opcua"]!.AsArray())!;
        Assert.Equal("press-plc", (string?)source["name"]);
        Assert.Equal(Url, (string?)source["url"]);
        Assert.Null(source["endpoint"]);
        var nodes = Assert.Single(source["groups"]!.AsArray())!["nodes"]!.AsArray().Select(n => n!.AsObject()).ToList();

        // Every variable below the node, none of the folders and none of the properties (TankLevel is an AnalogItem
        // with EURange and EngineeringUnits), each once, in nsu= form.
        var byNode = nodes.ToDictionary(n => (string)n["node"]!, n => (string)n["metric"]!);
        Assert.Equal(21 + 8 + 3 + 1 + 100, byNode.Count);
        Assert.Equal("plc.dynamic.tanklevel", byNode[Ns + "s=TankLevel"]);
        Assert.DoesNotContain(byNode.Values, m => m.Contains("eurange", StringComparison.Ordinal));
        Assert.All(nodes, n => Assert.Equal("press-7", (string?)n["asset"]));
        Assert.All(byNode.Keys, k => Assert.StartsWith(Ns + "s=", k, StringComparison.Ordinal));
        Assert.DoesNotContain(Ns + "s=Scalars", byNode.Keys);
        Assert.Equal("plc.scalars.scalar_int32", byNode[Ns + "s=Scalar.Int32"]);
        Assert.Equal("plc.dynamic.counter", byNode[Ns + "s=Counter"]);
        Assert.Equal("plc.level1.level2.level3.level4.leaf", byNode[Ns + "s=Leaf"]);
        Assert.Equal("plc.many.item00042", byNode[Ns + "s=Item00042"]);
        Assert.Equal(byNode.Count, byNode.Values.Distinct(StringComparer.Ordinal).Count());
        Assert.All(byNode.Values, m => Assert.Matches("^plc\\.[a-z0-9_.]+$", m));

        // The asset and the metric names pass the configuration validator: merged into a config (the nodes as
        // opcua: mapping sources, the form $.mappings[] takes), check-config accepts it.
        var config = new TestConfig(dir) { Spool = true };
        config.ExtraAssets.Add(asset.AsObject().DeepClone().AsObject());
        foreach (var n in nodes)
        {
            config.ExtraMappings.Add(new JsonObject { ["source"] = "opcua:" + (string)n["node"]!, ["asset"] = (string)n["asset"]!, ["metric"] = (string)n["metric"]! });
        }

        var path = config.Write();
        (code, output) = GatewayProcess.Run(Timeout, "check-config", path);
        Assert.True(code == 0, output);
        Assert.Contains($"{1 + nodes.Count} mapping(s)", output, StringComparison.Ordinal);

        // Every mapped node exists: reading them all succeeds.
        (code, output) = GatewayProcess.Run(Timeout, ["opcua", "read", Url, .. byNode.Keys]);
        Assert.True(code == 0, output);

        // With the config that already has the asset, the block leaves the asset out.
        (code, output) = GatewayProcess.Run(Timeout, "opcua", "map", Url, "--under", Ns + "s=Dynamic", "--asset", "press-7", "--config", path);
        Assert.True(code == 0, output);
        json = JsonNode.Parse(output)!;
        Assert.Null(json["assets"]);
        Assert.Equal(["counter", "sine", "tanklevel"], json["sources"]!["opcua"]![0]!["groups"]![0]!["nodes"]!.AsArray().Select(n => (string)n!["metric"]!).ToArray());
    }

    [Fact]
    public void Map_BadAssetId_OrNoVariables_FailsWithTheReason()
    {
        var (code, output) = GatewayProcess.Run(Timeout, "opcua", "map", Url, "--under", Ns + "s=Dynamic", "--asset", "a|b");
        Assert.True(code == 64, output);
        Assert.Contains("--asset 'a|b'", output, StringComparison.Ordinal);

        (code, output) = GatewayProcess.Run(Timeout, "opcua", "map", Url, "--under", Ns + "s=Level1", "--asset", "x", "--depth", "2");
        Assert.True(code == 65, output);
        Assert.Contains("no variables below " + Ns + "s=Level1 within 2 level(s)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UserName_RightPasswordReads_WrongOneExits77()
    {
        await using var server = await OpcUaTestServer.StartAsync("--items", "1", "--users", "tech:pa55", "--no-anonymous");
        var (code, output) = GatewayProcess.Run(Timeout, "opcua", "read", server.EndpointUrl, Ns + "s=Scalar.Byte", "--user", "tech", "--password", "pa55");
        Assert.True(code == 0, output);
        Assert.Contains("Byte  = 255  Good", output, StringComparison.Ordinal);

        (code, output) = GatewayProcess.Run(Timeout, "opcua", "read", server.EndpointUrl, Ns + "s=Scalar.Byte", "--user", "tech", "--password", "wrong");
        Assert.True(code == 77, output);
        Assert.Contains("refused user 'tech'", output, StringComparison.Ordinal);

        (code, output) = GatewayProcess.Run(Timeout, "opcua", "read", server.EndpointUrl, Ns + "s=Scalar.Byte");
        Assert.True(code == 77, output);
        Assert.Contains("no Anonymous identity", output, StringComparison.Ordinal);
    }
}
