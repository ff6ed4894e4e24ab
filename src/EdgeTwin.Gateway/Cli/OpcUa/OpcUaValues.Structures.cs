using System.Globalization;
using System.Text;
using System.Text.Json;
using EdgeTwin.OpcUa.Encoding;
using EdgeTwin.OpcUa.Session;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.Gateway.Cli.OpcUa;

/// <summary>
/// Structures (ExtensionObjects): the ones <see cref="WellKnownStructures"/> decodes are shown field by field; any
/// other as its encoding's type id and body length, which is what a technician can look up.
/// </summary>
internal static partial class OpcUaValues
{
    /// <summary>For field values that hold no node id (the ones that do are formatted before they get here).</summary>
    private static readonly NamespaceTable NoNamespaces = new(["http://opcfoundation.org/UA/"]);

    /// <summary>One structure on one line: "{Low: 0, High: 200}", or "structure ns=2;i=5001 (binary, 24 bytes)".</summary>
    internal static string StructureText(ExtensionObject value, NamespaceTable namespaces)
    {
        if (value.IsNull) return "null";
        var fields = Fields(value, namespaces, out var problem);
        if (fields is null) return Opaque(value, namespaces) + (problem is null ? "" : $" (not decodable: {problem})");
        return FieldsText(fields);
    }

    private static void WriteStructure(Utf8JsonWriter json, ExtensionObject value, NamespaceTable namespaces)
    {
        if (value.IsNull)
        {
            json.WriteNullValue();
            return;
        }

        var fields = Fields(value, namespaces, out var problem);
        json.WriteStartObject();
        if (fields is null)
        {
            json.WriteString("typeId", namespaces.ToExpanded(value.TypeId).ToString());
            json.WriteString("encoding", EncodingName(value.Encoding));
            json.WriteNumber("bytes", value.Body.Length);
            if (problem is not null) json.WriteString("error", problem);
        }
        else
        {
            WriteFields(json, fields);
        }

        json.WriteEndObject();
    }

    private static void WriteFields(Utf8JsonWriter json, List<(string Name, object? Value)> fields)
    {
        foreach (var (name, field) in fields)
        {
            json.WritePropertyName(char.ToLowerInvariant(name[0]) + name[1..]);
            switch (field)
            {
                case List<(string, object?)> nested:
                    json.WriteStartObject();
                    WriteFields(json, nested);
                    json.WriteEndObject();
                    break;
                case FieldText text: json.WriteStringValue(text.Text); break;
                case uint[] dims:
                    json.WriteStartArray();
                    foreach (var d in dims) json.WriteNumberValue(d);
                    json.WriteEndArray();
                    break;
                case null: json.WriteNullValue(); break;
                case string s: json.WriteStringValue(s); break;
                case double d when double.IsFinite(d): json.WriteNumberValue(d); break;
                case int i: json.WriteNumberValue(i); break;
                case uint u: json.WriteNumberValue(u); break;
                default: json.WriteStringValue(Scalar(field, NoNamespaces)); break;
            }
        }
    }

    /// <summary>A field value already in its final text (an enumeration name, a data type), not quoted.</summary>
    private sealed record FieldText(string Text);

    private static string FieldsText(List<(string Name, object? Value)> fields)
    {
        var text = new StringBuilder("{");
        foreach (var (name, field) in fields)
        {
            if (text.Length > 1) text.Append(", ");
            text.Append(name).Append(": ");
            text.Append(field switch
            {
                List<(string, object?)> nested => FieldsText(nested),
                FieldText t => t.Text,
                uint[] dims => "[" + string.Join(", ", dims) + "]",
                _ => Scalar(field, NoNamespaces),
            });
        }

        return text.Append('}').ToString();
    }

    /// <summary>The decoded fields, or null (with why, when the body did not decode).</summary>
    private static List<(string Name, object? Value)>? Fields(ExtensionObject value, NamespaceTable namespaces, out string? problem)
    {
        problem = null;
        UaStructure? decoded;
        try
        {
            decoded = WellKnownStructures.TryDecode(value);
        }
        catch (UaDecodingException ex)
        {
            problem = ex.Message;
            return null;
        }

        return decoded is null ? null : Present(decoded, namespaces);
    }

    /// <summary>
    /// The structure's fields (<see cref="UaStructure.Fields"/>, the list the wire's JSON is written from) as a
    /// technician reads them: a ServerState by name, a data type by name, a value rank with what it means, a UNECE
    /// unit with its code, a LocalizedText as its text.
    /// </summary>
    private static List<(string Name, object? Value)> Present(UaStructure structure, NamespaceTable namespaces) =>
    [
        .. structure.Fields().Select(f => (f.Name, f.Value switch
        {
            ServerState state => (object?)new FieldText(Enum.IsDefined(state) ? state.ToString() : ((int)state).ToString(CultureInfo.InvariantCulture)),
            LocalizedText text => Text(text),
            NodeId id => new FieldText(BuiltInName(id) ?? namespaces.ToExpanded(id).ToString()),
            UaStructure nested => Present(nested, namespaces),
            int rank when structure is Argument && f.Name == "ValueRank" => new FieldText(ValueRankText(rank)),
            int unit when structure is EUInformation eu && f.Name == "UnitId" && WellKnownStructures.UneceCode(unit) is { } code && IsUnece(eu.NamespaceUri) => new FieldText($"{unit} ({code})"),
            var other => other,
        })),
    ];

    /// <summary>UnitIds are UNECE common codes in the namespace OPC 10000-8 names ("…/units/un/cefact"), or when none is given.</summary>
    private static bool IsUnece(string? namespaceUri) =>
        namespaceUri is null || namespaceUri.Contains("cefact", StringComparison.OrdinalIgnoreCase) || namespaceUri.Contains("unece", StringComparison.OrdinalIgnoreCase);

    /// <summary>A LocalizedText as a quoted string (its locale, when there is one, is not what a technician looks for).</summary>
    private static string? Text(LocalizedText text) => text.Text;

    /// <summary>"-1 (scalar)", "1 (one dimension)"… (OPC 10000-3 §5.6.2).</summary>
    private static string ValueRankText(int rank) => rank switch
    {
        -3 => "-3 (scalar or one dimension)",
        -2 => "-2 (any)",
        -1 => "-1 (scalar)",
        0 => "0 (one or more dimensions)",
        1 => "1 (one dimension)",
        _ => rank.ToString(CultureInfo.InvariantCulture) + " (dimensions)",
    };

    private static string Opaque(ExtensionObject value, NamespaceTable namespaces) =>
        value.Encoding == ExtensionObjectEncoding.None
            ? $"structure {namespaces.ToExpanded(value.TypeId)} (no body)"
            : $"structure {namespaces.ToExpanded(value.TypeId)} ({EncodingName(value.Encoding)}, {value.Body.Length} byte{(value.Body.Length == 1 ? "" : "s")})";

    private static string EncodingName(ExtensionObjectEncoding encoding) => encoding switch
    {
        ExtensionObjectEncoding.Binary => "binary",
        ExtensionObjectEncoding.Xml => "xml",
        _ => "none",
    };
}
