using EdgeTwin.Core.Quarantine;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Storage;

/// <summary>
/// What a sink worker needs of the queue, and nothing more: the next batch for its sink (which lane it comes from
/// decided here, next to the lane state), its confirmation, and letting go of a batch that was not sent.
/// </summary>
public interface ISinkFeed
{
    /// <summary>
    /// Where the sink resumes: its stored cursor, moved forward to what the sink itself durably holds
    /// (<paramref name="recovered"/>). Called once, before the first <see cref="NextAsync"/>.
    /// </summary>
    long Resume(long? recovered);

    /// <summary>
    /// Appends the next batch (whole segments, about <paramref name="maxPoints"/> points) to <paramref name="into"/>,
    /// or returns null after waiting a little when there is nothing to send now. The queue holds what it hands
    /// out (drop-oldest leaves it) until <see cref="Confirm"/> or <see cref="Release"/>.
    /// </summary>
    ValueTask<SinkDelivery?> NextAsync(List<TelemetryPoint> into, int maxPoints, CancellationToken cancellationToken);

    /// <summary>The sink holds <paramref name="delivery"/>; <paramref name="rejected"/> are the points it refused for good, quarantined with it.</summary>
    void Confirm(SinkDelivery delivery, IReadOnlyList<QuarantineRecord>? rejected);

    /// <summary>What was handed out and not confirmed is let go (the send failed for good); the next batch starts again from the cursor.</summary>
    void Release();

    /// <summary>
    /// How long a batch may wait before it counts as replayed: a batch with <see cref="SinkDelivery.MayTurnLate"/>
    /// that waits in retries longer than this goes out flagged.
    /// </summary>
    TimeSpan BacklogThreshold { get; }
}

/// <summary>Where a batch comes from: the only lane (queue order), the live lane, or the backlog behind it.</summary>
public enum SinkLaneKind
{
    Ordered,
    Live,
    Backlog,
}

/// <summary>
/// One batch handed to a sink: segments <see cref="First"/> to <see cref="Last"/>, holding <see cref="Points"/> points.
/// <see cref="Replayed"/>: its points go out flagged replayed (backlog, or live segments that were already late).
/// </summary>
public readonly record struct SinkDelivery(long First, long Last, int Points, SinkLaneKind Lane, bool Replayed)
{
    /// <summary>Sent unflagged with a live lane configured: flagged once it has waited in retries past the backlog threshold.</summary>
    public bool MayTurnLate { get; init; }
}

/// <summary>What a sink's live-first lane does, as configured ($.sinks.*.drain).</summary>
/// <param name="LiveLane">Send fresh segments ahead of a backlog; off, strictly queue order.</param>
/// <param name="Backlog">How long a segment may wait unsent before it counts as backlog.</param>
/// <param name="MaxPointsPerSecond">Most backlog points sent per second (0 = no limit).</param>
public sealed record SinkLanePolicy(bool LiveLane, TimeSpan Backlog, double MaxPointsPerSecond);

/// <summary>What happens to a sink's live lane, for its worker to log and show.</summary>
public interface ISinkLaneEvents
{
    /// <param name="rateLimit">The backlog's drain rate limit in points per second, or null for none.</param>
    void LaneOpened(long backlogPoints, TimeSpan oldestWaited, long laneFrom, double? rateLimit);

    void Draining(long backlogPoints);

    void LaneClosed(long replayedPoints, TimeSpan took, long cursor);
}
