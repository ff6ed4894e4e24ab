using System.Diagnostics;
using EdgeTwin.Connectors.Simulator;
using EdgeTwin.Core.Config;
using EdgeTwin.Core.Pipeline;
using EdgeTwin.Core.Telemetry;
using Xunit.Abstractions;

namespace EdgeTwin.Connectors.Tests.Simulator;

public sealed class ReadingGeneratorTests(ITestOutputHelper output)
{
    private static readonly long Epoch = SimulatorScenario.Epoch.UtcTicks;

    [Theory]
    [InlineData(1L)]
    [InlineData(8L)]
    [InlineData(9L)]
    [InlineData(12_345L)]
    [InlineData(99_999L)]
    public void Resume_AtAnySequence_MatchesSequentialGeneration(long start)
    {
        // 0.05 points/s over nine channels: one sample every three minutes, so 100 000 readings span 23 days and
        // cross thousands of setpoint and heater segments.
        var source = new SimulatorSource(SimulatorScenario.PumpAndOven(pointsPerSecond: 0.05), TimeProvider.System);
        var sequential = source.CreateGenerator(Epoch, 0);
        for (long n = 0; n < start; n++) sequential.Read();

        var resumed = source.CreateGenerator(Epoch, start);
        var expected = new Reading[500];
        var actual = new Reading[500];
        for (var i = 0; i < expected.Length; i++)
        {
            expected[i] = sequential.Read();
            actual[i] = resumed.Read();
        }
        SimulatorScenario.AssertIdentical(expected, actual);
    }

    [Fact]
    public void Resume_AYearIn_IsImmediate()
    {
        var source = new SimulatorSource(SimulatorScenario.PumpAndOven(pointsPerSecond: 500_000), TimeProvider.System);
        var n = 500_000L * 86400 * 365;

        var clock = Stopwatch.StartNew();
        var generator = source.CreateGenerator(Epoch, n);
        var reading = generator.Read();
        clock.Stop();

        // Nine channels at 500 000 points/s: one sample every 18 µs = 180 ticks.
        Assert.Equal(Epoch + (n / 9 * 180), reading.TimestampTicks);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"positioning took {clock.Elapsed}");
    }

    [Fact]
    public void Fill_OneMillionReadings_AllocatesNothingPerReading()
    {
        var source = new SimulatorSource(Fleet(), TimeProvider.System);
        var generator = source.CreateGenerator(Epoch, 0);
        FillBatches(generator, 50_000);

        var before = GC.GetAllocatedBytesForCurrentThread();
        FillBatches(generator, 1_000_000);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // A batch costs a few hundred bytes (the batch, its completion source); a reading must cost none.
        output.WriteLine($"{allocated} bytes allocated for 1 000 000 readings in 1 000 batches");
        Assert.True(allocated < 1_000 * 600, $"{allocated} bytes allocated");
    }

    [Fact]
    public void Fill_OneMillionReadings_TakesWellUnderASecond()
    {
        var source = new SimulatorSource(Fleet(), TimeProvider.System);
        var generator = source.CreateGenerator(Epoch, 0);
        FillBatches(generator, 100_000);

        // Best of three, so a busy machine (tests run in parallel) does not fail a budget the code meets.
        var best = TimeSpan.MaxValue;
        for (var round = 0; round < 3; round++)
        {
            var clock = Stopwatch.StartNew();
            FillBatches(generator, 1_000_000);
            best = TimeSpan.FromTicks(Math.Min(best.Ticks, clock.Elapsed.Ticks));
        }

        output.WriteLine($"1 000 000 readings over {source.ChannelCount} channels in {best.TotalMilliseconds:F0} ms ({1_000_000 / best.TotalSeconds:F0} readings/s)");
        // Generous for debug builds: the budget is the point, not the benchmark.
        Assert.True(best < TimeSpan.FromSeconds(1), $"took {best}");
    }

    /// <summary>Listed assets plus a generated fleet at the documented top rate.</summary>
    private static SimulatorSourceConfig Fleet()
    {
        var config = SimulatorScenario.PumpAndOven(pointsPerSecond: 500_000);
        config.GeneratedPumps = 100;
        config.GeneratedThermalMachines = 100;
        return config;
    }

    private static void FillBatches(ReadingGenerator generator, int readings)
    {
        for (var done = 0; done < readings; done += 1_000)
        {
            var batch = IngestBatch.Rent("sim", 1_000);
            generator.Fill(batch, 1_000);
            batch.Complete(new IngestResult(batch.Count, 0, 0, 0));
        }
    }
}
