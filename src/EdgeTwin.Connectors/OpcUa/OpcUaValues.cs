using System.Globalization;
using System.Text.Json;
using EdgeTwin.Core.Telemetry;
using EdgeTwin.OpcUa;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.Connectors.OpcUa;

/// <summary>
/// From an OPC UA Variant to a point value. Scalars of every built-in type: numbers (StatusCode as its 32-bit code),
/// booleans, and text for the rest — DateTime as ISO 8601 UTC with seven fractional digits, Guid, NodeId,
/// ExpandedNodeId and QualifiedName in their OPC UA text form, LocalizedText's text, ByteString as base64,
/// XmlElement as its text. Arrays and matrices become <see cref="ArrayValue"/>s (numbers, booleans or text as
/// above); structures (ExtensionObjects) become JSON objects (<see cref="OpcUaStructures"/>). A DataValue's inner
/// value is taken; a DiagnosticInfo is not a process value and is refused.
/// </summary>
public static class OpcUaValues
{
    /// <summary>The default limit on elements per array value: a 65,536-sample waveform fits.</summary>
    public const int DefaultMaxArrayElements = 65_536;

    /// <summary>
    /// The point value of <paramref name="value"/>; on failure <see cref="PointValue.None"/> with <paramref name="error"/>
    /// saying why, and <paramref name="tooLarge"/> set when the array has more than <paramref name="maxArrayElements"/>.
    /// <paramref name="types"/> decodes the server's own structures; <paramref name="enumNames"/> names the values of a
    /// node whose data type is an enumeration (the name becomes the point's <c>enum</c> tag).
    /// </summary>
    public static PointValue ToPointValue(Variant value, int maxArrayElements, out string? error, out bool tooLarge,
        StructureTypes? types = null, IReadOnlyDictionary<long, string>? enumNames = null)
    {
        error = null;
        tooLarge = false;
        if (value.IsArray)
        {
            var array = value.AsArray()!;
            if (array.Length > maxArrayElements)
            {
                tooLarge = true;
                error = $"an array of {array.Length} {value.Type} elements ({(value.ArrayDimensions is { } d ? string.Join('x', d) : array.Length.ToString(CultureInfo.InvariantCulture))}) is more than the {maxArrayElements} elements a value may hold (maxArrayElements)";
                return PointValue.None;
            }
            return ToArray(value, array, types, out error);
        }

        switch (value.Type)
        {
            case BuiltInType.Null: return PointValue.None;
            case BuiltInType.Boolean: return PointValue.FromBoolean(value.AsBoolean());
            case BuiltInType.SByte: return PointValue.FromNumber(value.AsSByte());
            case BuiltInType.Byte: return PointValue.FromNumber(value.AsByte());
            case BuiltInType.Int16: return PointValue.FromNumber(value.AsInt16());
            case BuiltInType.UInt16: return PointValue.FromNumber(value.AsUInt16());
            case BuiltInType.Int32:
                var number = value.AsInt32();
                return enumNames is not null && enumNames.TryGetValue(number, out var name) ? PointValue.FromNumber(number, name) : PointValue.FromNumber(number);
            case BuiltInType.UInt32: return PointValue.FromNumber(value.AsUInt32());
            case BuiltInType.Int64: return PointValue.FromNumber(value.AsInt64());
            case BuiltInType.UInt64: return PointValue.FromNumber(value.AsUInt64());
            case BuiltInType.Float: return PointValue.FromNumber(value.AsFloat());
            case BuiltInType.Double: return PointValue.FromNumber(value.AsDouble());
            case BuiltInType.StatusCode: return PointValue.FromNumber(value.AsStatusCode().Code);
            case BuiltInType.ExtensionObject:
                var structure = value.AsExtensionObject();
                return structure.IsNull ? PointValue.None : PointValue.FromStructure(OpcUaStructures.ToJson(structure, types));
            case BuiltInType.LocalizedText:
                var text = value.AsLocalizedText();
                return PointValue.FromString(text.Text ?? "", string.IsNullOrEmpty(text.Locale) ? null : text.Locale);
            case BuiltInType.DataValue: return ToPointValue(value.AsDataValue().Value, maxArrayElements, out error, out tooLarge, types, enumNames);
            case BuiltInType.DiagnosticInfo:
                error = "a DiagnosticInfo value is not a process value";
                return PointValue.None;
            default:
                return ScalarText(value) is { } scalar ? PointValue.FromString(scalar) : PointValue.None;
        }
    }

    /// <summary>The text form of a scalar of a text-like type; null for a null String, ByteString or XmlElement.</summary>
    public static string? ScalarText(Variant value) => value.Type switch
    {
        BuiltInType.String or BuiltInType.XmlElement => value.AsString(),
        BuiltInType.DateTime => DateTimeText(value.AsDateTime()),
        BuiltInType.Guid => value.AsGuid().ToString("D"),
        BuiltInType.ByteString => value.AsByteString() is { } bytes ? Convert.ToBase64String(bytes) : null,
        BuiltInType.NodeId => value.AsNodeId().ToString(),
        BuiltInType.ExpandedNodeId => value.AsExpandedNodeId().ToString(),
        BuiltInType.QualifiedName => value.AsQualifiedName().ToString(),
        BuiltInType.LocalizedText => value.AsLocalizedText().Text ?? "",
        _ => value.ToString(),
    };

