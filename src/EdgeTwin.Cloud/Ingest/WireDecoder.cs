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
public static partial class WireDecoder
{
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
        if (CheckVersion(root))
        {
            // Exactly 1.0 has these fields and no others, as for points; a later 1.x may add optional ones.
            foreach (var field in root.EnumerateObject())
            {
                if (!AssetFields.Contains(field.Name)) throw new WireFormatException($"$.{field.Name}: not a field of schema 1.0");
            }
        }
        var id = Key(root, "asset_id");
        var name = String(root, "name");
        var parent = Optional(root, "parent");
        var modelVersion = Optional(root, "model_version");
        var config = root.TryGetProperty("config", out var c) && c.ValueKind != JsonValueKind.Null ? c.GetRawText() : null;
        if (config?.Contains("\\u0000", StringComparison.Ordinal) == true || name.Contains('\0', StringComparison.Ordinal)
            || parent?.Contains('\0', StringComparison.Ordinal) == true || modelVersion?.Contains('\0', StringComparison.Ordinal) == true)
            throw new WireFormatException("a string contains U+0000, which PostgreSQL cannot store");
        return new AssetRow(id, name, parent, modelVersion, config, Key(root, "gateway_id"), Deleted: false);
    }

    private static readonly HashSet<string> AssetFields = new(StringComparer.Ordinal)
    {
        "schema_version", "gateway_id", "asset_id", "name", "parent", "model_version", "config",
    };

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

    private static bool CheckVersion(JsonElement root) => CheckVersion(String(root, "schema_version"));

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
        if (s.Length == 0 || s.Contains('|', StringComparison.Ordinal) || s.Contains('\0', StringComparison.Ordinal)) throw new WireFormatException($"$.{name}: '{s.Replace("\0", "\\u0000", StringComparison.Ordinal)}' is empty or contains '|' or U+0000");
        return s;
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
