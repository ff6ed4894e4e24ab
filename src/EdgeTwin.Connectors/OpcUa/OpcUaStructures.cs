using System.Buffers;
using System.Text.Json;
using EdgeTwin.OpcUa;
using EdgeTwin.OpcUa.Encoding;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.Connectors.OpcUa;

/// <summary>
/// Structures (ExtensionObjects) as JSON objects, fields named as the OPC UA type names them. The built-in ones a
/// technician meets first (Range, EUInformation, BuildInfo, ServerStatusDataType, Argument) decode without asking
/// the server; a structure of a type the session has a definition for decodes through <see cref="StructureTypes"/>.
/// Anything else is forwarded, never dropped, as <c>{"TypeId": "...", "Encoding": 1, "Body": "base64"}</c>
/// (Encoding 1 is a binary body, 2 an XML one, as OPC UA's JSON encoding writes an undecoded ExtensionObject).
/// </summary>
public static class OpcUaStructures
{
    public static string ToJson(ExtensionObject value, StructureTypes? types = null) => Render(w => Write(w, value, types));

    /// <summary>An array of ExtensionObjects or Variants as a JSON array (a matrix's elements flat, row-major, as wire schema 1.1 has them).</summary>
    public static string ArrayToJson(Variant array, StructureTypes? types = null) => Render(w => WriteArray(w, array.Type, array.AsArray()!, [array.AsArray()!.Length], types));

    public static void Write(Utf8JsonWriter w, ExtensionObject value, StructureTypes? types = null)
    {
        if (value.IsNull)
        {
            w.WriteNullValue();
            return;
        }
        UaStructure? known = null;
        string? failure = null;
        try
        {
            known = WellKnownStructures.TryDecode(value);
            if (known is null && types?.TryDecode(value) is { } json)
            {
                w.WriteRawValue(json, skipInputValidation: true);
                return;
            }
        }
        catch (UaDecodingException ex)
        {
            failure = ex.Message;
        }
        if (known is not null)
        {
            WriteFields(w, known);
            return;
        }
        WriteOpaque(w, value, failure);
    }

    /// <summary>A well-known structure's fields (<see cref="UaStructure.Fields"/>) as a JSON object.</summary>
    private static void WriteFields(Utf8JsonWriter w, UaStructure structure)
    {
        w.WriteStartObject();
        foreach (var (name, value) in structure.Fields())
        {
            w.WritePropertyName(name);
            switch (value)
            {
                case null: w.WriteNullValue(); break;
                case string text: w.WriteStringValue(text); break;
                case double number: OpcUaValues.WriteDouble(w, number); break;
                case int number: w.WriteNumberValue(number); break;
                case uint number: w.WriteNumberValue(number); break;
                case DateTime time: w.WriteStringValue(OpcUaValues.DateTimeText(time)); break;
                case LocalizedText text: WriteLocalizedText(w, text); break;
                case ServerState state: w.WriteNumberValue((int)state); break;
                case NodeId id: w.WriteStringValue(id.ToString()); break;
                case uint[] dimensions:
                    w.WriteStartArray();
                    foreach (var d in dimensions) w.WriteNumberValue(d);
                    w.WriteEndArray();
                    break;
                case UaStructure nested: WriteFields(w, nested); break;
                default: throw new InvalidOperationException($"field {name} of {structure.GetType().Name} has no JSON form");
            }
        }
        w.WriteEndObject();
    }

    /// <summary>An undecoded structure: its encoding's type id and its body, so nothing is lost.</summary>
    public static void WriteOpaque(Utf8JsonWriter w, ExtensionObject value, string? failure = null)
    {
        w.WriteStartObject();
        w.WriteString("TypeId", value.TypeId.ToString());
        w.WriteNumber("Encoding", value.Encoding == ExtensionObjectEncoding.Xml ? 2 : 1);
        w.WriteBase64String("Body", value.Body.Span);
        if (failure is not null) w.WriteString("DecodeError", failure);
        w.WriteEndObject();
    }

