using EdgeTwin.Core.Quarantine;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Storage;

/// <summary>
/// A sink's <see cref="ISinkFeed"/> with the live-first lane policy: once the oldest unsent segment has waited longer
/// than the backlog threshold, a live lane opens after the backlog, and each round hands out the fresh segments first,
/// then one batch of backlog (flagged replayed, within the drain rate). The lane itself is stored with the sink's
/// cursor (<see cref="SinkLane"/>); docs/architecture.md §3 describes the policy.
/// </summary>
public sealed class SinkFeed : ISinkFeed
{
    private enum Step { RoundStart, Backlog }

    private readonly DurableQueue _queue;
    private readonly string _sink;
    private readonly TimeProvider _time;
    private readonly ISinkLaneEvents? _events;
    private readonly bool _opensLanes;
    private readonly long _backlogTicks;
    private readonly DrainRateLimiter? _limiter;
    private long _cursor;
    private Step _step;
    private SinkLane _lane;
    private bool _sentLive;
    private long _laneOpenedAt;
    private long _replayed;

    internal SinkFeed(DurableQueue queue, string sink, SinkLanePolicy? policy, TimeProvider time, ISinkLaneEvents? events)
    {
        _queue = queue;
        _sink = sink;
        _time = time;
        _events = events;
        _opensLanes = policy is { LiveLane: true };
        _backlogTicks = policy?.Backlog.Ticks ?? 0;
        if (policy is { LiveLane: true, MaxPointsPerSecond: > 0 } p) _limiter = new DrainRateLimiter(p.MaxPointsPerSecond, time);
    }

    public TimeSpan BacklogThreshold => TimeSpan.FromTicks(_backlogTicks);

    public long Resume(long? recovered)
    {
        _cursor = _queue.RegisterSink(_sink, recovered);
        // A lane left open by an earlier run is drained from here on.
        _laneOpenedAt = _time.GetTimestamp();
        return _cursor;
    }

    public async ValueTask<SinkDelivery?> NextAsync(List<TelemetryPoint> into, int maxPoints, CancellationToken cancellationToken)
    {
        long first, last;
        if (_step == Step.RoundStart)
        {
            // One reading of the clock per round: where a lane starts and whether the live segments are late are judged
            // at the same instant, so a lane opened this round never finds its own first segment late.
            var now = _time.GetUtcNow().UtcTicks;
            _lane = _queue.GetLane(_sink);
            // A lane stored by an earlier run is always finished, whatever the settings now: its segments are delivered.
            if (!_lane.IsOpen && _opensLanes) _lane = TryOpenLane(now);
            if (!_lane.IsOpen)
            {
                if (Read(into, _cursor, long.MaxValue, maxPoints, out first, out last)) return new SinkDelivery(first, last, into.Count, SinkLaneKind.Ordered, false) { MayTurnLate = _opensLanes };
                await _queue.WaitForDataAsync(_cursor, TimeSpan.FromMilliseconds(250), cancellationToken).ConfigureAwait(false);
                return null;
            }
            // Live segments that had waited past the threshold when the round began are late (the uplink failed again
            // while the backlog drained, or a stored lane resumes after downtime): they go out flagged.
            _sentLive = false;
            _step = Step.Backlog;
            var late = _queue.PeekNext(_lane.UpTo, out _, out var committed) && now - committed > _backlogTicks;
            if (Read(into, _lane.UpTo, long.MaxValue, maxPoints, out first, out last))
            {
                return new SinkDelivery(first, last, into.Count, SinkLaneKind.Live, late) { MayTurnLate = _opensLanes && !late };
            }
        }

        _step = Step.RoundStart;
        if (_limiter?.Delay() is { } delay && delay > TimeSpan.Zero)
        {
            // Over the drain rate: wait for it, or for fresh data, whichever comes first.
            if (!_sentLive) await _queue.WaitForDataAsync(_lane.UpTo, delay, cancellationToken).ConfigureAwait(false);
            return null;
        }
        if (!Read(into, _cursor, _lane.From, _limiter?.BatchPoints(maxPoints) ?? maxPoints, out first, out last))
        {
            // Nothing is left before the lane (the rest was quarantined or dropped): move past it.
            _queue.Confirm(_sink, _lane.From);
            CloseLane();
            return null;
        }
        return new SinkDelivery(first, last, into.Count, SinkLaneKind.Backlog, true);
    }

    public void Confirm(SinkDelivery delivery, IReadOnlyList<QuarantineRecord>? rejected)
    {
        switch (delivery.Lane)
        {
            case SinkLaneKind.Live:
                _queue.ConfirmLive(_sink, delivery.Last, rejected);
                _lane = _lane with { UpTo = delivery.Last };
                _sentLive = true;
                return;
            case SinkLaneKind.Backlog:
                _queue.Confirm(_sink, delivery.Last, rejected);
                _limiter?.Spend(delivery.Points);
                _replayed += delivery.Points;
                if (!_queue.GetLane(_sink).IsOpen)
                {
                    CloseLane();
                    return;
                }
                _cursor = delivery.Last;
                _events?.Draining(_queue.PointsBetween(delivery.Last, _lane.From));
                return;
            default:
                _queue.Confirm(_sink, delivery.Last, rejected);
                _cursor = delivery.Last;
                return;
        }
    }

    public void Release()
    {
        _step = Step.RoundStart;
        _queue.Release(_sink);
    }

    /// <summary>Opens a live lane when the oldest unsent segment has waited longer than the backlog threshold.</summary>
    private SinkLane TryOpenLane(long now)
    {
        if (!_queue.PeekNext(_cursor, out _, out var committed)) return SinkLane.None;
        if (now - committed <= _backlogTicks) return SinkLane.None;
        var lane = _queue.OpenLane(_sink, _queue.NewestCommittedBy(now - _backlogTicks));
        if (!lane.IsOpen) return lane;
        _laneOpenedAt = _time.GetTimestamp();
        _replayed = 0;
        _events?.LaneOpened(_queue.PointsBetween(_cursor, lane.From), TimeSpan.FromTicks(now - committed), lane.From, _limiter?.PointsPerSecond);
        return lane;
    }

    private void CloseLane()
    {
        _cursor = _queue.GetCursor(_sink);
        _events?.LaneClosed(_replayed, _time.GetElapsedTime(_laneOpenedAt), _cursor);
    }

    /// <summary>Reads whole segments after <paramref name="after"/>, up to <paramref name="upTo"/>, until about <paramref name="max"/> points.</summary>
    private bool Read(List<TelemetryPoint> points, long after, long upTo, int max, out long first, out long last)
    {
        points.Clear();
        first = 0;
        last = after;
        // Read for this sink: the queue holds what it hands out until the sink confirms it (drop-oldest leaves it).
        while (points.Count < max && _queue.ReadNext(_sink, last, upTo, points, out var id))
        {
            if (first == 0) first = id;
            last = id;
        }
        return first != 0;
    }
}
