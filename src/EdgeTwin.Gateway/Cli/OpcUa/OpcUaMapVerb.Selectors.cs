using System.Globalization;
using System.Text.Json;
using EdgeTwin.Connectors.OpcUa;
using EdgeTwin.Core.Telemetry;
using UaValues = EdgeTwin.Connectors.OpcUa.OpcUaValues;

namespace EdgeTwin.Gateway.Cli.OpcUa;

// --elements and --fields: the entries that take one element of an array variable, or one field of a structure
// variable, as a series of its own, found in the variable's current value (structures decoded through the server's
// data type definitions, as the source decodes them).
internal static partial class OpcUaMapVerb
{
    /// <summary>One element or field entry of a variable: its selector and what its metric adds to the variable's.</summary>
    internal sealed record SelectorEntry(string? Element, string? Field, string MetricSuffix);

    /// <summary>The element and field entries of each variable that has some, in browse order.</summary>
    private static async Task<Dictionary<OpcUaTreeNode, List<SelectorEntry>>> SelectorsAsync(
        OpcUaConnection connection, List<OpcUaTreeNode> variables, Options options, CancellationToken cancellationToken)
    {
        var types = StructureTypes.Empty;
        if (options.Fields)
        {
            var ids = variables.Select(v => connection.Session.Namespaces.ToExpanded(v.NodeId)).ToList();
            (types, _) = await StructureTypesLoader.LoadAsync(connection.Session, ids, cancellationToken).ConfigureAwait(false);
        }

        var result = new Dictionary<OpcUaTreeNode, List<SelectorEntry>>();
        foreach (var variable in variables)
        {
            if (variable.Value is not { } data || data.EffectiveStatus.IsBad) continue;
            var value = UaValues.ToPointValue(data.Value, UaValues.DefaultMaxArrayElements, out _, out _, types);
            var entries = new List<SelectorEntry>();
            if (value.Kind == PointValueKind.Array && options.Elements)
            {
                Elements(value.Array, entries, options.MaxEntries);
            }
            else if (value.Kind == PointValueKind.Structure && options.Fields)
            {
                using var doc = JsonDocument.Parse(value.StructureJson);
                if (IsOpaque(doc.RootElement))
                {
                    Console.Error.WriteLine($"edgetwin: {connection.Name(variable.NodeId)}: its structure could not be decoded (type {doc.RootElement.GetProperty("TypeId").GetString()}); mapped whole, without fields");
                    continue;
                }
                Fields(doc.RootElement, "", "", entries, options.MaxEntries);
            }

            if (entries.Count > options.MaxEntries)
            {
                Console.Error.WriteLine($"edgetwin: {connection.Name(variable.NodeId)}: more than {options.MaxEntries} {(value.Kind == PointValueKind.Array ? "elements" : "fields")} (--max-entries); mapped whole, without them");
            }
            else if (entries.Count > 0)
            {
                result[variable] = entries;
            }
        }

        return result;
    }

    /// <summary>Every element, row-major: "[i]", or "[i][j]..." for a matrix; the metric adds "i" or "i_j...".</summary>
    internal static void Elements(ArrayValue array, List<SelectorEntry> entries, int max)
    {
        var dimensions = array.Dimensions ?? [array.Length];
        var index = new int[dimensions.Length];
        for (var flat = 0; flat < array.Length && entries.Count <= max; flat++)
        {
            var rest = flat;
            for (var d = dimensions.Length - 1; d >= 0; d--)
            {
                index[d] = rest % dimensions[d];
                rest /= dimensions[d];
            }

            var text = string.Concat(index.Select(i => "[" + i.ToString(CultureInfo.InvariantCulture) + "]"));
            entries.Add(new SelectorEntry(text, null, string.Join('_', index)));
        }
    }

    /// <summary>
    /// Every number, boolean and text inside a structure's JSON, as a field path ("Status.Speed", "Temperatures[0]",
    /// "$[1].Low" in an array of structures); the metric adds the names, lower-cased as the variables' are, and the
    /// indexes, joined with '.'. Names a field path cannot hold ('.', '[' or ']' in them) are left out; so are nulls.
    /// </summary>
    internal static void Fields(JsonElement value, string path, string metric, List<SelectorEntry> entries, int max)
    {
        if (entries.Count > max) return;
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in value.EnumerateObject())
                {
                    var name = property.Name;
                    if (name.Length == 0 || name.AsSpan().IndexOfAny(".[]") >= 0) continue;
                    var fieldPath = path.Length > 0 ? path + "." + name : name[0] == '$' ? "$." + name : name;
                    Fields(property.Value, fieldPath, Join(metric, Sanitize(name) is { Length: > 0 } part ? part : "field"), entries, max);
                }

                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in value.EnumerateArray())
                {
                    var index = i++.ToString(CultureInfo.InvariantCulture);
                    Fields(item, (path.Length > 0 ? path : "$") + "[" + index + "]", Join(metric, index), entries, max);
                }

                break;
            case JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False or JsonValueKind.String:
                if (path.Length > 0) entries.Add(new SelectorEntry(null, path, metric));
                break;
        }
    }

    /// <summary>A structure forwarded as type id and body (<see cref="OpcUaStructures.WriteOpaque"/>): it has no fields to take.</summary>
    private static bool IsOpaque(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty("TypeId", out _) && root.TryGetProperty("Body", out _) && root.TryGetProperty("Encoding", out _);

    private static string Join(string metric, string part) => metric.Length == 0 ? part : metric + "." + part;
}
