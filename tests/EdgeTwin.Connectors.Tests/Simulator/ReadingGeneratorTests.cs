using EdgeTwin.Connectors.Simulator;
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
    public void Resume_AYearIn_StartsAtThatSample()
    {
        var source = new SimulatorSource(SimulatorScenario.PumpAndOven(pointsPerSecond: 500_000), TimeProvider.System);
        var n = 500_000L * 86400 * 365;

        var generator = source.CreateGenerator(Epoch, n);
        var reading = generator.Read();

        // Nine channels at 500 000 points/s: one sample every 18 µs = 180 ticks.
        Assert.Equal(Epoch + (n / 9 * 180), reading.TimestampTicks);
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
