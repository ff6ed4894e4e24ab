using System.Text.Json;

namespace EdgeTwin.Gateway.Tests.Infrastructure;

/// <summary>One record of <c>edgetwin queue loss --json</c>.</summary>
public sealed record LossEntry(string Asset, string Metric, long From, long To, long Count, bool Open, string Reason);

/// <summary>The steps of the outage and full-queue tests: block the uplink, stop gracefully, drain, read the loss ledger.</summary>
public static class OutageRun
{
    /// <summary>
    /// The simulator's 15 series (two pumps, a thermal machine) from now on at <paramref name="rate"/> points/s until
    /// <paramref name="total"/>, into a queue under <paramref name="policy"/> with segments of <paramref name="segmentPoints"/>.
    /// </summary>
    public static TestConfig LoadConfig(TestDirectory dir, string policy, long total, double rate, int segmentPoints) => new(dir)
    {
        FullPolicy = policy, MaxSegmentPoints = segmentPoints,
        SimulatorRate = rate, SimulatorStopAfter = total, SimulatorPumps = 2, SimulatorThermal = 1,
        Epoch = DateTime.UtcNow,
    };

    /// <summary>A file where the sink's directory should be: the sink cannot write, so nothing leaves the queue.</summary>
    public static void BlockSink(TestConfig config) => File.WriteAllText(config.SinkDirectory, "the sink is blocked by this file");

    public static void UnblockSink(TestConfig config) => File.Delete(config.SinkDirectory);

    /// <summary>SIGTERM, and the daemon must exit 0 within 30 s.</summary>
    public static void Stop(GatewayProcess daemon)
    {
        daemon.Terminate();
        Assert.True(daemon.WaitForExit(TimeSpan.FromSeconds(30)), "no exit within 30 s of SIGTERM:" + Environment.NewLine + daemon.Output);
        Assert.True(daemon.ExitCode == 0, $"exit {daemon.ExitCode} after SIGTERM:{Environment.NewLine}{daemon.Output}");
    }

    /// <summary>Runs the daemon until everything queued is delivered (<c>--exit-when-drained</c>).</summary>
    public static void Drain(string path)
    {
        using var daemon = GatewayProcess.Start("run", "--config", path, "--exit-when-drained");
        Assert.True(daemon.WaitForExit(TimeSpan.FromMinutes(3)), "did not drain:" + Environment.NewLine + daemon.Output);
        Assert.True(daemon.ExitCode == 0, daemon.Output);
    }

    /// <summary>The loss ledger of the stopped daemon, read with the CLI.</summary>
    public static List<LossEntry> Ledger(string path)
    {
        var (code, json) = GatewayProcess.Run(TimeSpan.FromSeconds(30), "queue", "loss", "--config", path, "--json", "--limit", "100000");
        Assert.True(code == 0, json);
        return JsonDocument.Parse(json).RootElement.EnumerateArray().Select(e => new LossEntry(
            e.GetProperty("asset_id").GetString()!, e.GetProperty("metric").GetString()!, e.GetProperty("from_ticks").GetInt64(),
            e.GetProperty("to_ticks").GetInt64(), e.GetProperty("count").GetInt64(), e.GetProperty("open").GetBoolean(), e.GetProperty("reason").GetString()!)).ToList();
    }
}
