using System.Globalization;
using EdgeTwin.Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EdgeTwin.Gateway.Tests;

/// <summary>
/// A million series with the default series budget ($.dedup.memoryBytes, which holds them all), the daemon run as
/// edgetwin.service runs it: in a memory cgroup of 512 MiB (its MemoryMax=), where the kernel kills a process that
/// outgrows it and the runtime sizes its heap limit from it. The daemon is killed with SIGKILL under load, restarts
/// and drains: the kernel never killed it for memory, every point reaches the sink exactly once, and the resident
/// memory sampled before the kill and through the recovery stays under the limit.
/// </summary>
[Collection("daemon")]
public sealed class SeriesScaleCrashTests(ITestOutputHelper output)
{
    private const long RssLimit = 512L << 20;

    [Fact]
    public void KillNine_AtAMillionSeries_NothingLostOrDoubled_RssBoundedThroughRecovery()
    {
        using var dir = new TestDirectory("series-kill9");
        const int pumps = 166_667;             // six channels each: 1,000,002 series
        const long series = pumps * 6L;
        const long total = series + (series / 2); // every series once, half of them twice
        var config = new TestConfig(dir)
        {
            // The simulator emits what is due since its epoch at once, then keeps its rate: with the epoch at the
            // start and 50,000 points/s, the last third arrives over ~10 s after every series was seen, well past the
            // status file's 2 s period, so the kill lands under load (at 100,000 points/s from 5 s back, a pipeline
            // that keeps up took the whole load in before the status file told of the millionth series).
            SimulatorRate = 50_000,
            SimulatorStopAfter = total,
            SimulatorPumps = pumps,
            SimulatorThermal = 0,
            SimulatorBatchSize = 4096,
            Epoch = DateTime.UtcNow,
            CheckpointSeconds = 5,
        };
        var path = config.Write();

        using var cgroup = Cli.MemoryCgroup.Create("edgetwin-test-kill9", RssLimit);
        long killedAt;
        long peakBefore;
        using (var daemon = GatewayProcess.StartInCgroup(cgroup, "run", "--config", path))
        using (var rss = new RssSampler(daemon.Pid))
        {
            // Killed once every series was seen, before the last points came in. The default budget holds a million
            // evenly spaced series, so none needs to leave memory (SeriesRecoveryBudgetTests and SeriesEvictionTests
            // cover a crash with series evicted).
            var queueAtKill = default(System.Text.Json.JsonElement);
            Wait.Until(() =>
            {
                Assert.False(daemon.HasExited, daemon.Output);
                if (StatusFile.Read(config.StateDirectory) is not { } s
                    || s.GetProperty("pid").GetInt32() != daemon.Pid
                    || s.GetProperty("pipeline").GetProperty("readingsIn").GetInt64() <= series)
                {
                    return false;
                }
                queueAtKill = s.GetProperty("queue").Clone();
                return true;
            }, TimeSpan.FromMinutes(2), "a million series in");
            daemon.Kill();
            output.WriteLine($"at the kill: {queueAtKill.GetProperty("series").GetInt64():N0} series in memory, {queueAtKill.GetProperty("seriesEvictions").GetInt64():N0} evictions");
            killedAt = SinkOutput.CountCompleteLines(config.SinkDirectory);
            peakBefore = rss.Peak;
        }
        output.WriteLine($"killed with {killedAt:N0} lines in the sink; peak RSS before {peakBefore / 1048576.0:F1} MiB");
        Assert.True(killedAt < total, "the kill came after every point was forwarded");

        long peakRecovery;
        Assert.Equal(0, cgroup.OomKills);
        using (var final = GatewayProcess.StartInCgroup(cgroup, "run", "--config", path, "--exit-when-drained"))
        using (var rss = new RssSampler(final.Pid))
        {
            Assert.True(final.WaitForExit(TimeSpan.FromMinutes(3)), "the restart did not drain:" + Environment.NewLine + final.Output);
            Assert.True(final.ExitCode == 0, $"the restart exited {final.ExitCode}:{Environment.NewLine}{final.Output}");
            peakRecovery = rss.Peak;
            output.WriteLine("VmRSS through the restart, MiB every second: " + rss.Timeline());
        }
        Assert.Equal(0, cgroup.OomKills);
        output.WriteLine($"peak RSS through the recovery and drain {peakRecovery / 1048576.0:F1} MiB");

        var (lines, distinct) = SinkOutput.CountKeys(config.SinkDirectory);
        Assert.Equal(total, distinct);
        Assert.Equal(total, lines);
        Assert.True(peakBefore < RssLimit, $"peak RSS {peakBefore / 1048576.0:F1} MiB before the kill");
        Assert.True(peakRecovery < RssLimit, $"peak RSS {peakRecovery / 1048576.0:F1} MiB through the recovery");
    }

    /// <summary>Samples a process's VmRSS from /proc every 100 ms until disposed (or the process is gone).</summary>
    private sealed class RssSampler : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private readonly System.Collections.Concurrent.ConcurrentQueue<long> _samples = new();
        private long _peak;

        public RssSampler(int pid) => _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                if (Read(pid) is not { } rss) return;
                _samples.Enqueue(rss);
                if (rss > Volatile.Read(ref _peak)) Volatile.Write(ref _peak, rss);
                try
                {
                    await Task.Delay(100, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        });

        public long Peak => Volatile.Read(ref _peak);

        /// <summary>The samples, one per second (the largest of its ten), in MiB.</summary>
        public string Timeline() =>
            string.Join(' ', _samples.Chunk(10).Select(c => (c.Max() >> 20).ToString(CultureInfo.InvariantCulture)));

        private static long? Read(int pid)
        {
            try
            {
                var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
                return line is null ? null : long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
            catch (IOException)
            {
                return null;
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _loop.Wait();
            _stop.Dispose();
        }
    }
}
