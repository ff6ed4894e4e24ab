using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.OpcUa.Encoding;

/// <summary>
/// Decodes a DataTypeDefinition attribute's value (an ExtensionObject of StructureDefinition i=122 or
/// EnumDefinition i=123, OPC 10000-5 §12.31-12.35), and names the abstract standard data types whose fields are
/// encoded as a built-in type (Duration as Double, UtcTime as DateTime, any enumeration as Int32...).
/// </summary>
public static class DataTypeDefinitions
{
    public const uint StructureDefinitionBinary = 122;
    public const uint EnumDefinitionBinary = 123;
    public const uint EnumValueTypeBinary = 8251;

    /// <summary>The definition, or null when <paramref name="value"/> is neither; a malformed body throws <see cref="UaDecodingException"/>.</summary>
    public static DataTypeDefinition? TryDecode(ExtensionObject value)
    {
        if (value.Encoding != ExtensionObjectEncoding.Binary || value.TypeId.NamespaceIndex != 0 || value.TypeId.IdType != NodeIdType.Numeric) return null;
        var reader = new UaBinaryReader(value.Body);
        DataTypeDefinition? definition = value.TypeId.NumericIdentifier switch
        {
            StructureDefinitionBinary => ReadStructure(ref reader),
            EnumDefinitionBinary => ReadEnum(ref reader),
            _ => null,
        };
        if (definition is not null && !reader.End)
        {
            throw new UaDecodingException(StatusCode.BadDecodingError, reader.Position, $"{reader.Remaining} byte(s) left over after a DataTypeDefinition");
        }

        return definition;
    }

    /// <summary>
    /// The built-in type a field of standard data type <paramref name="dataType"/> is encoded as: the built-in types
    /// themselves (i=1..25, BaseDataType i=24 being Variant), Enumeration as Int32, and the standard subtypes of built-in
    /// types; null for anything else (a structure or enumeration whose definition must be read).
    /// </summary>
    public static BuiltInType? BuiltInOf(NodeId dataType)
    {
        if (dataType.NamespaceIndex != 0 || dataType.IdType != NodeIdType.Numeric) return null;
        var id = dataType.NumericIdentifier;
        if (id is >= 1 and <= 25) return (BuiltInType)id;
        return id switch
        {
            29 => BuiltInType.Int32, // Enumeration
            288 or 289 or 17588 => BuiltInType.UInt32, // IntegerId, Counter, Index
            290 => BuiltInType.Double, // Duration
            293 or 294 => BuiltInType.DateTime, // Date, UtcTime
            291 or 292 or 295 or 12877 or 12878 or 12879 or 12880 or 12881 or 24263 => BuiltInType.String, // NumericRange, Time, LocaleId, *String
            30 or 311 or 2000 or 2001 or 2002 or 2003 or 12882 => BuiltInType.ByteString, // Image*, ApplicationInstanceCertificate, AudioDataType
            11737 => BuiltInType.UInt64, // BitFieldMaskDataType
            _ => null,
        };
    }

    /// <summary>
    /// One element of an enumeration's EnumValues property (an EnumValueType, i=8251: value, display name,
    /// description), as a field of the definition a pre-1.04 server does not give; null when it is not one.
    /// </summary>
    public static EnumField? TryDecodeEnumValue(ExtensionObject value)
    {
        if (value.Encoding != ExtensionObjectEncoding.Binary || value.TypeId.NamespaceIndex != 0 || value.TypeId.IdType != NodeIdType.Numeric
            || value.TypeId.NumericIdentifier != EnumValueTypeBinary)
        {
            return null;
        }

        var reader = new UaBinaryReader(value.Body);
        var field = new EnumField(reader.ReadInt64(), reader.ReadLocalizedText(), reader.ReadLocalizedText(), null);
        return reader.End ? field : throw new UaDecodingException(StatusCode.BadDecodingError, reader.Position, $"{reader.Remaining} byte(s) left over after an EnumValueType");
    }

    private static StructureDefinition ReadStructure(ref UaBinaryReader reader)
    {
        var encoding = reader.ReadNodeId();
        var baseType = reader.ReadNodeId();
        var type = (StructureType)reader.ReadInt32();
        var count = reader.ReadArrayLength(4);
        var fields = new StructureField[Math.Max(0, count)];
        for (var i = 0; i < fields.Length; i++)
        {
            var name = reader.ReadString() ?? "";
            var description = reader.ReadLocalizedText();
            var dataType = reader.ReadNodeId();
            var valueRank = reader.ReadInt32();
            var dimensionCount = reader.ReadArrayLength(4);
            uint[]? dimensions = null;
            if (dimensionCount >= 0)
            {
                dimensions = new uint[dimensionCount];
                for (var d = 0; d < dimensionCount; d++) dimensions[d] = reader.ReadUInt32();
            }

            fields[i] = new StructureField(name, description, dataType, valueRank, dimensions, reader.ReadUInt32(), reader.ReadBoolean());
        }

        return new StructureDefinition(encoding, baseType, type, fields);
    }

    private static EnumDefinition ReadEnum(ref UaBinaryReader reader)
    {
        var count = reader.ReadArrayLength(8);
        var fields = new EnumField[Math.Max(0, count)];
        for (var i = 0; i < fields.Length; i++)
        {
            fields[i] = new EnumField(reader.ReadInt64(), reader.ReadLocalizedText(), reader.ReadLocalizedText(), reader.ReadString());
        }

        return new EnumDefinition(fields);
    }
}
