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
        var now = SimulatorScenario.Epoch + FirstRun + Down;
        var (resumed, line) = await ResumeAtAsync(now);
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
        Assert.InRange(readings.Length, catchUp - BatchSize, catchUp);
        await AssertAsUninterruptedAsync(resumed, windowFirst, now);

        Assert.Equal(LogLevel.Warning, line.Level);
        Assert.Equal($"Simulator sim resumes 17 min behind: catching up the last 5 min ({catchUp} back-dated readings), skipping {skipped} older ones (maxCatchUpSeconds 300)", line.Text);
    }

    [Fact]
    public async Task RestartWithinTheBound_CatchesUpEverything_AndLogsHowMuch()
    {
        var now = SimulatorScenario.Epoch + TimeSpan.FromSeconds(110);
        var (resumed, line) = await ResumeAtAsync(now);

        var missed = (long)(Rate * 110) + 1 - 900;
        Assert.InRange(resumed.Count, missed - BatchSize, missed);
        await AssertAsUninterruptedAsync(resumed, 900, now);
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

    private static readonly int BatchSize = SimulatorScenario.PumpAndOven().BatchSize;

    /// <summary>
    /// A first run of <see cref="FirstRun"/> (900 readings), then the same simulation without end resumed from its
    /// checkpoints at <paramref name="now"/> with maxCatchUpSeconds 300, stopped once it has caught up; with the one
    /// line it logged.
    /// </summary>
    private static async Task<(CollectingIngestWriter Resumed, (LogLevel Level, string Text) Line)> ResumeAtAsync(DateTimeOffset now)
    {
        var config = SimulatorScenario.PumpAndOven(pointsPerSecond: Rate, stopAfter: (long)(Rate * FirstRun.TotalSeconds));
        config.MaxCatchUpSeconds = 300;
        var first = await RunAsync(config, SimulatorScenario.Epoch + FirstRun, null, new ListLogger());
        Assert.Equal(900, first.Count);

        config.StopAfter = 0; // runs on: the bound is for a simulation without end
        var log = new ListLogger();
        var resumed = await RunUntilCaughtUpAsync(config, now, first.Checkpoints, log);
        return (resumed, Assert.Single(log.Lines));
    }

    /// <summary>The resumed readings are those an uninterrupted run has at the same sequence numbers, from <paramref name="from"/> on.</summary>
    private static async Task AssertAsUninterruptedAsync(CollectingIngestWriter resumed, long from, DateTimeOffset now)
    {
        var reference = await RunAsync(SimulatorScenario.PumpAndOven(pointsPerSecond: Rate, stopAfter: from + resumed.Count), now, null, new ListLogger());
        SimulatorScenario.AssertIdentical(reference.Readings.AsSpan((int)from, resumed.Count), resumed.Readings);
    }

    private static async Task<CollectingIngestWriter> RunAsync(SimulatorSourceConfig config, DateTimeOffset now, IReadOnlyDictionary<string, string>? checkpoints, ILogger log)
    {
        var time = new SleepAwareClock(now);
        var source = new SimulatorSource(config, time, log);
        var writer = new CollectingIngestWriter(time, checkpoints);
        await source.RunAsync(writer, CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(2));
        return writer;
    }

    /// <summary>Runs an endless simulation until it has caught up with the clock and sleeps, then stops it.</summary>
    private static async Task<CollectingIngestWriter> RunUntilCaughtUpAsync(SimulatorSourceConfig config, DateTimeOffset now, IReadOnlyDictionary<string, string>? checkpoints, ILogger log)
    {
        var time = new SleepAwareClock(now);
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
