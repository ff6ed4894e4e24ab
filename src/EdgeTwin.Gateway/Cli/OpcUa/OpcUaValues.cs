using System.Globalization;
using System.Text;
using System.Text.Json;
using EdgeTwin.OpcUa;
using EdgeTwin.OpcUa.Session;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.Gateway.Cli.OpcUa;

/// <summary>How the technician verbs show OPC UA values: one line of text, or JSON.</summary>
internal static partial class OpcUaValues
{
    /// <summary>Array elements shown before "…"; --json writes them all.</summary>
    private const int TextArrayElements = 8;

    /// <summary>Indented, and text other than quotes and control characters left as it is (names and values in any script).</summary>
    public static JsonWriterOptions JsonOptions { get; } = new() { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>"Good", "BadNodeIdUnknown (0x80340000)".</summary>
    public static string Status(StatusCode status) => status.Code == 0 ? "Good" : StatusCodeNames.Describe(status);

    /// <summary>The name of a built-in data type (ns=0;i=1…25), else null.</summary>
    public static string? BuiltInName(NodeId dataType) =>
        dataType.NamespaceIndex == 0 && dataType.IdType == NodeIdType.Numeric && dataType.NumericIdentifier is >= 1 and <= 25
            ? ((BuiltInType)dataType.NumericIdentifier).ToString()
            : null;

    public static string Text(Variant value, NamespaceTable namespaces)
    {
        if (value.IsNull) return "null";
        if (!value.IsArray) return Scalar(value.ToObject(), namespaces);
        var array = value.AsArray()!;
        var shape = value.ArrayDimensions is { } dims ? string.Join('x', dims) : array.Length.ToString(CultureInfo.InvariantCulture);
        var text = new StringBuilder().Append(value.Type).Append('[').Append(shape).Append("] [");
        for (var i = 0; i < array.Length && i < TextArrayElements; i++)
        {
            if (i > 0) text.Append(", ");
            text.Append(Scalar(array.GetValue(i), namespaces));
        }

        return text.Append(array.Length > TextArrayElements ? ", …]" : "]").ToString();
    }

    public static void Write(Utf8JsonWriter json, Variant value, NamespaceTable namespaces)
    {
        if (value.IsNull)
        {
            json.WriteNullValue();
            return;
        }

        if (!value.IsArray)
        {
            WriteScalar(json, value.ToObject(), namespaces);
            return;
        }

        json.WriteStartArray();
        foreach (var element in value.AsArray()!)
        {
            WriteScalar(json, element, namespaces);
        }

        json.WriteEndArray();
    }

    internal static string Scalar(object? value, NamespaceTable namespaces) => value switch
    {
        null => "null",
        string s => Quote(s),
        DateTime t => t.ToString("O", CultureInfo.InvariantCulture),
        byte[] bytes => "0x" + Convert.ToHexString(bytes),
        NodeId id => namespaces.ToExpanded(id).ToString(),
        StatusCode code => Status(code),
        LocalizedText text => text.Locale is { Length: > 0 } locale ? $"{locale}: {text.Text}" : text.Text ?? "",
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        ExtensionObject structure => StructureText(structure, namespaces),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>A string in double quotes, with quotes, backslashes and control characters escaped as in JSON.</summary>
    private static string Quote(string s)
    {
        var text = new StringBuilder(s.Length + 2).Append('"');
        foreach (var c in s)
        {
            if (c is '"' or '\\') text.Append('\\').Append(c);
            else if (char.IsControl(c)) text.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            else text.Append(c);
        }

        return text.Append('"').ToString();
    }

    private static void WriteScalar(Utf8JsonWriter json, object? value, NamespaceTable namespaces)
    {
        switch (value)
        {
            case null: json.WriteNullValue(); break;
            case bool b: json.WriteBooleanValue(b); break;
            case sbyte or byte or short or ushort or int or uint or long or ulong:
                json.WriteRawValue(((IFormattable)value).ToString(null, CultureInfo.InvariantCulture)); break;
            case float f when float.IsFinite(f): json.WriteNumberValue(f); break;
            case double d when double.IsFinite(d): json.WriteNumberValue(d); break;
            case string s: json.WriteStringValue(s); break;
            case DateTime t: json.WriteStringValue(t.ToString("O", CultureInfo.InvariantCulture)); break;
            case byte[] bytes: json.WriteStringValue(Convert.ToBase64String(bytes)); break;
            case ExtensionObject structure: WriteStructure(json, structure, namespaces); break;
            default: json.WriteStringValue(Scalar(value, namespaces)); break;
        }
    }
}
