using System.Globalization;
using System.Text;
using System.Text.Json;

namespace EdgeTwin.Cloud.Ingest;

/// <summary>A message that does not follow the wire schema; the message says what and where.</summary>
public sealed class WireFormatException(string message) : Exception(message);

/// <summary>
/// Reads the gateway's messages (config/schema/telemetry-point-1.0.schema.json and 1.1, and the twin-metadata record).
/// Accepts schema 1.x (a minor version only adds optional fields; from 1.1 a value may be an array, with
/// "dimensions" for a matrix, or a structure's object, kept as JSON); any other version, a missing or mistyped
/// field, an unknown field in 1.0, or a 1.0 value that is not a number, boolean or string is refused with the
/// reason, for the dead-letter table.
/// </summary>
public static class WireDecoder
{
    private const string TsFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    private static readonly HashSet<string> Known1_0 = new(StringComparer.Ordinal)
    {
        "schema_version", "gateway_id", "asset_id", "metric", "ts", "value", "quality", "status_code", "source",
        "tags", "model", "model_version", "event", "ts_end", "replayed",
    };

    public static PointRow DecodePoint(ReadOnlySpan<byte> payload)
    {
        using var doc = Parse(payload);
        var root = doc.RootElement;
        var exact = CheckVersion(root);
        if (exact)
        {
            foreach (var p in root.EnumerateObject())
            {
                if (!Known1_0.Contains(p.Name)) throw new WireFormatException($"$.{p.Name}: not a field of schema 1.0");
            }
        }
        var gateway = Key(root, "gateway_id");
        var asset = Key(root, "asset_id");
        var metric = Key(root, "metric");
        var (time, frac) = Timestamp(Required(root, "ts"), "ts");
        var value = Required(root, "value");
        double? number = null;
        string? text = null;
        bool? flag = null;
        string? valueJson = null;
        int[]? dimensions = null;
        switch (value.ValueKind)
        {
            case JsonValueKind.Number: number = value.GetDouble(); break;
            case JsonValueKind.String: text = value.GetString(); break;
            case JsonValueKind.True or JsonValueKind.False: flag = value.GetBoolean(); break;
            case JsonValueKind.Array or JsonValueKind.Object when !exact:
                // Schema 1.1: an array (a matrix with its dimensions) or a structure, kept as JSON.
                valueJson = value.GetRawText();
                dimensions = Dimensions(root, value);
                break;
            default: throw new WireFormatException($"$.value: expected a number, boolean{(exact ? " or string" : ", string, array or object")}, found {Kind(value)}");
        }
        if (dimensions is null && !exact && root.TryGetProperty("dimensions", out _)) throw new WireFormatException("$.dimensions: only an array value has dimensions");
        var quality = String(root, "quality");
        if (quality is not ("good" or "uncertain" or "bad")) throw new WireFormatException($"$.quality: '{quality}' is not good, uncertain or bad");
        var status = Required(root, "status_code");
        if (status.ValueKind != JsonValueKind.Number || !status.TryGetInt64(out var statusCode) || statusCode is < 0 or > uint.MaxValue)
            throw new WireFormatException($"$.status_code: expected an integer 0..4294967295, found {Kind(status)}");
        var source = String(root, "source");
        string? tagsJson = null;
        string? unit = null;
        if (root.TryGetProperty("tags", out var tags))
        {
            if (tags.ValueKind != JsonValueKind.Object) throw new WireFormatException($"$.tags: expected an object, found {Kind(tags)}");
            foreach (var t in tags.EnumerateObject())
            {
                if (t.Value.ValueKind != JsonValueKind.String) throw new WireFormatException($"$.tags.{t.Name}: expected a string, found {Kind(t.Value)}");
                if (t.Name == "unit") unit = t.Value.GetString();
            }
            tagsJson = tags.GetRawText();
        }
        var model = Optional(root, "model") ?? "";
        var modelVersion = Optional(root, "model_version") ?? "";
        var kind = Optional(root, "event");
        if (kind is not (null or "loss" or "anomaly" or "gateway_state")) throw new WireFormatException($"$.event: '{kind}' is not loss, anomaly or gateway_state");
        DateTime? end = null;
        if (root.TryGetProperty("ts_end", out var tsEnd)) end = Timestamp(tsEnd, "ts_end").Time;
        var replayed = false;
        if (root.TryGetProperty("replayed", out var r))
        {
            if (r.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) throw new WireFormatException($"$.replayed: expected a boolean, found {Kind(r)}");
            replayed = r.GetBoolean();
        }
        // PostgreSQL's text and jsonb cannot hold U+0000: such a point could never be written, so it is refused here.
        if (text?.Contains('\0', StringComparison.Ordinal) == true || source.Contains('\0', StringComparison.Ordinal)
            || valueJson?.Contains("\\u0000", StringComparison.Ordinal) == true
            || tagsJson?.Contains("\\u0000", StringComparison.Ordinal) == true)
        {
            throw new WireFormatException("a string contains U+0000, which PostgreSQL cannot store");
        }
        return new PointRow(time, frac, asset, metric, number, text, flag, quality, statusCode, unit, tagsJson, model, modelVersion,
            source, gateway, replayed, kind, end, valueJson, dimensions);
    }

