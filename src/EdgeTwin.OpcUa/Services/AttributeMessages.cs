using EdgeTwin.OpcUa.Encoding;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.OpcUa.Services;

/// <summary>Attribute ids (OPC 10000-3 §5.9 / AttributeIds.csv) the client uses.</summary>
public static class AttributeIds
{
    public const uint NodeId = 1;
    public const uint NodeClass = 2;
    public const uint BrowseName = 3;
    public const uint DisplayName = 4;
    public const uint Value = 13;
    public const uint DataType = 14;
    public const uint ValueRank = 15;
    public const uint ArrayDimensions = 16;
    public const uint DataTypeDefinition = 23;
}

/// <summary>TimestampsToReturn, encoded as Int32 (OPC 10000-4 §7.40).</summary>
public enum TimestampsToReturn
{
    Source = 0,
    Server = 1,
    Both = 2,
    Neither = 3,
}

/// <summary>ReadValueId (OPC 10000-4 §7.29): which attribute of which node.</summary>
public readonly record struct ReadValueId(NodeId NodeId, uint AttributeId = AttributeIds.Value, string? IndexRange = null)
{
    public void Write(ref UaBinaryWriter writer)
    {
        writer.WriteNodeId(NodeId);
        writer.WriteUInt32(AttributeId);
        writer.WriteString(IndexRange);
        writer.WriteQualifiedName(default); // DataEncoding: the default
    }
}

/// <summary>ReadRequest (OPC 10000-4 §5.11.2) for a slice of the caller's nodes.</summary>
public sealed class ReadRequest(double maxAge, TimestampsToReturn timestamps, ReadOnlyMemory<ReadValueId> nodes) : IUaRequest
{
    public uint EncodingId => UaEncodingIds.ReadRequest;

    public void EncodeBody(ref UaBinaryWriter writer)
    {
        writer.WriteDouble(maxAge);
        writer.WriteInt32((int)timestamps);
        var span = nodes.Span;
        writer.WriteInt32(span.Length);
        foreach (var node in span)
        {
            node.Write(ref writer);
        }
    }
}

/// <summary>ReadResponse (OPC 10000-4 §5.11.2).</summary>
public sealed record ReadResponse(ResponseHeader Header, DataValue[] Results) : IUaResponse<ReadResponse>
{
    public static uint EncodingId => UaEncodingIds.ReadResponse;

    public static ReadResponse Decode(ref UaBinaryReader reader, ResponseHeader header)
    {
        var results = reader.ReadArray(1, static (ref UaBinaryReader r) => r.ReadDataValue());
        reader.ReadDiagnosticInfoArray();
        return new ReadResponse(header, results);
    }
}
