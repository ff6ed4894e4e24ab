using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeTwin.Gateway.Tests.Infrastructure;
using EdgeTwin.TestSupport.OpcUa;

namespace EdgeTwin.Gateway.Tests.OpcUa;

/// <summary>
/// The published gateway reading a real node-opcua server into the file sink. The server's Tick nodes count
/// k = floor(now / tick) with source timestamp k × tick, and a restarted server goes on with the same sequence,
/// so the test knows every value the server produced and when.
/// </summary>
[Collection("daemon")]
public sealed partial class OpcUaDaemonTests
{
    private const string Ns = "urn:edgetwin:test";

    [Fact]
    public async Task Subscription_EveryTickReachesTheSinkOnce_WithItsSourceTimestamp()
    {
        using var dir = new TestDirectory("opcua-subscription");
        await using var server = await OpcUaTestServer.StartAsync(Ticks(100, 3));
        var config = Config(dir, Source(server.EndpointUrl, Group("subscription", 200, 3)));
        var (lines, _) = RunUntil(dir, config, 3 * 30, tickMs: 100);
        foreach (var metric in Metrics(3))
        {
            var ticks = TicksOf(lines, metric);
            Assert.True(ticks.Count >= 30, $"{metric}: {ticks.Count} values");
            AssertHoles(metric, ticks, 0);
        }

        var first = JsonDocument.Parse(lines[0].Json).RootElement;
        Assert.StartsWith($"opcua:nsu={Ns};s=Tick0000", first.GetProperty("source").GetString(), StringComparison.Ordinal);
        Assert.Equal("good", first.GetProperty("quality").GetString());
        Assert.Equal(0u, first.GetProperty("status_code").GetUInt32());
    }

    [Fact]
    public async Task Polling_FasterThanTheValuesChange_ForwardsEachValueOnce()
    {
        using var dir = new TestDirectory("opcua-polling");
        await using var server = await OpcUaTestServer.StartAsync(Ticks(500, 2));
        var config = Config(dir, Source(server.EndpointUrl, Group("polling", 50, 2)));
        // Ten reads per value: 12 values per node are 120 reads of each.
        var (lines, _) = RunUntil(dir, config, 2 * 12, tickMs: 500);
        foreach (var metric in Metrics(2))
        {
            var ticks = TicksOf(lines, metric);
            Assert.True(ticks.Count >= 12, $"{metric}: {ticks.Count} values");
            AssertHoles(metric, ticks, 0);
        }
    }

    [Fact]
    public async Task Polling_ANodeWithoutSourceTimestamps_ForwardsEachValueOnce_AtTheServerTimestampOfTheReadThatSawIt()
    {
        using var dir = new TestDirectory("opcua-unstamped");
        await using var server = await OpcUaTestServer.StartAsync(Ticks(500, 1));
        var group = Group("polling", 50, 0);
        group["nodes"] = new JsonArray(new JsonObject { ["node"] = $"nsu={Ns};s=Unstamped", ["asset"] = "ticker", ["metric"] = "unstamped" });
        var config = Config(dir, Source(server.EndpointUrl, group));
        using var daemon = GatewayProcess.Start("run", "--config", config.Write());
        WaitConnected(daemon);
        // Ten reads per value; every read has a new server timestamp, so without care each would be a new point.
        WaitLines(daemon, dir, config.SinkDirectory, 10);
        await Task.Delay(TimeSpan.FromSeconds(1));
        daemon.StopGracefully();

        var lines = SinkOutput.Read(config.SinkDirectory).Telemetry();
        SinkOutput.AssertNoDuplicates(lines);
        var values = lines.Select(l => (long)l.Value.GetDouble()).ToList();
        Assert.True(values.Count >= 10, $"{values.Count} values");
        Assert.True(values.Count == values.Distinct().Count(), "a value forwarded twice: " + string.Join(", ", values));
        AssertHoles("unstamped", [.. values.Order()], 0);
        foreach (var line in lines)
        {
            var tick = TimeOf((long)line.Value.GetDouble(), 500).Ticks;
            Assert.True(line.Ticks >= tick && line.Ticks < tick + TimeSpan.FromSeconds(3).Ticks,
                $"{line.Json}: the server timestamp of the read that saw value {(long)line.Value.GetDouble()} is not after its tick");
        }
    }

