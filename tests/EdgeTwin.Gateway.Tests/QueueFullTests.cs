using System.Diagnostics;
using System.Text.Json;
using EdgeTwin.Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EdgeTwin.Gateway.Tests;

/// <summary>A queue at its budget: drop-oldest accounts for every dropped point, block loses nothing, a full disk crashes nothing.</summary>
[Collection("daemon")]
public sealed class QueueFullTests(ITestOutputHelper output)
{
    /// <summary>A file where the sink's directory should be: the sink cannot write, so nothing leaves the queue.</summary>
    private static void BlockSink(TestConfig config) => File.WriteAllText(config.SinkDirectory, "the sink is blocked by this file");

    private static void UnblockSink(TestConfig config) => File.Delete(config.SinkDirectory);

    private static JsonElement WaitForStatus(TestConfig config, Func<JsonElement, bool> condition, string what)
    {
        JsonElement found = default;
        Wait.Until(() => StatusFile.Read(config.StateDirectory) is { } s && condition(found = s), TimeSpan.FromSeconds(60), what);
        return found;
    }

    private static void Drain(string path)
    {
        using var daemon = GatewayProcess.Start("run", "--config", path, "--exit-when-drained");
        Assert.True(daemon.WaitForExit(TimeSpan.FromMinutes(2)), "did not drain:" + Environment.NewLine + daemon.Output);
        Assert.True(daemon.ExitCode == 0, daemon.Output);
    }

    private static void Stop(GatewayProcess daemon)
    {
        daemon.Terminate();
        Assert.True(daemon.WaitForExit(TimeSpan.FromSeconds(30)), "no exit within 30 s of SIGTERM:" + Environment.NewLine + daemon.Output);
        Assert.True(daemon.ExitCode == 0, $"exit {daemon.ExitCode} after SIGTERM:{Environment.NewLine}{daemon.Output}");
    }

    [Fact]
    public void DropOldest_LossLedgerAccountsForExactlyThePointsDropped()
    {
        using var dir = new TestDirectory("dropoldest");
        const long total = 150_000;
        var config = new TestConfig(dir)
        {
            FullPolicy = "dropOldest", MaxBytes = 1 << 20, MaxSegmentPoints = 2048,
            SimulatorRate = 100_000, SimulatorStopAfter = total, SimulatorPumps = 2, SimulatorThermal = 1,
            Epoch = DateTime.UtcNow,
        };
        var path = config.Write();
        BlockSink(config);
        using (var daemon = GatewayProcess.Start("run", "--config", path))
        {
            WaitForStatus(config, s => s.GetProperty("pipeline").GetProperty("readingsIn").GetInt64() == total, "every reading to be taken in");
            Stop(daemon);
        }
        var (code, lossJson) = GatewayProcess.Run(TimeSpan.FromSeconds(30), "queue", "loss", "--config", path, "--json");
        Assert.True(code == 0, lossJson);
        var ledger = JsonDocument.Parse(lossJson).RootElement.EnumerateArray()
            .Select(e => (Asset: e.GetProperty("asset_id").GetString()!, Metric: e.GetProperty("metric").GetString()!,
                From: e.GetProperty("from_ticks").GetInt64(), To: e.GetProperty("to_ticks").GetInt64(), Count: e.GetProperty("count").GetInt64()))
            .ToList();
        var telemetryLoss = ledger.Where(l => !l.Metric.StartsWith("_loss/", StringComparison.Ordinal)).ToList();
        var lost = telemetryLoss.Sum(l => l.Count);
        output.WriteLine($"ledger: {ledger.Count} records, {lost} telemetry points lost");
        Assert.True(lost > total / 4, $"the 1 MiB budget should have forced drops, ledger holds {lost}");

        UnblockSink(config);
        Drain(path);
        var lines = SinkOutput.Read(config.SinkDirectory);
        SinkOutput.AssertNoDuplicates(lines);
        var telemetry = lines.Telemetry();
        Assert.Equal(total, telemetry.Count + lost);
        foreach (var series in telemetry.GroupBy(l => (l.AssetId, l.Metric)))
        {
            // A dropped range covers the oldest points of its series; nothing delivered may fall inside it.
            foreach (var range in telemetryLoss.Where(l => l.Asset == series.Key.AssetId && l.Metric == series.Key.Metric))
            {
                Assert.DoesNotContain(series, l => l.Ticks >= range.From && l.Ticks <= range.To);
            }
            var expected = total / 15;
            var dropped = telemetryLoss.Where(l => l.Asset == series.Key.AssetId && l.Metric == series.Key.Metric).Sum(l => l.Count);
            Assert.Equal(expected, series.Count() + dropped);
        }
        var events = lines.Where(l => l.Event == "loss").ToList();
        Assert.NotEmpty(events);
        foreach (var e in events)
        {
            var lostMetric = e.Metric["_loss/".Length..];
            Assert.Contains(ledger, l => l.Asset == e.AssetId && l.Metric == lostMetric && l.From == e.Ticks && l.Count == (long)e.Value.GetDouble());
        }
        WireSchema.AssertValid(lines);
    }

