using System.Globalization;
using System.Text.Json;
using EdgeTwin.Gateway.Tests.Infrastructure;

namespace EdgeTwin.Gateway.Tests.Api;

/// <summary>Every read-only endpoint of the local API, against the running AOT binary over real HTTP.</summary>
[Collection("daemon")]
public sealed class ApiEndpointTests
{
    private static string Iso(DateTime t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    [Fact]
    public void ReadOnlyEndpoints_ReportHealthReadinessShadowQueueStatusAndConfig()
    {
        using var dir = new TestDirectory("api-read");
        var config = new TestConfig(dir) { Spool = true, SimulatorRate = 200, SimulatorPumps = 1, SimulatorThermal = 1 };
        var path = config.Write();
        var t1 = DateTime.UtcNow.AddSeconds(-20);
        var t2 = t1.AddSeconds(5);
        Directory.CreateDirectory(config.SpoolDirectory);
        File.WriteAllLines(Path.Combine(config.SpoolDirectory, "a.jsonl"),
        [
            $$"""{"source":"spool:pressure-1","ts":"{{Iso(t2)}}","value":4.7}""",
            $$"""{"source":"spool:pressure-1","ts":"{{Iso(t1)}}","value":4.2}""",
        ]);

        using var daemon = ApiDaemon.Start(path);
        var health = daemon.GetJson("/healthz");
        Assert.Equal("ok", health.GetProperty("status").GetString());

        Wait.Until(() => daemon.GetJson("/api/shadow?asset=pump-1").GetProperty("count").GetInt32() == 1, TimeSpan.FromSeconds(30), "the spool reading in the shadow");
        // The latest by timestamp, not the last to arrive: 4.7 at t2 although 4.2 (t1) came after it.
        var entry = Assert.Single(daemon.GetJson("/api/shadow?asset=pump-1&metric=inlet_pressure").GetProperty("series").EnumerateArray());
        Assert.Equal("pump-1", entry.GetProperty("assetId").GetString());
        Assert.Equal("Pump 1", entry.GetProperty("assetName").GetString());
        Assert.Equal(4.7, entry.GetProperty("value").GetDouble());
        Assert.Equal("bar", entry.GetProperty("unit").GetString());
        Assert.Equal("good", entry.GetProperty("quality").GetString());
        Assert.Equal(t2, entry.GetProperty("ts").GetDateTime().ToUniversalTime());
        Assert.Equal("spool:pressure-1", entry.GetProperty("source").GetString());

        // Unfiltered: the simulator's assets too, every entry numeric, sorted by asset then metric.
        Wait.Until(() => daemon.GetJson("/api/shadow").GetProperty("count").GetInt32() >= 7, TimeSpan.FromSeconds(30), "the simulated series in the shadow");
        var all = daemon.GetJson("/api/shadow").GetProperty("series").EnumerateArray().ToList();
        Assert.Contains(all, e => e.GetProperty("assetId").GetString() == "sim-pump-00001" && e.GetProperty("metric").GetString() == "pressure");
        Assert.Contains(all, e => e.GetProperty("assetId").GetString() == "sim-thermal-00001");
        Assert.All(all, e => Assert.Equal(JsonValueKind.Number, e.GetProperty("value").ValueKind));
        var keys = all.Select(e => e.GetProperty("assetId").GetString() + "\u0000" + e.GetProperty("metric").GetString()).ToList();
        Assert.Equal(keys.Order(StringComparer.Ordinal), keys);
        var byMetric = daemon.GetJson("/api/shadow?metric=pressure").GetProperty("series").EnumerateArray().ToList();
        Assert.NotEmpty(byMetric);
        Assert.All(byMetric, e => Assert.Equal("pressure", e.GetProperty("metric").GetString()));
        Assert.Equal(0, daemon.GetJson("/api/shadow?asset=no-such-asset").GetProperty("count").GetInt32());

        Wait.Until(() => daemon.Get("/readyz").Status == 200, TimeSpan.FromSeconds(30), "readiness");
        Assert.True(daemon.GetJson("/readyz").GetProperty("ready").GetBoolean());

        var queue = daemon.GetJson("/api/queue");
        Assert.Equal(1L << 30, queue.GetProperty("maxBytes").GetInt64());
        Assert.Equal("block", queue.GetProperty("fullPolicy").GetString());
        Assert.True(queue.GetProperty("points").GetInt64() >= 0);
        Assert.True(queue.GetProperty("freeDiskBytes").GetInt64() > 0);
        Assert.False(queue.GetProperty("full").GetBoolean());
        Assert.Equal("out", Assert.Single(queue.GetProperty("sinks").EnumerateArray()).GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Array, queue.GetProperty("recentLoss").ValueKind);
        Assert.Equal(0, queue.GetProperty("openLossRecords").GetInt32());
        Assert.False(queue.GetProperty("refusingAtFloor").GetBoolean());
        Assert.Equal(0, queue.GetProperty("floorRefusals").GetInt64());
        Assert.Equal(3600, queue.GetProperty("lossRangeSeconds").GetDouble());

        var status = daemon.GetJson("/api/status");
        var (_, version) = GatewayProcess.Run(TimeSpan.FromSeconds(30), "--version");
        Assert.StartsWith(status.GetProperty("version").GetString()!, version.Trim(), StringComparison.Ordinal);
        Assert.Equal("gw-test", status.GetProperty("gatewayId").GetString());
        Assert.Contains($"hash {status.GetProperty("configHash").GetString()}", daemon.Process.Output, StringComparison.Ordinal);
        var sources = status.GetProperty("sources").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!);
        Assert.Equal(["inbox", "sim"], sources.Keys.Order(StringComparer.Ordinal));
        Assert.All(sources.Values, s => Assert.Equal("connected", s.GetProperty("connection").GetString()));
        Assert.Equal(2, sources["inbox"].GetProperty("readingsIn").GetInt64());
        Assert.True(sources["sim"].GetProperty("committed").GetInt64() > 0);
        var sink = Assert.Single(status.GetProperty("sinks").EnumerateArray());
        Assert.Equal("up", sink.GetProperty("state").GetString());

        var effective = daemon.GetJson("/api/config");
        Assert.Equal(Path.GetFullPath(path), effective.GetProperty("source").GetString());
        Assert.Equal(status.GetProperty("configHash").GetString(), effective.GetProperty("hash").GetString());
        Assert.Equal("gw-test", effective.GetProperty("config").GetProperty("gateway").GetProperty("id").GetString());
        Assert.Equal(0, effective.GetProperty("config").GetProperty("api").GetProperty("port").GetInt32());

        Assert.Equal(404, daemon.Get("/api/no-such-thing").Status);
        Assert.Equal(0, daemon.Stop());
        Assert.Contains("Stopped:", daemon.Process.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Quarantine_IsListedFiltered_AndReplayRunsThroughTheRunningPipeline()
    {
        using var dir = new TestDirectory("api-quar");
        // A tight future-skew bound: a reading a few seconds ahead is quarantined, and cured once the clock passes it.
        var config = new TestConfig(dir) { Spool = true, MaxFutureSkewSeconds = 1 };
        var path = config.Write();
        var ahead = DateTime.UtcNow.AddSeconds(10);
        Directory.CreateDirectory(config.SpoolDirectory);
        File.WriteAllLines(Path.Combine(config.SpoolDirectory, "q.jsonl"),
        [
            $$"""{"source":"spool:pressure-1","ts":"{{Iso(DateTime.UtcNow)}}","value":1.0}""",
            $$"""{"source":"spool:pressure-1","ts":"{{Iso(ahead)}}","value":2.5}""",
            $$"""{"source":"spool:nowhere","ts":"{{Iso(DateTime.UtcNow)}}","value":3}""",
            """{"broken json""",
        ]);

        using var daemon = ApiDaemon.Start(path);
        Wait.Until(() => daemon.GetJson("/api/quarantine").GetProperty("total").GetInt64() == 3, TimeSpan.FromSeconds(30), "three quarantined readings");
        var list = daemon.GetJson("/api/quarantine").GetProperty("entries").EnumerateArray().ToList();
        Assert.Equal(["clock_skew_future", "invalid_payload", "unmapped_source"], list.Select(e => e.GetProperty("reason").GetString()!).Order(StringComparer.Ordinal));
        var ids = list.Select(e => e.GetProperty("id").GetInt64()).ToList();
        Assert.Equal(ids.Order(), ids);
        var newest = daemon.GetJson("/api/quarantine?order=newest&limit=2").GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("id").GetInt64()).ToList();
        Assert.Equal(ids.OrderDescending().Take(2), newest);
        var skewed = Assert.Single(daemon.GetJson("/api/quarantine?reason=clock_skew_future").GetProperty("entries").EnumerateArray());
        Assert.Equal(2.5, skewed.GetProperty("value").GetDouble());
        Assert.Contains("after the gateway clock", skewed.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var broken = Assert.Single(daemon.GetJson("/api/quarantine?reason=invalid_payload").GetProperty("entries").EnumerateArray());
        Assert.Equal("""{"broken json""", broken.GetProperty("raw").GetString());
        Assert.Contains("unknown reason", daemon.GetJson("/api/quarantine?reason=bogus", expectedStatus: 400).GetProperty("error").GetString(), StringComparison.Ordinal);

        var token = File.ReadAllText(Path.Combine(config.StateDirectory, "api-token")).Trim();
        // A replay the current mapping cannot cure changes nothing.
        var (code, body, _) = daemon.Post("/api/quarantine/replay?reason=unmapped_source", token);
        Assert.True(code == 200, body);
        Assert.Equal(1, JsonDocument.Parse(body).RootElement.GetProperty("remaining").GetInt32());
        Assert.Equal(3, daemon.GetJson("/api/quarantine").GetProperty("total").GetInt64());

        Wait.Until(() => DateTime.UtcNow > ahead.AddSeconds(0.5), TimeSpan.FromSeconds(20), "the clock to pass the skewed reading");
        (code, body, _) = daemon.Post("/api/quarantine/replay", token);
        Assert.True(code == 200, body);
        var replay = JsonDocument.Parse(body).RootElement;
        Assert.Equal(3, replay.GetProperty("replayed").GetInt32());
        Assert.Equal(1, replay.GetProperty("cured").GetInt32());
        Assert.Equal(2, replay.GetProperty("remaining").GetInt32());

        // The cured reading went through the running pipeline: in the shadow, out of quarantine, in the sink, once.
        Assert.Equal(2.5, Assert.Single(daemon.GetJson("/api/shadow?asset=pump-1").GetProperty("series").EnumerateArray()).GetProperty("value").GetDouble());
        Assert.Equal(2, daemon.GetJson("/api/quarantine").GetProperty("total").GetInt64());
        Wait.Until(() => SinkOutput.Read(config.SinkDirectory).Count == 2, TimeSpan.FromSeconds(30), "the cured point in the sink");
        (code, body, _) = daemon.Post("/api/quarantine/replay?reason=clock_skew_future", token);
        Assert.Equal(0, JsonDocument.Parse(body).RootElement.GetProperty("replayed").GetInt32());
        Assert.Contains("Quarantine replay: 3 entr(ies) re-run, 1 cured", daemon.Process.Output, StringComparison.Ordinal);

        // Purge: the operator gives up on the unparseable payload. Token required; never silent (a loss-ledger record).
        Assert.Equal(401, daemon.Post("/api/quarantine/purge?reason=invalid_payload", bearer: null).Status);
        (code, body, _) = daemon.Post("/api/quarantine/purge?reason=invalid_payload", token);
        Assert.True(code == 200, body);
        Assert.Equal(1, JsonDocument.Parse(body).RootElement.GetProperty("purged").GetInt32());
        Assert.Equal(1, JsonDocument.Parse(body).RootElement.GetProperty("remaining").GetInt64());
        var left = Assert.Single(daemon.GetJson("/api/quarantine").GetProperty("entries").EnumerateArray());
        Assert.Equal("unmapped_source", left.GetProperty("reason").GetString());
        var loss = daemon.GetJson("/api/queue").GetProperty("recentLoss").EnumerateArray()
            .Single(l => l.GetProperty("reason").GetString()!.StartsWith("quarantine_purged", StringComparison.Ordinal));
        Assert.Equal(1, loss.GetProperty("count").GetInt64());
        Assert.Equal("invalid_payload", loss.GetProperty("metric").GetString());
        // A purge is a closed range from the start.
        Assert.False(loss.GetProperty("open").GetBoolean());
        Assert.Equal(loss.GetProperty("at").GetDateTime(), loss.GetProperty("openedAt").GetDateTime());

        Assert.Equal(0, daemon.Stop());
        var output = SinkOutput.Read(config.SinkDirectory);
        Assert.Equal([1.0, 2.5], output.Select(l => l.Value.GetDouble()).Order());
        SinkOutput.AssertNoDuplicates(output);
        WireSchema.AssertValid(output);
    }
}
