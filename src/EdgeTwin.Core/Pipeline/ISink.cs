using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Core.Pipeline;

/// <summary>
/// A northbound sink. The queue hands it batches of whole segments in order, and a segment is confirmed for
/// this sink only when <see cref="SendAsync"/> returns: every point in it is then delivered (or rejected for
/// good, see <see cref="SinkResult.Rejected"/>). Throwing means "not delivered, try again": the same batch
/// comes back after a backoff, so a sink must tolerate a retry of a batch it partly delivered.
/// </summary>
public interface ISink
{
    string Name { get; }

    /// <summary>
    /// Called once before the first batch. A sink that knows durably what it has written (a file it
    /// fsyncs with its position) returns the last segment id it holds, so that a crash between its write and
    /// the queue's cursor update neither loses nor repeats a segment. Others return null.
    /// </summary>
    ValueTask<long?> RecoverAsync(CancellationToken cancellationToken);

    ValueTask<SinkResult> SendAsync(SinkBatch batch, CancellationToken cancellationToken);
}

/// <summary>Consecutive queue segments, <see cref="FirstSegmentId"/> to <see cref="LastSegmentId"/>, as points.</summary>
public sealed class SinkBatch
{
    public SinkBatch(long firstSegmentId, long lastSegmentId, IReadOnlyList<TelemetryPoint> points)
    {
        FirstSegmentId = firstSegmentId;
        LastSegmentId = lastSegmentId;
        Points = points;
    }

    public long FirstSegmentId { get; }

    public long LastSegmentId { get; }

    public IReadOnlyList<TelemetryPoint> Points { get; }
}

/// <summary>
/// A batch's outcome. Points listed in <see cref="Rejected"/> failed permanently (too large, refused by the
/// receiver); the queue quarantines them with the reason and confirms the rest.
/// </summary>
public sealed class SinkResult
{
    public static readonly SinkResult Delivered = new([]);

    public SinkResult(IReadOnlyList<SinkRejection> rejected) => Rejected = rejected;

    public IReadOnlyList<SinkRejection> Rejected { get; }
}

/// <summary>Point <see cref="Index"/> of the batch was refused for good, for <see cref="Reason"/>.</summary>
public readonly record struct SinkRejection(int Index, string Reason);

/// <summary>
/// A sink that learns its uplink is down before any send fails (a Kafka producer told that every broker is down),
/// so the gateway can show it at once, even before the first batch or while a start-up step still waits.
/// </summary>
public interface ISinkLink
{
    /// <summary>Why the uplink is down (the address and the error), or null while it is up or not yet known to be down.</summary>
    string? DownReason { get; }
}