    [Fact]
    public void Block_SlowsTheSources_AndLosesNothing()
    {
        using var dir = new TestDirectory("block");
        const long total = 150_000;
        var config = new TestConfig(dir)
        {
            FullPolicy = "block", MaxBytes = 1 << 20, MaxSegmentPoints = 2048,
            SimulatorRate = 100_000, SimulatorStopAfter = total, SimulatorPumps = 2, SimulatorThermal = 1,
            Epoch = DateTime.UtcNow,
        };
        var path = config.Write();
        BlockSink(config);
        using (var daemon = GatewayProcess.Start("run", "--config", path))
        {
            var full = WaitForStatus(config, s => s.GetProperty("queue").GetProperty("full").GetBoolean(), "the queue to report full");
            var inAtFull = full.GetProperty("pipeline").GetProperty("readingsIn").GetInt64();
            Thread.Sleep(3000);
            var later = StatusFile.Read(config.StateDirectory)!.Value;
            var inLater = later.GetProperty("pipeline").GetProperty("readingsIn").GetInt64();
            output.WriteLine($"readings in when full: {inAtFull}; 3 s later: {inLater}; simulator offers 100,000/s");
            Assert.True(inLater < total, "the sources were not slowed: everything went in");
            Assert.True(inLater - inAtFull < 10_000, $"{inLater - inAtFull} readings taken in 3 s while full");
            Assert.True(later.GetProperty("queue").GetProperty("bytes").GetInt64() <= 1 << 20);
            Assert.False(daemon.HasExited);
            Stop(daemon);
        }
        UnblockSink(config);
        Drain(path);
        var lines = SinkOutput.Read(config.SinkDirectory);
        SinkOutput.AssertNoDuplicates(lines);
        Assert.Equal(total, lines.Count);
        var (code, lossJson) = GatewayProcess.Run(TimeSpan.FromSeconds(30), "queue", "loss", "--config", path, "--json");
        Assert.True(code == 0, lossJson);
        Assert.Equal(0, JsonDocument.Parse(lossJson).RootElement.GetArrayLength());
    }

    /// <summary>
    /// The state directory's file system fills up because of something else (a log, a core dump): below the
    /// free-disk watermark the queue refuses new points (block), the daemon stays up, and once space returns
    /// everything goes through.
    /// </summary>
    [Fact]
    public void DiskBelowWatermark_BlocksTheSources_AndResumesWhenSpaceReturns()
    {
        using var dir = new TestDirectory("watermark");
        const long total = 100_000;
        var config = new TestConfig(dir)
        {
            FullPolicy = "block", MinFreeDiskBytes = 8L << 20, MaxSegmentPoints = 2048,
            SimulatorRate = 50_000, SimulatorStopAfter = total, SimulatorPumps = 2, SimulatorThermal = 1,
            Epoch = DateTime.UtcNow,
        };
        Directory.CreateDirectory(config.StateDirectory);
        Mount(config.StateDirectory, "16m");
        try
        {
            // Above the engine's own floor (the segment plus 4 MiB), below the configured watermark.
            var filler = Fill(config.StateDirectory, leaveFree: 6L << 20);
            var path = config.Write();
            using var daemon = GatewayProcess.Start("run", "--config", path);
            Wait.Until(() => daemon.Output.Contains("Queue full", StringComparison.Ordinal) || daemon.HasExited, TimeSpan.FromSeconds(60), "the queue to refuse points below the watermark");
            Thread.Sleep(2000);
            Assert.False(daemon.HasExited, daemon.Output);
            Assert.Contains("minFreeDiskBytes", daemon.Output, StringComparison.Ordinal);
            Assert.Empty(SinkOutput.Read(config.SinkDirectory));

            File.Delete(filler);
            WaitForAll(daemon, config, total);
            Stop(daemon);
            var lines = SinkOutput.Read(config.SinkDirectory);
            SinkOutput.AssertNoDuplicates(lines);
            Assert.Equal(total, lines.Count);
        }
        finally
        {
            Unmount(config.StateDirectory);
        }
    }

