namespace EdgeTwin.Cloud.Ingest;

/// <summary>
/// One point of schema 1.x as a row: a measurement or model output (telemetry table), or an event (events table)
/// when <see cref="EventKind"/> is set. A schema-1.1 array or structure value is <see cref="ValueJson"/> (with the
/// matrix's <see cref="Dimensions"/>), the scalar columns then null. <see cref="Time"/> is the wire timestamp cut to the microsecond, and
/// <see cref="TimeFrac"/> its last 100 ns digit.
/// </summary>
public sealed record PointRow(
    DateTime Time,
    short TimeFrac,
    string AssetId,
    string Metric,
    double? Value,
    string? ValueText,
    bool? ValueBool,
    string Quality,
    long StatusCode,
    string? Unit,
    string? TagsJson,
    string Model,
    string ModelVersion,
    string? Source,
    string GatewayId,
    bool Replayed,
    string? EventKind,
    DateTime? TimeEnd,
    string? ValueJson = null,
    int[]? Dimensions = null);

/// <summary>One asset of a gateway's registry from the twin-metadata topic; <see cref="Deleted"/> for a tombstone.</summary>
public sealed record AssetRow(string Id, string Name, string? Parent, string? ModelVersion, string? ConfigJson, string GatewayId, bool Deleted);

/// <summary>A message that could not be read, kept as it arrived.</summary>
public sealed record DeadLetter(string Topic, int Partition, long Offset, byte[]? Key, byte[]? Payload, string Reason);

/// <summary>What one Kafka batch becomes: rows for each table, in arrival order.</summary>
public sealed class IngestBatch
{
    public List<PointRow> Telemetry { get; } = [];

    public List<PointRow> Events { get; } = [];

    public List<AssetRow> Assets { get; } = [];

    public List<DeadLetter> DeadLetters { get; } = [];

    public void Clear()
    {
        Telemetry.Clear();
        Events.Clear();
        Assets.Clear();
        DeadLetters.Clear();
    }
}
