using System.Text.Json.Nodes;
using EdgeTwin.Gateway.Tests.Infrastructure;
using EdgeTwin.TestSupport.OpcUa;

namespace EdgeTwin.Gateway.Tests.OpcUa;

/// <summary>
/// The technician's loop against the node-opcua test server, in the published binary: browse, map, merge the block
/// into a configuration as the README says, check-config, run, and the mapped nodes' values in the file sink.
/// </summary>
[Collection("daemon")]
public sealed class OpcUaFrontDoorTests
{
    private const string Ns = "nsu=urn:edgetwin:test;";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public Task BrowseMapCheckConfigRun_TheGeneratedBlock_DeliversTheMappedNodes() => LoopAsync("opcua-front-door", secured: false);

    [Fact]
    public Task BrowseMapCheckConfigRun_OnASignAndEncryptEndpoint_TheBlockCarriesItsSecurity() => LoopAsync("opcua-front-door-secured", secured: true);

    private static async Task LoopAsync(string name, bool secured)
    {
        using var dir = new TestDirectory(name);
        await using var server = await OpcUaTestServer.StartAsync();
        // A secured channel reaches the server by the host name its certificate names; the first contact trusts it.
        var url = secured ? $"opc.tcp://{System.Net.Dns.GetHostName()}:{server.Port}/UA/EdgeTwinTest" : server.EndpointUrl;
        string[] security = secured ? ["--policy", "Basic256Sha256", "--mode", "SignAndEncrypt", "--pki", dir["pki"]] : [];

        // 1. Browse: the folder to map is there.
        var (code, output) = GatewayProcess.Run(Timeout, ["opcua", "browse", url, "--node", Ns + "s=Dynamic", "--depth", "1", .. security, .. secured ? new[] { "--trust-server" } : []]);
        Assert.True(code == 0, output);
        Assert.Contains(Ns + "s=Counter", output, StringComparison.Ordinal);

        // 2. Map it to one asset.
        var blockPath = dir["block.json"];
        (code, output) = GatewayProcess.Run(Timeout, ["opcua", "map", url, "--under", Ns + "s=Dynamic", "--asset", "tank-1", "--output", blockPath, .. security]);
        Assert.True(code == 0, output);
        var block = JsonNode.Parse(File.ReadAllText(blockPath))!;
        var mapped = block["sources"]!["opcua"]![0]!;
        Assert.Equal(secured ? "Basic256Sha256" : null, (string?)mapped["securityPolicy"]);
        Assert.Equal(secured ? "signAndEncrypt" : null, (string?)mapped["securityMode"]);
        Assert.Equal(secured ? Path.GetFullPath(dir["pki"]) : null, (string?)mapped["pkiDirectory"]);

        // 3. Merge as the README says: each entry of "assets" into $.assets, each of "sources.opcua" into $.sources.opcua.
        var config = new TestConfig(dir);
        foreach (var asset in block["assets"]!.AsArray()) config.ExtraAssets.Add(asset!.AsObject().DeepClone().AsObject());
        foreach (var source in block["sources"]!["opcua"]!.AsArray()) config.OpcUaSources.Add(source!.AsObject().DeepClone().AsObject());
        var path = config.Write();

        // 4. check-config accepts it and counts the OPC UA source.
        (code, output) = GatewayProcess.Run(Timeout, "check-config", path);
        Assert.True(code == 0, output);
        Assert.Contains("1 source(s) (1 opcua)", output, StringComparison.Ordinal);

        // 5. run: the mapped nodes' values reach the file sink, under the asset and metrics the block named.
        string[] metrics = ["counter", "sine", "tanklevel"];
        using var daemon = GatewayProcess.Start("run", "--config", path);
        try
        {
            Wait.Until(() => daemon.HasExited || metrics.All(m => SinkOutput.Read(config.SinkDirectory).Telemetry().Count(l => l.AssetId == "tank-1" && l.Metric == m) >= 2),
                TimeSpan.FromSeconds(60), "two values of each mapped node in the sink");
            Assert.False(daemon.HasExited, daemon.Output);
        }
        finally
        {
            daemon.StopGracefully();
        }

        var lines = SinkOutput.Read(config.SinkDirectory).Telemetry();
        SinkOutput.AssertNoDuplicates(lines);
        var counters = lines.Where(l => l.Metric == "counter").Select(l => l.Value.GetDouble()).ToList();
        Assert.True(counters.Distinct().Count() >= 2, "the counter did not change: " + string.Join(", ", counters));
        Assert.All(lines, l => Assert.Contains(l.Metric, metrics));
        var counter = System.Text.Json.JsonDocument.Parse(lines.First(l => l.Metric == "counter").Json).RootElement;
        Assert.Equal("opcua:" + Ns + "s=Counter", counter.GetProperty("source").GetString());
    }
}
