using EdgeTwin.Connectors.Simulator;
using Microsoft.Extensions.Logging;

namespace EdgeTwin.Connectors.Tests.Simulator;

/// <summary>A restart after downtime catches up at most maxCatchUpSeconds of missed readings, and says so in the log.</summary>
public sealed class SimulatorCatchUpTests
{
    // 90 points/s over 9 channels: a sample every 100 ms.
    private const double Rate = 90;
    private static readonly TimeSpan FirstRun = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Down = TimeSpan.FromMinutes(17);

    [Fact]
    public async Task RestartAfter17MinutesDown_CatchesUpTheLast300Seconds_SkipsTheRest_AndLogsIt()
    {
        var config = SimulatorScenario.PumpAndOven(pointsPerSecond: Rate, stopAfter: (long)(Rate * FirstRun.TotalSeconds));
        config.MaxCatchUpSeconds = 300;
        var first = await RunAsync(config, SimulatorScenario.Epoch + FirstRun, null, new ListLogger());
        Assert.Equal(900, first.Count);

        var now = SimulatorScenario.Epoch + FirstRun + Down;
        config.StopAfter = 0; // runs on: the bound is for a simulation without end
        var log = new ListLogger();
        var resumed = await RunUntilCaughtUpAsync(config, now, first.Checkpoints, log);
        var dueByNow = (long)(Rate * (FirstRun + Down).TotalSeconds) + 1; // the reading due at now included

        // The first reading is the first whole sample at or after now − 300 s; nothing older was generated.
        var windowStart = (now - TimeSpan.FromSeconds(300)).UtcTicks;
        var readings = resumed.Readings;
        Assert.True(readings[0].TimestampTicks >= windowStart, $"first reading at {new DateTime(readings[0].TimestampTicks):O}, before the window");
        Assert.True(readings[0].TimestampTicks < windowStart + TimeSpan.FromMilliseconds(100).Ticks, $"first reading at {new DateTime(readings[0].TimestampTicks):O}, a sample late");
        Assert.Equal("sim:pump-1/speed", readings[0].Address); // the first channel: a whole sample
        Assert.All(readings, r => Assert.InRange(r.TimestampTicks, windowStart, now.UtcTicks));
        // Sequence numbers: 900 were sent before the stop; the window starts at sample 7300 (730 s), reading 65 700.
        var windowFirst = (long)(Rate * (FirstRun + Down - TimeSpan.FromSeconds(300)).TotalSeconds);
        var catchUp = dueByNow - windowFirst;
        var skipped = windowFirst - 900;
        // Caught up, it sleeps before sending the last few readings (they wait for their batch to fill or linger).
        Assert.InRange(readings.Length, catchUp - config.BatchSize, catchUp);

        // The readings it did generate are those an uninterrupted run has at the same sequence numbers.
        var unbounded = SimulatorScenario.PumpAndOven(pointsPerSecond: Rate, stopAfter: dueByNow);
        var reference = await RunAsync(unbounded, now, null, new ListLogger());
        SimulatorScenario.AssertIdentical(reference.Readings.AsSpan((int)windowFirst, readings.Length), readings);

        var line = Assert.Single(log.Lines);
        Assert.Equal(LogLevel.Warning, line.Level);
        Assert.Equal($"Simulator sim resumes 17 min behind: catching up the last 5 min ({catchUp} back-dated readings), skipping {skipped} older ones (maxCatchUpSeconds 300)", line.Text);
    }

    [Fact]
    public async Task RestartWithinTheBound_CatchesUpEverything_AndLogsHowMuch()
    {
        var config = SimulatorScenario.PumpAndOven(pointsPerSecond: Rate, stopAfter: 900);
        config.MaxCatchUpSeconds = 300;
        var first = await RunAsync(config, SimulatorScenario.Epoch + FirstRun, null, new ListLogger());

        config.StopAfter = 0;
        var log = new ListLogger();
        var resumed = await RunUntilCaughtUpAsync(config, SimulatorScenario.Epoch + TimeSpan.FromSeconds(110), first.Checkpoints, log);

        var missed = (long)(Rate * 110) + 1 - 900;
        Assert.InRange(resumed.Count, missed - config.BatchSize, missed);
        var reference = await RunAsync(SimulatorScenario.PumpAndOven(pointsPerSecond: Rate, stopAfter: 900 + resumed.Count), SimulatorScenario.Epoch + TimeSpan.FromSeconds(110), null, new ListLogger());
        SimulatorScenario.AssertIdentical(reference.Readings.AsSpan(900), resumed.Readings);
        var line = Assert.Single(log.Lines);
        Assert.Equal(LogLevel.Information, line.Level);
        Assert.Equal($"Simulator sim resumes 100 s behind: catching up all of it ({missed} back-dated readings)", line.Text);
    }

    [Fact]
    public async Task RestartOfARunWithStopAfter_GeneratesAllOfItsReadings()
    {
        var config = SimulatorScenario.PumpAndOven(pointsPerSecond: Rate, stopAfter: 900);
        config.MaxCatchUpSeconds = 300;
        var first = await RunAsync(config, SimulatorScenario.Epoch + FirstRun, null, new ListLogger());

        config.StopAfter = 90_000;
        var log = new ListLogger();
        var resumed = await RunAsync(config, SimulatorScenario.Epoch + TimeSpan.FromHours(2), first.Checkpoints, log);
        Assert.Equal(90_000 - 900, resumed.Count);
        Assert.Empty(log.Lines);
    }

    [Fact]
    public async Task FirstStartWithAPastEpoch_IsNotBounded()
    {
        // A configured epoch in the past is a load run's choice: the first start generates all of it.
        var config = SimulatorScenario.PumpAndOven(pointsPerSecond: Rate, stopAfter: 90_000);
        config.MaxCatchUpSeconds = 0;
        var log = new ListLogger();
        var run = await RunAsync(config, SimulatorScenario.Epoch + TimeSpan.FromHours(1), null, log);
        Assert.Equal(90_000, run.Count);
        Assert.Empty(log.Lines);
    }

    private static async Task<CollectingIngestWriter> RunAsync(SimulatorSourceConfig config, DateTimeOffset now, IReadOnlyDictionary<string, string>? checkpoints, ILogger log)
    {
        var time = new ManualTimeProvider(now);
        var source = new SimulatorSource(config, time, log);
        var writer = new CollectingIngestWriter(time, checkpoints);
        await source.RunAsync(writer, CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(2));
        return writer;
    }

    /// <summary>Runs an endless simulation until it has caught up with the clock and sleeps, then stops it.</summary>
    private static async Task<CollectingIngestWriter> RunUntilCaughtUpAsync(SimulatorSourceConfig config, DateTimeOffset now, IReadOnlyDictionary<string, string>? checkpoints, ILogger log)
    {
        var time = new ManualTimeProvider(now);
        var source = new SimulatorSource(config, time, log);
        var writer = new CollectingIngestWriter(time, checkpoints);
        using var stop = new CancellationTokenSource();
        var run = source.RunAsync(writer, stop.Token);
        await Task.WhenAny(run, time.WaitForScheduledTimerAsync()).WaitAsync(TimeSpan.FromMinutes(2));
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        return writer;
    }

    private sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, string Text)> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add((logLevel, formatter(state, exception)));
    }
}
