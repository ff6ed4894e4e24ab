using System.Buffers;
using System.Buffers.Binary;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.OpcUa.Encoding;

/// <summary>
/// Writes UA Binary (OPC 10000-6 §5.2) into an <see cref="IBufferWriter{T}"/>. NodeIds take their
/// shortest encoding; strings are written as UTF-8 straight into the output.
/// </summary>
public ref struct UaBinaryWriter
{
    private readonly IBufferWriter<byte> _output;
    private readonly int _maxNestingDepth;
    private int _depth;

    public UaBinaryWriter(IBufferWriter<byte> output, int maxNestingDepth = 32)
    {
        _output = output;
        _maxNestingDepth = maxNestingDepth;
        _depth = 0;
        Written = 0;
    }

    /// <summary>Bytes written through this writer.</summary>
    public long Written { get; private set; }

    public void WriteBoolean(bool value) => WriteByte(value ? (byte)1 : (byte)0);

    public void WriteSByte(sbyte value) => WriteByte(unchecked((byte)value));

    public void WriteByte(byte value)
    {
        _output.GetSpan(1)[0] = value;
        Advance(1);
    }

    public void WriteInt16(short value)
    {
        BinaryPrimitives.WriteInt16LittleEndian(_output.GetSpan(2), value);
        Advance(2);
    }

    public void WriteUInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_output.GetSpan(2), value);
        Advance(2);
    }

    public void WriteInt32(int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(_output.GetSpan(4), value);
        Advance(4);
    }

    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_output.GetSpan(4), value);
        Advance(4);
    }

    public void WriteInt64(long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(_output.GetSpan(8), value);
        Advance(8);
    }

    public void WriteUInt64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_output.GetSpan(8), value);
        Advance(8);
    }

    public void WriteFloat(float value) => WriteInt32(BitConverter.SingleToInt32Bits(value));

    public void WriteDouble(double value) => WriteInt64(BitConverter.DoubleToInt64Bits(value));

    public void WriteDateTime(DateTime value) => WriteInt64(UaDateTime.ToWire(value));

    public void WriteStatusCode(StatusCode value) => WriteUInt32(value.Code);

    public void WriteGuid(Guid value)
    {
        value.TryWriteBytes(_output.GetSpan(16));
        Advance(16);
    }

    public void WriteString(string? value)
    {
        if (value is null)
        {
            WriteInt32(-1);
            return;
        }

        var length = System.Text.Encoding.UTF8.GetByteCount(value);
        WriteInt32(length);
        if (length > 0)
        {
            System.Text.Encoding.UTF8.GetBytes(value, _output.GetSpan(length));
            Advance(length);
        }
    }

    public void WriteByteString(ReadOnlySpan<byte> value)
    {
        WriteInt32(value.Length);
        WriteRaw(value);
    }

    public void WriteByteString(byte[]? value)
    {
        if (value is null)
        {
            WriteInt32(-1);
            return;
        }

        WriteByteString(value.AsSpan());
    }

    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > 0)
        {
            bytes.CopyTo(_output.GetSpan(bytes.Length));
            Advance(bytes.Length);
        }
    }

    public void WriteStringArray(IReadOnlyList<string?>? values)
    {
        if (values is null)
        {
            WriteInt32(-1);
            return;
        }

        WriteInt32(values.Count);
        for (var i = 0; i < values.Count; i++)
        {
            WriteString(values[i]);
        }
    }

    /// <summary>NodeId in the shortest of its encodings (OPC 10000-6 §5.2.2.9).</summary>
    public void WriteNodeId(NodeId value) => WriteNodeId(value, 0);

    public void WriteExpandedNodeId(ExpandedNodeId value)
    {
        byte flags = 0;
        if (value.NamespaceUri is not null)
        {
            flags |= 0x80;
        }

        if (value.ServerIndex != 0)
        {
            flags |= 0x40;
        }

        // With a URI the index on the wire is 0 (OPC 10000-6 §5.2.2.10).
        WriteNodeId(value.NamespaceUri is null ? value.NodeId : value.NodeId.WithNamespace(0), flags);
        if (value.NamespaceUri is not null)
        {
            WriteString(value.NamespaceUri);
        }

        if (value.ServerIndex != 0)
        {
            WriteUInt32(value.ServerIndex);
        }
    }

    public void WriteQualifiedName(QualifiedName value)
    {
        WriteUInt16(value.NamespaceIndex);
        WriteString(value.Name);
    }

    public void WriteLocalizedText(LocalizedText value)
    {
        var mask = (byte)((value.Locale is null ? 0 : 0x01) | (value.Text is null ? 0 : 0x02));
        WriteByte(mask);
        if (value.Locale is not null)
        {
            WriteString(value.Locale);
        }

        if (value.Text is not null)
        {
            WriteString(value.Text);
        }
    }

    public void WriteExtensionObject(ExtensionObject? value)
    {
        value ??= ExtensionObject.Null;
        WriteNodeId(value.TypeId);
        WriteByte((byte)value.Encoding);
        if (value.Encoding != ExtensionObjectEncoding.None)
        {
            WriteByteString(value.Body.Span);
        }
    }

    public void WriteDataValue(DataValue value)
    {
        var mask = (byte)(
            (value.Value.IsNull ? 0 : 0x01)
            | (value.Status.HasValue ? 0x02 : 0)
            | (value.SourceTimestamp.HasValue ? 0x04 : 0)
            | (value.ServerTimestamp.HasValue ? 0x08 : 0)
            | (value.SourcePicoseconds.HasValue ? 0x10 : 0)
            | (value.ServerPicoseconds.HasValue ? 0x20 : 0));
        WriteByte(mask);
        Enter();
        if (!value.Value.IsNull)
        {
            WriteVariant(value.Value);
        }

        if (value.Status is { } status)
        {
            WriteStatusCode(status);
        }

        if (value.SourceTimestamp is { } source)
        {
            WriteDateTime(source);
        }

        if (value.SourcePicoseconds is { } sourcePico)
        {
            WriteUInt16(sourcePico);
        }

        if (value.ServerTimestamp is { } server)
        {
            WriteDateTime(server);
        }

        if (value.ServerPicoseconds is { } serverPico)
        {
            WriteUInt16(serverPico);
        }

        _depth--;
    }

    public void WriteDiagnosticInfo(DiagnosticInfo? value)
    {
        if (value is null)
        {
            WriteByte(0);
            return;
        }

        var mask = (byte)(
            (value.SymbolicId >= 0 ? 0x01 : 0)
            | (value.NamespaceUri >= 0 ? 0x02 : 0)
            | (value.LocalizedText >= 0 ? 0x04 : 0)
            | (value.Locale >= 0 ? 0x08 : 0)
            | (value.AdditionalInfo is null ? 0 : 0x10)
            | (value.InnerStatusCode.HasValue ? 0x20 : 0)
            | (value.InnerDiagnosticInfo is null ? 0 : 0x40));
        WriteByte(mask);
        Enter();
        if (value.SymbolicId >= 0)
        {
            WriteInt32(value.SymbolicId);
        }

        if (value.NamespaceUri >= 0)
        {
            WriteInt32(value.NamespaceUri);
        }

        if (value.Locale >= 0)
        {
            WriteInt32(value.Locale);
        }

        if (value.LocalizedText >= 0)
        {
            WriteInt32(value.LocalizedText);
        }

        if (value.AdditionalInfo is not null)
        {
            WriteString(value.AdditionalInfo);
        }

        if (value.InnerStatusCode is { } inner)
        {
            WriteStatusCode(inner);
        }

        if (value.InnerDiagnosticInfo is not null)
        {
            WriteDiagnosticInfo(value.InnerDiagnosticInfo);
        }

        _depth--;
    }

    public void WriteVariant(Variant value)
    {
        if (value.IsNull)
        {
            WriteByte(0);
            return;
        }

        var encoding = (byte)value.Type;
        if (value.IsArray)
        {
            encoding |= 0x80;
            if (value.ArrayDimensions is not null)
            {
                encoding |= 0x40;
            }
        }
        else if (value.Type == BuiltInType.Variant)
        {
            throw new UaEncodingException(StatusCode.BadEncodingError, "a scalar Variant cannot contain a Variant");
        }

        WriteByte(encoding);
        Enter();
        if (value.IsArray)
        {
            WriteArray(value.Type, value.AsArray()!);
            if (value.ArrayDimensions is { } dimensions)
            {
                WriteInt32(dimensions.Length);
                foreach (var dimension in dimensions)
                {
                    WriteInt32(dimension);
                }
            }
        }
        else
        {
            WriteScalar(value);
        }

        _depth--;
    }

    private void WriteScalar(Variant value)
    {
        switch (value.Type)
        {
            case BuiltInType.Boolean:
            case BuiltInType.SByte:
            case BuiltInType.Byte:
                WriteByte((byte)value.Bits);
                break;
            case BuiltInType.Int16:
            case BuiltInType.UInt16:
                WriteUInt16((ushort)value.Bits);
                break;
            case BuiltInType.Int32:
            case BuiltInType.UInt32:
            case BuiltInType.Float:
            case BuiltInType.StatusCode:
                WriteUInt32((uint)value.Bits);
                break;
            case BuiltInType.Int64:
            case BuiltInType.UInt64:
            case BuiltInType.Double:
                WriteUInt64(value.Bits);
                break;
            case BuiltInType.DateTime:
                WriteDateTime(value.AsDateTime());
                break;
            case BuiltInType.String:
            case BuiltInType.XmlElement:
                WriteString((string?)value.Reference);
                break;
            case BuiltInType.Guid:
                WriteGuid((Guid)value.Reference!);
                break;
            case BuiltInType.ByteString:
                WriteByteString((byte[]?)value.Reference);
                break;
            case BuiltInType.NodeId:
                WriteNodeId((NodeId)value.Reference!);
                break;
            case BuiltInType.ExpandedNodeId:
                WriteExpandedNodeId((ExpandedNodeId)value.Reference!);
                break;
            case BuiltInType.QualifiedName:
                WriteQualifiedName((QualifiedName)value.Reference!);
                break;
            case BuiltInType.LocalizedText:
                WriteLocalizedText((LocalizedText)value.Reference!);
                break;
            case BuiltInType.ExtensionObject:
                WriteExtensionObject((ExtensionObject)value.Reference!);
                break;
            case BuiltInType.DataValue:
                WriteDataValue((DataValue)value.Reference!);
                break;
            default:
                WriteDiagnosticInfo((DiagnosticInfo)value.Reference!);
                break;
        }
    }

    private void WriteArray(BuiltInType type, Array values)
    {
        WriteInt32(values.Length);
        switch (values)
        {
            case byte[] bytes:
                WriteRaw(bytes);
                return;
            case bool[] booleans:
                foreach (var v in booleans) WriteBoolean(v);
                return;
            case sbyte[] sbytes:
                foreach (var v in sbytes) WriteSByte(v);
                return;
            case short[] shorts:
                foreach (var v in shorts) WriteInt16(v);
                return;
            case ushort[] ushorts:
                foreach (var v in ushorts) WriteUInt16(v);
                return;
            case int[] ints:
                foreach (var v in ints) WriteInt32(v);
                return;
            case uint[] uints:
                foreach (var v in uints) WriteUInt32(v);
                return;
            case long[] longs:
                foreach (var v in longs) WriteInt64(v);
                return;
            case ulong[] ulongs:
                foreach (var v in ulongs) WriteUInt64(v);
                return;
            case float[] floats:
                foreach (var v in floats) WriteFloat(v);
                return;
            case double[] doubles:
                foreach (var v in doubles) WriteDouble(v);
                return;
            case string?[] strings:
                foreach (var v in strings) WriteString(v);
                return;
            case DateTime[] dates:
                foreach (var v in dates) WriteDateTime(v);
                return;
            case Guid[] guids:
                foreach (var v in guids) WriteGuid(v);
                return;
            case byte[]?[] byteStrings:
                foreach (var v in byteStrings) WriteByteString(v);
                return;
            case NodeId[] nodeIds:
                foreach (var v in nodeIds) WriteNodeId(v);
                return;
            case ExpandedNodeId[] expanded:
                foreach (var v in expanded) WriteExpandedNodeId(v);
                return;
            case StatusCode[] codes:
                foreach (var v in codes) WriteStatusCode(v);
                return;
            case QualifiedName[] names:
                foreach (var v in names) WriteQualifiedName(v);
                return;
            case LocalizedText[] texts:
                foreach (var v in texts) WriteLocalizedText(v);
                return;
            case ExtensionObject[] objects:
                foreach (var v in objects) WriteExtensionObject(v);
                return;
            case DataValue[] dataValues:
                foreach (var v in dataValues) WriteDataValue(v);
                return;
            case Variant[] variants:
                foreach (var v in variants) WriteVariant(v);
                return;
            case DiagnosticInfo[] infos:
                foreach (var v in infos) WriteDiagnosticInfo(v);
                return;
            default:
                throw new UaEncodingException(StatusCode.BadEncodingError, $"cannot encode a {type} array held as {values.GetType().Name}");
        }
    }

    private void WriteNodeId(NodeId value, byte flags)
    {
        var ns = value.NamespaceIndex;
        switch (value.IdType)
        {
            case NodeIdType.Numeric:
                var id = value.NumericIdentifier;
                if (ns == 0 && id <= byte.MaxValue)
                {
                    WriteByte(flags);
                    WriteByte((byte)id);
                }
                else if (ns <= byte.MaxValue && id <= ushort.MaxValue)
                {
                    WriteByte((byte)(0x01 | flags));
                    WriteByte((byte)ns);
                    WriteUInt16((ushort)id);
                }
                else
                {
                    WriteByte((byte)(0x02 | flags));
                    WriteUInt16(ns);
                    WriteUInt32(id);
                }

                break;
            case NodeIdType.String:
                WriteByte((byte)(0x03 | flags));
                WriteUInt16(ns);
                WriteString(value.StringIdentifier);
                break;
            case NodeIdType.Guid:
                WriteByte((byte)(0x04 | flags));
                WriteUInt16(ns);
                WriteGuid(value.GuidIdentifier);
                break;
            default:
                WriteByte((byte)(0x05 | flags));
                WriteUInt16(ns);
                WriteByteString(value.OpaqueIdentifier);
                break;
        }
    }

    private void Enter()
    {
        if (++_depth > _maxNestingDepth)
        {
            throw new UaEncodingException(StatusCode.BadEncodingLimitsExceeded, $"nesting deeper than {_maxNestingDepth}");
        }
    }

    private void Advance(int count)
    {
        _output.Advance(count);
        Written += count;
    }
}
