namespace EdgeTwin.Storage;

/// <summary>A loss-ledger entry: <see cref="Count"/> points of one series, from <see cref="FromTicks"/> to <see cref="ToTicks"/>, dropped up to <see cref="AtTicks"/>.</summary>
public sealed record LossRecord(long AtTicks, string AssetId, string Metric, long FromTicks, long ToTicks, long Count, string Reason)
{
    public long Id { get; init; }

    /// <summary>Still open: further drops of the series extend it (range and count).</summary>
    public bool Open { get; init; }

    /// <summary>When the range was opened (UTC ticks); <see cref="AtTicks"/> is when it was last extended.</summary>
    public long OpenedTicks { get; init; }
}
