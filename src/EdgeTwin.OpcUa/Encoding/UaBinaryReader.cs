using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.OpcUa.Encoding;

/// <summary>
/// Reads UA Binary (OPC 10000-6 §5.2) from a complete message. Every length read from the wire is checked
/// against <see cref="UaEncodingLimits"/> and against the bytes that remain before anything is allocated,
/// so truncated or hostile input fails with <see cref="UaDecodingException"/> naming the byte offset.
/// </summary>
public ref partial struct UaBinaryReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    // A message in one piece (a reassembled response, a notification body) is read straight from its span; only
    // data spread over several buffers (chunks still in the pipe) goes through the SequenceReader.
    private readonly ReadOnlySpan<byte> _span;
    private int _offset;
    private SequenceReader<byte> _reader;
    private readonly bool _segmented;
    private readonly long _baseOffset;
    private int _depth;

    public UaBinaryReader(ReadOnlySequence<byte> data, UaEncodingLimits? limits = null, long baseOffset = 0)
    {
        _segmented = !data.IsSingleSegment;
        if (_segmented)
        {
            _reader = new SequenceReader<byte>(data);
        }
        else
        {
            _span = data.FirstSpan;
        }

        Limits = limits ?? UaEncodingLimits.Default;
        _baseOffset = baseOffset;
        _depth = 0;
    }

    public UaBinaryReader(ReadOnlyMemory<byte> data, UaEncodingLimits? limits = null, long baseOffset = 0)
        : this(data.Span, limits, baseOffset)
    {
    }

    /// <summary>Reads <paramref name="data"/>, whose first byte is at <paramref name="baseOffset"/> of the message.</summary>
    public UaBinaryReader(ReadOnlySpan<byte> data, UaEncodingLimits? limits = null, long baseOffset = 0)
    {
        _span = data;
        Limits = limits ?? UaEncodingLimits.Default;
        _baseOffset = baseOffset;
        _depth = 0;
    }

    public UaEncodingLimits Limits { get; }

    /// <summary>Offset of the next byte, counted from the start of the message.</summary>
    public readonly long Position => _baseOffset + (_segmented ? _reader.Consumed : _offset);

    public readonly long Remaining => _segmented ? _reader.Remaining : _span.Length - _offset;

    public readonly bool End => Remaining == 0;

    public bool ReadBoolean() => ReadByte() != 0;

    public sbyte ReadSByte() => unchecked((sbyte)ReadByte());

    public byte ReadByte()
    {
        if (!_segmented)
        {
            if ((uint)_offset < (uint)_span.Length)
            {
                return _span[_offset++];
            }
        }
        else if (_reader.TryRead(out var value))
        {
            return value;
        }

        throw Truncated(1);
    }

    public short ReadInt16()
    {
        if (!_segmented)
        {
            if (_span.Length - _offset >= 2)
            {
                var value = BinaryPrimitives.ReadInt16LittleEndian(_span[_offset..]);
                _offset += 2;
                return value;
            }
        }
        else if (_reader.TryReadLittleEndian(out short value))
        {
            return value;
        }

        throw Truncated(2);
    }

    public ushort ReadUInt16() => unchecked((ushort)ReadInt16());

    public int ReadInt32()
    {
        if (!_segmented)
        {
            if (_span.Length - _offset >= 4)
            {
                var value = BinaryPrimitives.ReadInt32LittleEndian(_span[_offset..]);
                _offset += 4;
                return value;
            }
        }
        else if (_reader.TryReadLittleEndian(out int value))
        {
            return value;
        }

        throw Truncated(4);
    }

    public uint ReadUInt32() => unchecked((uint)ReadInt32());

    public long ReadInt64()
    {
        if (!_segmented)
        {
            if (_span.Length - _offset >= 8)
            {
                var value = BinaryPrimitives.ReadInt64LittleEndian(_span[_offset..]);
                _offset += 8;
                return value;
            }
        }
        else if (_reader.TryReadLittleEndian(out long value))
        {
            return value;
        }

        throw Truncated(8);
    }

    public ulong ReadUInt64() => unchecked((ulong)ReadInt64());

    public float ReadFloat() => BitConverter.Int32BitsToSingle(ReadInt32());

    public double ReadDouble() => BitConverter.Int64BitsToDouble(ReadInt64());

    public DateTime ReadDateTime() => UaDateTime.FromWire(ReadInt64());

    public StatusCode ReadStatusCode() => new(ReadUInt32());

    public Guid ReadGuid()
    {
        Span<byte> bytes = stackalloc byte[16];
        if (Remaining < 16)
        {
            throw Truncated(16);
        }

        CopyAndAdvance(bytes);
        return new Guid(bytes);
    }

    public string? ReadString() => ReadStringCore(Limits.MaxStringLength, "String");

    public string? ReadXmlElement() => ReadStringCore(Limits.MaxStringLength, "XmlElement");

    public byte[]? ReadByteString()
    {
        var start = Position;
        var length = ReadInt32();
        if (length < 0)
        {
            return length == -1 ? null : throw new UaDecodingException(StatusCode.BadDecodingError, start, $"ByteString length {length} is negative");
        }

        CheckLength(start, length, Limits.MaxByteStringLength, "ByteString");
        var bytes = new byte[length];
        CopyAndAdvance(bytes);
        return bytes;
    }

    /// <summary>
    /// Reads an array length prefix: -1 (null array) is returned as -1; any other negative value, a count over
    /// <see cref="UaEncodingLimits.MaxArrayLength"/>, or a count whose elements of at least
    /// <paramref name="minElementSize"/> bytes cannot fit in what remains, is an error.
    /// </summary>
    public int ReadArrayLength(int minElementSize = 1)
    {
        var start = Position;
        var count = ReadInt32();
        if (count < 0)
        {
            return count == -1 ? -1 : throw new UaDecodingException(StatusCode.BadDecodingError, start, $"array length {count} is negative");
        }

        if (count > Limits.MaxArrayLength)
        {
            throw new UaDecodingException(StatusCode.BadEncodingLimitsExceeded, start, $"array length {count} exceeds the limit of {Limits.MaxArrayLength}");
        }

        if ((long)count * minElementSize > Remaining)
        {
            throw new UaDecodingException(StatusCode.BadDecodingError, start, $"array length {count} needs at least {(long)count * minElementSize} bytes but only {Remaining} remain");
        }

        return count;
    }

    public string?[]? ReadStringArray()
    {
        var count = ReadArrayLength(4);
        if (count < 0)
        {
            return null;
        }

        var values = new string?[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = ReadString();
        }

        return values;
    }

    public StatusCode[]? ReadStatusCodeArray()
    {
        var count = ReadArrayLength(4);
        if (count < 0)
        {
            return null;
        }

        var values = new StatusCode[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = ReadStatusCode();
        }

        return values;
    }

    public DiagnosticInfo[]? ReadDiagnosticInfoArray()
    {
        var count = ReadArrayLength(1);
        if (count < 0)
        {
            return null;
        }

        var values = new DiagnosticInfo[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = ReadDiagnosticInfo();
        }

        return values;
    }

    /// <summary>NodeId in any of its six encodings (OPC 10000-6 §5.2.2.9).</summary>
    public NodeId ReadNodeId()
    {
        var start = Position;
        var encoding = ReadByte();
        if ((encoding & 0xC0) != 0)
        {
            throw new UaDecodingException(StatusCode.BadDecodingError, start, $"NodeId encoding byte 0x{encoding:X2} has ExpandedNodeId flags set");
        }

        return ReadNodeIdBody(encoding, start);
    }

    /// <summary>ExpandedNodeId: a NodeId whose encoding byte may add a namespace URI (0x80) and a server index (0x40).</summary>
    public ExpandedNodeId ReadExpandedNodeId()
    {
        var start = Position;
        var encoding = ReadByte();
        var nodeId = ReadNodeIdBody((byte)(encoding & 0x3F), start);
        string? uri = null;
        uint server = 0;
        if ((encoding & 0x80) != 0)
        {
            uri = ReadString();
        }

        if ((encoding & 0x40) != 0)
        {
            server = ReadUInt32();
        }

        return new ExpandedNodeId(nodeId, uri, server);
    }

    public QualifiedName ReadQualifiedName()
    {
        var ns = ReadUInt16();
        return new QualifiedName(ns, ReadString());
    }

    public LocalizedText ReadLocalizedText()
    {
        var start = Position;
        var mask = ReadByte();
        if ((mask & ~0x03) != 0)
        {
            throw new UaDecodingException(StatusCode.BadDecodingError, start, $"LocalizedText mask 0x{mask:X2} has unknown bits");
        }

        var locale = (mask & 0x01) != 0 ? ReadString() : null;
        var text = (mask & 0x02) != 0 ? ReadString() : null;
        return new LocalizedText(locale, text);
    }

    /// <summary>ExtensionObject: encoding NodeId, body kind, then the body kept as bytes (OPC 10000-6 §5.2.2.15).</summary>
    public ExtensionObject ReadExtensionObject()
    {
        var body = ReadExtensionObjectInPlace(out var typeId, out var encoding);
        if (encoding == ExtensionObjectEncoding.None)
        {
            return typeId.IsNull ? ExtensionObject.Null : new ExtensionObject(typeId, ExtensionObjectEncoding.None, default);
        }

        var bytes = new byte[body.Remaining];
        body.CopyAndAdvance(bytes);
        return new ExtensionObject(typeId, encoding, bytes);
    }

    /// <summary>
    /// An ExtensionObject whose body the caller decodes where it lies, without copying it: reads the TypeId, the
    /// body kind and the length, steps over the body, and returns a reader limited to the body (empty when there
    /// is none) whose <see cref="Position"/> still counts from the start of the whole message.
    /// </summary>
    public UaBinaryReader ReadExtensionObjectInPlace(out NodeId typeId, out ExtensionObjectEncoding encoding)
    {
        typeId = ReadNodeId();
        var start = Position;
        var kind = ReadByte();
        if (kind > 2)
        {
            throw new UaDecodingException(StatusCode.BadDecodingError, start, $"ExtensionObject encoding {kind} is not 0, 1 or 2");
        }

        encoding = (ExtensionObjectEncoding)kind;
        if (kind == 0)
        {
            return new UaBinaryReader(ReadOnlySpan<byte>.Empty, Limits, Position);
        }

        var bodyStart = Position;
        var length = ReadInt32();
        if (length < 0)
        {
            throw new UaDecodingException(StatusCode.BadDecodingError, bodyStart, $"ExtensionObject body length {length} is negative");
        }

        CheckLength(bodyStart, length, Limits.MaxByteStringLength, "ExtensionObject body");
        var body = _segmented
            ? new UaBinaryReader(_reader.UnreadSequence.Slice(0, length), Limits, Position)
            : new UaBinaryReader(_span.Slice(_offset, length), Limits, Position);
        Advance(length);
        return body;
    }

    /// <summary>DataValue: mask then the present fields in wire order (OPC 10000-6 §5.2.2.17).</summary>
    public DataValue ReadDataValue()
    {
        var start = Position;
        var mask = ReadByte();
        if ((mask & 0xC0) != 0)
        {
            throw new UaDecodingException(StatusCode.BadDecodingError, start, $"DataValue mask 0x{mask:X2} has unknown bits");
        }

        Enter(start);
        var value = (mask & 0x01) != 0 ? ReadVariant() : Variant.Null;
        var status = (mask & 0x02) != 0 ? ReadUInt32() : 0;
        var sourceTimestamp = (mask & 0x04) != 0 ? ReadDateTime() : default;
        var sourcePicoseconds = (mask & 0x10) != 0 ? ReadUInt16() : (ushort)0;
        var serverTimestamp = (mask & 0x08) != 0 ? ReadDateTime() : default;
        var serverPicoseconds = (mask & 0x20) != 0 ? ReadUInt16() : (ushort)0;
        _depth--;
        return new DataValue(mask, value, status, sourceTimestamp, sourcePicoseconds, serverTimestamp, serverPicoseconds);
    }

    /// <summary>DiagnosticInfo: mask then present fields, Locale before LocalizedText on the wire (OPC 10000-6 §5.2.2.12).</summary>
    public DiagnosticInfo ReadDiagnosticInfo()
    {
        var start = Position;
        var mask = ReadByte();
        if ((mask & 0x80) != 0)
        {
            throw new UaDecodingException(StatusCode.BadDecodingError, start, $"DiagnosticInfo mask 0x{mask:X2} has unknown bits");
        }

        if (mask == 0)
        {
            return DiagnosticInfo.Empty;
        }

        Enter(start);
        var result = new DiagnosticInfo
        {
            SymbolicId = (mask & 0x01) != 0 ? ReadInt32() : -1,
            NamespaceUri = (mask & 0x02) != 0 ? ReadInt32() : -1,
            Locale = (mask & 0x08) != 0 ? ReadInt32() : -1,
            LocalizedText = (mask & 0x04) != 0 ? ReadInt32() : -1,
            AdditionalInfo = (mask & 0x10) != 0 ? ReadString() : null,
            InnerStatusCode = (mask & 0x20) != 0 ? ReadStatusCode() : null,
            InnerDiagnosticInfo = (mask & 0x40) != 0 ? ReadDiagnosticInfo() : null,
        };
        _depth--;
        return result;
    }

    /// <summary>Variant: scalar, array, or matrix with its dimensions (OPC 10000-6 §5.2.2.16).</summary>
    public Variant ReadVariant()
    {
        var start = Position;
        var encoding = ReadByte();
        var typeId = encoding & 0x3F;
        if (typeId == 0)
        {
            if (encoding != 0)
            {
                throw new UaDecodingException(StatusCode.BadDecodingError, start, $"Variant encoding 0x{encoding:X2}: a null variant has no array flags");
            }

            return Variant.Null;
        }

        // OPC 10000-6 §5.2.2.16: unknown type ids 26-31 are decoded as ByteString.
        var type = typeId > 25 ? BuiltInType.ByteString : (BuiltInType)typeId;
        var isArray = (encoding & 0x80) != 0;
        var hasDimensions = (encoding & 0x40) != 0;
        if (hasDimensions && !isArray)
        {
            throw new UaDecodingException(StatusCode.BadDecodingError, start, $"Variant encoding 0x{encoding:X2} has dimensions without the array flag");
        }

        Enter(start);
        Variant result;
        if (!isArray)
        {
            if (type == BuiltInType.Variant)
            {
                throw new UaDecodingException(StatusCode.BadDecodingError, start, "a scalar Variant cannot contain a Variant");
            }

            result = ReadScalar(type);
        }
        else
        {
            var values = ReadArrayOf(type);
            int[]? dimensions = null;
            if (hasDimensions)
            {
                dimensions = ReadDimensions(values?.Length ?? 0);
            }

            result = values is null ? Variant.Null : Variant.FromArray(type, values, dimensions);
        }

        _depth--;
        return result;
    }

    private int[] ReadDimensions(int flattenedLength)
    {
        var start = Position;
        var count = ReadInt32();
        if (count < 1 || count > Limits.MaxArrayDimensions)
        {
            throw new UaDecodingException(count > Limits.MaxArrayDimensions ? StatusCode.BadEncodingLimitsExceeded : StatusCode.BadDecodingError, start, $"Variant array dimension count {count} is outside 1..{Limits.MaxArrayDimensions}");
        }

        if ((long)count * 4 > Remaining)
        {
            throw Truncated(count * 4);
        }

        var dimensions = new int[count];
        long product = 1;
        for (var i = 0; i < count; i++)
        {
            var dimStart = Position;
            dimensions[i] = ReadInt32();
            if (dimensions[i] < 0)
            {
                throw new UaDecodingException(StatusCode.BadDecodingError, dimStart, $"Variant array dimension {i} is negative ({dimensions[i]})");
            }

            product *= dimensions[i];
            if (product > int.MaxValue)
            {
                product = int.MaxValue;
            }
        }

        if (product != flattenedLength)
        {
            throw new UaDecodingException(StatusCode.BadDecodingError, start, $"Variant array dimensions multiply to {product} but the array has {flattenedLength} elements");
        }

        return dimensions;
    }

    /// <summary>
    /// One value of a built-in type as a structure field holds it (OPC 10000-6 §5.2.6): a scalar, or with
    /// <paramref name="array"/> an Int32 length and its elements. A Variant field is a whole Variant.
    /// </summary>
    public Variant ReadField(BuiltInType type, bool array)
    {
        if (type is BuiltInType.Null or > BuiltInType.DiagnosticInfo)
        {
            throw new UaDecodingException(StatusCode.BadDecodingError, Position, $"a structure field cannot be of built-in type {(int)type}");
        }

        if (!array)
        {
            return type == BuiltInType.Variant ? ReadVariant() : ReadScalar(type);
        }

        var values = ReadArrayOf(type);
        return values is null ? Variant.Null : Variant.FromArray(type, values);
    }

    private Variant ReadScalar(BuiltInType type) => type switch
    {
        BuiltInType.Boolean => new Variant(ReadBoolean()),
        BuiltInType.SByte => new Variant(ReadSByte()),
        BuiltInType.Byte => new Variant(ReadByte()),
        BuiltInType.Int16 => new Variant(ReadInt16()),
        BuiltInType.UInt16 => new Variant(ReadUInt16()),
        BuiltInType.Int32 => new Variant(ReadInt32()),
        BuiltInType.UInt32 => new Variant(ReadUInt32()),
        BuiltInType.Int64 => new Variant(ReadInt64()),
        BuiltInType.UInt64 => new Variant(ReadUInt64()),
        BuiltInType.Float => new Variant(ReadFloat()),
        BuiltInType.Double => new Variant(ReadDouble()),
        BuiltInType.String => new Variant(ReadString()),
        BuiltInType.DateTime => new Variant(ReadDateTime()),
        BuiltInType.Guid => new Variant(ReadGuid()),
        BuiltInType.ByteString => Variant.FromByteString(ReadByteString()),
        BuiltInType.XmlElement => Variant.FromXmlElement(ReadXmlElement()),
        BuiltInType.NodeId => new Variant(ReadNodeId()),
        BuiltInType.ExpandedNodeId => new Variant(ReadExpandedNodeId()),
        BuiltInType.StatusCode => new Variant(ReadStatusCode()),
        BuiltInType.QualifiedName => new Variant(ReadQualifiedName()),
        BuiltInType.LocalizedText => new Variant(ReadLocalizedText()),
        BuiltInType.ExtensionObject => new Variant(ReadExtensionObject()),
        BuiltInType.DataValue => new Variant(ReadDataValue()),
        _ => new Variant(ReadDiagnosticInfo()),
    };

    private Array? ReadArrayOf(BuiltInType type)
    {
        var count = ReadArrayLength(MinimumSize(type));
        return count < 0 ? null : ReadElements(type, count);
    }

    /// <summary><paramref name="count"/> elements of <paramref name="type"/>, checked by the caller against the bytes left.</summary>
    private Array ReadElements(BuiltInType type, int count)
    {
        switch (type)
        {
            case BuiltInType.Boolean: return Fill(new bool[count], ref this, static (ref UaBinaryReader r) => r.ReadBoolean());
            case BuiltInType.SByte: return Fill(new sbyte[count], ref this, static (ref UaBinaryReader r) => r.ReadSByte());
            case BuiltInType.Byte:
                var bytes = new byte[count];
                CopyAndAdvance(bytes);
                return bytes;
            case BuiltInType.Int16: return Fill(new short[count], ref this, static (ref UaBinaryReader r) => r.ReadInt16());
            case BuiltInType.UInt16: return Fill(new ushort[count], ref this, static (ref UaBinaryReader r) => r.ReadUInt16());
            case BuiltInType.Int32: return Fill(new int[count], ref this, static (ref UaBinaryReader r) => r.ReadInt32());
            case BuiltInType.UInt32: return Fill(new uint[count], ref this, static (ref UaBinaryReader r) => r.ReadUInt32());
            case BuiltInType.Int64: return Fill(new long[count], ref this, static (ref UaBinaryReader r) => r.ReadInt64());
            case BuiltInType.UInt64: return Fill(new ulong[count], ref this, static (ref UaBinaryReader r) => r.ReadUInt64());
            case BuiltInType.Float: return Fill(new float[count], ref this, static (ref UaBinaryReader r) => r.ReadFloat());
            case BuiltInType.Double: return Fill(new double[count], ref this, static (ref UaBinaryReader r) => r.ReadDouble());
            case BuiltInType.String: return Fill(new string?[count], ref this, static (ref UaBinaryReader r) => r.ReadString());
            case BuiltInType.XmlElement: return Fill(new string?[count], ref this, static (ref UaBinaryReader r) => r.ReadXmlElement());
            case BuiltInType.DateTime: return Fill(new DateTime[count], ref this, static (ref UaBinaryReader r) => r.ReadDateTime());
            case BuiltInType.Guid: return Fill(new Guid[count], ref this, static (ref UaBinaryReader r) => r.ReadGuid());
            case BuiltInType.ByteString: return Fill(new byte[]?[count], ref this, static (ref UaBinaryReader r) => r.ReadByteString());
            case BuiltInType.NodeId: return Fill(new NodeId[count], ref this, static (ref UaBinaryReader r) => r.ReadNodeId());
            case BuiltInType.ExpandedNodeId: return Fill(new ExpandedNodeId[count], ref this, static (ref UaBinaryReader r) => r.ReadExpandedNodeId());
            case BuiltInType.StatusCode: return Fill(new StatusCode[count], ref this, static (ref UaBinaryReader r) => r.ReadStatusCode());
            case BuiltInType.QualifiedName: return Fill(new QualifiedName[count], ref this, static (ref UaBinaryReader r) => r.ReadQualifiedName());
            case BuiltInType.LocalizedText: return Fill(new LocalizedText[count], ref this, static (ref UaBinaryReader r) => r.ReadLocalizedText());
            case BuiltInType.ExtensionObject: return Fill(new ExtensionObject[count], ref this, static (ref UaBinaryReader r) => r.ReadExtensionObject());
            case BuiltInType.DataValue: return Fill(new DataValue[count], ref this, static (ref UaBinaryReader r) => r.ReadDataValue());
            case BuiltInType.Variant: return Fill(new Variant[count], ref this, static (ref UaBinaryReader r) => r.ReadVariant());
            default: return Fill(new DiagnosticInfo[count], ref this, static (ref UaBinaryReader r) => r.ReadDiagnosticInfo());
        }
    }

    /// <summary>
    /// Reads an array of structures: the length (checked as <see cref="ReadArrayLength"/> does, with elements of
    /// at least <paramref name="minElementSize"/> bytes), then each element. A null array is returned empty.
    /// </summary>
    public T[] ReadArray<T>(int minElementSize, ElementReader<T> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        var count = ReadArrayLength(minElementSize);
        return count <= 0 ? [] : Fill(new T[count], ref this, read);
    }

    private static T[] Fill<T>(T[] values, ref UaBinaryReader reader, ElementReader<T> read)
    {
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = read(ref reader);
        }

        return values;
    }

    // The fewest bytes one element can take on the wire: a bound on what an array length may claim.
    private static int MinimumSize(BuiltInType type) => type switch
    {
        BuiltInType.Int16 or BuiltInType.UInt16 => 2,
        BuiltInType.Int32 or BuiltInType.UInt32 or BuiltInType.Float or BuiltInType.StatusCode or BuiltInType.String
            or BuiltInType.ByteString or BuiltInType.XmlElement => 4,
        BuiltInType.Int64 or BuiltInType.UInt64 or BuiltInType.Double or BuiltInType.DateTime => 8,
        BuiltInType.Guid => 16,
        BuiltInType.NodeId or BuiltInType.ExpandedNodeId => 2,
        BuiltInType.QualifiedName => 6,
        BuiltInType.ExtensionObject => 3,
        _ => 1,
    };

    private NodeId ReadNodeIdBody(byte encoding, long start)
    {
        switch (encoding)
        {
            case 0x00:
                return new NodeId(ReadByte());
            case 0x01:
                var ns = ReadByte();
                return new NodeId(ReadUInt16(), ns);
            case 0x02:
                var ns2 = ReadUInt16();
                return new NodeId(ReadUInt32(), ns2);
            case 0x03:
                var ns3 = ReadUInt16();
                var idStart = Position;
                var text = ReadString();
                return text is null
                    ? throw new UaDecodingException(StatusCode.BadDecodingError, idStart, "String NodeId has a null identifier")
                    : new NodeId(text, ns3);
            case 0x04:
                var ns4 = ReadUInt16();
                return new NodeId(ReadGuid(), ns4);
            case 0x05:
                var ns5 = ReadUInt16();
                return new NodeId(ReadByteString() ?? [], ns5);
            default:
                throw new UaDecodingException(StatusCode.BadDecodingError, start, $"NodeId encoding 0x{encoding:X2} is not 0-5");
        }
    }

    private string? ReadStringCore(int limit, string what)
    {
        var start = Position;
        var length = ReadInt32();
        if (length < 0)
        {
            return length == -1 ? null : throw new UaDecodingException(StatusCode.BadDecodingError, start, $"{what} length {length} is negative");
        }

        CheckLength(start, length, limit, what);
        if (length == 0)
        {
            return string.Empty;
        }

        try
        {
            var unread = _segmented ? _reader.UnreadSpan : _span[_offset..];
            if (unread.Length >= length)
            {
                var value = StrictUtf8.GetString(unread[..length]);
                Advance(length);
                return value;
            }

            var rented = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                _reader.TryCopyTo(rented.AsSpan(0, length));
                var value = StrictUtf8.GetString(rented, 0, length);
                _reader.Advance(length);
                return value;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
        catch (DecoderFallbackException)
        {
            throw new UaDecodingException(StatusCode.BadDecodingError, start + 4, $"{what} is not valid UTF-8");
        }
    }

    private readonly void CheckLength(long start, int length, int limit, string what)
    {
        if (length > limit)
        {
            throw new UaDecodingException(StatusCode.BadEncodingLimitsExceeded, start, $"{what} length {length} exceeds the limit of {limit}");
        }

        if (length > Remaining)
        {
            throw new UaDecodingException(StatusCode.BadDecodingError, start, $"{what} length {length} exceeds the {Remaining} bytes that remain");
        }
    }

    private void Enter(long start)
    {
        if (++_depth > Limits.MaxNestingDepth)
        {
            throw new UaDecodingException(StatusCode.BadEncodingLimitsExceeded, start, $"nesting deeper than {Limits.MaxNestingDepth}");
        }
    }

    /// <summary>Skips <paramref name="count"/> bytes that the caller knows are present.</summary>
    public void Skip(int count)
    {
        if (count < 0 || count > Remaining)
        {
            throw Truncated(count);
        }

        Advance(count);
    }

    // Both take a count the caller has checked against Remaining.
    private void Advance(int count)
    {
        if (_segmented)
        {
            _reader.Advance(count);
        }
        else
        {
            _offset += count;
        }
    }

    private void CopyAndAdvance(scoped Span<byte> destination)
    {
        if (_segmented)
        {
            _reader.TryCopyTo(destination);
            _reader.Advance(destination.Length);
        }
        else
        {
            _span.Slice(_offset, destination.Length).CopyTo(destination);
            _offset += destination.Length;
        }
    }

    private readonly UaDecodingException Truncated(int needed) =>
        new(StatusCode.BadDecodingError, Position, $"message ends early: {needed} bytes needed, {Remaining} remain");
}

/// <summary>Reads one element of an array for <see cref="UaBinaryReader.ReadArray{T}"/>.</summary>
public delegate T ElementReader<T>(ref UaBinaryReader reader);
