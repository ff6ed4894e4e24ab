using EdgeTwin.Core.Config;
using EdgeTwin.Core.Pipeline;
using EdgeTwin.Core.Quarantine;
using EdgeTwin.Core.Telemetry;
using EdgeTwin.Gateway.Config;
using EdgeTwin.Gateway.Metrics;
using EdgeTwin.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace EdgeTwin.Gateway.Hosting;

/// <summary>
/// Feeds one sink from the queue, in segment order, from its own cursor. A segment is confirmed for the
/// sink only after <see cref="ISink.SendAsync"/> returned; failures are retried with exponential backoff
/// and jitter (Polly) while the segments stay queued. Inside the retry, a circuit breaker stops sending for a
/// while once most sends of the last minute failed, so that an uplink that is down is probed instead of hammered;
/// its transitions are logged and shown as the sink's state.
/// <para>
/// Live-first lane (<see cref="SinkDrainConfig"/>): once the oldest unsent segment has waited longer than
/// <c>backlogSeconds</c>, the segments older than that are the backlog and a live lane opens after them. Each round
/// then sends the fresh segments first (not flagged), then one batch of backlog flagged <c>"replayed": true</c>,
/// within the drain-rate limit. Live segments that are themselves late when a round begins (older than
/// <c>backlogSeconds</c>: the uplink failed again during the drain, or a stored lane resumes after downtime) are
/// flagged as well. The queue stores what the lane delivered beyond the cursor with the cursor
/// (<see cref="SinkLane"/>), so the drain skips it and a crash repeats at most the batch in flight. A batch that
/// waited longer than <c>backlogSeconds</c> in a retry is flagged replayed as well. Sinks that keep their own
/// position (the file sink) get no drain settings and are fed strictly in queue order.
/// </para>
/// </summary>
public sealed class SinkWorker : BackgroundService
{
    private readonly ISink _sink;
    private readonly DurableQueue _queue;
    private readonly PipelineMetrics _metrics;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly int _maxBatchPoints;
    private readonly ResiliencePipeline _retry;
    private readonly SinkDrainConfig? _drain;
    private readonly long _backlogTicks;
    private readonly DrainRateLimiter? _limiter;
    private long _laneOpenedAt;
    private long _replayed;
    private readonly Lock _stateGate = new();
    private (SinkState Kind, string Text) _reported = (SinkState.Starting, "starting");

    /// <summary>How often a sink's own view of its uplink (<see cref="ISinkLink"/>) is looked at.</summary>
    private static readonly TimeSpan LinkCheckInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>How long an open circuit refuses sends before one probe is let through.</summary>
    public static readonly TimeSpan CircuitBreakDuration = TimeSpan.FromSeconds(5);

