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

        // 3. Merge as the README says, 4. check-config accepts it and counts the OPC UA source.
        var (config, path) = MergeAndCheck(dir, block);

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

    [Fact]
    public async Task MapWithElementsAndFields_ValuesServer_TheElementAndFieldSeriesArriveWithTheServersValues()
    {
        const string ValuesNs = "nsu=urn:edgetwin:test:values;";
        using var dir = new TestDirectory("opcua-front-door-values");
        await using var server = await OpcUaTestServer.StartAsync("--values");
        var expected = JsonNode.Parse(server.Output.Split('\n').Single(l => l.StartsWith("VALUES ", StringComparison.Ordinal))["VALUES ".Length..])!.AsObject();

        // 1. Browse, 2. map with --elements and --fields.
        var (code, output) = GatewayProcess.Run(Timeout, "opcua", "browse", server.EndpointUrl, "--node", ValuesNs + "s=V", "--depth", "1");
        Assert.True(code == 0, output);
        Assert.Contains(ValuesNs + "s=V.Structure", output, StringComparison.Ordinal);
        var blockPath = dir["block.json"];
        (code, output) = GatewayProcess.Run(Timeout, "opcua", "map", server.EndpointUrl, "--under", ValuesNs + "s=V", "--asset", "drive-1",
            "--elements", "--fields", "--output", blockPath);
        Assert.True(code == 0, output);
        var block = JsonNode.Parse(File.ReadAllText(blockPath))!;
        var entries = block["sources"]!["opcua"]![0]!["groups"]![0]!["nodes"]!.AsArray().Select(e => e!.AsObject()).ToList();
        var selected = entries.Where(e => e["element"] is not null || e["field"] is not null).ToList();
        // Each element of the arrays and the matrix, each field of the nested structure and of the array of ranges.
        Assert.Contains(selected, e => (string?)e["element"] == "[1]" && (string?)e["metric"] == "array_double.1");
        Assert.Contains(selected, e => (string?)e["element"] == "[1][2][1]" && (string?)e["metric"] == "matrix_int32.1_2_1");
        Assert.Contains(selected, e => (string?)e["field"] == "Status.Speed" && (string?)e["metric"] == "structure.status.speed");
        Assert.Contains(selected, e => (string?)e["field"] == "Temperatures[2]" && (string?)e["metric"] == "structure.temperatures.2");
        Assert.Contains(selected, e => (string?)e["field"] == "$[1].High" && (string?)e["metric"] == "array_structure.1.high");
        Assert.DoesNotContain(selected, e => ((string)e["node"]!).EndsWith("s=V.Range", StringComparison.Ordinal) && e["element"] is not null);
        // Elements: Double, Int16, Boolean, String 3 each, DateTime and LocalizedText 2 each, the 2x3x2 matrix 12. Fields: the
        // nested structure's 10 leaves (Label's Locale and Text, 3 temperatures), 2 ranges' Low and High, one Range's.
        Assert.Equal((4 * 3) + (2 * 2) + 12 + 10 + 4 + 2, selected.Count);

        // 3. Merged into a configuration, 4. check-config accepts it.
        var (config, path) = MergeAndCheck(dir, block);

        // 5. run: every element and field series arrives with the value the server holds there.
        var metrics = selected.ToDictionary(e => (string)e["metric"]!, e => Expected(expected, e));
        using var daemon = GatewayProcess.Start("run", "--config", path);
        try
        {
            Wait.Until(() => daemon.HasExited || metrics.Keys.All(m => SinkOutput.Read(config.SinkDirectory).Telemetry().Any(l => l.Metric == m)),
                TimeSpan.FromSeconds(60), "a value of each element and field series in the sink");
            Assert.False(daemon.HasExited, daemon.Output);
        }
        finally
        {
            daemon.StopGracefully();
        }

        var lines = SinkOutput.Read(config.SinkDirectory).Telemetry();
        foreach (var (metric, want) in metrics)
        {
            var line = lines.First(l => l.Metric == metric);
            Assert.True(JsonNode.DeepEquals(want, JsonNode.Parse(line.Value.GetRawText())) || (want is JsonValue n && n.TryGetValue<double>(out var d) && line.Value.ValueKind == System.Text.Json.JsonValueKind.Number && line.Value.GetDouble() == d),
                $"{metric}: want {want?.ToJsonString()}, got {line.Json}");
        }
    }

    /// <summary>
    /// The block merged as the README says (each entry of "assets" into $.assets, each of "sources.opcua" into
    /// $.sources.opcua), and check-config's acceptance of it, counting the OPC UA source.
    /// </summary>
    private static (TestConfig Config, string Path) MergeAndCheck(TestDirectory dir, JsonNode block)
    {
        var config = new TestConfig(dir);
        foreach (var asset in block["assets"]!.AsArray()) config.ExtraAssets.Add(asset!.AsObject().DeepClone().AsObject());
        foreach (var source in block["sources"]!["opcua"]!.AsArray()) config.OpcUaSources.Add(source!.AsObject().DeepClone().AsObject());
        var path = config.Write();
        var (code, output) = GatewayProcess.Run(Timeout, "check-config", path);
        Assert.True(code == 0, output);
        Assert.Contains("1 source(s) (1 opcua)", output, StringComparison.Ordinal);
        return (config, path);
    }

    /// <summary>What the server holds at an entry's element or field: its VALUES line, walked by the selector.</summary>
    private static JsonNode? Expected(JsonObject values, JsonObject entry)
    {
        var node = (string)entry["node"]!;
        var whole = values[node[(node.IndexOf("s=V.", StringComparison.Ordinal) + 4)..]]!["value"]!;
        var selector = (string?)entry["element"] ?? (string)entry["field"]!;
        if (entry["element"] is not null)
        {
            // A matrix's element: its row-major index in the flat value.
            var dims = values[node[(node.IndexOf("s=V.", StringComparison.Ordinal) + 4)..]]!["dimensions"]?.AsArray().Select(d => (int)d!).ToArray() ?? [whole.AsArray().Count];
            var indexes = selector.Trim('[', ']').Split("][").Select(int.Parse).ToArray();
            var flat = 0;
            for (var i = 0; i < dims.Length; i++) flat = (flat * dims[i]) + indexes[i];
            return whole[flat];
        }
        var current = whole;
        foreach (System.Text.RegularExpressions.Match step in System.Text.RegularExpressions.Regex.Matches(selector.TrimStart('$'), @"[^.\[\]]+|\[\d+\]"))
        {
            var text = step.Value;
            current = text[0] == '[' ? current![int.Parse(text[1..^1], System.Globalization.CultureInfo.InvariantCulture)] : current![text];
        }
        return current;
    }
}
