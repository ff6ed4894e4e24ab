using EdgeTwin.OpcUa.Encoding;
using EdgeTwin.OpcUa.Services;
using EdgeTwin.OpcUa.Session;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.Connectors.OpcUa;

/// <summary>
/// Reads, on one session, the data types of the configured nodes (their DataType attribute) and the
/// DataTypeDefinition of every structure and enumeration among them, following structure fields to the types they
/// use, so a nested structure decodes whole; an enumeration without a definition (a server older than 1.04) is
/// defined by its EnumStrings or EnumValues property.
/// </summary>
public static class StructureTypesLoader
{
    private const int MaxTypes = 2_000;
    private static readonly NodeId HasProperty = new(46);

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

        // A server older than 1.04 has no DataTypeDefinition: its enumerations name their values in the data type's
        // EnumStrings or EnumValues property.
        var without = seen.Where(t => !definitions.ContainsKey(t)).ToList();
        if (without.Count > 0)
        {
            try
            {
                foreach (var (type, definition) in await EnumPropertiesAsync(session, without, cancellationToken).ConfigureAwait(false)) definitions[type] = definition;
            }
            catch (UaServiceException)
            {
                // A server that cannot translate or read them: those enumerations' values travel without names, and
                // the definitions read above still apply.
            }
        }

        return (new StructureTypes(definitions), dataTypes);
    }

    /// <summary>The enumerations among <paramref name="types"/> that have an EnumStrings or EnumValues property, defined by it.</summary>
    internal static async Task<Dictionary<NodeId, EnumDefinition>> EnumPropertiesAsync(UaSession session, List<NodeId> types, CancellationToken cancellationToken)
    {
        var paths = types.SelectMany(t => new[] { PropertyPath(t, "EnumStrings"), PropertyPath(t, "EnumValues") }).ToArray();
        var found = await session.TranslateBrowsePathsAsync(paths, cancellationToken).ConfigureAwait(false);
        var reads = new List<(NodeId Type, bool Strings, ReadValueId Read)>();
        for (var i = 0; i < found.Length && i < paths.Length; i++)
        {
            if (found[i].StatusCode.IsBad || found[i].Targets.Count == 0 || !session.Namespaces.TryResolve(found[i].Targets[0].TargetId, out var property)) continue;
            reads.Add((types[i / 2], i % 2 == 0, new ReadValueId(property)));
        }

        var result = new Dictionary<NodeId, EnumDefinition>();
        if (reads.Count == 0) return result;
        var values = await session.ReadAsync([.. reads.Select(r => r.Read)], TimestampsToReturn.Neither, 0, cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < values.Length && i < reads.Count; i++)
        {
            var value = values[i].Value;
            if (values[i].EffectiveStatus.IsBad || !value.IsArray || result.ContainsKey(reads[i].Type)) continue;
            var fields = new List<EnumField>();
            if (reads[i].Strings && value.Type == BuiltInType.LocalizedText)
            {
                // EnumStrings: the name of each value from 0 on.
                var names = (LocalizedText[])value.AsArray()!;
                for (var n = 0; n < names.Length; n++) fields.Add(new EnumField(n, names[n], default, names[n].Text));
            }
            else if (!reads[i].Strings && value.Type == BuiltInType.ExtensionObject)
            {
                try
                {
                    foreach (var element in (ExtensionObject[])value.AsArray()!)
                    {
                        if (DataTypeDefinitions.TryDecodeEnumValue(element) is { } field) fields.Add(field);
                    }
                }
                catch (UaDecodingException)
                {
                    // As a definition that does not decode: the enumeration's values travel without names.
                    continue;
                }
            }
            if (fields.Count > 0) result[reads[i].Type] = new EnumDefinition(fields);
        }

        return result;
    }

    private static BrowsePath PropertyPath(NodeId type, string name) => new(type, [new RelativePathElement(new QualifiedName(0, name), HasProperty, IncludeSubtypes: false)]);
}