    /// <summary>A 1.1 matrix's "dimensions": positive integers whose product is the array's length; null when absent.</summary>
    private static int[]? Dimensions(JsonElement root, JsonElement value)
    {
        if (!root.TryGetProperty("dimensions", out var dims)) return null;
        if (value.ValueKind != JsonValueKind.Array) throw new WireFormatException("$.dimensions: only an array value has dimensions");
        if (dims.ValueKind != JsonValueKind.Array || dims.GetArrayLength() < 2) throw new WireFormatException($"$.dimensions: expected an array of at least two integers, found {Kind(dims)}");
        var result = new int[dims.GetArrayLength()];
        long product = 1;
        var i = 0;
        foreach (var d in dims.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out var n) || n < 0) throw new WireFormatException($"$.dimensions[{i}]: expected an integer of at least 0");
            result[i++] = n;
            product *= n;
        }
        if (product != value.GetArrayLength()) throw new WireFormatException($"$.dimensions: {string.Join('x', result)} is {product} elements, the value has {value.GetArrayLength()}");
        return result;
    }

    /// <summary>A twin-metadata record (the gateway's asset registry), keyed by asset id; an empty payload is a tombstone.</summary>
    public static AssetRow DecodeAsset(ReadOnlySpan<byte> key, ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty)
        {
            if (key.IsEmpty) throw new WireFormatException("a tombstone without a key names no asset");
            return new AssetRow(Encoding.UTF8.GetString(key), "", null, null, null, "", Deleted: true);
        }
        using var doc = Parse(payload);
        var root = doc.RootElement;
        CheckVersion(root);
        var id = Key(root, "asset_id");
        var name = String(root, "name");
        var parent = Optional(root, "parent");
        var modelVersion = Optional(root, "model_version");
        var config = root.TryGetProperty("config", out var c) && c.ValueKind != JsonValueKind.Null ? c.GetRawText() : null;
        if (config?.Contains("\\u0000", StringComparison.Ordinal) == true || name.Contains('\0', StringComparison.Ordinal))
            throw new WireFormatException("a string contains U+0000, which PostgreSQL cannot store");
        return new AssetRow(id, name, parent, modelVersion, config, Key(root, "gateway_id"), Deleted: false);
    }

    /// <summary>Text, or the bytes' start escaped, for messages that are not even UTF-8.</summary>
    private static JsonDocument Parse(ReadOnlySpan<byte> payload)
    {
        try
        {
            var reader = new Utf8JsonReader(payload);
            var doc = JsonDocument.ParseValue(ref reader);
            if (reader.BytesConsumed != payload.Length && payload[(int)reader.BytesConsumed..].Trim(" \t\r\n"u8).Length > 0)
            {
                doc.Dispose();
                throw new WireFormatException($"not one JSON object: data after byte {reader.BytesConsumed}");
            }
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                var kind = Kind(doc.RootElement);
                doc.Dispose();
                throw new WireFormatException($"$: expected an object, found {kind}");
            }
            return doc;
        }
        catch (JsonException e)
        {
            throw new WireFormatException($"not valid JSON (byte {e.BytePositionInLine}): {e.Message}");
        }
    }

    /// <summary>Returns whether the version is exactly 1.0 (so unknown fields are errors); throws for any other major.</summary>
    private static bool CheckVersion(JsonElement root)
    {
        var version = String(root, "schema_version");
        if (version == "1.0") return true;
        var dot = version.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0 && version[..dot] == "1" && int.TryParse(version.AsSpan(dot + 1), NumberStyles.None, CultureInfo.InvariantCulture, out _)) return false;
        throw new WireFormatException($"$.schema_version: unknown schema version '{version}' (this service reads 1.x)");
    }

    private static JsonElement Required(JsonElement root, string name) =>
        root.TryGetProperty(name, out var e) ? e : throw new WireFormatException($"$.{name}: required");

    private static string String(JsonElement root, string name)
    {
        var e = Required(root, name);
        return e.ValueKind == JsonValueKind.String ? e.GetString()! : throw new WireFormatException($"$.{name}: expected a string, found {Kind(e)}");
    }

    private static string? Optional(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var e)) return null;
        return e.ValueKind == JsonValueKind.String ? e.GetString() : throw new WireFormatException($"$.{name}: expected a string, found {Kind(e)}");
    }

    /// <summary>A part of the idempotent key: non-empty, without '|'.</summary>
    private static string Key(JsonElement root, string name)
    {
        var s = String(root, name);
        if (s.Length == 0 || s.Contains('|', StringComparison.Ordinal) || s.Contains('\0', StringComparison.Ordinal)) throw new WireFormatException($"$.{name}: '{s}' is empty or contains '|'");
        return s;
    }

    private static (DateTime Time, short Frac) Timestamp(JsonElement e, string name)
    {
        if (e.ValueKind != JsonValueKind.String
            || !DateTime.TryParseExact(e.GetString(), TsFormat, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t))
        {
            throw new WireFormatException($"$.{name}: expected a UTC timestamp with seven fractional digits (2026-01-01T00:00:00.0000000Z), found {Kind(e)}");
        }
        var frac = (short)(t.Ticks % 10);
        return (new DateTime(t.Ticks - frac, DateTimeKind.Utc), frac);
    }

    private static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number => $"the number {e.GetRawText()}",
        JsonValueKind.String => $"the string \"{Shorten(e.GetString()!)}\"",
        JsonValueKind.True or JsonValueKind.False => e.GetRawText(),
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "an array",
        _ => "an object",
    };

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
