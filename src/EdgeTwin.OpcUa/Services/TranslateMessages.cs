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
        var count = reader.ReadArrayLength(8);
        var results = new BrowsePathResult[Math.Max(count, 0)];
        for (var i = 0; i < results.Length; i++)
        {
            var status = reader.ReadStatusCode();
            var targetCount = reader.ReadArrayLength(6);
            var targets = new BrowsePathTarget[Math.Max(targetCount, 0)];
            for (var j = 0; j < targets.Length; j++)
            {
                targets[j] = new BrowsePathTarget(reader.ReadExpandedNodeId(), reader.ReadUInt32());
            }

            results[i] = new BrowsePathResult(status, targets);
        }

        reader.ReadDiagnosticInfoArray();
        return new TranslateBrowsePathsResponse(header, results);
    }
}
