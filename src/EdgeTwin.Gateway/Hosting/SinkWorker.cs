using EdgeTwin.Core.Pipeline;
using EdgeTwin.Core.Quarantine;
using EdgeTwin.Core.Telemetry;
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

    /// <summary>How long an open circuit refuses sends before one probe is let through.</summary>
    public static readonly TimeSpan CircuitBreakDuration = TimeSpan.FromSeconds(5);

    public SinkWorker(ISink sink, DurableQueue queue, PipelineMetrics metrics, ILogger log, TimeProvider time, int maxBatchPoints)
    {
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
                MaxDelay = TimeSpan.FromSeconds(30),
                OnRetry = args =>
                {
                    if (args.Outcome.Exception is BrokenCircuitException) return default;
                    var error = args.Outcome.Exception?.Message ?? "unknown error";
                    _metrics.SetSinkState(_sink.Name, SinkState.Retrying, "retrying: " + error);
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
                    _metrics.SetSinkState(_sink.Name, SinkState.CircuitOpen, "circuit open: " + error);
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

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var cursor = await _retry.ExecuteAsync(async ct =>
        {
            var recovered = await _sink.RecoverAsync(ct).ConfigureAwait(false);
            return _queue.RegisterSink(_sink.Name, recovered);
        }, stoppingToken).ConfigureAwait(false);
        Log.SinkResumes(_log, _sink.Name, cursor);
        _metrics.SetSinkState(_sink.Name, SinkState.Up, "up");

        var points = new List<TelemetryPoint>(_maxBatchPoints + 16384);
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
                // The queue itself failed (being reopened after a disk error): its segments stay, try again later.
                failures++;
                _metrics.SetSinkState(_sink.Name, SinkState.WaitingForQueue, "waiting for the queue: " + ex.Message);
                Log.SinkFailed(_log, _sink.Name, ex.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(30_000, 200 << Math.Min(failures, 7))), _time, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<long> DeliverNextAsync(List<TelemetryPoint> points, long cursor, CancellationToken stoppingToken)
    {
        points.Clear();
        long first = 0, last = cursor;
        while (points.Count < _maxBatchPoints && _queue.ReadNext(last, points, out var id))
        {
            if (first == 0) first = id;
            last = id;
        }
        if (first == 0)
        {
            await _queue.WaitForDataAsync(cursor, TimeSpan.FromMilliseconds(250), stoppingToken).ConfigureAwait(false);
            return cursor;
        }
        var batch = new SinkBatch(first, last, points);
        var result = await _retry.ExecuteAsync(async ct => await _sink.SendAsync(batch, ct).ConfigureAwait(false), stoppingToken).ConfigureAwait(false);
        _queue.Confirm(_sink.Name, last, Rejections(batch, result));
        _metrics.AddForwarded(_sink.Name, points.Count - result.Rejected.Count);
        _metrics.SetSinkState(_sink.Name, SinkState.Up, "up");
        return last;
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
