using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Core.Quarantine;

/// <summary>
/// A quarantined reading or record: why, when, from which source, and enough of the input to replay it once
/// the cause is fixed. <see cref="Id"/> is assigned by the store.
/// </summary>
public sealed record QuarantineRecord(
    QuarantineReason Reason,
    string Detail,
    string SourceName,
    long ReceivedTicks,
    Reading Reading)
{
    public long Id { get; init; }

    /// <summary>Approximate stored size, used for the quarantine's byte bound.</summary>
    public int ApproximateBytes =>
        64 + (Detail.Length + SourceName.Length + Reading.Address.Length + (Reading.AssetId?.Length ?? 0)
              + (Reading.Metric?.Length ?? 0) + (Reading.Raw?.Length ?? 0)
              + Reading.Value.Kind switch
              {
                  PointValueKind.String => Reading.Value.Text.Length,
                  PointValueKind.Structure => Reading.Value.StructureJson.Length,
                  PointValueKind.Array => Reading.Value.Array.Length * 4,
                  _ => 0,
              }) * 2;
}