    /// <param name="drain">Backlog handling; null for a sink that keeps its own position and must be fed in queue order.</param>
    public SinkWorker(ISink sink, DurableQueue queue, PipelineMetrics metrics, ILogger log, TimeProvider time, int maxBatchPoints, SinkDrainConfig? drain = null)
    {
        _drain = drain is { LiveLane: true } ? drain : null;
        _backlogTicks = TimeSpan.FromSeconds(drain?.BacklogSeconds ?? 0).Ticks;
        if (_drain is { MaxPointsPerSecond: > 0 } d) _limiter = new DrainRateLimiter(d.MaxPointsPerSecond, time);
        _sink = sink;
        _queue = queue;
        _metrics = metrics;
        _log = log;
        _time = time;
        _maxBatchPoints = maxBatchPoints;
        _retry = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                // Any failure is retried, a sink's own timeout (an OperationCanceledException) included; only our
                // stopping ends the retries.
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is not null && !args.Context.CancellationToken.IsCancellationRequested),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(200),
                // While the circuit is open an attempt costs nothing; a short ceiling notices a returned uplink soon
                // after the circuit lets a probe through.
                MaxDelay = CircuitBreakDuration,
                OnRetry = args =>
                {
                    if (args.Outcome.Exception is BrokenCircuitException) return default;
                    var error = args.Outcome.Exception?.Message ?? "unknown error";
                    Report(SinkState.Retrying, "retrying: " + error);
                    Log.SinkFailed(_log, _sink.Name, error);
                    return default;
                },
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is not null and not OperationCanceledException),
                FailureRatio = 0.5,
                MinimumThroughput = 3,
                SamplingDuration = TimeSpan.FromSeconds(60),
                BreakDuration = CircuitBreakDuration,
                OnOpened = args =>
                {
                    var error = args.Outcome.Exception?.Message ?? "unknown error";
                    Report(SinkState.CircuitOpen, "circuit open: " + error);
                    Log.CircuitOpened(_log, _sink.Name, args.BreakDuration.TotalSeconds, error);
                    return default;
                },
                OnHalfOpened = _ =>
                {
                    Log.CircuitHalfOpen(_log, _sink.Name);
                    return default;
                },
                OnClosed = _ =>
                {
                    Log.CircuitClosed(_log, _sink.Name);
                    return default;
                },
            })
            .Build();
    }

    /// <summary>What the worker itself knows of the sink; shown as it is unless the sink knows its uplink is down.</summary>
    private void Report(SinkState kind, string text)
    {
        lock (_stateGate)
        {
            _reported = (kind, text);
            Show();
        }
    }

    /// <summary>
    /// A sink that knows its uplink is down is shown down with its reason, whatever the worker last reported: a
    /// start-up step still waiting ("starting"), no batch sent yet ("up"), or a send being retried (its error follows).
    /// A queue that cannot be read is the worker's own problem and is shown as such.
    /// </summary>
    private void Show()
    {
        var (kind, text) = _reported;
        if ((_sink as ISinkLink)?.DownReason is { } why && kind != SinkState.WaitingForQueue)
        {
            _metrics.SetSinkState(_sink.Name, SinkState.Down, kind is SinkState.Retrying or SinkState.CircuitOpen ? $"down: {why} ({text})" : "down: " + why);
            return;
        }

        _metrics.SetSinkState(_sink.Name, kind, text);
    }

    private async Task WatchLinkAsync(ISinkLink link, CancellationToken stoppingToken)
    {
        var wasDown = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(LinkCheckInterval, _time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var down = link.DownReason is not null;
            if (down || wasDown)
            {
                lock (_stateGate) Show();
            }
            wasDown = down;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var watcher = _sink is ISinkLink link ? WatchLinkAsync(link, watching.Token) : Task.CompletedTask;
        try
        {
            await DeliverAsync(stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            // Also when delivery failed for good: its exception, not a watcher left running, ends this worker.
            await watching.CancelAsync().ConfigureAwait(false);
            await watcher.ConfigureAwait(false);
        }
    }

    private async Task DeliverAsync(CancellationToken stoppingToken)
    {
        var cursor = await _retry.ExecuteAsync(async ct =>
        {
            var recovered = await _sink.RecoverAsync(ct).ConfigureAwait(false);
            return _queue.RegisterSink(_sink.Name, recovered);
        }, stoppingToken).ConfigureAwait(false);
        Log.SinkResumes(_log, _sink.Name, cursor);
        Report(SinkState.Up, "up");
        // A lane left open by an earlier run is drained from here on.
        _laneOpenedAt = _time.GetTimestamp();

        // Grown on demand: a sink that keeps up sends small batches, only a backlog fills large ones.
        var points = new List<TelemetryPoint>(Math.Min(_maxBatchPoints, 4096));
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                cursor = await DeliverNextAsync(points, cursor, stoppingToken).ConfigureAwait(false);
                failures = 0;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The queue itself failed (being reopened after a disk error): its segments stay, try again later. What
                // this round read and did not confirm is let go; the next round reads it again from the cursor.
                _queue.Release(_sink.Name);
                failures++;
                Report(SinkState.WaitingForQueue, "waiting for the queue: " + ex.Message);
                Log.SinkFailed(_log, _sink.Name, ex.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(30_000, 200 << Math.Min(failures, 7))), _time, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<long> DeliverNextAsync(List<TelemetryPoint> points, long cursor, CancellationToken stoppingToken)
    {
        // One reading of the clock per round: where a lane starts and whether the live segments are late are judged
        // at the same instant, so a lane opened this round never finds its own first segment late.
        var now = _time.GetUtcNow().UtcTicks;
        var lane = _queue.GetLane(_sink.Name);
        // A lane stored by an earlier run is always finished, whatever the settings now: its segments are delivered.
        if (!lane.IsOpen && _drain is not null) lane = TryOpenLane(cursor, now);
        if (lane.IsOpen) return await DeliverLanesAsync(points, cursor, lane, now, stoppingToken).ConfigureAwait(false);

        if (!Read(points, cursor, long.MaxValue, _maxBatchPoints, out var first, out var last))
        {
            await _queue.WaitForDataAsync(cursor, TimeSpan.FromMilliseconds(250), stoppingToken).ConfigureAwait(false);
            return cursor;
        }
        var (batch, result) = await SendAsync(points, first, last, replayed: false, stoppingToken).ConfigureAwait(false);
        _queue.Confirm(_sink.Name, last, Rejections(batch, result));
        Report(SinkState.Up, "up");
        return last;
    }

    /// <summary>Opens a live lane when the oldest unsent segment has waited longer than the backlog threshold.</summary>
    private SinkLane TryOpenLane(long cursor, long now)
    {
        if (!_queue.PeekNext(cursor, out _, out var committed)) return SinkLane.None;
        if (now - committed <= _backlogTicks) return SinkLane.None;
        var lane = _queue.OpenLane(_sink.Name, _queue.NewestCommittedBy(now - _backlogTicks));
        if (!lane.IsOpen) return lane;
        _laneOpenedAt = _time.GetTimestamp();
        _replayed = 0;
        var backlog = _queue.PointsBetween(cursor, lane.From);
        Log.LaneOpened(_log, _sink.Name, backlog, TimeSpan.FromTicks(now - committed).TotalSeconds, lane.From,
            _limiter is null ? "no limit" : $"at most {_limiter.PointsPerSecond} points/s");
        Report(SinkState.Draining, $"draining a backlog of {backlog} points behind the live lane");
        return lane;
    }

    /// <summary>
    /// One round with an open lane: the live segments first, then one batch of the backlog. Live segments that had
    /// waited longer than the backlog threshold when the round began are late (the uplink failed again while the
    /// backlog drained, or a lane stored by an earlier run resumes after the gateway was down): they go out flagged.
    /// </summary>
    private async Task<long> DeliverLanesAsync(List<TelemetryPoint> points, long cursor, SinkLane lane, long now, CancellationToken stoppingToken)
    {
        var sentLive = false;
        var late = _queue.PeekNext(lane.UpTo, out _, out var committed) && now - committed > _backlogTicks;
        if (Read(points, lane.UpTo, long.MaxValue, _maxBatchPoints, out var first, out var last))
        {
            var (live, liveResult) = await SendAsync(points, first, last, replayed: late, stoppingToken).ConfigureAwait(false);
            _queue.ConfirmLive(_sink.Name, last, Rejections(live, liveResult));
            lane = lane with { UpTo = last };
            sentLive = true;
        }

        if (_limiter?.Delay() is { } delay && delay > TimeSpan.Zero)
        {
            // Over the drain rate: wait for it, or for fresh data, whichever comes first.
            if (!sentLive) await _queue.WaitForDataAsync(lane.UpTo, delay, stoppingToken).ConfigureAwait(false);
            return cursor;
        }
        var max = _limiter?.BatchPoints(_maxBatchPoints) ?? _maxBatchPoints;
        if (!Read(points, cursor, lane.From, max, out first, out last))
        {
            // Nothing is left before the lane (the rest was quarantined or dropped): move past it.
            _queue.Confirm(_sink.Name, lane.From);
            return CloseLane();
        }
        var (batch, result) = await SendAsync(points, first, last, replayed: true, stoppingToken).ConfigureAwait(false);
        _queue.Confirm(_sink.Name, last, Rejections(batch, result));
        _limiter?.Spend(points.Count);
        _replayed += points.Count;
        if (!_queue.GetLane(_sink.Name).IsOpen) return CloseLane();
        Report(SinkState.Draining, $"draining a backlog of {_queue.PointsBetween(last, lane.From)} points behind the live lane");
        return last;
    }

    private long CloseLane()
    {
        var cursor = _queue.GetCursor(_sink.Name);
        Log.LaneClosed(_log, _sink.Name, _replayed, _time.GetElapsedTime(_laneOpenedAt).TotalSeconds, cursor);
        Report(SinkState.Up, "up");
        return cursor;
    }

    /// <summary>Reads whole segments after <paramref name="after"/>, up to <paramref name="upTo"/>, until about <paramref name="max"/> points.</summary>
    private bool Read(List<TelemetryPoint> points, long after, long upTo, int max, out long first, out long last)
    {
        points.Clear();
        first = 0;
        last = after;
        // Read for this sink: the queue holds what it hands out until the sink confirms it (drop-oldest leaves it).
        while (points.Count < max && _queue.ReadNext(_sink.Name, last, upTo, points, out var id))
        {
            if (first == 0) first = id;
            last = id;
        }
        return first != 0;
    }

    /// <summary>
    /// Sends a batch until the sink takes it. With a lane configured, its points are flagged replayed when they are
    /// backlog (<paramref name="replayed"/>) or once the batch has waited in retries for longer than the backlog
    /// threshold since its first attempt.
    /// <para>
    /// The wait is counted from the first attempt, not from when the batch's oldest segment was committed: the first
    /// live batch after a lane opens starts just inside the threshold, and the time it takes to read it would carry
    /// its oldest segment past it, flagging every fresh point behind that segment as replayed.
    /// </para>
    /// </summary>
    private async Task<(SinkBatch Batch, SinkResult Result)> SendAsync(List<TelemetryPoint> points, long first, long last, bool replayed, CancellationToken stoppingToken)
    {
        if (replayed) FlagReplayed(points);
        var watch = _drain is not null && !replayed;
        var firstAttempt = _time.GetTimestamp();
        var batch = new SinkBatch(first, last, points);
        var result = await _retry.ExecuteAsync(async ct =>
        {
            if (watch && _time.GetElapsedTime(firstAttempt).Ticks > _backlogTicks)
            {
                FlagReplayed(points);
                watch = false;
            }
            return await _sink.SendAsync(batch, ct).ConfigureAwait(false);
        }, stoppingToken).ConfigureAwait(false);
        _metrics.AddForwarded(_sink.Name, points.Count - result.Rejected.Count);
        return (batch, result);
    }

    private static void FlagReplayed(List<TelemetryPoint> points)
    {
        for (var i = 0; i < points.Count; i++) points[i] = points[i].AsReplayed();
    }

    private List<QuarantineRecord>? Rejections(SinkBatch batch, SinkResult result)
    {
        if (result.Rejected.Count == 0) return null;
        Log.SinkRejected(_log, _sink.Name, result.Rejected.Count, result.Rejected[0].Reason);
        var now = _time.GetUtcNow().UtcTicks;
        var records = new List<QuarantineRecord>(result.Rejected.Count);
        foreach (var r in result.Rejected)
        {
            var p = batch.Points[r.Index];
            records.Add(new QuarantineRecord(QuarantineReason.SinkRejected, $"sink {_sink.Name}: {r.Reason}", "sink:" + _sink.Name, now,
                new Reading(p.Stream.Source, p.TimestampTicks, p.Value, p.StatusCode, p.Quality, p.Stream.AssetId, p.Stream.Metric)));
            _metrics.AddQuarantined("sink:" + _sink.Name, QuarantineReason.SinkRejected);
        }
        return records;
    }
}
