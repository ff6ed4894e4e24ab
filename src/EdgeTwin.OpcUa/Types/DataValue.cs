namespace EdgeTwin.OpcUa.Types;

/// <summary>
/// A value with its quality and timestamps (OPC 10000-4 §7.11). Absent fields are null; an absent status means
/// Good. Timestamps are UTC; picoseconds are in 10 ps units (0-9999). Held as the wire holds it (a mask plus raw
/// fields, 64 bytes): a publish response carries thousands, and the smaller array stays off the large object heap.
/// </summary>
public readonly record struct DataValue
{
    private const byte HasStatus = 0x01;
    private const byte HasSourceTimestamp = 0x02;
    private const byte HasSourcePicoseconds = 0x04;
    private const byte HasServerTimestamp = 0x08;
    private const byte HasServerPicoseconds = 0x10;

    private readonly DateTime _sourceTimestamp;
    private readonly DateTime _serverTimestamp;
    private readonly uint _status;
    private readonly ushort _sourcePicoseconds;
    private readonly ushort _serverPicoseconds;
    private readonly byte _present;

    public DataValue(Variant value, StatusCode? status = null, DateTime? sourceTimestamp = null, DateTime? serverTimestamp = null)
    {
        Value = value;
        Status = status;
        SourceTimestamp = sourceTimestamp;
        ServerTimestamp = serverTimestamp;
    }

    /// <summary>Straight from the decoder: <paramref name="mask"/> is the DataValue encoding mask (OPC 10000-6 §5.2.2.17).</summary>
    internal DataValue(byte mask, Variant value, uint status, DateTime sourceTimestamp, ushort sourcePicoseconds, DateTime serverTimestamp, ushort serverPicoseconds)
    {
        Value = value;
        _present = (byte)(((mask & 0x02) != 0 ? HasStatus : 0) | ((mask & 0x04) != 0 ? HasSourceTimestamp : 0) | ((mask & 0x10) != 0 ? HasSourcePicoseconds : 0)
            | ((mask & 0x08) != 0 ? HasServerTimestamp : 0) | ((mask & 0x20) != 0 ? HasServerPicoseconds : 0));
        _status = status;
        _sourceTimestamp = sourceTimestamp;
        _sourcePicoseconds = sourcePicoseconds;
        _serverTimestamp = serverTimestamp;
        _serverPicoseconds = serverPicoseconds;
    }

    public Variant Value { get; init; }

    public StatusCode? Status
    {
        get => (_present & HasStatus) != 0 ? new StatusCode(_status) : null;
        init
        {
            _status = value?.Code ?? 0;
            _present = With(HasStatus, value.HasValue);
        }
    }

    public DateTime? SourceTimestamp
    {
        get => (_present & HasSourceTimestamp) != 0 ? _sourceTimestamp : null;
        init
        {
            _sourceTimestamp = value.GetValueOrDefault();
            _present = With(HasSourceTimestamp, value.HasValue);
        }
    }

    public ushort? SourcePicoseconds
    {
        get => (_present & HasSourcePicoseconds) != 0 ? _sourcePicoseconds : null;
        init
        {
            _sourcePicoseconds = value.GetValueOrDefault();
            _present = With(HasSourcePicoseconds, value.HasValue);
        }
    }

    public DateTime? ServerTimestamp
    {
        get => (_present & HasServerTimestamp) != 0 ? _serverTimestamp : null;
        init
        {
            _serverTimestamp = value.GetValueOrDefault();
            _present = With(HasServerTimestamp, value.HasValue);
        }
    }

    public ushort? ServerPicoseconds
    {
        get => (_present & HasServerPicoseconds) != 0 ? _serverPicoseconds : null;
        init
        {
            _serverPicoseconds = value.GetValueOrDefault();
            _present = With(HasServerPicoseconds, value.HasValue);
        }
    }

    /// <summary>The status a consumer should act on: an absent status is Good.</summary>
    public StatusCode EffectiveStatus => new(_status);

    private byte With(byte field, bool present) => (byte)(present ? _present | field : _present & ~field);
}
