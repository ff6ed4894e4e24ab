using System.Globalization;
using EdgeTwin.Gateway.Tests.Infrastructure;

namespace EdgeTwin.Gateway.Tests.Api;

/// <summary>/metrics of the running binary, read by a strict Prometheus text-format parser.</summary>
[Collection("daemon")]
public sealed class MetricsEndpointTests
{
    private static string Iso(DateTime t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    [Fact]
    public void Metrics_AreValidPrometheusText_WithEveryGatewayMetricAndSaneValues()
    {
        using var dir = new TestDirectory("api-metrics");
        var config = new TestConfig(dir) { Spool = true, SimulatorRate = 500, SimulatorPumps = 2, SimulatorThermal = 1 };
        var path = config.Write();
        var now = DateTime.UtcNow;
        Directory.CreateDirectory(config.SpoolDirectory);
        File.WriteAllLines(Path.Combine(config.SpoolDirectory, "m.jsonl"),
        [
            $$"""{"source":"spool:pressure-1","ts":"{{Iso(now)}}","value":4.2}""",
            $$"""{"source":"spool:pressure-1","ts":"{{Iso(now)}}","value":4.2}""",
            """not json""",
            $$"""{"source":"spool:pressure-1","value":1}""",
        ]);

        using var daemon = ApiDaemon.Start(path);
        Wait.Until(() => daemon.GetJson("/api/status").GetProperty("pipeline").GetProperty("quarantined").GetInt64() == 2, TimeSpan.FromSeconds(30), "the spool file through the pipeline");
        Wait.Until(() => daemon.GetJson("/api/status").GetProperty("sinks")[0].GetProperty("forwarded").GetInt64() > 0, TimeSpan.FromSeconds(30), "points forwarded");

        var (code, text, contentType) = daemon.Get("/metrics");
        Assert.Equal(200, code);
        Assert.StartsWith("text/plain", contentType, StringComparison.Ordinal);
        Assert.Contains("version=0.0.4", contentType, StringComparison.Ordinal);
        var metrics = PrometheusText.Parse(text);

        PromSample One(string family, string type, params (string Label, string Value)[] labels)
        {
            Assert.True(metrics.TryGetValue(family, out var f), $"/metrics has no {family}:{Environment.NewLine}{text}");
            Assert.Equal(type, f!.Type);
            Assert.False(string.IsNullOrWhiteSpace(f.Help), $"{family} has no HELP");
            var matches = f.Samples.Where(s => labels.All(l => s.Labels.TryGetValue(l.Label, out var v) && v == l.Value)).ToList();
            Assert.True(matches.Count == 1, $"{family}{{{string.Join(",", labels.Select(l => l.Label + "=" + l.Value))}}}: {matches.Count} samples");
            Assert.True(double.IsFinite(matches[0].Value) && matches[0].Value >= 0, $"{family}: {matches[0].Value}");
            return matches[0];
        }

        // Per source: in, committed, deduplicated, quarantined per reason.
        var simIn = One("edgetwin_points_in_total", "counter", ("source", "sim")).Value;
        Assert.True(simIn > 0);
        Assert.True(One("edgetwin_points_committed_total", "counter", ("source", "sim")).Value <= simIn);
        Assert.Equal(0, One("edgetwin_points_deduplicated_total", "counter", ("source", "sim")).Value);
        Assert.Equal(4, One("edgetwin_points_in_total", "counter", ("source", "inbox")).Value);
        Assert.Equal(1, One("edgetwin_points_committed_total", "counter", ("source", "inbox")).Value);
        Assert.Equal(1, One("edgetwin_points_deduplicated_total", "counter", ("source", "inbox")).Value);
        Assert.Equal(1, One("edgetwin_points_quarantined_total", "counter", ("source", "inbox"), ("reason", "invalid_payload")).Value);
        Assert.Equal(1, One("edgetwin_points_quarantined_total", "counter", ("source", "inbox"), ("reason", "missing_timestamp")).Value);
        One("edgetwin_points_late_unverified_total", "counter", ("source", "sim"));
        // Per sink: forwarded, lag, uplink state (a stateset: exactly one state is 1).
        Assert.True(One("edgetwin_points_forwarded_total", "counter", ("sink", "out")).Value > 0);
        One("edgetwin_queue_sink_lag", "gauge", ("sink", "out"));
        Assert.Equal(1, One("edgetwin_sink_up", "gauge", ("sink", "out")).Value);
        Assert.Equal(1, One("edgetwin_sink_state", "gauge", ("sink", "out"), ("state", "up")).Value);
        Assert.Equal(1, metrics["edgetwin_sink_state"].Samples.Sum(s => s.Value));
        // Per source connection state (what the OPC UA session state will feed).
        foreach (var source in new[] { "sim", "inbox" })
        {
            Assert.Equal(1, One("edgetwin_source_connected", "gauge", ("source", source)).Value);
            Assert.Equal(1, One("edgetwin_source_connection_state", "gauge", ("source", source), ("state", "connected")).Value);
            Assert.Equal(0, One("edgetwin_source_connection_state", "gauge", ("source", source), ("state", "disconnected")).Value);
        }
        // Queue depth in points and bytes, age of the oldest point, budget, disk.
        var points = One("edgetwin_queue_points", "gauge").Value;
        var bytes = One("edgetwin_queue_size_bytes", "gauge").Value;
        Assert.True(points == 0 ? bytes == 0 : bytes > 0, $"{points} points in {bytes} bytes");
        Assert.True(One("edgetwin_queue_oldest_point_age_seconds", "gauge").Value < 3600);
        Assert.Equal(1L << 30, One("edgetwin_queue_limit_bytes", "gauge").Value);
        Assert.Equal(0, One("edgetwin_queue_full", "gauge").Value);
        Assert.Equal(0, One("edgetwin_queue_floor_refusals_total", "counter").Value);
        Assert.True(One("edgetwin_disk_free_bytes", "gauge").Value > 0);
        Assert.Equal(2, One("edgetwin_quarantine_entries", "gauge").Value);
        // Series: the simulator's (2 pumps, 1 thermal machine) and the spool's, all in memory under the default budget.
        Assert.True(One("edgetwin_series_in_memory", "gauge").Value >= 2);
        Assert.Equal(0, One("edgetwin_series_stored", "gauge").Value);
        Assert.Equal(0, One("edgetwin_series_evictions_total", "counter").Value);
        Assert.Equal(160L << 20, One("edgetwin_series_memory_limit_bytes", "gauge").Value);
        Assert.InRange(One("edgetwin_series_memory_bytes", "gauge").Value, 1, 160L << 20);
        // Loss ledger totals: nothing lost here.
        Assert.Equal(0, One("edgetwin_loss_records_total", "counter").Value);
        Assert.Equal(0, One("edgetwin_loss_points_total", "counter").Value);
        // Commit latency histogram: cumulative buckets checked by the parser; some commits, each under 10 s.
        var commit = metrics["edgetwin_queue_commit_duration_seconds"];
        Assert.Equal("histogram", commit.Type);
        var count = commit.Samples.Single(s => s.Name.EndsWith("_count", StringComparison.Ordinal)).Value;
        var sum = commit.Samples.Single(s => s.Name.EndsWith("_sum", StringComparison.Ordinal)).Value;
        Assert.True(count > 0 && sum > 0 && sum / count < 10, $"{count} commits, {sum} s");
        Assert.Equal(count, commit.Samples.Single(s => s.Labels.GetValueOrDefault("le") == "10").Value);
        Assert.True(commit.Samples.Count(s => s.Labels.ContainsKey("le")) >= 10);
        // The process: RSS between 4 MiB and 2 GiB, some CPU used.
        var rss = One("process_resident_memory_bytes", "gauge").Value;
        Assert.InRange(rss, 4 << 20, 2L << 30);
        Assert.True(One("process_cpu_seconds_total", "counter").Value > 0);
        var build = One("edgetwin_build_info", "gauge", ("gateway_id", "gw-test"));
        Assert.Equal(1, build.Value);
        Assert.Equal(daemon.GetJson("/api/status").GetProperty("configHash").GetString(), build.Label("config_hash"));

        // Counters only grow between scrapes while the simulator runs.
        Wait.Until(() => PrometheusText.Parse(daemon.GetText("/metrics"))["edgetwin_points_in_total"].Samples.Single(s => s.Labels["source"] == "sim").Value > simIn,
            TimeSpan.FromSeconds(30), "points_in to grow");
        Assert.Equal(0, daemon.Stop());
    }
}
