using System.Text;
using System.Text.Json;

namespace EdgeTwin.Cloud.Ingest;

/// <summary>
/// The point decoder: one forward pass of <see cref="Utf8JsonReader"/> over the message (no document, no string for a
/// field it does not keep), then the checks in a fixed order, so a message with several faults always names the same
/// one. The point's value is read by <see cref="ReadValue"/>, the one place a new kind of value joins.
/// </summary>
public static partial class WireDecoder
{
    public static PointRow DecodePoint(ReadOnlySpan<byte> payload)
    {
        var f = new PointFields();
        try
        {
            var reader = new Utf8JsonReader(payload);
            if (!reader.Read()) throw new WireFormatException("not valid JSON (byte 0): the message is empty");
            if (reader.TokenType != JsonTokenType.StartObject) throw new WireFormatException($"$: expected an object, found {Describe(ref reader, payload)}");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var field = FieldOf(ref reader);
                if (field == Field.Unknown) f.Unknown ??= reader.GetString();
                reader.Read();
                switch (field)
                {
                    case Field.Value: f.Value = ReadValue(ref reader, payload); break;
                    case Field.Dimensions: f.Dimensions = ReadDimensions(ref reader, payload); break;
                    case Field.Tags: ReadTags(ref reader, payload, ref f); break;
                    case Field.Ts: f.Ts = ReadTimestamp(ref reader, payload); break;
                    case Field.TsEnd: f.TsEnd = ReadTimestamp(ref reader, payload); break;
                    case Field.StatusCode:
                        f.Status = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var code) && code is >= 0 and <= uint.MaxValue
                            ? new Int(true, code, null) : new Int(true, 0, Describe(ref reader, payload));
                        break;
                    case Field.Replayed:
                        f.Replayed = reader.TokenType is JsonTokenType.True or JsonTokenType.False
                            ? new Int(true, reader.GetBoolean() ? 1 : 0, null) : new Int(true, 0, Describe(ref reader, payload));
                        break;
                    case Field.Unknown: reader.Skip(); break;
                    default:
                        f.Texts[(int)field] = reader.TokenType == JsonTokenType.String ? new Text(true, reader.GetString(), null) : new Text(true, null, Describe(ref reader, payload));
                        break;
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.CurrentDepth != 0) throw new WireFormatException("not valid JSON: the object is not closed");
            var rest = payload[(int)reader.BytesConsumed..].Trim(" \t\r\n"u8);
            if (rest.Length > 0) throw new WireFormatException($"not one JSON object: data after byte {reader.BytesConsumed}");
        }
        catch (JsonException e)
        {
            throw new WireFormatException($"not valid JSON (byte {e.BytePositionInLine}): {e.Message}");
        }
        return f.ToRow();
    }

    /// <summary>
    /// The point's value: a number, a boolean or a string (schema 1.0), or from 1.1 an array (with its element count,
    /// for a matrix's dimensions) or a structure's object, kept as its JSON text. Which kinds the point's version
    /// allows is checked once the whole message is read; null is refused with what it was.
    /// </summary>
    private static WireValue ReadValue(ref Utf8JsonReader reader, ReadOnlySpan<byte> payload)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number: return new WireValue(true, reader.GetDouble(), null, null, null, 0, null);
            case JsonTokenType.String: return new WireValue(true, null, reader.GetString(), null, null, 0, null);
            case JsonTokenType.True or JsonTokenType.False: return new WireValue(true, null, null, reader.GetBoolean(), null, 0, null);
            case JsonTokenType.StartArray or JsonTokenType.StartObject:
                var isArray = reader.TokenType == JsonTokenType.StartArray;
                var start = (int)reader.TokenStartIndex;
                var depth = reader.CurrentDepth;
                var count = 0;
                while (reader.Read() && reader.CurrentDepth > depth)
                {
                    if (reader.CurrentDepth == depth + 1 && reader.TokenType is not (JsonTokenType.EndArray or JsonTokenType.EndObject or JsonTokenType.PropertyName)) count++;
                }
                var json = Encoding.UTF8.GetString(payload[start..(int)reader.BytesConsumed]);
                return new WireValue(true, null, null, null, json, isArray ? count : -1, isArray ? "an array" : "an object");
            default: return new WireValue(true, null, null, null, null, 0, Describe(ref reader, payload));
        }
    }

    /// <summary>A 1.1 matrix's "dimensions": a list of integers of at least 0 (checked against the value later).</summary>
    private static Dims ReadDimensions(ref Utf8JsonReader reader, ReadOnlySpan<byte> payload)
    {
        if (reader.TokenType != JsonTokenType.StartArray) return new Dims(true, null, $"$.dimensions: expected an array of at least two integers, found {Describe(ref reader, payload)}");
        var values = new List<int>();
        string? error = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var n) && n >= 0) values.Add(n);
            else
            {
                error ??= $"$.dimensions[{values.Count}]: expected an integer of at least 0";
                if (reader.TokenType is JsonTokenType.StartArray or JsonTokenType.StartObject) reader.Skip();
                values.Add(0);
            }
        }
        if (error is null && values.Count < 2) error = "$.dimensions: expected an array of at least two integers, found an array";
        return new Dims(true, [.. values], error);
    }

    private static void ReadTags(ref Utf8JsonReader reader, ReadOnlySpan<byte> payload, ref PointFields f)
    {
        f.HasTags = true;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            f.TagsError = $"$.tags: expected an object, found {Describe(ref reader, payload)}";
            return;
        }
        var start = (int)reader.TokenStartIndex;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isUnit = reader.ValueTextEquals("unit"u8);
            var name = f.TagsError is null ? reader.GetString() : null;
            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
            {
                var kind = Describe(ref reader, payload);
                f.TagsError ??= $"$.tags.{name}: expected a string, found {kind}";
            }
            else if (isUnit) f.Unit = reader.GetString();
        }
        f.TagsJson = Encoding.UTF8.GetString(payload[start..(int)reader.BytesConsumed]);
    }

    private static Timestamp ReadTimestamp(ref Utf8JsonReader reader, ReadOnlySpan<byte> payload)
    {
        if (reader.TokenType != JsonTokenType.String) return new Timestamp(true, null, Describe(ref reader, payload));
        var t = reader.ValueIsEscaped ? ParseTimestamp(Encoding.UTF8.GetBytes(reader.GetString()!)) : ParseTimestamp(reader.ValueSpan);
        return new Timestamp(true, t, t is null ? Describe(ref reader, payload) : null);
    }

    /// <summary>Names the field at the reader (escaped names are compared unescaped).</summary>
    private static Field FieldOf(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped)
        {
            var span = reader.ValueSpan;
            for (var i = 0; i < FieldNames.Length; i++)
            {
                if (span.SequenceEqual(FieldNames[i])) return (Field)i;
            }
        }
        else
        {
            for (var i = 0; i < FieldNames.Length; i++)
            {
                if (reader.ValueTextEquals(FieldNames[i])) return (Field)i;
            }
        }
        return Field.Unknown;
    }

    private static readonly byte[][] FieldNames =
    [
        "schema_version"u8.ToArray(), "gateway_id"u8.ToArray(), "asset_id"u8.ToArray(), "metric"u8.ToArray(), "ts"u8.ToArray(),
        "value"u8.ToArray(), "quality"u8.ToArray(), "status_code"u8.ToArray(), "source"u8.ToArray(), "tags"u8.ToArray(),
        "model"u8.ToArray(), "model_version"u8.ToArray(), "event"u8.ToArray(), "ts_end"u8.ToArray(), "replayed"u8.ToArray(),
        "dimensions"u8.ToArray(),
    ];

    /// <summary>Describes the value at the reader for an error (and moves past an array or object).</summary>
    private static string Describe(ref Utf8JsonReader reader, ReadOnlySpan<byte> payload)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number: return $"the number {Encoding.UTF8.GetString(reader.ValueSpan)}";
            case JsonTokenType.String: return $"the string \"{Shorten(reader.GetString()!)}\"";
            case JsonTokenType.True: return "true";
            case JsonTokenType.False: return "false";
            case JsonTokenType.Null: return "null";
            case JsonTokenType.StartArray:
                reader.Skip();
                return "an array";
            default:
                reader.Skip();
                return "an object";
        }
    }

    /// <summary>
    /// The wire timestamp, exactly <c>yyyy-MM-ddTHH:mm:ss.fffffffZ</c>, parsed from its bytes; null when it is not one.
    /// </summary>
    internal static DateTime? ParseTimestamp(ReadOnlySpan<byte> s)
    {
        if (s.Length != 28 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != '.' || s[27] != 'Z') return null;
        if (!Digits(s[..4], out var year) || !Digits(s.Slice(5, 2), out var month) || !Digits(s.Slice(8, 2), out var day)
            || !Digits(s.Slice(11, 2), out var hour) || !Digits(s.Slice(14, 2), out var minute) || !Digits(s.Slice(17, 2), out var second)
            || !Digits(s.Slice(20, 7), out var fraction))
        {
            return null;
        }
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return null;
        return new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc).AddTicks(fraction);
    }

    private static bool Digits(ReadOnlySpan<byte> s, out int value)
    {
        value = 0;
        foreach (var c in s)
        {
            if (c is < (byte)'0' or > (byte)'9') return false;
            value = (value * 10) + (c - '0');
        }
        return true;
    }
}
