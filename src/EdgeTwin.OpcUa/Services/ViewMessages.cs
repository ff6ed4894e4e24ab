using EdgeTwin.OpcUa.Encoding;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.OpcUa.Services;

/// <summary>BrowseDirection, encoded as Int32 (OPC 10000-4 §7.5).</summary>
public enum BrowseDirection
{
    Forward = 0,
    Inverse = 1,
    Both = 2,
}

/// <summary>NodeClass, encoded as Int32 (OPC 10000-3 §5.2.8).</summary>
[Flags]
public enum NodeClass
{
    Unspecified = 0,
    Object = 1,
    Variable = 2,
    Method = 4,
    ObjectType = 8,
    VariableType = 16,
    ReferenceType = 32,
    DataType = 64,
    View = 128,
}

/// <summary>Well-known reference types and nodes of namespace 0.</summary>
public static class WellKnownNodes
{
    public static readonly NodeId RootFolder = new(84);
    public static readonly NodeId ObjectsFolder = new(85);
    public static readonly NodeId HierarchicalReferences = new(33);
    public static readonly NodeId Server = new(2253);
    public static readonly NodeId NamespaceArray = new(2255);
    public static readonly NodeId ServerStatusState = new(2259);
    public static readonly NodeId ServerStatusCurrentTime = new(2258);
    public static readonly NodeId MaxNodesPerRead = new(11705);
    public static readonly NodeId MaxNodesPerBrowse = new(11710);
    public static readonly NodeId MaxMonitoredItemsPerCall = new(11714);
    public static readonly NodeId MaxNodesPerTranslate = new(11712);
    public static readonly NodeId MaxBrowseContinuationPoints = new(2735);
}

/// <summary>BrowseDescription (OPC 10000-4 §5.9.2): what to follow from one node. ResultMask 63 asks for every field.</summary>
public readonly record struct BrowseDescription(
    NodeId NodeId, BrowseDirection Direction, NodeId ReferenceTypeId, bool IncludeSubtypes = true, uint NodeClassMask = 0, uint ResultMask = 63)
{
    public static BrowseDescription Children(NodeId nodeId) => new(nodeId, BrowseDirection.Forward, WellKnownNodes.HierarchicalReferences);

    public void Write(ref UaBinaryWriter writer)
    {
        writer.WriteNodeId(NodeId);
        writer.WriteInt32((int)Direction);
        writer.WriteNodeId(ReferenceTypeId);
        writer.WriteBoolean(IncludeSubtypes);
        writer.WriteUInt32(NodeClassMask);
        writer.WriteUInt32(ResultMask);
    }
}

/// <summary>ReferenceDescription (OPC 10000-4 §7.30).</summary>
public sealed record ReferenceDescription(
    NodeId ReferenceTypeId, bool IsForward, ExpandedNodeId NodeId, QualifiedName BrowseName, LocalizedText DisplayName, NodeClass NodeClass, ExpandedNodeId TypeDefinition)
{
    public static ReferenceDescription Read(ref UaBinaryReader reader) =>
        new(reader.ReadNodeId(), reader.ReadBoolean(), reader.ReadExpandedNodeId(), reader.ReadQualifiedName(), reader.ReadLocalizedText(), (NodeClass)reader.ReadInt32(), reader.ReadExpandedNodeId());
}

/// <summary>BrowseResult (OPC 10000-4 §7.6): references found and, when there are more, a continuation point.</summary>
public sealed record BrowseResult(StatusCode StatusCode, byte[]? ContinuationPoint, IReadOnlyList<ReferenceDescription> References)
{
    public static BrowseResult Read(ref UaBinaryReader reader)
    {
        var status = reader.ReadStatusCode();
        var continuation = reader.ReadByteString();
        return new BrowseResult(status, continuation, reader.ReadArray(10, ReferenceDescription.Read));
    }

    public static BrowseResult[] ReadArray(ref UaBinaryReader reader)
    {
        var results = reader.ReadArray(9, Read);
        reader.ReadDiagnosticInfoArray();
        return results;
    }
}

/// <summary>BrowseRequest (OPC 10000-4 §5.9.2) on the default view.</summary>
public sealed class BrowseRequest(uint requestedMaxReferencesPerNode, ReadOnlyMemory<BrowseDescription> nodes) : IUaRequest
{
    public uint EncodingId => UaEncodingIds.BrowseRequest;

    public void EncodeBody(ref UaBinaryWriter writer)
    {
        writer.WriteNodeId(NodeId.Null); // View: the whole address space
        writer.WriteDateTime(DateTime.MinValue);
        writer.WriteUInt32(0);
        writer.WriteUInt32(requestedMaxReferencesPerNode);
        var span = nodes.Span;
        writer.WriteInt32(span.Length);
        foreach (var node in span)
        {
            node.Write(ref writer);
        }
    }
}

/// <summary>BrowseResponse (OPC 10000-4 §5.9.2).</summary>
public sealed record BrowseResponse(ResponseHeader Header, BrowseResult[] Results) : IUaResponse<BrowseResponse>
{
    public static uint EncodingId => UaEncodingIds.BrowseResponse;

    public static BrowseResponse Decode(ref UaBinaryReader reader, ResponseHeader header) => new(header, BrowseResult.ReadArray(ref reader));
}

/// <summary>BrowseNextRequest (OPC 10000-4 §5.9.3).</summary>
public sealed record BrowseNextRequest(bool ReleaseContinuationPoints, IReadOnlyList<byte[]> ContinuationPoints) : IUaRequest
{
    public uint EncodingId => UaEncodingIds.BrowseNextRequest;

    public void EncodeBody(ref UaBinaryWriter writer)
    {
        writer.WriteBoolean(ReleaseContinuationPoints);
        writer.WriteInt32(ContinuationPoints.Count);
        foreach (var point in ContinuationPoints)
        {
            writer.WriteByteString(point);
        }
    }
}

/// <summary>BrowseNextResponse (OPC 10000-4 §5.9.3).</summary>
public sealed record BrowseNextResponse(ResponseHeader Header, BrowseResult[] Results) : IUaResponse<BrowseNextResponse>
{
    public static uint EncodingId => UaEncodingIds.BrowseNextResponse;

    public static BrowseNextResponse Decode(ref UaBinaryReader reader, ResponseHeader header) => new(header, BrowseResult.ReadArray(ref reader));
}