    /// <summary>
    /// With no watermark configured the disk really fills up to the engine's own headroom: commits are refused,
    /// nothing is acknowledged, the daemon neither crashes nor loses anything, and when space returns every
    /// point is delivered exactly once.
    /// </summary>
    /// <remarks>Under dropOldest too: the disk is below the floor before anything is queued, so there is nothing to drop (see LongOutageTests for a floor reached by the queue itself).</remarks>
    [Theory]
    [InlineData("block")]
    [InlineData("dropOldest")]
    public void FullDisk_DoesNotCrashTheDaemon_AndNothingIsLostWhenSpaceReturns(string policy)
    {
        using var dir = new TestDirectory("fulldisk");
        const long total = 200_000;
        var config = new TestConfig(dir)
        {
            FullPolicy = policy, MinFreeDiskBytes = 0, MaxSegmentPoints = 2048,
            SimulatorRate = 50_000, SimulatorStopAfter = total, SimulatorPumps = 2, SimulatorThermal = 1,
            Epoch = DateTime.UtcNow,
        };
        Directory.CreateDirectory(config.StateDirectory);
        Mount(config.StateDirectory, "16m");
        try
        {
            var filler = Fill(config.StateDirectory, leaveFree: 1L << 20);
            var path = config.Write();
            BlockSink(config);
            using var daemon = GatewayProcess.Start("run", "--config", path);
            Wait.Until(() => daemon.Output.Contains("Queue full", StringComparison.Ordinal) || daemon.HasExited, TimeSpan.FromSeconds(90), "a commit to meet the full disk");
            Assert.Contains("for the database engine", daemon.Output, StringComparison.Ordinal);
            Thread.Sleep(3000);
            Assert.False(daemon.HasExited, $"the daemon died on a full disk (exit {(daemon.HasExited ? daemon.ExitCode : 0)}):{Environment.NewLine}{daemon.Output}");
            Assert.DoesNotContain("moved aside", daemon.Output, StringComparison.Ordinal);

            File.Delete(filler);
            UnblockSink(config);
            WaitForAll(daemon, config, total);
            Stop(daemon);
            var lines = SinkOutput.Read(config.SinkDirectory);
            SinkOutput.AssertNoDuplicates(lines);
            Assert.Equal(total, lines.Count);
            output.WriteLine(string.Join(Environment.NewLine, daemon.Output.Split('\n').Where(l => l.Contains("fail", StringComparison.OrdinalIgnoreCase)).Take(3)));
        }
        finally
        {
            Unmount(config.StateDirectory);
        }
    }

    private static void WaitForAll(GatewayProcess daemon, TestConfig config, long total)
    {
        try
        {
            Wait.Until(() => SinkOutput.Read(config.SinkDirectory).Count == total || daemon.HasExited, TimeSpan.FromMinutes(2), $"all {total} points in the sink");
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}; {SinkOutput.Read(config.SinkDirectory).Count} arrived. Daemon output:{Environment.NewLine}{Tail(daemon.Output)}", ex);
        }
        Assert.False(daemon.HasExited, daemon.Output);
    }

    private static string Tail(string text) => string.Join(Environment.NewLine, text.Split('\n').TakeLast(40));

    /// <summary>Fills the file system of <paramref name="directory"/> until <paramref name="leaveFree"/> bytes remain.</summary>
    private static string Fill(string directory, long leaveFree)
    {
        var path = Path.Combine(directory, "filler.bin");
        var free = new DriveInfo(directory).AvailableFreeSpace;
        using (var f = new FileStream(path, FileMode.Create))
        {
            var chunk = new byte[1 << 16];
            for (var left = free - leaveFree; left > 0; left -= chunk.Length) f.Write(chunk, 0, (int)Math.Min(chunk.Length, left));
        }
        return path;
    }

    private static void Mount(string path, string size)
    {
        var (code, text) = Exec("mount", "-t", "tmpfs", "-o", $"size={size}", "tmpfs", path);
        if (code != 0)
        {
            throw new InvalidOperationException($"the full-disk test needs a size-limited tmpfs and could not mount one at {path} (run the tests as root): {text}");
        }
    }

    private static void Unmount(string path) => Exec("umount", "-l", path);

    private static (int Code, string Output) Exec(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var text = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, text);
    }
}
