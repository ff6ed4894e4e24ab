namespace EdgeTwin.Core.Telemetry;

/// <summary>
/// The canonical point: a stream (asset, metric, source, tags), a UTC timestamp in 100 ns ticks, a value,
/// its quality and the raw status code. <see cref="Replayed"/> marks backlog points on the wire.
/// </summary>
public readonly struct TelemetryPoint
{
    public TelemetryPoint(StreamDescriptor stream, long timestampTicks, PointValue value, Quality quality, uint statusCode, bool replayed = false, long endTicks = 0)
    {
        EndTicks = endTicks;
        Stream = stream;
        TimestampTicks = timestampTicks;
        Value = value;
        Quality = quality;
        StatusCode = statusCode;
        Replayed = replayed;
    }

    public StreamDescriptor Stream { get; }

    /// <summary>UTC ticks (100 ns since 0001-01-01T00:00:00Z), as <see cref="DateTime.Ticks"/>.</summary>
    public long TimestampTicks { get; }

    public PointValue Value { get; }

    public Quality Quality { get; }

    public uint StatusCode { get; }

    public bool Replayed { get; }

    /// <summary>For events that cover a time range (a loss-ledger record): the range's last timestamp; 0 for none.</summary>
    public long EndTicks { get; }

    public DateTime Timestamp => new(TimestampTicks, DateTimeKind.Utc);

    public SeriesKey Series => Stream.Series;

    public string IdempotentKey => Telemetry.IdempotentKey.Format(Stream.Series, TimestampTicks);

    public TelemetryPoint AsReplayed() => new(Stream, TimestampTicks, Value, Quality, StatusCode, replayed: true, EndTicks);
}
