using System.Text.RegularExpressions;
using EdgeTwin.Gateway.Metrics;

namespace EdgeTwin.Gateway.Tests.Api;

/// <summary>The status page colours every uplink state the API can report; a state it does not know shows grey.</summary>
public sealed partial class StatusPageStatesTests
{
    [Fact]
    public void SinkBadges_HaveAColourForEverySinkState()
    {
        var script = File.ReadAllText(Path.Combine(RepoRoot.Path, "src", "EdgeTwin.Gateway", "Api", "StatusPage", "app.js"));
        var map = SinkKindMap().Match(script);
        Assert.True(map.Success, "app.js has no sinkKind map");
        var colours = Entry().Matches(map.Groups[1].Value).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value, StringComparer.Ordinal);

        foreach (var state in Enum.GetValues<SinkState>())
        {
            var text = GatewayInstruments.ToText(state);
            Assert.True(colours.ContainsKey(text), $"the status page has no colour for the sink state '{text}'");
        }
        Assert.Equal("ok", colours["up"]);
        Assert.Equal("bad", colours["circuit_open"]);
        Assert.Equal("warn", colours["draining"]);
        Assert.Equal("bad", colours["down"]);
    }

    [GeneratedRegex(@"const sinkKind = \{([^}]*)\}")]
    private static partial Regex SinkKindMap();

    [GeneratedRegex(@"(\w+): ""(\w+)""")]
    private static partial Regex Entry();
}
