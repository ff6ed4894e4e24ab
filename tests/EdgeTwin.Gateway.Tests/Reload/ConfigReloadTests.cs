using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using EdgeTwin.Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EdgeTwin.Gateway.Tests.Reload;

/// <summary>
/// SIGHUP on the running AOT daemon: an invalid file is rejected and the old configuration keeps running; a
/// valid one moves the sink and adds a mapping, and every point queued under the old configuration reaches the
/// new sink exactly once.
/// </summary>
[Collection("daemon")]
public sealed partial class ConfigReloadTests(ITestOutputHelper output)
{
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);

    private static void Hangup(GatewayProcess daemon) => Assert.Equal(0, SendSignal(daemon.Pid, 1));

    [Fact]
    public void Sighup_RejectsAnInvalidConfig_AppliesAValidOne_AndLosesNoQueuedPoint()
    {
        using var dir = new TestDirectory("reload");
        const long total = 30_000;
        var config = new TestConfig(dir) { SimulatorRate = 5_000, SimulatorStopAfter = total, MaxSegmentPoints = 2048, Epoch = DateTime.UtcNow };
        var path = config.Write();
        // The first sink cannot write (a file where its folder should be): everything stays queued.
        File.WriteAllText(config.SinkDirectory, "blocked");
        using var daemon = GatewayProcess.Start("run", "--config", path);
        Wait.Until(() => StatusFile.Read(config.StateDirectory) is { } s && s.GetProperty("queue").GetProperty("points").GetInt64() > 5_000,
            TimeSpan.FromSeconds(60), "points to queue up behind the blocked sink:" + Environment.NewLine + daemon.Output);
        var firstHash = StatusFile.Read(config.StateDirectory)!.Value.GetProperty("configHash").GetString();

        // 1. An invalid file: rejected with its JSON path, the daemon keeps running on the old configuration.
        var good = File.ReadAllText(path);
        File.WriteAllText(path, good.Replace("\"fullPolicy\": \"block\"", "\"fullPolicy\": \"never\"", StringComparison.Ordinal));
        Hangup(daemon);
        Wait.Until(() => daemon.Output.Contains("reload rejected", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the rejection (" + daemon.SignalState + "):" + Environment.NewLine + daemon.Output);
        Assert.Contains("$.queue.fullPolicy", daemon.Output, StringComparison.Ordinal);
        Thread.Sleep(2500);
        Assert.False(daemon.HasExited, daemon.Output);
        Assert.Equal(firstHash, StatusFile.Read(config.StateDirectory)!.Value.GetProperty("configHash").GetString());

        // 2. A valid file: the sink moves to a writable folder, a mapping is added.
        config.SinkDirectory = dir["out2"];
        config.ExtraMappings.Add(new JsonObject { ["source"] = "spool:flow-1", ["asset"] = "pump-1", ["metric"] = "flow", ["unit"] = "m3/h" });
        config.Write();
        Hangup(daemon);
        Wait.Until(() => daemon.Output.Contains("Configuration reload (SIGHUP)", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the reload (" + daemon.SignalState + "):" + Environment.NewLine + daemon.Output);
        Wait.Until(() => StatusFile.Read(config.StateDirectory) is { } s && s.GetProperty("configHash").GetString() != firstHash,
            TimeSpan.FromSeconds(60), "the new configuration to run:" + Environment.NewLine + daemon.Output);
        var mappingCounts = Regex.Matches(daemon.Output, @"Pipeline up: .* (\d+) mapping\(s\)").Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(2, mappingCounts.Count);
        Assert.Equal(mappingCounts[0] + 1, mappingCounts[1]);
        Wait.Until(() => Directory.Exists(config.SinkDirectory) && SinkOutput.CountCompleteLines(config.SinkDirectory) >= total,
            TimeSpan.FromSeconds(120), $"all {total} points in the new sink:" + Environment.NewLine + daemon.Output);
        Assert.False(daemon.HasExited, daemon.Output);
        daemon.Terminate();
        Assert.True(daemon.WaitForExit(TimeSpan.FromSeconds(30)), daemon.Output);
        Assert.True(daemon.ExitCode == 0, daemon.Output);

        var lines = SinkOutput.Read(config.SinkDirectory);
        SinkOutput.AssertNoDuplicates(lines);
        var telemetry = lines.Telemetry();
        output.WriteLine($"{telemetry.Count} telemetry points in the new sink; {total} generated");
        Assert.Equal(total, telemetry.Count);
        WireSchema.AssertValid(lines);
    }

    /// <summary>
    /// The parent's signal state is inherited: "blocked" starts the daemon with SIGHUP, SIGINT and SIGTERM blocked (a
    /// thread that blocks signals spawned it), "nohup" with SIGHUP ignored. Either way it must reload on SIGHUP, sent
    /// as soon as the pipeline is up (possibly before the host has finished starting), and stop on SIGTERM.
    /// </summary>
    [Theory]
    [InlineData("blocked", "SIGHUP, SIGINT, SIGTERM arrived blocked")]
    [InlineData("nohup", "SIGHUP arrived ignored")]
    public void Sighup_ReachesADaemonWhateverSignalStateItInherited_AndSigtermStopsIt(string inherited, string warning)
    {
        using var dir = new TestDirectory("reload-" + inherited);
        var config = new TestConfig(dir) { SimulatorRate = 1_000, SimulatorStopAfter = 0, Epoch = DateTime.UtcNow };
        var path = config.Write();
        using var daemon = inherited == "blocked"
            ? GatewayProcess.StartWithSignalsBlocked("run", "--config", path)
            : GatewayProcess.StartWithHangupIgnored("run", "--config", path);
        Wait.Until(() => daemon.Output.Contains("Pipeline up", StringComparison.Ordinal), TimeSpan.FromSeconds(60), "the pipeline:" + Environment.NewLine + daemon.Output);
        Assert.Contains(warning, daemon.Output, StringComparison.Ordinal);
        // As /proc shows the main thread: SIGHUP (bit 0), SIGINT (bit 1) and SIGTERM (bit 14) not blocked, SIGHUP not ignored but caught.
        // The runtime blocks every signal for a moment while it starts a thread, so a blocked mask is read until it clears.
        Wait.Until(() => (SignalBits(daemon, "SigBlk:") & 0x4003) == 0, TimeSpan.FromSeconds(10), "SIGHUP, SIGINT and SIGTERM unblocked on the main thread");
        Assert.Equal(0UL, SignalBits(daemon, "SigIgn:") & 0x1);
        Assert.Equal(1UL, SignalBits(daemon, "SigCgt:") & 0x1);

        config.SimulatorRate = 2_000;
        config.Write();
        Hangup(daemon);
        Wait.Until(() => daemon.Output.Contains("Configuration reload (SIGHUP)", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the reload (" + daemon.SignalState + "):" + Environment.NewLine + daemon.Output);
        Wait.Until(() => Regex.Count(daemon.Output, "Pipeline up") == 2, TimeSpan.FromSeconds(60), "the reloaded pipeline:" + Environment.NewLine + daemon.Output);
        daemon.Terminate();
        Assert.True(daemon.WaitForExit(TimeSpan.FromSeconds(30)), "SIGTERM to stop the daemon (" + daemon.SignalState + "):" + Environment.NewLine + daemon.Output);
        Assert.Equal(0, daemon.ExitCode);
    }

    private static ulong SignalBits(GatewayProcess daemon, string field) =>
        Convert.ToUInt64(daemon.SignalState.Split(' ').SkipWhile(w => w != field).Skip(1).First(w => w.Length > 0), 16);
}
