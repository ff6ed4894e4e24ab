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
    /// <summary>
    /// The source's address for the reading; for a reading that carries its <see cref="Target"/> without one (a
    /// simulator's derived channel), the target's address, built when asked for (quarantine, logs).
    /// </summary>
    public string Address { get => field ?? Target?.Stream.Source ?? ""; init; } = Address;

    /// <summary>
    /// The mapping this reading lands on, when the source resolved it against the pipeline's own registry (a
    /// simulator registered with it): the normalizer takes it as is instead of looking the address up.
    /// </summary>
    public Assets.MappingTarget? Target { get; init; }

    /// <summary>A reading already resolved to <paramref name="target"/>, with no address string of its own.</summary>
    public static Reading ForTarget(Assets.MappingTarget target, long timestampTicks, PointValue value) =>
        new(null!, timestampTicks, value) { Target = target };

    public Quality EffectiveQuality => Quality ?? QualityCodes.FromStatusCode(StatusCode);
}
