using EdgeTwin.Core.Config;
using EdgeTwin.Core.Pipeline;
using EdgeTwin.Core.Quarantine;
using EdgeTwin.Core.Telemetry;
using EdgeTwin.Gateway.Metrics;
using EdgeTwin.Gateway.Pipeline;
using EdgeTwin.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace EdgeTwin.Gateway.Hosting;

/// <summary>
/// Feeds one sink from its <see cref="ISinkFeed"/>, which decides what goes next (queue order, or the live lane and
/// the backlog behind it). A batch is confirmed only after <see cref="ISink.SendAsync"/> returned; failures are
/// retried with backoff and jitter (Polly) behind a circuit breaker that probes an uplink that is down instead of
/// hammering it. The sink's state (up, retrying, circuit open, draining, down) is what this worker reports.
/// </summary>
public sealed class SinkWorker : BackgroundService, ISinkLaneEvents
{
    private readonly ISink _sink;
    private readonly ISinkFeed _feed;
    private readonly PipelineMetrics _metrics;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly int _maxBatchPoints;
    private readonly ResiliencePipeline _retry;
    private readonly ResiliencePipeline _queueRetry;
    private readonly Lock _stateGate = new();
    private (SinkState Kind, string Text) _reported = (SinkState.Starting, "starting");

    /// <summary>How often a sink's own view of its uplink (<see cref="ISinkLink"/>) is looked at.</summary>
    private static readonly TimeSpan LinkCheckInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>How long an open circuit refuses sends before one probe is let through.</summary>
    public static readonly TimeSpan CircuitBreakDuration = TimeSpan.FromSeconds(5);

    /// <param name="feed">Builds the sink's view of the queue for the worker that hears its lane events.</param>
    private SinkWorker(ISink sink, Func<SinkWorker, ISinkFeed> feed, PipelineMetrics metrics, ILogger log, TimeProvider time, int maxBatchPoints)
    {
        _sink = sink;
        _feed = feed(this);
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
        // The queue itself failed (being reopened after a disk error): its segments stay, try again later. What this
        // round read and did not confirm is let go; the next round reads it again from the cursor.
        _queueRetry = Backoff.Forever(TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(30), (_, ct) => !ct.IsCancellationRequested, (ex, _) =>
        {
            _feed.Release();
            Report(SinkState.WaitingForQueue, "waiting for the queue: " + ex.Message);
            Log.SinkFailed(_log, _sink.Name, ex.Message);
        }, time);
    }

    /// <summary>A worker for <paramref name="sink"/> fed from <paramref name="queue"/>, with the live-first lane of <paramref name="drain"/> (null: queue order).</summary>
    public static SinkWorker Create(ISink sink, DurableQueue queue, PipelineMetrics metrics, ILogger log, TimeProvider time, int maxBatchPoints, SinkDrainConfig? drain = null) =>
        new(sink, worker => queue.FeedFor(sink.Name, LanePolicy(drain), time, worker), metrics, log, time, maxBatchPoints);

    /// <summary>The queue's lane policy for a sink's drain settings; null for a sink that keeps its own position and is fed in queue order.</summary>
    public static SinkLanePolicy? LanePolicy(SinkDrainConfig? drain) =>
        drain is null ? null : new SinkLanePolicy(drain.LiveLane, TimeSpan.FromSeconds(drain.BacklogSeconds), drain.MaxPointsPerSecond);

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
        var cursor = await _retry.ExecuteAsync(async ct => _feed.Resume(await _sink.RecoverAsync(ct).ConfigureAwait(false)), stoppingToken).ConfigureAwait(false);
        Log.SinkResumes(_log, _sink.Name, cursor);
        Report(SinkState.Up, "up");

        // Grown on demand: a sink that keeps up sends small batches, only a backlog fills large ones.
        var points = new List<TelemetryPoint>(Math.Min(_maxBatchPoints, 4096));
        while (!stoppingToken.IsCancellationRequested)
        {
            await _queueRetry.ExecuteAsync(async ct =>
            {
                if (await _feed.NextAsync(points, _maxBatchPoints, ct).ConfigureAwait(false) is not { } delivery) return;
                var result = await SendAsync(points, delivery, ct).ConfigureAwait(false);
                _feed.Confirm(delivery, Rejections(points, result));
                if (delivery.Lane == SinkLaneKind.Ordered) Report(SinkState.Up, "up");
            }, stoppingToken).ConfigureAwait(false);
        }
    }

    void ISinkLaneEvents.LaneOpened(long backlogPoints, TimeSpan oldestWaited, long laneFrom, double? rateLimit)
    {
        Log.LaneOpened(_log, _sink.Name, backlogPoints, oldestWaited.TotalSeconds, laneFrom, rateLimit is { } rate ? $"at most {rate} points/s" : "no limit");
        Report(SinkState.Draining, $"draining a backlog of {backlogPoints} points behind the live lane");
    }

    void ISinkLaneEvents.Draining(long backlogPoints) => Report(SinkState.Draining, $"draining a backlog of {backlogPoints} points behind the live lane");

    void ISinkLaneEvents.LaneClosed(long replayedPoints, TimeSpan took, long cursor)
    {
        Log.LaneClosed(_log, _sink.Name, replayedPoints, took.TotalSeconds, cursor);
        Report(SinkState.Up, "up");
    }

    /// <summary>
    /// Sends a batch until the sink takes it. A batch that may turn late (sent unflagged with a live lane configured)
    /// is flagged replayed once it has waited in retries for longer than the backlog threshold since its first attempt
    /// (not since its oldest segment was committed: the first live batch after a lane opens starts just inside the
    /// threshold, and reading it would carry it past).
    /// </summary>
    private async Task<SinkResult> SendAsync(List<TelemetryPoint> points, SinkDelivery delivery, CancellationToken stoppingToken)
    {
        if (delivery.Replayed) FlagReplayed(points);
        var watch = delivery.MayTurnLate;
        var firstAttempt = _time.GetTimestamp();
        var batch = new SinkBatch(delivery.First, delivery.Last, points);
        var result = await _retry.ExecuteAsync(async ct =>
        {
            if (watch && _time.GetElapsedTime(firstAttempt) > _feed.BacklogThreshold)
            {
                FlagReplayed(points);
                watch = false;
            }
            return await _sink.SendAsync(batch, ct).ConfigureAwait(false);
        }, stoppingToken).ConfigureAwait(false);
        _metrics.AddForwarded(_sink.Name, points.Count - result.Rejected.Count);
        return result;
    }

    private static void FlagReplayed(List<TelemetryPoint> points)
    {
        for (var i = 0; i < points.Count; i++) points[i] = points[i].AsReplayed();
    }

    private List<QuarantineRecord>? Rejections(List<TelemetryPoint> points, SinkResult result)
    {
        if (result.Rejected.Count == 0) return null;
        Log.SinkRejected(_log, _sink.Name, result.Rejected.Count, result.Rejected[0].Reason);
        var now = _time.GetUtcNow().UtcTicks;
        var records = new List<QuarantineRecord>(result.Rejected.Count);
        foreach (var r in result.Rejected)
        {
            var p = points[r.Index];
            records.Add(new QuarantineRecord(QuarantineReason.SinkRejected, $"sink {_sink.Name}: {r.Reason}", "sink:" + _sink.Name, now,
                new Reading(p.Stream.Source, p.TimestampTicks, p.Value, p.StatusCode, p.Quality, p.Stream.AssetId, p.Stream.Metric)));
            _metrics.AddQuarantined("sink:" + _sink.Name, QuarantineReason.SinkRejected);
        }
        return records;
    }
}
