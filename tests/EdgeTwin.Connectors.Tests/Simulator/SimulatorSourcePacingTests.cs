using EdgeTwin.Connectors.Simulator;

namespace EdgeTwin.Connectors.Tests.Simulator;

/// <summary>Pacing against an injected clock: the tests move a manual clock and wait until the source sleeps.</summary>
public sealed class SimulatorSourcePacingTests
{
    [Fact]
    public async Task AheadOfSchedule_EmitsAtTheConfiguredRate_AndNothingBeforeItIsDue()
    {
        var (time, writer, run) = Start(SimulatorScenario.PumpAndOven(pointsPerSecond: 1000, batchSize: 100), SimulatorScenario.Epoch);

        for (var step = 0; step < 500; step++)
        {
            await IdleAsync(time, run);
            time.Advance(TimeSpan.FromMilliseconds(10));
        }
        await IdleAsync(time, run);

        // 5 s at 1000 points/s: readings 0..5000 are due; a partial batch may still be lingering.
        Assert.InRange(writer.Count, 5_001 - 100, 5_001);
        AssertNothingEmittedBeforeDue(writer, pointsPerSecond: 1000);
    }

    [Fact]
    public async Task BehindSchedule_CatchesUpAtFullSpeed_BeforeItFirstSleeps()
    {
        // Ten minutes of downtime at 200 points/s: 120 001 readings (0 to 120 000) are overdue at the start.
        var (time, writer, run) = Start(SimulatorScenario.PumpAndOven(pointsPerSecond: 200, batchSize: 256), SimulatorScenario.Epoch.AddMinutes(10));

        await IdleAsync(time, run);

        Assert.Equal(1, time.TimersCreated);
        Assert.Equal(120_001, writer.Count);
        Assert.All(writer.Batches[..^1], b => Assert.Equal(256, b.Count));
    }

    [Fact]
    public async Task HighRate_EmitsWholeBatches_AtTheLongRunRate()
    {
        var (time, writer, run) = Start(SimulatorScenario.PumpAndOven(pointsPerSecond: 500_000, batchSize: 1_000), SimulatorScenario.Epoch);

        for (var step = 0; step < 1_000; step++)
        {
            await IdleAsync(time, run);
            time.Advance(TimeSpan.FromMilliseconds(1));
        }
        await IdleAsync(time, run);

        Assert.InRange(writer.Count, 500_001 - 1_000, 500_001);
        Assert.All(writer.Batches, b => Assert.Equal(1_000, b.Count));
        AssertNothingEmittedBeforeDue(writer, pointsPerSecond: 500_000);
    }

    [Fact]
    public async Task LowRate_HoldsNoReadingMuchLongerThanTheLinger()
    {
        var (time, writer, run) = Start(SimulatorScenario.PumpAndOven(pointsPerSecond: 20, batchSize: 1_024), SimulatorScenario.Epoch);

        for (var step = 0; step < 1_000; step++)
        {
            await IdleAsync(time, run);
            time.Advance(TimeSpan.FromMilliseconds(10));
        }
        await IdleAsync(time, run);

        Assert.InRange(writer.Count, 200 - 3, 201);
        var readings = writer.Readings;
        foreach (var batch in writer.Batches)
        {
            var due = SimulatorScenario.Epoch.UtcTicks + (batch.FirstIndex * TimeSpan.TicksPerSecond / 20);
            Assert.InRange(batch.WrittenAtTicks - due, 0, TimeSpan.FromMilliseconds(110).Ticks);
            Assert.True(readings[batch.FirstIndex].TimestampTicks <= batch.WrittenAtTicks);
        }
    }

    [Fact]
    public async Task FutureEpoch_WaitsForTheEpoch()
    {
        var (time, writer, run) = Start(SimulatorScenario.PumpAndOven(pointsPerSecond: 100), SimulatorScenario.Epoch.AddSeconds(-10));

        await IdleAsync(time, run);
        time.Advance(TimeSpan.FromSeconds(10));
        await IdleAsync(time, run);
        Assert.Equal(0, writer.Count);

        // At the epoch plus the linger, readings 0..10 are due and the oldest has waited long enough.
        time.Advance(TimeSpan.FromMilliseconds(100));
        await IdleAsync(time, run);
        Assert.Equal(11, writer.Count);
        Assert.Equal(SimulatorScenario.Epoch.UtcTicks, writer.Readings[0].TimestampTicks);
    }

    [Fact]
    public async Task StopAfter_WhilePaced_CompletesOnceTheLastReadingIsDue()
    {
        var (time, writer, run) = Start(SimulatorScenario.PumpAndOven(pointsPerSecond: 100, stopAfter: 50), SimulatorScenario.Epoch);

        while (!run.IsCompleted)
        {
            await IdleAsync(time, run);
            time.Advance(TimeSpan.FromMilliseconds(50));
        }
        await run;

        Assert.Equal(50, writer.Count);
        Assert.InRange(time.GetUtcNow() - SimulatorScenario.Epoch, TimeSpan.FromSeconds(0.49), TimeSpan.FromSeconds(0.65));
    }

    private static (ManualTimeProvider Time, CollectingIngestWriter Writer, Task Run) Start(SimulatorSourceConfig config, DateTimeOffset now)
    {
        var time = new ManualTimeProvider(now);
        var source = new SimulatorSource(config, time);
        var writer = new CollectingIngestWriter(time);
        return (time, writer, source.RunAsync(writer, CancellationToken.None));
    }

    /// <summary>Waits until the source sleeps on the clock (or has finished).</summary>
    private static async Task IdleAsync(ManualTimeProvider time, Task run)
    {
        var idle = await Task.WhenAny(run, time.WaitForScheduledTimerAsync()).WaitAsync(TimeSpan.FromMinutes(1));
        await idle;
    }

    private static void AssertNothingEmittedBeforeDue(CollectingIngestWriter writer, long pointsPerSecond)
    {
        var readings = writer.Readings;
        foreach (var batch in writer.Batches)
        {
            var last = batch.FirstIndex + batch.Count - 1;
            var due = SimulatorScenario.Epoch.UtcTicks + (last * TimeSpan.TicksPerSecond / pointsPerSecond);
            Assert.True(due <= batch.WrittenAtTicks, $"reading {last} was written before it was due");
            Assert.True(readings[last].TimestampTicks <= batch.WrittenAtTicks, $"reading {last} was written before its own timestamp");
        }
    }
}
