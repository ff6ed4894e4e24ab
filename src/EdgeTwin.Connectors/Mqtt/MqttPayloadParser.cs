using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using EdgeTwin.Connectors.Json;
using EdgeTwin.Core.Quarantine;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Connectors.Mqtt;

/// <summary>
/// Turns one MQTT message into readings. Nothing is dropped: a payload that cannot be read becomes a reading that
/// carries the error (naming the field, or the byte offset where JSON broke), the topic and the payload, which the
/// pipeline quarantines. Missing assets, timestamps or values are left missing, for the pipeline to quarantine
/// with its own reasons.
/// </summary>
public static class MqttPayloadParser
{
    /// <summary>How much of an oversized payload is kept in quarantine.</summary>
    public const int OversizedRawBytes = 1024;

    private static readonly JsonDocumentOptions JsonOptions = new() { MaxDepth = 32 };
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Adds the message's readings to <paramref name="output"/>; returns how many.</summary>
    public static int Parse(MqttTopicBinding binding, in ReadOnlySequence<byte> payload, long arrivalTicks, int maxPayloadBytes, List<Reading> output)
    {
        var before = output.Count;
        if (payload.Length > maxPayloadBytes)
        {
            var head = payload.Slice(0, Math.Min(payload.Length, OversizedRawBytes));
            output.Add(Failed(binding, arrivalTicks, RawText(head) + "…",
                $"payload of {payload.Length} bytes is over the {maxPayloadBytes}-byte limit (maxPayloadBytes)", QuarantineReason.PayloadTooLarge));
            return 1;
        }
        var sub = binding.Subscription;
        if (sub is null)
        {
            output.Add(Failed(binding, arrivalTicks, RawText(payload),
                $"topic '{binding.Topic}' matches none of the configured subscriptions (a subscription kept in the broker's session from an earlier configuration?)",
                QuarantineReason.UnmappedSource));
            return 1;
        }
        switch (sub.Format)
        {
            case MqttPayloadFormat.Value:
                output.Add(ParseValue(binding, payload, arrivalTicks));
                break;
            case MqttPayloadFormat.Raw:
                output.Add(ParseRaw(binding, sub, payload, arrivalTicks));
                break;
            case MqttPayloadFormat.Json:
            case MqttPayloadFormat.Multi:
                ParseJson(binding, sub, payload, arrivalTicks, output);
                break;
        }
        return output.Count - before;
    }

    private static Reading ParseValue(MqttTopicBinding binding, in ReadOnlySequence<byte> payload, long arrivalTicks)
    {
        string text;
        try
        {
            text = StrictUtf8.GetString(payload);
        }
        catch (DecoderFallbackException ex)
        {
            return Failed(binding, arrivalTicks, RawText(payload), $"payload is not UTF-8 text ({ex.Message})");
        }
        var trimmed = text.AsSpan().Trim();
        PointValue value;
        if (trimmed.IsEmpty) value = PointValue.None;
        else if (trimmed.Equals("true", StringComparison.OrdinalIgnoreCase)) value = PointValue.FromBoolean(true);
        else if (trimmed.Equals("false", StringComparison.OrdinalIgnoreCase)) value = PointValue.FromBoolean(false);
        else if (double.TryParse(trimmed, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var number)) value = PointValue.FromNumber(number);
        else value = PointValue.FromString(trimmed.Length == text.Length ? text : trimmed.ToString());
        return new Reading(binding.Address, arrivalTicks, value, AssetId: binding.Asset, Metric: binding.Metric, Raw: text);
    }

