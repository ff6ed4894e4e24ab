namespace EdgeTwin.Storage;

/// <summary>A loss-ledger entry: <see cref="Count"/> points of one series, from <see cref="FromTicks"/> to <see cref="ToTicks"/>, dropped at <see cref="AtTicks"/>.</summary>
public sealed record LossRecord(long AtTicks, string AssetId, string Metric, long FromTicks, long ToTicks, long Count, string Reason)
{
    public long Id { get; init; }
}
