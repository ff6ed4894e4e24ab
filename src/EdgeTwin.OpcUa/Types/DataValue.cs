namespace EdgeTwin.OpcUa.Types;

/// <summary>
/// A value with its quality and timestamps (OPC 10000-4 §7.11). Absent fields are null; an absent status
/// means Good. Timestamps are UTC; picoseconds are in 10 ps units (0-9999).
/// </summary>
public readonly record struct DataValue
{
    public DataValue(Variant value, StatusCode? status = null, DateTime? sourceTimestamp = null, DateTime? serverTimestamp = null)
    {
        Value = value;
        Status = status;
        SourceTimestamp = sourceTimestamp;
        ServerTimestamp = serverTimestamp;
    }

    public Variant Value { get; init; }

    public StatusCode? Status { get; init; }

    public DateTime? SourceTimestamp { get; init; }

    public ushort? SourcePicoseconds { get; init; }

    public DateTime? ServerTimestamp { get; init; }

    public ushort? ServerPicoseconds { get; init; }

    /// <summary>The status a consumer should act on: an absent status is Good.</summary>
    public StatusCode EffectiveStatus => Status ?? StatusCode.Good;
}