    public static void WriteLocalizedText(Utf8JsonWriter w, LocalizedText text)
    {
        w.WriteStartObject();
        if (text.Locale is not null) w.WriteString("Locale", text.Locale);
        if (text.Text is not null) w.WriteString("Text", text.Text);
        w.WriteEndObject();
    }

    /// <summary>
    /// Any Variant as JSON: a scalar, an array of its elements, or a matrix as nested arrays (row-major). Structures
    /// inside it, in a Variant or DataValue too, decode through <paramref name="types"/>.
    /// </summary>
    public static void WriteVariant(Utf8JsonWriter w, Variant value, StructureTypes? types = null)
    {
        if (!value.IsArray)
        {
            OpcUaValues.WriteScalar(w, value, types);
            return;
        }
        var array = value.AsArray()!;
        WriteArray(w, value.Type, array, value.ArrayDimensions is { Length: >= 2 } d ? d : [array.Length], types);
    }

    private static void WriteArray(Utf8JsonWriter w, BuiltInType type, Array array, int[] dimensions, StructureTypes? types)
    {
        if (array.Length == 0)
        {
            w.WriteStartArray();
            w.WriteEndArray();
            return;
        }
        for (var i = 0; i < array.Length; i++)
        {
            OpenRows(w, dimensions, i);
            WriteElement(w, type, array.GetValue(i), types);
            CloseRows(w, dimensions, i);
        }
    }

    private static void WriteElement(Utf8JsonWriter w, BuiltInType type, object? element, StructureTypes? types)
    {
        switch (element)
        {
            case ExtensionObject e: Write(w, e, types); break;
            case Variant v:
                // As OPC UA's JSON encoding writes a Variant: its built-in type id and its value.
                w.WriteStartObject();
                w.WriteNumber("Type", (int)v.Type);
                w.WritePropertyName("Body");
                WriteVariant(w, v, types);
                w.WriteEndObject();
                break;
            case DataValue dv: WriteVariant(w, dv.Value, types); break;
            case LocalizedText l: WriteLocalizedText(w, l); break;
            case bool b: w.WriteBooleanValue(b); break;
            case double d: OpcUaValues.WriteDouble(w, d); break;
            case float f: OpcUaValues.WriteDouble(w, f); break;
            case StatusCode s: w.WriteNumberValue(s.Code); break;
            case sbyte or byte or short or ushort or int or uint or long:
                w.WriteNumberValue(Convert.ToInt64(element, System.Globalization.CultureInfo.InvariantCulture));
                break;
            case ulong u: w.WriteNumberValue(u); break;
            default:
                if (OpcUaValues.ElementText(type, element) is { } text) w.WriteStringValue(text); else w.WriteNullValue();
                break;
        }
    }

    /// <summary>Before element <paramref name="index"/> of a row-major matrix: opens the arrays (rows) that start there.</summary>
    internal static void OpenRows(Utf8JsonWriter w, int[] dimensions, int index)
    {
        for (var d = 0; d < dimensions.Length; d++)
        {
            if (index % Stride(dimensions, d) == 0) w.WriteStartArray();
        }
    }

    /// <summary>After element <paramref name="index"/> of a row-major matrix: closes the arrays (rows) that end there.</summary>
    internal static void CloseRows(Utf8JsonWriter w, int[] dimensions, int index)
    {
        for (var d = dimensions.Length - 1; d >= 0; d--)
        {
            if ((index + 1) % Stride(dimensions, d) == 0) w.WriteEndArray();
        }
    }

    /// <summary>How many elements one entry of dimension <paramref name="from"/> spans (the product of it and the inner ones).</summary>
    private static long Stride(int[] dimensions, int from)
    {
        long stride = 1;
        for (var d = from; d < dimensions.Length; d++) stride *= dimensions[d];
        return stride;
    }

    private static string Render(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            write(w);
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
