namespace EdgeTwin.Core.Telemetry;

/// <summary>
/// A raw reading as a source delivers it, before mapping and validation. A source knows its own address for
/// the reading (an OPC UA node id, an MQTT topic, a simulator channel); it may also name the asset and metric
/// itself (an MQTT topic template, a multi-metric payload). <see cref="TimestampTicks"/> is 0 when the
/// source gave no timestamp. <see cref="Raw"/> keeps the original input, when there is one, for quarantine.
/// A source that could not parse its input at all sets <see cref="Error"/>: the reading is quarantined as an
/// invalid payload (or for <see cref="ErrorReason"/>, when the source knows a more precise one), with the error
/// and the raw input, instead of being dropped.
/// </summary>
public readonly record struct Reading(
    string Address,
    long TimestampTicks,
    PointValue Value,
    uint StatusCode = 0,
    Quality? Quality = null,
    string? AssetId = null,
    string? Metric = null,
    string? Raw = null,
    string? Error = null,
    Quarantine.QuarantineReason? ErrorReason = null)
{
    public Quality EffectiveQuality => Quality ?? QualityCodes.FromStatusCode(StatusCode);
}
