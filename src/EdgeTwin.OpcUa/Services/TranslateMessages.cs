using EdgeTwin.OpcUa.Encoding;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.OpcUa.Services;

/// <summary>RelativePathElement (OPC 10000-4 §7.31): follow references of a type to a target with this browse name.</summary>
public readonly record struct RelativePathElement(QualifiedName TargetName, NodeId ReferenceTypeId = default, bool IsInverse = false, bool IncludeSubtypes = true)
{
    public void Write(ref UaBinaryWriter writer)
    {
        writer.WriteNodeId(ReferenceTypeId.IsNull ? WellKnownNodes.HierarchicalReferences : ReferenceTypeId);
        writer.WriteBoolean(IsInverse);
        writer.WriteBoolean(IncludeSubtypes);
        writer.WriteQualifiedName(TargetName);
    }
}

/// <summary>BrowsePath (OPC 10000-4 §7.7): a starting node and a relative path from it.</summary>
public sealed record BrowsePath(NodeId StartingNode, IReadOnlyList<RelativePathElement> Elements)
{
    public void Write(ref UaBinaryWriter writer)
    {
        writer.WriteNodeId(StartingNode);
        writer.WriteInt32(Elements.Count);
        foreach (var element in Elements)
        {
            element.Write(ref writer);
        }
    }
}

/// <summary>BrowsePathTarget (OPC 10000-4 §5.9.4): a node found; RemainingPathIndex is UInt32.MaxValue when the whole path was followed.</summary>
public readonly record struct BrowsePathTarget(ExpandedNodeId TargetId, uint RemainingPathIndex);

/// <summary>BrowsePathResult (OPC 10000-4 §5.9.4).</summary>
public sealed record BrowsePathResult(StatusCode StatusCode, IReadOnlyList<BrowsePathTarget> Targets);

/// <summary>TranslateBrowsePathsToNodeIdsRequest (OPC 10000-4 §5.9.4) for a slice of the caller's paths.</summary>
public sealed class TranslateBrowsePathsRequest(ReadOnlyMemory<BrowsePath> paths) : IUaRequest
{
    public uint EncodingId => UaEncodingIds.TranslateBrowsePathsToNodeIdsRequest;

    public void EncodeBody(ref UaBinaryWriter writer)
    {
        var span = paths.Span;
        writer.WriteInt32(span.Length);
        foreach (var path in span)
        {
            path.Write(ref writer);
        }
    }
}

/// <summary>TranslateBrowsePathsToNodeIdsResponse (OPC 10000-4 §5.9.4).</summary>
public sealed record TranslateBrowsePathsResponse(ResponseHeader Header, BrowsePathResult[] Results) : IUaResponse<TranslateBrowsePathsResponse>
{
    public static uint EncodingId => UaEncodingIds.TranslateBrowsePathsToNodeIdsResponse;

    public static TranslateBrowsePathsResponse Decode(ref UaBinaryReader reader, ResponseHeader header)
    {
        var results = reader.ReadArray(8, static (ref UaBinaryReader r) => new BrowsePathResult(
            r.ReadStatusCode(),
            r.ReadArray(6, static (ref UaBinaryReader t) => new BrowsePathTarget(t.ReadExpandedNodeId(), t.ReadUInt32()))));
        reader.ReadDiagnosticInfoArray();
        return new TranslateBrowsePathsResponse(header, results);
    }
}
