using EdgeTwin.Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EdgeTwin.Gateway.Tests;

/// <summary>
/// The daemon is killed with SIGKILL at random moments under load, over and over: whatever the queue
/// acknowledged must reach the sink after the restarts, exactly once (docs/architecture.md §2.3).
/// </summary>
[Collection("daemon")]
public sealed class CrashRecoveryTests(ITestOutputHelper output)
{
    [Fact]
    public void KillNine_TwentyTimesUnderLoad_EveryPointReachesTheSinkExactlyOnce()
    {
        using var dir = new TestDirectory("kill9");
        const int pumps = 3, ovens = 2, channels = (pumps * 6) + (ovens * 3);
        const long total = 600_000;
        var config = new TestConfig(dir)
        {
            SimulatorRate = 20_000,
            SimulatorStopAfter = total,
            SimulatorPumps = pumps,
            SimulatorThermal = ovens,
            SimulatorBatchSize = 512,
            MaxSegmentPoints = 4096,
            Epoch = DateTime.UtcNow,
        };
        var path = config.Write();
        var seed = Environment.TickCount;
        var random = new Random(seed);
        output.WriteLine($"kill schedule seed {seed}");

        var underLoad = 0;
        for (var round = 0; round < 20; round++)
        {
            using var daemon = GatewayProcess.Start("run", "--config", path);
            var delay = random.Next(150, 1200);
            Thread.Sleep(delay);
            Assert.False(daemon.HasExited, $"daemon exited on its own in round {round}:{Environment.NewLine}{daemon.Output}");
            daemon.Kill();
            var written = SinkOutput.CountCompleteLines(config.SinkDirectory);
            output.WriteLine($"round {round}: killed after {delay} ms; {written} lines in the sink");
            if (written < total) underLoad++;
        }
        Assert.True(underLoad >= 15, $"only {underLoad} of 20 kills happened while points were still flowing");

        using (var final = GatewayProcess.Start("run", "--config", path, "--exit-when-drained"))
        {
            Assert.True(final.WaitForExit(TimeSpan.FromMinutes(3)), "final run did not drain:" + Environment.NewLine + final.Output);
            Assert.True(final.ExitCode == 0, $"final run exited {final.ExitCode}:{Environment.NewLine}{final.Output}");
        }

        var lines = SinkOutput.Read(config.SinkDirectory);
        SinkOutput.AssertNoDuplicates(lines);
        Assert.Equal(total, lines.Count);
        var perSeries = lines.GroupBy(l => (l.AssetId, l.Metric)).ToList();
        Assert.Equal(channels, perSeries.Count);
        foreach (var series in perSeries)
        {
            // Each channel is sampled at a fixed period from the epoch: a gap or a repeat would show here.
            var ticks = series.Select(l => l.Ticks).Order().ToArray();
            Assert.Equal(total / channels, ticks.Length);
            var period = ticks[1] - ticks[0];
            for (var i = 2; i < ticks.Length; i++)
            {
                var step = ticks[i] - ticks[i - 1];
                Assert.True(Math.Abs(step - period) <= 1, $"{series.Key}: step {step} ticks at sample {i}, expected {period}");
            }
        }
        WireSchema.AssertValid(lines.Where((_, i) => i % 97 == 0));

        // The digital shadow, restored from the queue after all those crashes, holds each series' newest point.
        var (code, shadowJson) = GatewayProcess.Run(TimeSpan.FromSeconds(30), "shadow", "--config", path, "--json");
        Assert.True(code == 0, shadowJson);
        var shadow = shadowJson.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement)
            .ToDictionary(e => (e.GetProperty("asset_id").GetString()!, e.GetProperty("metric").GetString()!));
        Assert.Equal(channels, shadow.Count);
        foreach (var series in perSeries)
        {
            var newest = series.MaxBy(l => l.Ticks)!;
            var entry = shadow[series.Key];
            Assert.Equal(newest.Ts, entry.GetProperty("ts").GetString());
            Assert.Equal(newest.Value.GetRawText(), entry.GetProperty("value").GetRawText());
        }
    }
}
