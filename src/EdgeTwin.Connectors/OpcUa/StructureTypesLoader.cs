using EdgeTwin.OpcUa.Encoding;
using EdgeTwin.OpcUa.Services;
using EdgeTwin.OpcUa.Session;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.Connectors.OpcUa;

/// <summary>
/// Reads, on one session, the data types of the configured nodes (their DataType attribute) and the
/// DataTypeDefinition of every structure and enumeration among them, following structure fields to the types they
/// use, so a nested structure decodes whole.
/// </summary>
internal static class StructureTypesLoader
{
    private const int MaxTypes = 2_000;

    public static async Task<(StructureTypes Types, Dictionary<ExpandedNodeId, NodeId> DataTypes)> LoadAsync(
        UaSession session, IReadOnlyList<ExpandedNodeId> nodes, CancellationToken cancellationToken)
    {
        var dataTypes = new Dictionary<ExpandedNodeId, NodeId>();
        var ids = new List<(ExpandedNodeId Node, NodeId Id)>();
        foreach (var node in nodes.Distinct())
        {
            if (session.Namespaces.TryResolve(node, out var id)) ids.Add((node, id));
        }
        if (ids.Count == 0) return (StructureTypes.Empty, dataTypes);

        var types = await session.ReadAsync([.. ids.Select(n => new ReadValueId(n.Id, AttributeIds.DataType))], TimestampsToReturn.Neither, 0, cancellationToken).ConfigureAwait(false);
        var pending = new HashSet<NodeId>();
        for (var i = 0; i < types.Length && i < ids.Count; i++)
        {
            if (types[i].EffectiveStatus.IsBad || types[i].Value.Type != BuiltInType.NodeId || types[i].Value.IsArray) continue;
            var dataType = types[i].Value.AsNodeId();
            dataTypes[ids[i].Node] = dataType;
            if (DataTypeDefinitions.BuiltInOf(dataType) is null) pending.Add(dataType);
        }

        var definitions = new Dictionary<NodeId, DataTypeDefinition>();
        var seen = new HashSet<NodeId>(pending);
        while (pending.Count > 0 && seen.Count <= MaxTypes)
        {
            var round = pending.ToArray();
            pending.Clear();
            var values = await session.ReadAsync([.. round.Select(t => new ReadValueId(t, AttributeIds.DataTypeDefinition))], TimestampsToReturn.Neither, 0, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < values.Length && i < round.Length; i++)
            {
                if (values[i].EffectiveStatus.IsBad || values[i].Value.Type != BuiltInType.ExtensionObject || values[i].Value.IsArray) continue;
                DataTypeDefinition? definition;
                try
                {
                    definition = DataTypeDefinitions.TryDecode(values[i].Value.AsExtensionObject());
                }
                catch (UaDecodingException)
                {
                    // A definition that does not decode leaves its type undecodable: its values travel as type id and body.
                    continue;
                }
                if (definition is null) continue;
                definitions[round[i]] = definition;
                if (definition is not StructureDefinition structure) continue;
                foreach (var field in structure.Fields)
                {
                    if (DataTypeDefinitions.BuiltInOf(field.DataType) is null && seen.Add(field.DataType)) pending.Add(field.DataType);
                }
            }
        }

        return (new StructureTypes(definitions), dataTypes);
    }
}