    private static Reading ParseRaw(MqttTopicBinding binding, MqttSubscription sub, in ReadOnlySequence<byte> payload, long arrivalTicks)
    {
        var size = sub.RawSize;
        if (payload.Length != size)
        {
            return Failed(binding, arrivalTicks, RawText(payload),
                $"raw payload of {payload.Length} bytes, expected {size} for {sub.RawType.ToString().ToLowerInvariant()}");
        }
        Span<byte> b = stackalloc byte[8];
        payload.CopyTo(b);
        b = b[..size];
        var little = sub.LittleEndian;
        var number = sub.RawType switch
        {
            RawNumberType.Float32 => little ? BinaryPrimitives.ReadSingleLittleEndian(b) : BinaryPrimitives.ReadSingleBigEndian(b),
            RawNumberType.Float64 => little ? BinaryPrimitives.ReadDoubleLittleEndian(b) : BinaryPrimitives.ReadDoubleBigEndian(b),
            RawNumberType.Int16 => little ? BinaryPrimitives.ReadInt16LittleEndian(b) : BinaryPrimitives.ReadInt16BigEndian(b),
            RawNumberType.UInt16 => little ? BinaryPrimitives.ReadUInt16LittleEndian(b) : BinaryPrimitives.ReadUInt16BigEndian(b),
            RawNumberType.Int32 => little ? BinaryPrimitives.ReadInt32LittleEndian(b) : BinaryPrimitives.ReadInt32BigEndian(b),
            RawNumberType.UInt32 => little ? BinaryPrimitives.ReadUInt32LittleEndian(b) : BinaryPrimitives.ReadUInt32BigEndian(b),
            RawNumberType.Int64 => little ? BinaryPrimitives.ReadInt64LittleEndian(b) : BinaryPrimitives.ReadInt64BigEndian(b),
            _ => little ? BinaryPrimitives.ReadUInt64LittleEndian(b) : BinaryPrimitives.ReadUInt64BigEndian(b),
        };
        return new Reading(binding.Address, arrivalTicks, PointValue.FromNumber(number), AssetId: binding.Asset, Metric: binding.Metric, Raw: Hex(b));
    }