    /// <summary>ISO 8601 UTC with seven fractional digits (100 ns), as the wire's timestamps.</summary>
    public static string DateTimeText(DateTime value) =>
        new DateTime(value.Ticks, DateTimeKind.Utc).ToString("O", CultureInfo.InvariantCulture);

    private static PointValue ToArray(Variant value, Array array, StructureTypes? types, out string? error)
    {
        error = null;
        var dimensions = value.ArrayDimensions is { Length: >= 2 } d ? d : null;
        switch (value.Type)
        {
            case BuiltInType.Boolean:
                return PointValue.FromArray(ArrayValue.FromBooleans((bool[])((bool[])array).Clone(), dimensions));
            case BuiltInType.SByte: return Numbers((sbyte[])array, x => x, dimensions);
            case BuiltInType.Byte: return Numbers((byte[])array, x => x, dimensions);
            case BuiltInType.Int16: return Numbers((short[])array, x => x, dimensions);
            case BuiltInType.UInt16: return Numbers((ushort[])array, x => x, dimensions);
            case BuiltInType.Int32: return Numbers((int[])array, x => x, dimensions);
            case BuiltInType.UInt32: return Numbers((uint[])array, x => x, dimensions);
            case BuiltInType.Int64: return Numbers((long[])array, x => x, dimensions);
            case BuiltInType.UInt64: return Numbers((ulong[])array, x => x, dimensions);
            case BuiltInType.Float: return Numbers((float[])array, x => x, dimensions);
            case BuiltInType.Double:
                // The decoder's array is the value's own: no other reader holds it.
                return PointValue.FromArray(ArrayValue.FromNumbers((double[])array, dimensions));
            case BuiltInType.StatusCode: return Numbers((StatusCode[])array, x => x.Code, dimensions);
            case BuiltInType.ExtensionObject or BuiltInType.Variant:
                return PointValue.FromStructure(OpcUaStructures.ArrayToJson(value, types));
            case BuiltInType.DataValue or BuiltInType.DiagnosticInfo:
                error = $"an array of {value.Type} is not a process value";
                return PointValue.None;
            default:
                var texts = new string[array.Length];
                for (var i = 0; i < texts.Length; i++) texts[i] = ElementText(value.Type, array.GetValue(i)) ?? "";
                return PointValue.FromArray(ArrayValue.FromStrings(texts, dimensions));
        }
    }

    /// <summary>The text of one element of a text-like array; null elements (a null String or ByteString) are null.</summary>
    internal static string? ElementText(BuiltInType type, object? element) => element switch
    {
        null => null,
        string s => s,
        DateTime t => DateTimeText(t),
        Guid g => g.ToString("D"),
        byte[] b => Convert.ToBase64String(b),
        LocalizedText l => l.Text ?? "",
        _ => type == BuiltInType.Null ? null : Convert.ToString(element, CultureInfo.InvariantCulture),
    };

    private static PointValue Numbers<T>(T[] values, Func<T, double> convert, int[]? dimensions)
    {
        var numbers = new double[values.Length];
        for (var i = 0; i < numbers.Length; i++) numbers[i] = convert(values[i]);
        return PointValue.FromArray(ArrayValue.FromNumbers(numbers, dimensions));
    }

    internal static void WriteScalar(Utf8JsonWriter w, Variant value, StructureTypes? types)
    {
        switch (value.Type)
        {
            case BuiltInType.Null: w.WriteNullValue(); break;
            case BuiltInType.Boolean: w.WriteBooleanValue(value.AsBoolean()); break;
            case BuiltInType.SByte: w.WriteNumberValue(value.AsSByte()); break;
            case BuiltInType.Byte: w.WriteNumberValue(value.AsByte()); break;
            case BuiltInType.Int16: w.WriteNumberValue(value.AsInt16()); break;
            case BuiltInType.UInt16: w.WriteNumberValue(value.AsUInt16()); break;
            case BuiltInType.Int32: w.WriteNumberValue(value.AsInt32()); break;
            case BuiltInType.UInt32: w.WriteNumberValue(value.AsUInt32()); break;
            case BuiltInType.Int64: w.WriteNumberValue(value.AsInt64()); break;
            case BuiltInType.UInt64: w.WriteNumberValue(value.AsUInt64()); break;
            case BuiltInType.Float: WriteDouble(w, value.AsFloat()); break;
            case BuiltInType.Double: WriteDouble(w, value.AsDouble()); break;
            case BuiltInType.StatusCode: w.WriteNumberValue(value.AsStatusCode().Code); break;
            case BuiltInType.LocalizedText: OpcUaStructures.WriteLocalizedText(w, value.AsLocalizedText()); break;
            case BuiltInType.ExtensionObject: OpcUaStructures.Write(w, value.AsExtensionObject(), types); break;
            case BuiltInType.DataValue: OpcUaStructures.WriteVariant(w, value.AsDataValue().Value, types); break;
            case BuiltInType.DiagnosticInfo: w.WriteNullValue(); break;
            default:
                if (ScalarText(value) is { } text) w.WriteStringValue(text); else w.WriteNullValue();
                break;
        }
    }

    /// <summary>A double in JSON; NaN and infinities (which JSON cannot carry) as their text, inside a structure only.</summary>
    internal static void WriteDouble(Utf8JsonWriter w, double value)
    {
        if (double.IsFinite(value)) w.WriteNumberValue(value);
        else w.WriteStringValue(value.ToString(CultureInfo.InvariantCulture));
    }
}
