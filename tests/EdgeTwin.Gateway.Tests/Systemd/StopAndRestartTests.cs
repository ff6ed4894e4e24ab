using EdgeTwin.Gateway.Tests.Infrastructure;

namespace EdgeTwin.Gateway.Tests.Systemd;

/// <summary>
/// How the AOT daemon stops, and what its next start says about it: SIGINT stops it whatever signal state it
/// inherited, and a clean stop leaves nothing for the queue's recovery to report (a kill -9 still does).
/// </summary>
[Collection("daemon")]
public sealed class StopAndRestartTests
{
    private static readonly TimeSpan Start = TimeSpan.FromSeconds(60);

    [Fact]
    public void Sigint_ArrivingIgnored_IsTakenOverWithAWarning_AndStopsTheDaemonGracefully()
    {
        using var dir = new TestDirectory("sigint-ignored");
        // Started: a signal that arrives while the host starts cancels the start instead.
        using var daemon = StartUntil(dir, "API listening", interruptIgnored: true);
        Assert.Contains("SIGINT arrived ignored", daemon.Output, StringComparison.Ordinal);
        // As /proc shows it: SIGINT (bit 1) no longer ignored, and caught.
        Assert.Equal(0UL, SignalBits(daemon, "SigIgn:") & 0x2);
        Assert.Equal(2UL, SignalBits(daemon, "SigCgt:") & 0x2);

        daemon.Interrupt();

        AssertStoppedCleanly(daemon, TimeSpan.FromSeconds(30), "SIGINT to stop the daemon");
        Assert.Contains("Stopped:", daemon.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Sigint_NotIgnored_StopsTheDaemonWithoutTheWarning()
    {
        using var dir = new TestDirectory("sigint-plain");
        using var daemon = StartUntil(dir, "API listening", interruptIgnored: false);

        daemon.Interrupt();

        AssertStoppedCleanly(daemon, TimeSpan.FromSeconds(30), "SIGINT to stop the daemon");
        // Only SIGINT's warning: a suite started under nohup passes SIGHUP on ignored, which the daemon rightly reports.
        Assert.DoesNotContain("SIGINT arrived ignored", daemon.Output, StringComparison.Ordinal);
    }

    [Theory]
    // The first line is written before the queue opens and the host starts.
    [InlineData(" starting: gateway")]
    // Written just before the host starts its services and Kestrel binds: a signal here once cancelled the bind
    // ("Hosting failed to start", exit 1) because the host's own console lifetime acted on it too.
    [InlineData("Pipeline up")]
    public void Sigterm_WhileTheHostStarts_StopsItOnceStarted_GracefullyAndWithoutAStackTrace(string line)
    {
        for (var round = 0; round < 6; round++)
        {
            using var dir = new TestDirectory("sigterm-starting");
            var config = new TestConfig(dir) { SimulatorRate = 1_000, SimulatorStopAfter = 0, Epoch = DateTime.UtcNow };
            using var daemon = GatewayProcess.Start("run", "--config", config.Write());
            // Sent as the line is read: the window after the second one is a few milliseconds wide.
            daemon.TerminateOnLine(line);

            AssertStoppedCleanly(daemon, TimeSpan.FromSeconds(60), $"SIGTERM during the start, round {round}");
            Assert.Contains("Stopped:", daemon.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("Hosting failed", daemon.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", daemon.Output, StringComparison.Ordinal);
        }
    }

    /// <summary>An endless simulator run, returned once <paramref name="line"/> is in its output.</summary>
    private static GatewayProcess StartUntil(TestDirectory dir, string line, bool interruptIgnored)
    {
        var config = new TestConfig(dir) { SimulatorRate = 1_000, SimulatorStopAfter = 0, Epoch = DateTime.UtcNow };
        var daemon = interruptIgnored
            ? GatewayProcess.StartWithInterruptIgnored("run", "--config", config.Write())
            : GatewayProcess.Start("run", "--config", config.Write());
        try
        {
            Wait.Until(() => daemon.Output.Contains(line, StringComparison.Ordinal), Start, $"'{line.Trim()}':" + Environment.NewLine + daemon.Output);
            return daemon;
        }
        catch
        {
            daemon.Dispose();
            throw;
        }
    }

    private static void AssertStoppedCleanly(GatewayProcess daemon, TimeSpan within, string what)
    {
        Assert.True(daemon.WaitForExit(within), $"{what} ({daemon.SignalState}):" + Environment.NewLine + daemon.Output);
        Assert.True(daemon.ExitCode == 0, daemon.Output);
    }

    [Fact]
    public void CleanStop_LeavesNothingToRecover_WhileAKillNineAfterTheSameWorkIsReported()
    {
        using var dir = new TestDirectory("clean-stop");
        var config = new TestConfig(dir) { SimulatorRate = 5_000, SimulatorStopAfter = 2_000, Epoch = DateTime.UtcNow };
        var path = config.Write();

        // 1. Everything generated, delivered and confirmed; the daemon stops on its own, cleanly.
        using (var first = GatewayProcess.Start("run", "--config", path, "--exit-when-drained"))
        {
            Assert.True(first.WaitForExit(TimeSpan.FromMinutes(2)), "the first run to drain:" + Environment.NewLine + first.Output);
            Assert.True(first.ExitCode == 0, first.Output);
        }
        Assert.Equal(2_000, SinkOutput.CountCompleteLines(config.SinkDirectory));
        Assert.Empty(Directory.GetFiles(Path.Combine(config.StateDirectory, "segments"), "*.seg"));

        // 2. The next start finds nothing to recover, and says nothing of it.
        config.SimulatorStopAfter = 4_000;
        config.Write();
        var leftBehind = "";
        using (var second = ApiDaemon.Start(path))
        {
            Assert.DoesNotContain("Queue recovery", second.Process.Output, StringComparison.Ordinal);

            // 3. The same work (delivered, confirmed, its segments gone from the queue), then kill -9: the file they
            // were in is still there, and the next start reports deleting it.
            Wait.Until(() => SinkOutput.CountCompleteLines(config.SinkDirectory) == 4_000
                    && second.GetJson("/api/status").GetProperty("queue").GetProperty("segments").GetInt64() == 0,
                TimeSpan.FromMinutes(2), "the second batch to be delivered and leave the queue:" + Environment.NewLine + second.Process.Output);
            var files = Directory.GetFiles(Path.Combine(config.StateDirectory, "segments"), "*.seg");
            Assert.NotEmpty(files);
            second.Process.Kill();
            leftBehind = string.Join(", ", files.Select(f => $"{Path.GetFileName(f)} {new FileInfo(f).Length} bytes"));
        }

        using var third = GatewayProcess.Start("run", "--config", path, "--exit-when-drained");
        Assert.True(third.WaitForExit(TimeSpan.FromMinutes(2)), "the run after the crash:" + Environment.NewLine + third.Output);
        Assert.True(third.Output.Contains("Queue recovery", StringComparison.Ordinal)
            && third.Output.Contains("no committed segment refers to, left by a stop that was not clean", StringComparison.Ordinal), "segment files before the crash: " + leftBehind + Environment.NewLine + third.Output);
    }

    private static ulong SignalBits(GatewayProcess daemon, string field) =>
        Convert.ToUInt64(daemon.SignalState.Split(' ').SkipWhile(w => w != field).Skip(1).First(w => w.Length > 0), 16);
}