    private static void ParseJson(MqttTopicBinding binding, MqttSubscription sub, in ReadOnlySequence<byte> payload, long arrivalTicks, List<Reading> output)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(payload, JsonOptions);
        }
        catch (JsonException ex)
        {
            // The parser's own message names the line and byte position where the payload broke.
            output.Add(Failed(binding, arrivalTicks, RawText(payload), $"payload is not JSON: {ex.Message}"));
            return;
        }
        using (doc)
        {
            var raw = RawText(payload);
            if (sub.Format == MqttPayloadFormat.Json) output.Add(ReadJson(binding, sub, doc.RootElement, raw, arrivalTicks));
            else ReadMulti(binding, sub, doc.RootElement, raw, arrivalTicks, output);
        }
    }

    private static Reading ReadJson(MqttTopicBinding binding, MqttSubscription sub, JsonElement root, string raw, long arrivalTicks)
    {
        var value = PointValue.None;
        if (sub.ValuePath.TryFind(root, out var v) && !JsonReadingFields.TryReadValue(v, out value, out var valueError))
        {
            return Failed(binding, arrivalTicks, raw, $"value at '{sub.ValuePath}' {valueError}");
        }
        var ticks = arrivalTicks;
        if (sub.TimestampPath is { } tsPath)
        {
            ticks = 0;
            if (tsPath.TryFind(root, out var ts) && ts.ValueKind != JsonValueKind.Null && !JsonReadingFields.TryReadTimestamp(ts, sub.EpochUnit, out ticks))
            {
                return Failed(binding, arrivalTicks, raw, $"timestamp at '{tsPath}' {ts.GetRawText()} is neither ISO 8601 nor epoch {UnitText(sub)} in 1970–9999");
            }
        }
        Quality? quality = null;
        uint status = 0;
        if (sub.QualityPath.TryFind(root, out var q) && !JsonReadingFields.TryReadQuality(q, out quality, out status, out var qualityError))
        {
            return Failed(binding, arrivalTicks, raw, $"quality at '{sub.QualityPath}' {qualityError}");
        }
        return new Reading(binding.Address, ticks, value, status, quality, binding.Asset, binding.Metric, raw);
    }

    /// <summary>The multi-metric shape <c>{"asset_id":…,"ts":…,"metrics":{…},"quality":…}</c>, one reading per metric.</summary>
    private static void ReadMulti(MqttTopicBinding binding, MqttSubscription sub, JsonElement root, string raw, long arrivalTicks, List<Reading> output)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            output.Add(Failed(binding, arrivalTicks, raw, $"payload is a JSON {Kind(root)}, not an object with \"asset_id\", \"ts\" and \"metrics\""));
            return;
        }
        var asset = binding.Asset;
        if (root.TryGetProperty("asset_id", out var a) && a.ValueKind != JsonValueKind.Null)
        {
            if (a.ValueKind != JsonValueKind.String)
            {
                output.Add(Failed(binding, arrivalTicks, raw, $"\"asset_id\" is a JSON {Kind(a)}, not a string"));
                return;
            }
            asset = a.GetString();
        }
        long ticks = 0;
        if (root.TryGetProperty("ts", out var ts) && ts.ValueKind != JsonValueKind.Null && !JsonReadingFields.TryReadTimestamp(ts, sub.EpochUnit, out ticks))
        {
            output.Add(Failed(binding, arrivalTicks, raw, $"\"ts\" {ts.GetRawText()} is neither ISO 8601 nor epoch {UnitText(sub)} in 1970–9999"));
            return;
        }
        Quality? quality = null;
        uint status = 0;
        if (root.TryGetProperty("quality", out var q) && !JsonReadingFields.TryReadQuality(q, out quality, out status, out var qualityError))
        {
            output.Add(Failed(binding, arrivalTicks, raw, $"\"quality\" {qualityError}"));
            return;
        }
        if (!root.TryGetProperty("metrics", out var metrics) || metrics.ValueKind != JsonValueKind.Object)
        {
            var what = metrics.ValueKind == JsonValueKind.Undefined ? "is missing" : $"is a JSON {Kind(metrics)}, not an object";
            output.Add(Failed(binding, arrivalTicks, raw, $"\"metrics\" {what}"));
            return;
        }
        var before = output.Count;
        foreach (var m in metrics.EnumerateObject())
        {
            var address = binding.AddressOf(m.Name);
            if (!JsonReadingFields.TryReadValue(m.Value, out var value, out var valueError))
            {
                output.Add(new Reading(address, ticks, PointValue.None, AssetId: asset, Metric: m.Name, Raw: raw, Error: $"metric \"{m.Name}\" {valueError}"));
                continue;
            }
            output.Add(new Reading(address, ticks, value, status, quality, asset, m.Name, raw));
        }
        if (output.Count == before) output.Add(Failed(binding, arrivalTicks, raw, "\"metrics\" is empty"));
    }

    private static Reading Failed(MqttTopicBinding binding, long arrivalTicks, string raw, string error, QuarantineReason reason = QuarantineReason.InvalidPayload) =>
        new(binding.Address, arrivalTicks, PointValue.None, AssetId: binding.Asset, Metric: binding.Metric, Raw: raw, Error: error,
            ErrorReason: reason == QuarantineReason.InvalidPayload ? null : reason);

    private static string UnitText(MqttSubscription sub) => sub.EpochUnit switch
    {
        EpochUnit.Seconds => "seconds",
        EpochUnit.Milliseconds => "milliseconds",
        _ => "seconds or milliseconds",
    };

    private static string Kind(JsonElement e) => e.ValueKind.ToString().ToLowerInvariant();

    /// <summary>The payload for quarantine: as text when it is UTF-8, else as hex, so binary input survives the round trip.</summary>
    public static string RawText(in ReadOnlySequence<byte> payload)
    {
        if (payload.IsSingleSegment)
        {
            var span = payload.FirstSpan;
            return System.Text.Unicode.Utf8.IsValid(span) ? Encoding.UTF8.GetString(span) : Hex(span);
        }
        var bytes = payload.ToArray();
        return System.Text.Unicode.Utf8.IsValid(bytes) ? Encoding.UTF8.GetString(bytes) : Hex(bytes);
    }

    private static string Hex(ReadOnlySpan<byte> bytes) => "hex:" + Convert.ToHexStringLower(bytes);
}
