using EdgeTwin.OpcUa;
using EdgeTwin.OpcUa.Services;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.Gateway.Cli.OpcUa;

/// <summary>One node found by a browse, with its value and data type when it is a variable.</summary>
internal sealed class OpcUaTreeNode(NodeId nodeId, QualifiedName browseName, string displayName, NodeClass nodeClass, NodeId referenceType, OpcUaTreeNode? parent)
{
    public NodeId NodeId { get; } = nodeId;
    public QualifiedName BrowseName { get; } = browseName;
    public string DisplayName { get; } = displayName;
    public NodeClass NodeClass { get; } = nodeClass;

    /// <summary>The reference from the parent (HasComponent, Organizes, HasProperty…).</summary>
    public NodeId ReferenceType { get; } = referenceType;
    public OpcUaTreeNode? Parent { get; } = parent;
    public int Depth { get; } = parent is null ? 0 : parent.Depth + 1;
    public List<OpcUaTreeNode> Children { get; } = [];

    /// <summary>Seen earlier in the walk (a second path to the same node): listed, not expanded again.</summary>
    public bool Repeated { get; init; }

    /// <summary>Why the children could not be browsed, when they could not.</summary>
    public StatusCode? BrowseStatus { get; set; }
    public string? DataType { get; set; }
    public DataValue? Value { get; set; }

    public bool IsProperty => ReferenceType == HasProperty;

    public static readonly NodeId HasProperty = new(46);
}

/// <summary>Walks the address space below a node, level by level, with one batched Browse and Read per level.</summary>
internal static class OpcUaTree
{
    public static async Task<OpcUaTreeNode> WalkAsync(OpcUaConnection connection, string nodeText, int depth, bool readValues, CancellationToken cancellationToken)
    {
        var session = connection.Session;
        var start = connection.Resolve(nodeText);
        var attributes = await session.ReadAsync(
            [new ReadValueId(start, AttributeIds.NodeClass), new ReadValueId(start, AttributeIds.BrowseName), new ReadValueId(start, AttributeIds.DisplayName)],
            TimestampsToReturn.Neither, 0, cancellationToken).ConfigureAwait(false);
        if (attributes[0].EffectiveStatus.IsBad)
        {
            throw new UaServiceException(attributes[0].EffectiveStatus, $"node '{nodeText}' ({connection.Name(start)}) cannot be browsed");
        }

        var root = new OpcUaTreeNode(start, attributes[1].Value.Type == BuiltInType.QualifiedName ? attributes[1].Value.AsQualifiedName() : default,
            attributes[2].Value.Type == BuiltInType.LocalizedText ? attributes[2].Value.AsLocalizedText().Text ?? "" : "",
            (NodeClass)(attributes[0].Value.Type == BuiltInType.Int32 ? attributes[0].Value.AsInt32() : 0), NodeId.Null, null);
        var all = new List<OpcUaTreeNode> { root };
        var seen = new HashSet<NodeId> { start };
        var frontier = new List<OpcUaTreeNode> { root };
        for (var level = 0; level < depth && frontier.Count > 0; level++)
        {
            var results = await session.BrowseAsync(frontier.Select(n => BrowseDescription.Children(n.NodeId)).ToArray(), 0, cancellationToken).ConfigureAwait(false);
            var next = new List<OpcUaTreeNode>();
            for (var i = 0; i < frontier.Count; i++)
            {
                var parent = frontier[i];
                if (results[i].StatusCode.IsBad)
                {
                    parent.BrowseStatus = results[i].StatusCode;
                    continue;
                }

                foreach (var reference in results[i].References)
                {
                    if (!session.Namespaces.TryToNodeId(reference.NodeId, out var id))
                    {
                        continue; // on another server
                    }

                    var child = new OpcUaTreeNode(id, reference.BrowseName, reference.DisplayName.Text ?? "", reference.NodeClass, reference.ReferenceTypeId, parent) { Repeated = !seen.Add(id) };
                    parent.Children.Add(child);
                    all.Add(child);
                    if (!child.Repeated)
                    {
                        next.Add(child);
                    }
                }
            }

            frontier = next;
        }

        if (readValues)
        {
            await ReadVariablesAsync(connection, all.Where(n => n.NodeClass == NodeClass.Variable && !n.Repeated).ToArray(), cancellationToken).ConfigureAwait(false);
        }

        return root;
    }

    /// <summary>Every node of the tree, depth first, in browse order.</summary>
    public static IEnumerable<OpcUaTreeNode> DepthFirst(OpcUaTreeNode root)
    {
        yield return root;
        foreach (var child in root.Children)
        {
            foreach (var node in DepthFirst(child))
            {
                yield return node;
            }
        }
    }

    private static async Task ReadVariablesAsync(OpcUaConnection connection, OpcUaTreeNode[] variables, CancellationToken cancellationToken)
    {
        if (variables.Length == 0)
        {
            return;
        }

        var session = connection.Session;
        var reads = variables.SelectMany(v => new[] { new ReadValueId(v.NodeId), new ReadValueId(v.NodeId, AttributeIds.DataType) }).ToArray();
        var values = await session.ReadAsync(reads, TimestampsToReturn.Both, 0, cancellationToken).ConfigureAwait(false);
        var typeIds = new NodeId?[variables.Length];
        for (var i = 0; i < variables.Length; i++)
        {
            variables[i].Value = values[2 * i];
            var type = values[2 * i + 1];
            typeIds[i] = type.EffectiveStatus.IsGood && type.Value.Type == BuiltInType.NodeId && !type.Value.IsArray ? type.Value.AsNodeId() : null;
        }

        var names = await DataTypeNamesAsync(connection, typeIds.OfType<NodeId>(), cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < variables.Length; i++)
        {
            variables[i].DataType = typeIds[i] is { } id ? names[id] : null;
        }
    }

    /// <summary>Names of data types: built-in ones from the table, the others by reading their BrowseName.</summary>
    public static async Task<Dictionary<NodeId, string>> DataTypeNamesAsync(OpcUaConnection connection, IEnumerable<NodeId> ids, CancellationToken cancellationToken)
    {
        var names = new Dictionary<NodeId, string>();
        var unknown = new List<NodeId>();
        foreach (var id in ids.Distinct())
        {
            if (OpcUaValues.BuiltInName(id) is { } name)
            {
                names[id] = name;
            }
            else
            {
                unknown.Add(id);
            }
        }

        if (unknown.Count > 0)
        {
            var read = await connection.Session.ReadAsync(unknown.Select(id => new ReadValueId(id, AttributeIds.BrowseName)).ToArray(), TimestampsToReturn.Neither, 0, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < unknown.Count; i++)
            {
                names[unknown[i]] = read[i].EffectiveStatus.IsGood && read[i].Value.Type == BuiltInType.QualifiedName && read[i].Value.AsQualifiedName().Name is { } name
                    ? name
                    : connection.Name(unknown[i]);
            }
        }

        return names;
    }
}
