namespace EdgeTwin.Storage;

/// <summary>What the start-up integrity check found and did.</summary>
public sealed class RecoveryReport
{
    public int SegmentsChecked { get; internal set; }

    public long PointsQueued { get; internal set; }

    public int SegmentsReplayed { get; internal set; }

    public int CorruptSegmentsQuarantined { get; internal set; }

    public List<string> Problems { get; } = [];

    /// <summary>Set when the database file could not be opened at all and was moved aside.</summary>
    public string? MovedAsidePath { get; internal set; }

    public bool SnapshotRestored { get; internal set; }

    /// <summary>Series that left memory during the recovery to keep the series state within $.dedup.memoryBytes.</summary>
    public int SeriesEvicted { get; internal set; }

    public TimeSpan Duration { get; internal set; }
}
