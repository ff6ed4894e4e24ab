using System.Buffers;
using System.Text.Json;
using EdgeTwin.OpcUa;
using EdgeTwin.OpcUa.Encoding;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.Connectors.OpcUa;

/// <summary>
/// The data type definitions one session read from its server (the DataTypeDefinition attribute of OPC UA 1.04+):
/// structures by their binary encoding id, so a value's ExtensionObject decodes into a JSON object, and
/// enumerations by their data type, for the names of their values. Node ids carry the session's namespace indexes,
/// so a new session reads them again. Immutable once built.
/// </summary>
public sealed class StructureTypes
{
    private const int MaxDepth = 16;

    private readonly Dictionary<NodeId, DataTypeDefinition> _byType;
    private readonly Dictionary<NodeId, StructureDefinition> _byEncoding = [];

    public StructureTypes(IReadOnlyDictionary<NodeId, DataTypeDefinition> byType)
    {
        _byType = new Dictionary<NodeId, DataTypeDefinition>(byType);
        foreach (var definition in _byType.Values)
        {
            if (definition is StructureDefinition s && !s.DefaultEncodingId.IsNull) _byEncoding[s.DefaultEncodingId] = s;
        }
    }

    public static StructureTypes Empty { get; } = new(new Dictionary<NodeId, DataTypeDefinition>());

    public int Count => _byType.Count;

    public bool TryGet(NodeId dataType, out DataTypeDefinition? definition) => _byType.TryGetValue(dataType, out definition);

    /// <summary>The name of each value of enumeration <paramref name="dataType"/> (its display name, else its symbolic name); null when it is not a known enumeration.</summary>
    public IReadOnlyDictionary<long, string>? EnumNames(NodeId dataType) =>
        _byType.GetValueOrDefault(dataType) is EnumDefinition e
            ? e.Fields.GroupBy(f => f.Value).ToDictionary(g => g.Key, g => g.First().DisplayName.Text ?? g.First().Name ?? "")
            : null;

    /// <summary>
    /// The structure as JSON text, or null when its encoding id has no definition here. A body that does not hold
    /// what the definition says throws <see cref="UaDecodingException"/> with the byte offset.
    /// </summary>
    public string? TryDecode(ExtensionObject value)
    {
        if (value.Encoding != ExtensionObjectEncoding.Binary || !_byEncoding.TryGetValue(value.TypeId, out var definition)) return null;
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            var reader = new UaBinaryReader(value.Body);
            WriteStructure(ref reader, definition, w, 0);
            if (!reader.End)
            {
                throw new UaDecodingException(StatusCode.BadDecodingError, reader.Position, $"{reader.Remaining} byte(s) left over after the last field of {value.TypeId}");
            }
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private void WriteStructure(ref UaBinaryReader reader, StructureDefinition definition, Utf8JsonWriter w, int depth)
    {
        if (depth > MaxDepth) throw new UaDecodingException(StatusCode.BadEncodingLimitsExceeded, reader.Position, $"structures nested deeper than {MaxDepth}");
        w.WriteStartObject();
        switch (definition.StructureType)
        {
            case StructureType.Union or StructureType.UnionWithSubtypedValues:
                var selected = reader.ReadUInt32();
                if (selected > definition.Fields.Count) throw new UaDecodingException(StatusCode.BadDecodingError, reader.Position, $"union selects field {selected} of {definition.Fields.Count}");
                if (selected > 0) WriteField(ref reader, definition, definition.Fields[(int)selected - 1], w, depth);
                break;
            default:
                var mask = definition.StructureType == StructureType.StructureWithOptionalFields ? reader.ReadUInt32() : 0;
                var optional = 0;
                foreach (var field in definition.Fields)
                {
                    if (field.IsOptional && definition.StructureType == StructureType.StructureWithOptionalFields)
                    {
                        var present = (mask & (1u << optional++)) != 0;
                        if (!present) continue;
                    }
                    WriteField(ref reader, definition, field, w, depth);
                }
                break;
        }
        w.WriteEndObject();
    }

    private void WriteField(ref UaBinaryReader reader, StructureDefinition owner, StructureField field, Utf8JsonWriter w, int depth)
    {
        w.WritePropertyName(field.Name);
        // -1 a scalar, 1 an array, 2 or more a matrix (written as nested arrays, row-major).
        if (field.ValueRank is not (-1 or >= 1))
        {
            throw new UaDecodingException(StatusCode.BadDecodingError, reader.Position, $"field {field.Name} has value rank {field.ValueRank}; only scalars, arrays and matrices of a fixed rank are decoded");
        }
        var builtIn = DataTypeDefinitions.BuiltInOf(field.DataType);
        var definition = builtIn is null ? _byType.GetValueOrDefault(field.DataType) : null;
        if (definition is EnumDefinition) builtIn = BuiltInType.Int32;
        if (builtIn is { } type)
        {
            var value = field.ValueRank > 1 ? reader.ReadMatrixField(type, field.ValueRank) : reader.ReadField(type, field.ValueRank == 1);
            OpcUaStructures.WriteVariant(w, value, this);
            return;
        }
        if (definition is not StructureDefinition nested)
        {
            throw new UaDecodingException(StatusCode.BadDecodingError, reader.Position, $"field {field.Name} is of data type {field.DataType}, whose definition the server did not give");
        }
        // With subtyped values a structure field may hold a subtype: it is encoded as an ExtensionObject.
        var subtyped = owner.StructureType is StructureType.StructureWithSubtypedValues or StructureType.UnionWithSubtypedValues;
        if (field.ValueRank == -1)
        {
            if (subtyped) OpcUaStructures.Write(w, reader.ReadExtensionObject(), this);
            else WriteStructure(ref reader, nested, w, depth + 1);
            return;
        }
        int count;
        int[]? dimensions;
        if (field.ValueRank == 1)
        {
            count = reader.ReadArrayLength();
            dimensions = count < 0 ? null : [count];
        }
        else
        {
            dimensions = reader.ReadMatrixDimensions(field.ValueRank, 1, out count);
        }
        if (dimensions is null)
        {
            w.WriteNullValue();
            return;
        }
        if (count == 0)
        {
            w.WriteStartArray();
            w.WriteEndArray();
            return;
        }
        for (var i = 0; i < count; i++)
        {
            OpcUaStructures.OpenRows(w, dimensions, i);
            if (subtyped) OpcUaStructures.Write(w, reader.ReadExtensionObject(), this);
            else WriteStructure(ref reader, nested, w, depth + 1);
            OpcUaStructures.CloseRows(w, dimensions, i);
        }
    }
}
