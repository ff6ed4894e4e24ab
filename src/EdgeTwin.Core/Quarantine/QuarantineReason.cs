namespace EdgeTwin.Core.Quarantine;

/// <summary>Why a reading or record was quarantined instead of forwarded (docs/architecture.md §2.1).</summary>
public enum QuarantineReason : byte
{
    MissingAsset = 1,
    MissingTimestamp = 2,
    UnmappedSource = 3,
    NonFiniteValue = 4,
    ClockSkewPast = 5,
    ClockSkewFuture = 6,
    UnknownAsset = 7,
    InvalidName = 8,
    MissingValue = 9,
    InvalidPayload = 10,
    CorruptRecord = 11,
    SinkRejected = 12,
    PayloadTooLarge = 13,

    /// <summary>The equipment reported a Bad status for the value (an OPC UA StatusCode with severity Bad).</summary>
    BadStatus = 14,

    /// <summary>The node is gone: deleted, unknown, or its namespace URI is no longer served.</summary>
    NodeUnavailable = 15,
}

public static class QuarantineReasons
{
    public static string ToText(QuarantineReason reason) => reason switch
    {
        QuarantineReason.MissingAsset => "missing_asset",
        QuarantineReason.MissingTimestamp => "missing_timestamp",
        QuarantineReason.UnmappedSource => "unmapped_source",
        QuarantineReason.NonFiniteValue => "non_finite_value",
        QuarantineReason.ClockSkewPast => "clock_skew_past",
        QuarantineReason.ClockSkewFuture => "clock_skew_future",
        QuarantineReason.UnknownAsset => "unknown_asset",
        QuarantineReason.InvalidName => "invalid_name",
        QuarantineReason.MissingValue => "missing_value",
        QuarantineReason.InvalidPayload => "invalid_payload",
        QuarantineReason.CorruptRecord => "corrupt_record",
        QuarantineReason.SinkRejected => "sink_rejected",
        QuarantineReason.PayloadTooLarge => "payload_too_large",
        QuarantineReason.BadStatus => "bad_status",
        QuarantineReason.NodeUnavailable => "node_unavailable",
        _ => "unknown",
    };

    public static bool TryParse(string text, out QuarantineReason reason)
    {
        foreach (var r in Enum.GetValues<QuarantineReason>())
        {
            if (ToText(r) == text) { reason = r; return true; }
        }
        reason = default;
        return false;
    }

    /// <summary>Reasons a replay can cure by a fixed mapping, registry or clock; corrupt records cannot be replayed.</summary>
    public static bool IsReplayable(QuarantineReason reason) => reason is not QuarantineReason.CorruptRecord;
}
