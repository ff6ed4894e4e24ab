using System.Text.Json;
using EdgeTwin.Gateway.Tests.Infrastructure;

namespace EdgeTwin.Gateway.Tests;

/// <summary>A corrupted queue file never makes the daemon crash-loop: it quarantines what is broken and goes on.</summary>
[Collection("daemon")]
public sealed class CorruptQueueTests
{
    private static (TestConfig Config, string Path) QueueSomePoints(TestDirectory dir, long total)
    {
        var config = new TestConfig(dir)
        {
            MaxSegmentPoints = 4096, SimulatorRate = 100_000, SimulatorStopAfter = total, SimulatorPumps = 1, SimulatorThermal = 0,
            Epoch = DateTime.UtcNow,
        };
        var path = config.Write();
        File.WriteAllText(config.SinkDirectory, "blocked");
        using var daemon = GatewayProcess.Start("run", "--config", path);
        Wait.Until(() => StatusFile.Read(config.StateDirectory) is { } s && s.GetProperty("pipeline").GetProperty("readingsIn").GetInt64() == total,
            TimeSpan.FromSeconds(60), "all readings queued");
        daemon.Terminate();
        Assert.True(daemon.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, daemon.ExitCode);
        File.Delete(config.SinkDirectory);
        return (config, path);
    }

    [Fact]
    public void CorruptSegment_IsQuarantined_TheRestIsDelivered()
    {
        using var dir = new TestDirectory("corruptseg");
        const long total = 60_000;
        var (config, path) = QueueSomePoints(dir, total);
        // The points are in the segment files beside the database (segments/*.seg), each segment's blob starting "ETS1".
        var file = Directory.GetFiles(Path.Combine(config.StateDirectory, "segments"), "*.seg").Order(StringComparer.Ordinal).First();
        var bytes = File.ReadAllBytes(file);
        var at = bytes.AsSpan().IndexOf("ETS1"u8);
        Assert.True(at >= 0, $"no segment found in {file}");
        var pointsInSegment = BitConverter.ToUInt32(bytes, at + 4); // the segment header's point count
        bytes[at + 16 + 40] ^= 0x5A; // a payload byte of the first segment
        File.WriteAllBytes(file, bytes);

        using (var daemon = GatewayProcess.Start("run", "--config", path, "--exit-when-drained"))
        {
            Assert.True(daemon.WaitForExit(TimeSpan.FromMinutes(2)), daemon.Output);
            Assert.True(daemon.ExitCode == 0, daemon.Output);
            Assert.Contains("corrupt", daemon.Output, StringComparison.OrdinalIgnoreCase);
        }
        var (code, listing) = GatewayProcess.Run(TimeSpan.FromSeconds(30), "quarantine", "list", "--config", path, "--json");
        Assert.True(code == 0, listing);
        var entry = Assert.Single(JsonDocument.Parse(listing).RootElement.EnumerateArray());
        Assert.Equal("corrupt_record", entry.GetProperty("reason").GetString());
        Assert.Contains("CRC", entry.GetProperty("detail").GetString()!, StringComparison.Ordinal);

        var lines = SinkOutput.Read(config.SinkDirectory);
        SinkOutput.AssertNoDuplicates(lines);
        Assert.Equal(total - pointsInSegment, lines.Count);
    }

    [Fact]
    public void GarbageQueueFile_IsMovedAside_AndTheDaemonStartsFresh()
    {
        using var dir = new TestDirectory("garbage");
        var (config, path) = QueueSomePoints(dir, 20_000);
        var db = Path.Combine(config.StateDirectory, "queue.db");
        var garbage = new byte[8192];
        new Random(5).NextBytes(garbage);
        using (var f = new FileStream(db, FileMode.Open, FileAccess.Write)) f.Write(garbage);

        using (var daemon = GatewayProcess.Start("run", "--config", path, "--exit-when-drained"))
        {
            Assert.True(daemon.WaitForExit(TimeSpan.FromMinutes(1)), daemon.Output);
            Assert.True(daemon.ExitCode == 0, daemon.Output);
            Assert.Contains("moved aside", daemon.Output, StringComparison.Ordinal);
        }
        var corrupt = Path.Combine(config.StateDirectory, "corrupt");
        Assert.Single(Directory.GetFiles(corrupt, "queue-*.db"), f => !f.EndsWith("-log.db", StringComparison.Ordinal));
        // The segment files went with it, for forensics: without the database nothing says what they hold.
        Assert.NotEmpty(Directory.GetFiles(Assert.Single(Directory.GetDirectories(corrupt, "segments-*")), "*.seg"));
        var (code, lossJson) = GatewayProcess.Run(TimeSpan.FromSeconds(30), "queue", "loss", "--config", path, "--json");
        Assert.True(code == 0, lossJson);
        Assert.Contains(JsonDocument.Parse(lossJson).RootElement.EnumerateArray(), l => l.GetProperty("reason").GetString()!.Contains("moved aside", StringComparison.Ordinal));
    }
}
