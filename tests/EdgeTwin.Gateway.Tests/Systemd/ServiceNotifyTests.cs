using EdgeTwin.Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EdgeTwin.Gateway.Tests.Systemd;

/// <summary>
/// Type=notify as systemd sees it: a NOTIFY_SOCKET listener receives READY=1, STATUS= lines and WATCHDOG=1 pings,
/// and the pings stop while the pipeline is really stuck: the state directory sits on a loop-mounted ext4 that
/// the test freezes (fsfreeze), so the queue's commit blocks in the kernel exactly as on a hung disk.
/// </summary>
[Collection("daemon")]
public sealed class ServiceNotifyTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Watchdog = TimeSpan.FromSeconds(1);

    [Fact]
    public void Daemon_SendsReadyStatusAndWatchdog_AndWithholdsWatchdogWhileThePipelineIsStalled()
    {
        using var dir = new TestDirectory("notify");
        var image = dir["state.img"];
        var mount = dir["state"];
        Directory.CreateDirectory(mount);
        Shell.Check("truncate", "-s", "256M", image);
        Shell.Check("mkfs.ext4", "-q", "-F", image);
        Shell.Check("mount", "-o", "loop", image, mount);
        var frozen = false;
        try
        {
            var config = new TestConfig(dir)
            {
                StateDirectory = mount, SimulatorRate = 5_000, SimulatorStopAfter = 0, MinFreeDiskBytes = 16L << 20, MaxSegmentPoints = 2048,
                Epoch = DateTime.UtcNow,
            };
            var path = config.Write();
            using var listener = new NotifyListener(dir["notify.sock"]);
            var env = new Dictionary<string, string>
            {
                ["NOTIFY_SOCKET"] = listener.Path,
                ["WATCHDOG_USEC"] = ((long)Watchdog.TotalMicroseconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            using var daemon = GatewayProcess.Start(env, "run", "--config", path);

            Wait.Until(() => listener.Lines().Any(l => l.Line == "READY=1"), TimeSpan.FromSeconds(60), "READY=1:" + Environment.NewLine + daemon.Output);
            Wait.Until(() => listener.Lines().Count(l => l.Line == "WATCHDOG=1") >= 6, TimeSpan.FromSeconds(30), "six WATCHDOG=1 pings");
            var lines = listener.Lines();
            Assert.Contains(lines, l => l.Line.StartsWith("MAINPID=", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.Line.StartsWith("STATUS=queue ", StringComparison.Ordinal) && l.Line.Contains("sink out: ", StringComparison.Ordinal));
            var pings = lines.Where(l => l.Line == "WATCHDOG=1").Select(l => l.At).ToList();
            var gaps = pings.Zip(pings.Skip(1), (a, b) => b - a).ToList();
            output.WriteLine($"healthy: {pings.Count} pings, largest gap {gaps.Max().TotalMilliseconds:F0} ms (watchdog {Watchdog.TotalMilliseconds} ms)");
            Assert.True(gaps.Max() < Watchdog, "pings must come well inside the watchdog interval");

            // Freeze the state directory's file system: the next commit blocks inside the kernel.
            Shell.Check("fsfreeze", "-f", mount);
            frozen = true;
            var frozenAt = listener.Now;
            Thread.Sleep(Watchdog * 2);
            var window = listener.Now;
            Thread.Sleep(Watchdog * 3);
            var stalled = listener.Lines(window);
            output.WriteLine($"stalled window: {stalled.Count(l => l.Line == "WATCHDOG=1")} pings, {stalled.Count(l => l.Line.StartsWith("STATUS=", StringComparison.Ordinal))} status lines");
            Assert.DoesNotContain(stalled, l => l.Line == "WATCHDOG=1");
            // The notifier is alive and says why: it withholds only the ping.
            Assert.Contains(stalled, l => l.Line.StartsWith("STATUS=", StringComparison.Ordinal) && l.Line.Contains("PIPELINE STALLED", StringComparison.Ordinal));
            var lastPing = listener.Lines(frozenAt).Where(l => l.Line == "WATCHDOG=1").Select(l => l.At).DefaultIfEmpty(frozenAt).Max();
            Assert.True(lastPing - frozenAt < Watchdog * 2, $"pings went on for {(lastPing - frozenAt).TotalMilliseconds:F0} ms after the freeze");

            Shell.Check("fsfreeze", "-u", mount);
            frozen = false;
            var thawed = listener.Now;
            Wait.Until(() => listener.Lines(thawed).Count(l => l.Line == "WATCHDOG=1") >= 2, TimeSpan.FromSeconds(30), "pings to resume after the thaw");
            Assert.Contains("systemd watchdog pings withheld", daemon.Output, StringComparison.Ordinal);

            var stopAt = listener.Now;
            daemon.Terminate();
            Assert.True(daemon.WaitForExit(TimeSpan.FromSeconds(30)), daemon.Output);
            Assert.True(daemon.ExitCode == 0, daemon.Output);
            Assert.Contains(listener.Lines(stopAt), l => l.Line == "STOPPING=1");
        }
        finally
        {
            if (frozen) Shell.Run("fsfreeze", "-u", mount);
            Shell.Run("umount", "-l", mount);
        }
    }

    [Fact]
    public void Daemon_WithoutWatchdog_SendsReadyAndStatusButNoPings_AndReloadsWithReloadingThenReady()
    {
        using var dir = new TestDirectory("notify-nowd");
        var config = new TestConfig(dir) { SimulatorRate = 1_000, SimulatorStopAfter = 0, Epoch = DateTime.UtcNow };
        var path = config.Write();
        using var listener = new NotifyListener(dir["notify.sock"]);
        using var daemon = GatewayProcess.Start(new Dictionary<string, string> { ["NOTIFY_SOCKET"] = listener.Path }, "run", "--config", path);
        Wait.Until(() => listener.Lines().Count(l => l.Line.StartsWith("STATUS=queue ", StringComparison.Ordinal)) >= 2, TimeSpan.FromSeconds(60), "READY=1 and two STATUS lines:" + Environment.NewLine + daemon.Output);
        Assert.Contains(listener.Lines(), l => l.Line == "READY=1");
        Assert.DoesNotContain(listener.Lines(), l => l.Line == "WATCHDOG=1");

        // systemctl reload: RELOADING=1 (with the monotonic time systemd asks for), then READY=1 again; no STOPPING=1.
        var before = listener.Now;
        config.SimulatorRate = 2_000;
        config.Write();
        Assert.Equal(0, Shell.Run("kill", "-HUP", daemon.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)).ExitCode);
        Wait.Until(() => listener.Lines(before).Any(l => l.Line == "READY=1"), TimeSpan.FromSeconds(60), "READY=1 after the reload (" + daemon.SignalState + "):" + Environment.NewLine + daemon.Output);
        var reload = listener.Lines(before);
        var reloading = reload.FindIndex(l => l.Line == "RELOADING=1");
        Assert.True(reloading >= 0 && reloading < reload.FindIndex(l => l.Line == "READY=1"), string.Join(Environment.NewLine, reload));
        Assert.Matches(@"^MONOTONIC_USEC=\d+$", reload[reloading + 1].Line);
        Assert.DoesNotContain(reload, l => l.Line == "STOPPING=1");
        Assert.False(daemon.HasExited, daemon.Output);
        daemon.Terminate();
        Assert.True(daemon.WaitForExit(TimeSpan.FromSeconds(30)), daemon.Output);
        Assert.Equal(0, daemon.ExitCode);
    }

    [Fact]
    public void Daemon_WithWatchdog_KeepsPingingThroughAReload()
    {
        using var dir = new TestDirectory("notify-reload-wd");
        var config = new TestConfig(dir) { SimulatorRate = 1_000, SimulatorStopAfter = 0, Epoch = DateTime.UtcNow };
        var path = config.Write();
        using var listener = new NotifyListener(dir["notify.sock"]);
        var env = new Dictionary<string, string>
        {
            ["NOTIFY_SOCKET"] = listener.Path,
            ["WATCHDOG_USEC"] = ((long)Watchdog.TotalMicroseconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        using var daemon = GatewayProcess.Start(env, "run", "--config", path);
        Wait.Until(() => listener.Lines().Count(l => l.Line == "WATCHDOG=1") >= 3, TimeSpan.FromSeconds(60), "READY=1 and pings:" + Environment.NewLine + daemon.Output);

        var before = listener.Now;
        config.SimulatorRate = 2_000;
        config.Write();
        Assert.Equal(0, Shell.Run("kill", "-HUP", daemon.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)).ExitCode);
        Wait.Until(() => listener.Lines(before).Any(l => l.Line == "READY=1"), TimeSpan.FromSeconds(60), "READY=1 after the reload (" + daemon.SignalState + "):" + Environment.NewLine + daemon.Output);
        var ready = listener.Lines(before).First(l => l.Line == "READY=1").At;
        Wait.Until(() => listener.Lines(ready).Count(l => l.Line == "WATCHDOG=1") >= 3, TimeSpan.FromSeconds(30), "pings after the reload");

        // From the last ping before the reload to the pings of the new host, no gap reaches the watchdog interval.
        var pings = listener.Lines().Where(l => l.Line == "WATCHDOG=1").Select(l => l.At).ToList();
        var from = pings.FindLastIndex(p => p < before);
        var around = pings.Skip(from).ToList();
        var gaps = around.Zip(around.Skip(1), (a, b) => b - a).ToList();
        output.WriteLine($"reload: RELOADING to READY {(ready - before).TotalMilliseconds:F0} ms, {around.Count} pings, largest gap {gaps.Max().TotalMilliseconds:F0} ms");
        Assert.True(gaps.Max() < Watchdog, $"largest gap {gaps.Max().TotalMilliseconds:F0} ms across the reload");
        daemon.Terminate();
        Assert.True(daemon.WaitForExit(TimeSpan.FromSeconds(30)), daemon.Output);
        Assert.Equal(0, daemon.ExitCode);
    }
}
