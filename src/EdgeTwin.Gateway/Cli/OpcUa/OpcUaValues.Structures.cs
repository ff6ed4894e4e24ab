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

    /// <summary>The decoded fields in wire order, or null (with why, when the body did not decode).</summary>
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

        return decoded switch
        {
            ServerStatusDataType s =>
            [
                ("State", new FieldText(Enum.IsDefined(s.State) ? s.State.ToString() : ((int)s.State).ToString(CultureInfo.InvariantCulture))),
                ("StartTime", s.StartTime),
                ("CurrentTime", s.CurrentTime),
                ("SecondsTillShutdown", s.SecondsTillShutdown),
                ("ShutdownReason", Text(s.ShutdownReason)),
                ("BuildInfo", BuildFields(s.BuildInfo)),
            ],
            BuildInfo b => BuildFields(b),
            UaRange r => [("Low", r.Low), ("High", r.High)],
            EUInformation eu =>
            [
                ("DisplayName", Text(eu.DisplayName)),
                ("Description", Text(eu.Description)),
                ("UnitId", WellKnownStructures.UneceCode(eu.UnitId) is { } code && IsUnece(eu.NamespaceUri) ? new FieldText($"{eu.UnitId} ({code})") : eu.UnitId),
                ("NamespaceUri", eu.NamespaceUri),
            ],
            Argument a =>
            [
                ("Name", a.Name),
                ("DataType", new FieldText(BuiltInName(a.DataType) ?? namespaces.ToExpanded(a.DataType).ToString())),
                ("ValueRank", new FieldText(ValueRankText(a.ValueRank))),
                ("ArrayDimensions", a.ArrayDimensions),
                ("Description", Text(a.Description)),
            ],
            _ => null,
        };
    }

    /// <summary>UnitIds are UNECE common codes in the namespace OPC 10000-8 names ("…/units/un/cefact"), or when none is given.</summary>
    private static bool IsUnece(string? namespaceUri) =>
        namespaceUri is null || namespaceUri.Contains("cefact", StringComparison.OrdinalIgnoreCase) || namespaceUri.Contains("unece", StringComparison.OrdinalIgnoreCase);

    private static List<(string, object?)> BuildFields(BuildInfo b) =>
    [
        ("ProductName", b.ProductName),
        ("ManufacturerName", b.ManufacturerName),
        ("SoftwareVersion", b.SoftwareVersion),
        ("BuildNumber", b.BuildNumber),
        ("BuildDate", b.BuildDate),
        ("ProductUri", b.ProductUri),
    ];

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
