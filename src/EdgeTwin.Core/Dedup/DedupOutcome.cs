namespace EdgeTwin.Core.Dedup;

public enum DedupOutcome : byte
{
    /// <summary>A new point: newer than anything seen, or out of order but not seen before.</summary>
    New,

    /// <summary>The same asset + metric + timestamp was admitted before: dropped.</summary>
    Duplicate,

    /// <summary>
    /// At or below a timestamp its series' history has forgotten, so whether it was seen cannot be told. It is kept
    /// (losing data is worse than a duplicate the cloud upserts by key) and counted.
    /// </summary>
    LateUnverified,
}
