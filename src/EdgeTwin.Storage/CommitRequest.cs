using EdgeTwin.Core.Quarantine;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Storage;

/// <summary>
/// One group commit: the points admitted by dedup (they become one segment), the quarantined readings, the
/// sources' checkpoints, and quarantine entries a replay has cured. All of it is committed in one LiteDB
/// transaction together with the dedup state, or none of it is.
/// </summary>
public sealed class CommitRequest
{
    public List<TelemetryPoint> Points { get; } = new(16384);

    public List<QuarantineRecord> Quarantine { get; } = [];

    public Dictionary<string, string> Checkpoints { get; } = new(StringComparer.Ordinal);

    public List<long> CuredQuarantineIds { get; } = [];

    public bool IsEmpty => Points.Count == 0 && Quarantine.Count == 0 && Checkpoints.Count == 0 && CuredQuarantineIds.Count == 0;

    public void Clear()
    {
        Points.Clear();
        Quarantine.Clear();
        Checkpoints.Clear();
        CuredQuarantineIds.Clear();
    }
}

/// <summary>What a commit did: the segment id (0 when it had no points) and the points it had to drop.</summary>
public readonly record struct CommitResult(long SegmentId, int DroppedSegments, long DroppedPoints);