    [Fact]
    public async Task UsernameIdentity_TheRightPasswordReadsValues_AWrongOneIsReportedAndRetriedWithoutStoppingTheDaemon()
    {
        using var dir = new TestDirectory("opcua-identity");
        await using var server = await OpcUaTestServer.StartAsync([.. Ticks(100, 2), "--users", "operator:s3cret", "--no-anonymous"]);

        var wrong = Source(server.EndpointUrl, Group("subscription", 200, 2));
        wrong["identity"] = new JsonObject { ["type"] = "username", ["username"] = "operator", ["password"] = "not-the-password" };
        var wrongDir = Config(dir, wrong);
        wrongDir.StateDirectory = dir["state-wrong"];
        wrongDir.SinkDirectory = dir["out-wrong"];
        using (var refused = GatewayProcess.Start("run", "--config", wrongDir.Write("wrong.json")))
        {
            // Refused, and tried again (the password may be fixed on the server side): at least two refusals logged.
            Wait.Until(() => refused.Output.Split("BadUserAccessDenied").Length > 2 || refused.HasExited, TimeSpan.FromSeconds(30),
                "the refused identity in the log, twice:" + Environment.NewLine + refused.Output);
            Assert.False(refused.HasExited, refused.Output);
            Assert.Contains(server.EndpointUrl, refused.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("not-the-password", refused.Output, StringComparison.Ordinal);
            Assert.Equal(0, SinkOutput.CountCompleteLines(wrongDir.SinkDirectory));
            refused.StopGracefully();
            Assert.Equal(0, refused.ExitCode);
        }

        var config = Config(dir, Source(server.EndpointUrl, Group("subscription", 200, 2)));
        config.OpcUaSources[0]!["identity"] = new JsonObject { ["type"] = "username", ["username"] = "operator", ["password"] = "s3cret" };
        var (lines, output) = RunUntil(dir, config, 2 * 10, tickMs: 100);
        Assert.True(lines.Count >= 20, $"{lines.Count} values");
        Assert.DoesNotContain("s3cret", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerKilledAndRestarted_EveryValueBeforeAndAfterIsInTheSinkOnce_NoGapBeyondTheOutage()
    {
        using var dir = new TestDirectory("opcua-restart");
        var server = await OpcUaTestServer.StartAsync(Ticks(100, 5));
        var port = server.Port;
        var config = Config(dir, Source(server.EndpointUrl, Group("subscription", 200, 5)));
        using var daemon = GatewayProcess.Start("run", "--config", config.Write());
        WaitConnected(daemon);
        WaitLines(daemon, dir, config.SinkDirectory, 5 * 20);

        var killedAt = DateTime.UtcNow;
        server.Kill();
        await server.DisposeAsync();
        Wait.Until(() => daemon.Output.Contains("connection lost", StringComparison.Ordinal), TimeSpan.FromSeconds(20), "the daemon noticing the kill:" + Environment.NewLine + daemon.Output);
        await Task.Delay(2000);
        await using var restarted = await OpcUaTestServer.StartOnPortAsync(port, Ticks(100, 5));
        var listeningAt = DateTime.UtcNow;
        var before = SinkOutput.CountCompleteLines(config.SinkDirectory);
        WaitLines(daemon, dir, config.SinkDirectory, before + (5 * 20));
        daemon.StopGracefully();

        var lines = SinkOutput.Read(config.SinkDirectory).Telemetry();
        SinkOutput.AssertNoDuplicates(lines);
        AssertTicksMatchTimestamps(lines, 100);
        Assert.Contains("SessionRecreated", daemon.Output, StringComparison.Ordinal);
        foreach (var metric in Metrics(5))
        {
            var ticks = TicksOf(lines, metric);
            var holes = AssertHoles(metric, ticks, 1);
            var (from, to) = holes[0];
            // The values the old server had not yet published when it died, and the new server's values until the
            // subscription was created again: nothing else is missing.
            Assert.True(TimeOf(from, 100) >= killedAt.AddSeconds(-1), $"{metric}: the gap starts at {TimeOf(from, 100):O}, the server was killed at {killedAt:O}");
            Assert.True(TimeOf(to, 100) <= listeningAt.AddSeconds(3), $"{metric}: the gap ends at {TimeOf(to, 100):O}, the server listened again at {listeningAt:O}");
            Assert.True(TimeOf(ticks[^1], 100) > listeningAt, $"{metric}: nothing after the restart");
        }
    }

    [Fact]
    public async Task ServerRestartedWithNamespacesReordered_ThenWithoutTheNamespace_MappingFollowsTheUriAndNeverAnotherNode()
    {
        using var dir = new TestDirectory("opcua-namespaces");
        var server = await OpcUaTestServer.StartAsync(Ticks(100, 2));
        var port = server.Port;
        var config = Config(dir, Source(server.EndpointUrl, Group("subscription", 200, 2)));
        var path = config.Write();
        using var daemon = GatewayProcess.Start("run", "--config", path);
        WaitConnected(daemon);
        WaitLines(daemon, dir, config.SinkDirectory, 2 * 10);

        // Two namespaces before ours: the test namespace moves from index 2 to 4.
        server.Kill();
        await server.DisposeAsync();
        var reordered = await OpcUaTestServer.StartOnPortAsync(port, [.. Ticks(100, 2), "--namespaces", "urn:inserted:a,urn:inserted:b"]);
        Assert.Equal(Ns, reordered.Namespaces[4]);
        var reorderedAt = DateTime.UtcNow;
        // Values the new server produced (not a line count: lines the old server sent may still be on their way).
        Wait.Until(() => daemon.HasExited || Metrics(2).All(m => TicksOf(ReadSink(config.SinkDirectory), m).Any(k => TimeOf(k, 100) > reorderedAt.AddSeconds(1))),
            TimeSpan.FromSeconds(60), "values from the restarted server:" + Environment.NewLine + daemon.Output);

        // The same node ids, but under another namespace URI: the configured URI is gone.
        reordered.Kill();
        await reordered.DisposeAsync();
        await using var moved = await OpcUaTestServer.StartOnPortAsync(port, [.. Ticks(100, 2), "--namespace-uri", "urn:edgetwin:elsewhere"]);
        var movedAt = DateTime.UtcNow;
        Wait.Until(() => MqttDaemon.Count(daemon.Output, "is bad or unavailable") >= 2 || daemon.HasExited, TimeSpan.FromSeconds(30), "the vanished namespace reported:" + Environment.NewLine + daemon.Output);
        await Task.Delay(1000);
        daemon.StopGracefully();

        var lines = SinkOutput.Read(config.SinkDirectory).Telemetry();
        SinkOutput.AssertNoDuplicates(lines);
        AssertTicksMatchTimestamps(lines, 100);
        foreach (var metric in Metrics(2))
        {
            var ticks = TicksOf(lines, metric);
            Assert.Contains(ticks, k => TimeOf(k, 100) > reorderedAt.AddSeconds(1));
            Assert.DoesNotContain(ticks, k => TimeOf(k, 100) > movedAt.AddSeconds(1));
        }

        var (code, listing) = GatewayProcess.Run(TimeSpan.FromSeconds(30), "quarantine", "list", "--config", path, "--json");
        Assert.True(code == 0, listing);
        var unavailable = JsonDocument.Parse(listing).RootElement.EnumerateArray().Where(e => e.GetProperty("reason").GetString() == "node_unavailable").ToList();
        Assert.Equal(2, unavailable.Count);
        foreach (var entry in unavailable)
        {
            var detail = entry.GetProperty("detail").GetString()!;
            Assert.Contains(moved.EndpointUrl, detail, StringComparison.Ordinal);
            Assert.Contains($"nsu={Ns};s=Tick0000", detail, StringComparison.Ordinal);
            Assert.Contains("namespace", detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task GatewayKilled_TheNextRunResumesTheSession_NothingTheServerHeldIsLostOrDoubled()
    {
        using var dir = new TestDirectory("opcua-gateway-kill9");
        await using var server = await OpcUaTestServer.StartAsync(Ticks(100, 3));
        var config = Config(dir, Source(server.EndpointUrl, Group("subscription", 200, 3)));
        var path = config.Write();
        using (var first = GatewayProcess.Start("run", "--config", path))
        {
            WaitConnected(first);
            WaitLines(first, dir, config.SinkDirectory, 3 * 20);
            first.Kill();
        }

        // The server goes on ticking and queues for the session, which outlives the gateway (sessionTimeoutSeconds).
        await Task.Delay(3000);
        using var second = GatewayProcess.Start("run", "--config", path);
        WaitConnected(second);
        WaitLines(second, dir, config.SinkDirectory, SinkOutput.CountCompleteLines(config.SinkDirectory) + (3 * 20));
        second.StopGracefully();

        Assert.Contains("session of the previous run resumed", second.Output, StringComparison.Ordinal);
        AssertEveryTickOnce(config.SinkDirectory, Metrics(3), 100);
    }

    [Fact]
    public async Task PercentDeadband_ForwardsOnlyChangesBeyondItsShareOfTheEURange_AndANodeWithoutEURangeIsReportedWithTheReason()
    {
        using var dir = new TestDirectory("opcua-deadband");
        await using var server = await OpcUaTestServer.StartAsync();
        // TankLevel (an AnalogItem, EURange 0..200) rises by 1 every 100 ms. One source takes every value, the other
        // a percent deadband of 2.5 (5 units); the counter in that group has no EURange, so the server refuses it.
        JsonObject TankGroup(string name, string metric, string deadband, double value, params JsonObject[] more)
            => new()
            {
                ["name"] = name,
                ["mode"] = "subscription",
                ["publishingIntervalMs"] = 100,
                ["samplingIntervalMs"] = 100,
                ["deadbandType"] = deadband,
                ["deadbandValue"] = value,
                ["nodes"] = new JsonArray([new JsonObject { ["node"] = $"nsu={Ns};s=TankLevel", ["asset"] = "ticker", ["metric"] = metric }, .. more]),
            };

        // A node is read once per source: the two groups are two sources on the same server.
        var config = Config(dir, Source(server.EndpointUrl, TankGroup("every", "level", "none", 0)));
        var filtering = Source(server.EndpointUrl, TankGroup("deadband", "level-deadband", "percent", 2.5,
            new JsonObject { ["node"] = $"nsu={Ns};s=Counter", ["asset"] = "ticker", ["metric"] = "counter" }));
        filtering["name"] = "plc-deadband";
        config.OpcUaSources.Add(filtering);
        var path = config.Write();
        using var daemon = GatewayProcess.Start("run", "--config", path);
        WaitConnected(daemon);
        Wait.Until(() => daemon.HasExited || ReadSink(config.SinkDirectory).Count(l => l.Metric == "level") >= 40, TimeSpan.FromSeconds(60),
            "40 values of the level:" + Environment.NewLine + daemon.Output);
        daemon.StopGracefully();

        var lines = SinkOutput.Read(config.SinkDirectory).Telemetry();
        SinkOutput.AssertNoDuplicates(lines);
        var every = lines.Where(l => l.Metric == "level").ToList();
        var filtered = lines.Where(l => l.Metric == "level-deadband").OrderBy(l => l.Ticks).Select(l => l.Value.GetDouble()).ToList();
        // The two sources have sessions of their own, which may start a little apart: compare over the same span.
        var (from, to) = (every.Min(l => l.Ticks), every.Max(l => l.Ticks));
        var filteredWithin = lines.Count(l => l.Metric == "level-deadband" && l.Ticks >= from && l.Ticks <= to);
        Assert.True(filteredWithin >= 2 && filteredWithin <= every.Count / 3, $"{filteredWithin} values through the deadband, {every.Count} without, over the same span");
        Assert.All(filtered.Zip(filtered.Skip(1)), pair => Assert.True(Math.Abs(pair.Second - pair.First) > 5, $"{pair.First} -> {pair.Second}"));
        Assert.DoesNotContain(lines, l => l.Metric == "counter");

        Assert.Contains($"nsu={Ns};s=Counter", daemon.Output, StringComparison.Ordinal);
        Assert.Contains("BadMonitoredItemFilterUnsupported (0x80440000); a percent deadband of 2.5 % needs a node with an EURange", daemon.Output, StringComparison.Ordinal);
        var (code, listing) = GatewayProcess.Run(TimeSpan.FromSeconds(30), "quarantine", "list", "--config", path, "--json");
        Assert.True(code == 0, listing);
        // The refused counter, perhaps more than once (a reconnect would ask again), and never another node.
        var refused = JsonDocument.Parse(listing).RootElement.EnumerateArray().Where(e => e.GetProperty("reason").GetString() == "bad_status").ToList();
        Assert.NotEmpty(refused);
        Assert.All(refused, e => Assert.Contains("s=Counter", e.GetRawText(), StringComparison.Ordinal));
        Assert.All(refused, e => Assert.Contains("EURange", e.GetRawText(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Subscription_Of10000MonitoredItems_EveryItemDeliversItsChanges()
    {
        const int items = 10_000;
        using var dir = new TestDirectory("opcua-10k");
        await using var server = await OpcUaTestServer.StartAsync(Ticks(1000, items));
        var config = Config(dir, Source(server.EndpointUrl, Group("subscription", 500, items, queueSize: 10)));
        config.MaxSegmentPoints = 16384;
        using var daemon = GatewayProcess.Start("run", "--config", config.Write());
        WaitConnected(daemon);
        WaitLines(daemon, dir, config.SinkDirectory, items * 4, TimeSpan.FromSeconds(90));
        daemon.StopGracefully();

        var lines = SinkOutput.Read(config.SinkDirectory).Telemetry();
        SinkOutput.AssertNoDuplicates(lines);
        AssertTicksMatchTimestamps(lines, 1000);
        var perMetric = lines.GroupBy(l => l.Metric).ToDictionary(g => g.Key, g => g.Select(l => (long)l.Value.GetDouble()).Order().ToList());
        Assert.Equal(items, perMetric.Count);
        var thin = perMetric.Where(p => p.Value.Count < 3).Take(5).Select(p => $"{p.Key}: {p.Value.Count}").ToList();
        Assert.True(thin.Count == 0, "items with fewer than 3 values: " + string.Join(", ", thin));
        foreach (var (metric, ticks) in perMetric)
        {
            AssertHoles(metric, ticks, 0);
        }
    }

    private static string[] Ticks(int tickMs, int nodes) =>
        ["--tick-ms", tickMs.ToString(CultureInfo.InvariantCulture), "--tick-nodes", nodes.ToString(CultureInfo.InvariantCulture)];

    private static IEnumerable<string> Metrics(int nodes) => Enumerable.Range(0, nodes).Select(i => $"t{i:D5}");

    private static TestConfig Config(TestDirectory dir, JsonObject source)
    {
        var config = new TestConfig(dir) { CommitLingerMs = 2 };
        config.ExtraAssets.Add(new JsonObject { ["id"] = "ticker", ["name"] = "Ticking nodes" });
        config.OpcUaSources.Add(source);
        return config;
    }

    private static JsonObject Source(string url, JsonObject group) => new()
    {
        ["name"] = "plc",
        ["url"] = url,
        ["reconnectMinSeconds"] = 0.2,
        ["reconnectMaxSeconds"] = 1,
        ["keepAliveSeconds"] = 2,
        ["requestTimeoutSeconds"] = 10,
        ["groups"] = new JsonArray(group),
    };

    private static JsonObject Group(string mode, double intervalMs, int nodes, uint queueSize = 1000)
    {
        var group = new JsonObject
        {
            ["name"] = "ticks",
            ["mode"] = mode,
            ["publishingIntervalMs"] = intervalMs,
            ["nodes"] = new JsonArray([.. Enumerable.Range(0, nodes).Select(i => (JsonNode)new JsonObject { ["node"] = $"nsu={Ns};s=Tick{i:D5}", ["asset"] = "ticker", ["metric"] = $"t{i:D5}" })]),
        };
        if (mode == "subscription")
        {
            group["samplingIntervalMs"] = 0;
            group["queueSize"] = queueSize;
        }

        return group;
    }

    /// <summary>Runs the daemon until the sink has <paramref name="count"/> lines; returns them (no duplicates, each value at its tick's timestamp) and the daemon's output.</summary>
    private static (List<SinkLine> Lines, string Output) RunUntil(TestDirectory dir, TestConfig config, long count, int tickMs)
    {
        using var daemon = GatewayProcess.Start("run", "--config", config.Write());
        WaitConnected(daemon);
        WaitLines(daemon, dir, config.SinkDirectory, count);
        daemon.StopGracefully();

        var lines = SinkOutput.Read(config.SinkDirectory).Telemetry();
        SinkOutput.AssertNoDuplicates(lines);
        AssertTicksMatchTimestamps(lines, tickMs);
        return (lines, daemon.Output);
    }

    private static void WaitConnected(GatewayProcess daemon)
    {
        Wait.Until(() => daemon.Output.Contains(": connected, session", StringComparison.Ordinal) || daemon.HasExited, TimeSpan.FromSeconds(30), "the OPC UA session:" + Environment.NewLine + daemon.Output);
        if (daemon.HasExited) Assert.Fail($"the daemon exited ({daemon.ExitCode}):{Environment.NewLine}{daemon.Output}");
    }

    private static void WaitLines(GatewayProcess daemon, TestDirectory dir, string sink, long count, TimeSpan? timeout = null) =>
        Wait.Until(() => SinkOutput.CountCompleteLines(sink) >= count || daemon.HasExited, timeout ?? TimeSpan.FromSeconds(60),
            $"{count} lines in the sink of {dir} (have {SinkOutput.CountCompleteLines(sink)}):{Environment.NewLine}{daemon.Output}");

    /// <summary>The sink's lines so far; empty while a line is half written (the next poll reads it whole).</summary>
    private static List<SinkLine> ReadSink(string directory)
    {
        try
        {
            return SinkOutput.Read(directory);
        }
        catch (Exception ex) when (ex is InvalidDataException or JsonException or IOException)
        {
            return [];
        }
    }

    private static List<long> TicksOf(List<SinkLine> lines, string metric) =>
        [.. lines.Where(l => l.Metric == metric).Select(l => (long)l.Value.GetDouble()).Order()];

    private static DateTime TimeOf(long tick, int tickMs) => DateTime.UnixEpoch.AddMilliseconds(tick * tickMs);

    // Every tick of every metric in the sink once, each at its own timestamp, no hole between the first and the last.
    private static void AssertEveryTickOnce(string sinkDirectory, IEnumerable<string> metrics, int tickMs)
    {
        var lines = SinkOutput.Read(sinkDirectory).Telemetry();
        SinkOutput.AssertNoDuplicates(lines);
        AssertTicksMatchTimestamps(lines, tickMs);
        foreach (var metric in metrics)
        {
            AssertHoles(metric, TicksOf(lines, metric), 0);
        }
    }

    // The value is the tick number and the timestamp the server's source timestamp: they must agree exactly.
    private static void AssertTicksMatchTimestamps(List<SinkLine> lines, int tickMs)
    {
        Assert.NotEmpty(lines);
        var wrong = lines.Where(l => l.AssetId != "ticker" || TimeOf((long)l.Value.GetDouble(), tickMs).Ticks != l.Ticks).Take(3).Select(l => l.Json).ToList();
        Assert.True(wrong.Count == 0, "values whose source timestamp is not their tick: " + string.Join(Environment.NewLine, wrong));
    }

    // The runs of missing ticks between the first and the last value; asserts there are exactly `expected`.
    private static List<(long From, long To)> AssertHoles(string metric, List<long> ticks, int expected)
    {
        var holes = new List<(long, long)>();
        for (var i = 1; i < ticks.Count; i++)
        {
            if (ticks[i] != ticks[i - 1] + 1)
            {
                holes.Add((ticks[i - 1] + 1, ticks[i] - 1));
            }
        }

        Assert.True(holes.Count == expected, $"{metric}: {holes.Count} gaps where {expected} expected: {string.Join(", ", holes.Select(h => $"{h.Item1}..{h.Item2}"))}");
        return holes;
    }
}
