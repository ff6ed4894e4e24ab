using System.Globalization;
using System.Text.Json;
using EdgeTwin.Core.Assets;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Connectors.OpcUa;

/// <summary>
/// One element of an array (<c>"element": "[3]"</c>, <c>"[1][2]"</c> for a matrix, row-major) or one field of a
/// structure (<c>"field": "Status.Speed"</c>, a JSON path into the structure's object, <c>"Temperatures[0]"</c>
/// included) taken out of a node's value as a series of its own. The reading's address is the node's with
/// <c>#</c> and the selector: <c>opcua:nsu=urn:plc;s=Wave#[3]</c>, <c>opcua:nsu=urn:plc;s=Drive#Status.Speed</c>.
/// </summary>
public sealed class OpcUaValueSelector
{
    private readonly int[]? _indexes;
    private readonly JsonFieldPath _path;

    private OpcUaValueSelector(string text, int[]? indexes, JsonFieldPath path)
    {
        Text = text;
        _indexes = indexes;
        _path = path;
    }

    /// <summary>A node entry's reading address: <c>opcua:</c> + node, with <c>#</c> + element or field when it takes one.</summary>
    public static string AddressOf(OpcUaNodeConfig node) => "opcua:" + node.Node + ((node.Element ?? node.Field) is { } part ? "#" + part : "");

    /// <summary>The element or field as configured: what follows '#' in the reading's address.</summary>
    public string Text { get; }

    /// <summary>
    /// The selector of a node entry; null when it names neither. <paramref name="error"/> (with the key it is about,
    /// "element" or "field") when the text is not a valid one or both are given.
    /// </summary>
    public static OpcUaValueSelector? Parse(string? element, string? field, out string? key, out string? error)
    {
        key = null;
        error = null;
        if (element is null && field is null) return null;
        if (element is not null && field is not null)
        {
            key = "field";
            error = "is given with \"element\": take either an array element or a structure field";
            return null;
        }
        if (element is not null)
        {
            key = "element";
            var indexes = new List<int>();
            var i = 0;
            while (i < element.Length)
            {
                var close = element.IndexOf(']', i);
                if (element[i] != '[' || close < 0) break;
                var digits = element.AsSpan(i + 1, close - i - 1);
                if (digits.IsEmpty || digits.ContainsAnyExceptInRange('0', '9') || !int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var index)) break;
                indexes.Add(index);
                i = close + 1;
            }
            if (indexes.Count == 0 || i != element.Length || !JsonFieldPath.TryParse("$" + element, out var elementPath, out _))
            {
                error = $"'{element}' is not an element index: write \"[3]\" for an array, \"[1][2]\" for a matrix (row, column)";
                return null;
            }
            return new OpcUaValueSelector(element, [.. indexes], elementPath!);
        }
        key = "field";
        if (!JsonFieldPath.TryParse(field, out var path, out var pathError))
        {
            error = $"'{field}' is not a field path ({pathError}): write the field names joined by dots, e.g. \"Status.Speed\"";
            return null;
        }
        return new OpcUaValueSelector(field!, null, path!);
    }

    /// <summary>The selected element or field of <paramref name="value"/>; <see cref="PointValue.None"/> with <paramref name="error"/> when it has none.</summary>
    public PointValue Select(PointValue value, out string? error)
    {
        error = null;
        if (_indexes is not null && value.Kind == PointValueKind.Array) return Element(value.Array, out error);
        if (value.Kind == PointValueKind.Structure)
        {
            if (!_path.TryFind(Parsed(value.StructureJson), out var found))
            {
                error = $"the structure has no {(_indexes is null ? "field" : "element")} {Text}";
                return PointValue.None;
            }
            return found.ValueKind switch
            {
                JsonValueKind.Number => PointValue.FromNumber(found.GetDouble()),
                JsonValueKind.True => PointValue.FromBoolean(true),
                JsonValueKind.False => PointValue.FromBoolean(false),
                JsonValueKind.String => PointValue.FromString(found.GetString()!),
                JsonValueKind.Object or JsonValueKind.Array => PointValue.FromStructure(found.GetRawText()),
                _ => None($"{Text} of the structure is null", out error),
            };
        }
        return None($"{Text} cannot be taken from a {value.Kind} value: the node's value is not {(_indexes is null ? "a structure" : "an array")}", out error);
    }

    // The structure last parsed on this thread: the entries that take fields of one node's value are converted one
    // after the other, so the value is parsed once for all of them. Select does not yield, so no other value
    // replaces it while an entry reads it.
    [ThreadStatic]
    private static string? t_json;

    [ThreadStatic]
    private static JsonDocument? t_document;

    private static JsonElement Parsed(string json)
    {
        if (t_document is null || !string.Equals(json, t_json, StringComparison.Ordinal))
        {
            t_document?.Dispose();
            t_document = null;
            t_json = null;
            t_document = JsonDocument.Parse(json);
            t_json = json;
        }
        return t_document.RootElement;
    }

    private PointValue Element(ArrayValue array, out string? error)
    {
        var dimensions = array.Dimensions ?? [array.Length];
        if (dimensions.Length != _indexes!.Length)
        {
            return None($"element {Text} has {_indexes.Length} index(es), but the value has {dimensions.Length} dimension(s) ({string.Join('x', dimensions)})", out error);
        }
        var flat = 0;
        for (var d = 0; d < dimensions.Length; d++)
        {
            if (_indexes[d] >= dimensions[d]) return None($"element {Text} is outside the value's {string.Join('x', dimensions)} elements", out error);
            flat = flat * dimensions[d] + _indexes[d];
        }
        error = null;
        return array[flat];
    }

    private static PointValue None(string message, out string? error)
    {
        error = message;
        return PointValue.None;
    }
}
