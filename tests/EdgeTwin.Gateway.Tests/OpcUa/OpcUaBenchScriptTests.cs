using System.Globalization;
using System.Text.RegularExpressions;
using EdgeTwin.Gateway.Tests.Infrastructure;

namespace EdgeTwin.Gateway.Tests.OpcUa;

/// <summary>A cheap run of tests/bench/opcua-vs-node.sh: both clients measured and printed. Not a speed test.</summary>
public sealed partial class OpcUaBenchScriptTests
{
    [Theory]
    [InlineData("None")]
    [InlineData("Basic256Sha256")]
    public void Script_RunsBothClients_AndPrintsTheirFiguresAndRatios(string policy)
    {
        var script = Path.Combine(RepoRoot.Path, "tests", "bench", "opcua-vs-node.sh");
        var (code, output) = Shell.Run("bash", new Dictionary<string, string> { ["ITEMS"] = "200", ["WARMUP"] = "1", ["WINDOW"] = "3", ["POLICY"] = policy }, script, GatewayBinary.Path);
        Assert.True(code == 0, output);
        Assert.Contains(policy == "None" ? "cores, security None" : $"cores, security {policy} SignAndEncrypt", output, StringComparison.Ordinal);
        foreach (var client in new[] { "edgetwin (AOT)", "node-opcua client" })
        {
            var row = Row().Match(output[output.IndexOf(client, StringComparison.Ordinal)..]);
            Assert.True(row.Success, output);
            Assert.True(double.Parse(row.Groups["rss"].Value, CultureInfo.InvariantCulture) > 1, output);
            // 200 items changing every 100 ms: 2,000 changes/s offered; both clients receive them.
            Assert.True(double.Parse(row.Groups["rate"].Value.Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture) > 500, output);
        }

        Assert.Contains("ratio edgetwin/node: CPU ", output, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^\S.*?\s+(?<cpu>[\d.]+)\s+(?<pct>[\d.]+)\s+(?<rss>[\d.]+)\s+(?<rate>[\d,]+)\s", RegexOptions.Multiline)]
    private static partial Regex Row();
}
