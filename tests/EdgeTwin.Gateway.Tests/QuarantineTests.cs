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
            // The log says what became of the file's lines: how many queued, how many quarantined and why.
            Wait.Until(() => daemon.Output.Contains("Spool file batch-001.jsonl taken", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the spool log line");
            Assert.Contains("Spool file batch-001.jsonl taken: 9 line(s), 2 queued, 7 quarantined (1 clock_skew_future, 1 invalid_payload, 1 missing_asset, " +
                "1 missing_timestamp, 1 non_finite_value, 1 unknown_asset, 1 unmapped_source)", daemon.Output, StringComparison.Ordinal);
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

    [Fact]
    public void WhileTheDaemonRuns_QuarantineListAndQueueLoss_ReadThroughItsApi()
    {
        using var dir = new TestDirectory("quarantine-live");
        var config = new TestConfig(dir) { Spool = true };
        var path = config.Write();
        using var daemon = ApiDaemon.Start(path);
        var now = DateTime.UtcNow;
        Directory.CreateDirectory(config.SpoolDirectory);
        File.WriteAllLines(Path.Combine(config.SpoolDirectory, "drop1.jsonl"),
        [
            $$"""{"source":"spool:pressure-1","ts":"{{Iso(now)}}","value":4.2}""",
            $$"""{"source":"spool:unknown-9","ts":"{{Iso(now)}}","value":1.5}""",
        ]);
        Wait.Until(() => File.Exists(Path.Combine(config.SpoolDirectory, "done", "drop1.jsonl")), TimeSpan.FromSeconds(30), "the spool file to be taken");
        // Port 0 in the config: the CLI finds the bound port in status.json.
        Wait.Until(() => StatusFile.Read(config.StateDirectory) is { } s && s.TryGetProperty("apiUrl", out _), TimeSpan.FromSeconds(30), "the API's address in status.json");

        var (code, output) = GatewayProcess.Run(TimeSpan.FromSeconds(30), "quarantine", "list", "--config", path);
        Assert.True(code == 0, output);
        Assert.Contains("1 quarantined entry", output, StringComparison.Ordinal);
        Assert.Contains($"live, from the running daemon at {daemon.BaseUri.ToString().TrimEnd('/')}", output, StringComparison.Ordinal);
        Assert.Contains("unmapped_source [inbox]", output, StringComparison.Ordinal);
        Assert.Contains("raw: {\"source\":\"spool:unknown-9\"", output, StringComparison.Ordinal);

        (code, output) = GatewayProcess.Run(TimeSpan.FromSeconds(30), "quarantine", "list", "--config", path, "--json", "--reason", "unmapped_source");
        Assert.True(code == 0, output);
        var entry = Assert.Single(JsonDocument.Parse(output).RootElement.EnumerateArray().ToList());
        Assert.Equal("unmapped_source", entry.GetProperty("reason").GetString());
        Assert.Equal("spool:unknown-9", entry.GetProperty("address").GetString());
        Assert.Equal(1.5, entry.GetProperty("value").GetDouble());

        // A purge through the API is a loss-ledger record: queue loss shows it, read from the running daemon too.
        var token = File.ReadAllText(Path.Combine(config.StateDirectory, "api-token")).Trim();
        var (status, body, _) = daemon.Post("/api/quarantine/purge", token);
        Assert.True(status == 200, body);
        (code, output) = GatewayProcess.Run(TimeSpan.FromSeconds(30), "queue", "loss", "--config", path);
        Assert.True(code == 0, output);
        Assert.Contains("Loss ledger: 1 record(s), newest first (live, from the running daemon at", output, StringComparison.Ordinal);
        (code, output) = GatewayProcess.Run(TimeSpan.FromSeconds(30), "queue", "loss", "--config", path, "--json");
        Assert.True(code == 0, output);
        var loss = Assert.Single(JsonDocument.Parse(output).RootElement.EnumerateArray().ToList());
        Assert.Equal(1, loss.GetProperty("count").GetInt64());
        // Live or not, the same fields: whether the range is still open, and since when.
        Assert.Equal(JsonValueKind.False, loss.GetProperty("open").ValueKind);
        Assert.True(loss.TryGetProperty("opened_at", out _), output);

        Assert.Equal(0, daemon.Stop());
        // Stopped: the same verbs open the queue themselves.
        (code, output) = GatewayProcess.Run(TimeSpan.FromSeconds(30), "queue", "loss", "--config", path);
        Assert.True(code == 0, output);
        Assert.Contains("Loss ledger: 1 record(s), newest first", output, StringComparison.Ordinal);
        Assert.DoesNotContain("live", output, StringComparison.Ordinal);
    }

    [Fact]
    public void WhileADaemonWithoutApiRuns_QuarantineList_Exits75AndSaysWhy()
    {
        using var dir = new TestDirectory("quarantine-no-api");
        var config = new TestConfig(dir) { Spool = true, Api = new JsonObject { ["enabled"] = false } };
        var path = config.Write();
        using var daemon = GatewayProcess.Start("run", "--config", path);
        Wait.Until(() => daemon.HasExited || StatusFile.Read(config.StateDirectory) is not null, TimeSpan.FromSeconds(30), "the daemon's status.json");
        var (code, output) = GatewayProcess.Run(TimeSpan.FromSeconds(30), "quarantine", "list", "--config", path);
        Assert.True(code == 75, output);
        Assert.Contains("$.api.enabled is false", output, StringComparison.Ordinal);
        Assert.Contains("Stop the daemon first", output, StringComparison.Ordinal);
        daemon.Terminate();
        Assert.True(daemon.WaitForExit(TimeSpan.FromSeconds(30)), daemon.Output);
    }

    [Fact]
    public void QueueStats_OnAnEmptyStoppedQueue_PrintsWhatAPersonCanRead()
    {
        using var dir = new TestDirectory("queue-stats-empty");
        var path = new TestConfig(dir) { Spool = true }.Write();
        var (code, output) = GatewayProcess.Run(TimeSpan.FromSeconds(30), "queue", "stats", "--config", path);
        Assert.True(code == 0, output);
        Assert.Contains("empty: 0 segments, 0 point(s), 0 B of 1 GiB", output, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"\d+\.\.\d+", output);
    }
}
