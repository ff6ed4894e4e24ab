using EdgeTwin.OpcUa.Services;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.OpcUa.Session;

/// <summary>
/// A server's NamespaceArray as read at session start (OPC 10000-5 §6.3.1, Server_NamespaceArray i=2255).
/// Resolves <c>nsu=</c> node ids to this session's indexes; indexes may change between sessions, so a table
/// is never reused across sessions.
/// </summary>
public sealed class NamespaceTable
{
    private readonly string[] _uris;
    private readonly Dictionary<string, ushort> _indexes;

    public NamespaceTable(IReadOnlyList<string?> uris)
    {
        ArgumentNullException.ThrowIfNull(uris);
        _uris = new string[uris.Count];
        _indexes = new Dictionary<string, ushort>(uris.Count, StringComparer.Ordinal);
        for (var i = 0; i < uris.Count && i <= ushort.MaxValue; i++)
        {
            _uris[i] = uris[i] ?? "";
            // A URI listed twice keeps its first index.
            _indexes.TryAdd(_uris[i], (ushort)i);
        }
    }

    public IReadOnlyList<string> Uris => _uris;

    public int Count => _uris.Length;

    public bool TryGetIndex(string uri, out ushort index) => _indexes.TryGetValue(uri, out index);

    public string? GetUri(ushort index) => index < _uris.Length ? _uris[index] : null;

    /// <summary>The node id with its namespace URI replaced by this server's index; false when the URI is not served.</summary>
    public bool TryResolve(ExpandedNodeId id, out NodeId nodeId)
    {
        nodeId = id.NodeId;
        if (id.ServerIndex != 0)
        {
            return false;
        }

        if (id.NamespaceUri is null)
        {
            return true;
        }

        if (!_indexes.TryGetValue(id.NamespaceUri, out var index))
        {
            return false;
        }

        nodeId = id.NodeId.WithNamespace(index);
        return true;
    }

    /// <summary>Resolves, or fails with BadNodeIdUnknown naming the missing namespace.</summary>
    public NodeId Resolve(ExpandedNodeId id) => TryResolve(id, out var nodeId)
        ? nodeId
        : throw new UaServiceException(StatusCode.BadNodeIdUnknown, id.ServerIndex != 0
            ? $"'{id}' points to another server (svr={id.ServerIndex})"
            : $"namespace '{id.NamespaceUri}' of '{id}' is not in the server's namespace array");

    /// <summary>The URI form of a node id (<c>nsu=…;</c>); namespace 0 and unknown indexes keep the index form.</summary>
    public ExpandedNodeId ToExpanded(NodeId nodeId) =>
        nodeId.NamespaceIndex != 0 && GetUri(nodeId.NamespaceIndex) is { } uri ? new ExpandedNodeId(nodeId.WithNamespace(0), uri) : new ExpandedNodeId(nodeId);

    /// <summary>Resolves a server-returned ExpandedNodeId (browse targets) to a NodeId of this server.</summary>
    public bool TryToNodeId(ExpandedNodeId id, out NodeId nodeId) => TryResolve(id, out nodeId);
}
