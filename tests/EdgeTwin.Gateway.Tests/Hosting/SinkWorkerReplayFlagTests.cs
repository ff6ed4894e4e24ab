using EdgeTwin.Core.Config;
using EdgeTwin.Core.Dedup;
using EdgeTwin.Core.Pipeline;
using EdgeTwin.Core.Telemetry;
using EdgeTwin.Gateway.Hosting;
using EdgeTwin.Gateway.Metrics;
using EdgeTwin.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeTwin.Gateway.Tests.Hosting;

/// <summary>
/// Which points a sink worker with a live lane flags <c>"replayed"</c>: the backlog, and a batch held up in retries
/// for longer than the backlog threshold, never a fresh batch that went out on its first attempt.
/// </summary>
public sealed class SinkWorkerReplayFlagTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly StreamDescriptor Stream = new("pump-1", "speed", "sim:pump-1/speed");

    /// <summary>
    /// A clock that moves only when told to, or by <see cref="Step"/> at every reading: a loaded machine, where time
    /// passes between any two looks at the clock. Not FakeTimeProvider: the worker's retry delays and circuit break
    /// must run on real timers while its readings of the clock move (a fake's timers fire only when it is advanced).
    /// </summary>
    private sealed class LoadedClock(DateTimeOffset start) : TimeProvider
    {
        private long _ticks = start.UtcTicks;

        public TimeSpan Step { get; set; }

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Add(ref _ticks, Step.Ticks);

        public override DateTimeOffset GetUtcNow() => new(Interlocked.Add(ref _ticks, Step.Ticks), TimeSpan.Zero);

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }

    /// <summary>Takes every batch after <see cref="FailFirst"/> failed attempts, each of which moves the clock.</summary>
    private sealed class RecordingSink(LoadedClock clock) : ISink
    {
        private readonly List<TelemetryPoint> _received = [];
        private int _failures;

        public string Name => "cloud";

        public int FailFirst { get; init; }

        public TimeSpan EachFailureTakes { get; init; }

        public List<TelemetryPoint> Received
        {
            get { lock (_received) return [.. _received]; }
        }

        public ValueTask<long?> RecoverAsync(CancellationToken cancellationToken) => ValueTask.FromResult<long?>(null);

        public ValueTask<SinkResult> SendAsync(SinkBatch batch, CancellationToken cancellationToken)
        {
            if (_failures < FailFirst)
            {
                _failures++;
                clock.Advance(EachFailureTakes);
                throw new IOException($"uplink down (failure {_failures} of {FailFirst})");
            }
            lock (_received) _received.AddRange(batch.Points);
            return ValueTask.FromResult(SinkResult.Delivered);
        }
    }

    /// <summary>
    /// The lane opens at "now - 2 s", so the first live segment is just inside the threshold; with segments 5 ms apart and
    /// a clock that moves 10 ms at every reading, it is past the threshold by the time its batch is sent. The fresh
    /// points in that batch must still go out unflagged, and only the backlog before the lane flagged.
    /// </summary>
    [Fact]
    public async Task FirstLiveBatchAfterTheLaneOpens_IsNotFlagged_ThoughItsOldestSegmentCrossesTheThresholdWhileItIsRead()
    {
        using var dir = new TestDirectory("sink-flags");
        var clock = new LoadedClock(Start);
        using var queue = OpenQueue(dir, clock);
        // 200 one-point segments committed 5 ms apart, from 2.5 s to 1.5 s before the worker starts.
        CommitEvery5Ms(queue, clock, 200);
        clock.Advance(TimeSpan.FromSeconds(1.5));
        var sink = new RecordingSink(clock);

        clock.Step = TimeSpan.FromMilliseconds(10);
        var received = await RunUntilAsync(sink, queue, clock, 200);

        Assert.Equal(200, received.Count);
        Assert.Equal(200, received.Select(p => p.TimestampTicks).Distinct().Count());
        var flagged = received.Where(p => p.Replayed).ToList();
        var fresh = received.Where(p => !p.Replayed).ToList();
        Assert.True(flagged.Count > 0, "no lane opened: nothing was flagged replayed");
        Assert.True(fresh.Count > 0, $"all {flagged.Count} points were flagged replayed, the fresh ones after the lane's start too");
        // The backlog is what was committed before the lane's start; everything after it is fresh.
        Assert.True(flagged.Max(p => p.TimestampTicks) < fresh.Min(p => p.TimestampTicks),
            "a point after the lane's start was flagged replayed, or one before it was not");
        // The lane starts at the reading 2 s before it opened: about 100 segments fall on each side.
        Assert.InRange(fresh.Count, 80, 110);
    }

    /// <summary>
    /// A lane stored open by an earlier run resumes after the gateway was down for 10 s: the live segments queued before
    /// it stopped have waited past the threshold, so they go out flagged like the rest of the backlog.
    /// </summary>
    [Fact]
    public async Task LaneResumedAfterDowntime_FlagsTheLiveSegmentsQueuedBeforeTheStop()
    {
        using var dir = new TestDirectory("sink-resume-flags");
        var clock = new LoadedClock(Start);
        using var queue = OpenQueue(dir, clock);
        // A backlog of 100 segments, then 10 fresh ones 2.5 s later.
        CommitEvery5Ms(queue, clock, 100);
        clock.Advance(TimeSpan.FromSeconds(2.5));
        for (var i = 0; i < 10; i++) Commit(queue, clock.GetUtcNow().UtcTicks + i);
        // At 10 points/s the backlog is far from drained when the first run stops with its lane open.
        var before = new RecordingSink(clock);
        var firstRun = await RunUntilAsync(before, queue, clock, 10, maxPointsPerSecond: 10);
        Assert.True(queue.GetLane(before.Name).IsOpen, "the lane closed before the stop");
        Assert.Equal(10, firstRun.Count(p => !p.Replayed));
        for (var i = 0; i < 10; i++) Commit(queue, clock.GetUtcNow().UtcTicks + 100 + i);
        queue.Dispose();

        clock.Advance(TimeSpan.FromSeconds(10));
        using var reopened = OpenQueue(dir, clock);
        var after = new RecordingSink(clock);
        var secondRun = await RunUntilAsync(after, reopened, clock, 120 - firstRun.Count);

        Assert.Equal(120, firstRun.Concat(secondRun).Select(p => p.TimestampTicks).Distinct().Count());
        Assert.Equal(120 - firstRun.Count, secondRun.Count);
        Assert.All(secondRun, p => Assert.True(p.Replayed, $"point {p.TimestampTicks - Start.UtcTicks} ticks after the start went out unflagged 10 s late"));
    }

    /// <summary>
    /// A fresh batch that fails is retried; it is flagged once it has waited longer than the backlog threshold (2 s)
    /// since its first attempt, and not before. (One failure each: a second one would open the circuit, whose break
    /// runs on this clock.)
    /// </summary>
    [Theory]
    [InlineData(0, 0, false)]
    [InlineData(1, 1.9, false)]
    [InlineData(1, 2.1, true)]
    public async Task FreshBatchHeldUpInRetries_IsFlaggedOnlyOnceItHasWaitedLongerThanTheThreshold(int failures, double secondsEach, bool flagged)
    {
        using var dir = new TestDirectory("sink-retry-flags");
        var clock = new LoadedClock(Start);
        using var queue = OpenQueue(dir, clock);
        for (var i = 0; i < 10; i++) Commit(queue, Start.UtcTicks + i);
        var sink = new RecordingSink(clock) { FailFirst = failures, EachFailureTakes = TimeSpan.FromSeconds(secondsEach) };

        var received = await RunUntilAsync(sink, queue, clock, 10);

        Assert.Equal(10, received.Count);
        Assert.All(received, p => Assert.Equal(flagged, p.Replayed));
    }

    private static DurableQueue OpenQueue(TestDirectory dir, LoadedClock clock) => DurableQueue.Open(
        new QueueOptions { Directory = dir["queue"], MinFreeDiskBytes = 0 }, NullLogger.Instance, clock);

    /// <summary><paramref name="count"/> one-point segments, each read and committed 5 ms after the one before.</summary>
    private static void CommitEvery5Ms(DurableQueue queue, LoadedClock clock, int count)
    {
        for (var i = 0; i < count; i++)
        {
            Commit(queue, clock.GetUtcNow().UtcTicks);
            clock.Advance(TimeSpan.FromMilliseconds(5));
        }
    }

    private static void Commit(DurableQueue queue, long ticks)
    {
        var request = new CommitRequest();
        var point = new TelemetryPoint(Stream, ticks, PointValue.FromNumber(ticks % 1000), Quality.Good, 0);
        Assert.NotEqual(DedupOutcome.Duplicate, queue.Dedup.Admit(queue.Dedup.GetOrAdd(point.Series), ticks));
        request.Points.Add(point);
        queue.Commit(request);
    }

    private static async Task<List<TelemetryPoint>> RunUntilAsync(RecordingSink sink, DurableQueue queue, LoadedClock clock, int points, double maxPointsPerSecond = 0)
    {
        using var metrics = new PipelineMetrics();
        var drain = new SinkDrainConfig { BacklogSeconds = 2, MaxPointsPerSecond = maxPointsPerSecond };
        using var worker = SinkWorker.Create(sink, queue, metrics, NullLogger.Instance, clock, maxBatchPoints: 1000, drain);
        await worker.StartAsync(CancellationToken.None);
        try
        {
            Wait.Until(() => sink.Received.Count >= points, TimeSpan.FromSeconds(20), $"{points} points at the sink");
        }
        finally
        {
            await worker.StopAsync(CancellationToken.None);
        }
        return sink.Received;
    }
}
