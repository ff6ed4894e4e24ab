using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeTwin.Gateway.Tests.Infrastructure;

namespace EdgeTwin.Gateway.Tests;

/// <summary>Bad readings go to quarantine with the right reason, the daemon keeps running, and a fixed mapping cures them.</summary>
[Collection("daemon")]
public sealed class QuarantineTests
{
    private static string Iso(DateTime t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    [Fact]
    public void BadReadings_AreQuarantinedWithTheirReasons_DaemonKeepsRunning_AndReplayCuresAFixedMapping()
    {
        using var dir = new TestDirectory("quarantine");
        var config = new TestConfig(dir) { Spool = true };
        var path = config.Write();
        var now = DateTime.UtcNow;
        Directory.CreateDirectory(config.SpoolDirectory);
        var lines = new[]
        {
            $$"""{"source":"spool:pressure-1","ts":"{{Iso(now)}}","value":4.2}""",
            $$"""{"source":"spool:unknown-9","ts":"{{Iso(now)}}","value":1.5}""",
            $$"""{"metric":"temp","ts":"{{Iso(now)}}","value":1}""",
            """{"source":"spool:pressure-1","value":4.3}""",
            $$"""{"source":"spool:pressure-1","ts":"{{Iso(now.AddMilliseconds(1))}}","value":"NaN"}""",
            $$"""{"source":"spool:pressure-1","ts":"{{Iso(now.AddHours(2))}}","value":1}""",
            $$"""{"asset_id":"ghost","metric":"x","ts":"{{Iso(now)}}","value":1}""",
            """this is not json {""",
            $$"""{"asset_id":"pump-1","metric":"outlet_open","ts":"{{Iso(now)}}","value":true}""",
        };
        File.WriteAllLines(Path.Combine(config.SpoolDirectory, "batch-001.jsonl"), lines);

        using (var daemon = GatewayProcess.Start("run", "--config", path))
        {
            Wait.Until(() => File.Exists(Path.Combine(config.SpoolDirectory, "done", "batch-001.jsonl")), TimeSpan.FromSeconds(30), "the spool file to be taken");
            Wait.Until(() => SinkOutput.Read(config.SinkDirectory).Count == 2, TimeSpan.FromSeconds(30), "the two good readings in the sink");
            Thread.Sleep(500);
            Assert.False(daemon.HasExited, "the daemon stopped after bad input:" + Environment.NewLine + daemon.Output);
            daemon.Terminate();
            Assert.True(daemon.WaitForExit(TimeSpan.FromSeconds(30)), "no exit after SIGTERM");
            Assert.True(daemon.ExitCode == 0, daemon.Output);
        }

        var (code, listing) = GatewayProcess.Run(TimeSpan.FromSeconds(30), "quarantine", "list", "--config", path, "--json");
        Assert.True(code == 0, listing);
        var entries = JsonDocument.Parse(listing).RootElement.EnumerateArray().ToList();
        var reasons = entries.Select(e => e.GetProperty("reason").GetString()).Order().ToList();
        Assert.Equal(
            new[] { "clock_skew_future", "invalid_payload", "missing_asset", "missing_timestamp", "non_finite_value", "unknown_asset", "unmapped_source" },
            reasons);
        string Detail(string reason) => entries.Single(e => e.GetProperty("reason").GetString() == reason).GetProperty("detail").GetString()!;
        Assert.Contains("spool:unknown-9", Detail("unmapped_source"), StringComparison.Ordinal);
        Assert.Contains("ghost", Detail("unknown_asset"), StringComparison.Ordinal);
        Assert.Contains("temp", Detail("missing_asset"), StringComparison.Ordinal);
        Assert.Contains("NaN", Detail("non_finite_value"), StringComparison.Ordinal);
        Assert.Contains("batch-001.jsonl:8", Detail("invalid_payload"), StringComparison.Ordinal);
        Assert.Equal("this is not json {", entries.Single(e => e.GetProperty("reason").GetString() == "invalid_payload").GetProperty("raw").GetString());

        // The technician maps the unknown source, then replays: that reading is cured and forwarded.
        config.ExtraMappings.Add(new JsonObject { ["source"] = "spool:unknown-9", ["asset"] = "pump-1", ["metric"] = "aux_pressure", ["unit"] = "bar" });
        path = config.Write();
        var (replayCode, replayOutput) = GatewayProcess.Run(TimeSpan.FromSeconds(30), "quarantine", "replay", "--config", path, "--reason", "unmapped_source");
        Assert.True(replayCode == 0, replayOutput);
        Assert.Contains("1 cured", replayOutput, StringComparison.Ordinal);

        using (var daemon = GatewayProcess.Start("run", "--config", path, "--exit-when-drained"))
        {
            Assert.True(daemon.WaitForExit(TimeSpan.FromSeconds(60)), daemon.Output);
            Assert.Equal(0, daemon.ExitCode);
        }
        var output = SinkOutput.Read(config.SinkDirectory);
        var cured = Assert.Single(output, l => l.Metric == "aux_pressure");
        Assert.Equal(1.5, cured.Value.GetDouble());
        Assert.Equal(3, output.Count);
        SinkOutput.AssertNoDuplicates(output);
        WireSchema.AssertValid(output);

        (code, listing) = GatewayProcess.Run(TimeSpan.FromSeconds(30), "quarantine", "list", "--config", path, "--json");
        Assert.Equal(6, JsonDocument.Parse(listing).RootElement.GetArrayLength());
    }
}
