namespace EdgeTwin.Storage;

/// <summary>
/// The segments a sink's live lane delivered ahead of its cursor: every segment after <see cref="From"/> up to
/// <see cref="UpTo"/>. The lane opens when the sink falls behind (<see cref="From"/> is then the newest backlog
/// segment), grows as fresh segments are delivered, and closes when the cursor, draining the backlog, reaches
/// <see cref="From"/>: the cursor then jumps to <see cref="UpTo"/>. What a sink holds is so always two ranges,
/// up to its cursor and (From, UpTo], stored with the cursor in one document.
/// </summary>
public readonly record struct SinkLane(long From, long UpTo)
{
    public static readonly SinkLane None = default;

    public bool IsOpen => From != 0;

    /// <summary>Whether the live lane already delivered <paramref name="segmentId"/>.</summary>
    public bool Holds(long segmentId) => segmentId > From && segmentId <= UpTo;
}
