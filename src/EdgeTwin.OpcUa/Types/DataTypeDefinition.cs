namespace EdgeTwin.OpcUa.Types;

/// <summary>The value of a DataType node's DataTypeDefinition attribute (OPC 10000-3 §5.8.2, OPC 10000-5 §12.31).</summary>
public abstract record DataTypeDefinition;

/// <summary>StructureType (OPC 10000-5 §12.36): how a structure's fields are encoded.</summary>
public enum StructureType
{
    Structure = 0,
    StructureWithOptionalFields = 1,
    Union = 2,
    StructureWithSubtypedValues = 3,
    UnionWithSubtypedValues = 4,
}

/// <summary>StructureDefinition (binary encoding i=122): a structure's default encoding and its fields in encoding order.</summary>
public sealed record StructureDefinition(NodeId DefaultEncodingId, NodeId BaseDataType, StructureType StructureType, IReadOnlyList<StructureField> Fields) : DataTypeDefinition;

/// <summary>StructureField: one field; <see cref="ValueRank"/> -1 is a scalar, 1 an array.</summary>
public sealed record StructureField(string Name, LocalizedText Description, NodeId DataType, int ValueRank, uint[]? ArrayDimensions, uint MaxStringLength, bool IsOptional);

/// <summary>EnumDefinition (binary encoding i=123): an enumeration's values and their names.</summary>
public sealed record EnumDefinition(IReadOnlyList<EnumField> Fields) : DataTypeDefinition;

/// <summary>EnumField: a value, its display name and its symbolic name.</summary>
public sealed record EnumField(long Value, LocalizedText DisplayName, LocalizedText Description, string? Name);
