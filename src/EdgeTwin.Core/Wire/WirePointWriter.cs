using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Core.Wire;

/// <summary>
/// Writes points in the wire format (docs/architecture.md §4, config/schema/telemetry-point-1.0.schema.json and
/// telemetry-point-1.1.schema.json), one JSON object per point. A point's version follows its value: scalars are
/// written in 1.0, arrays and structures in 1.1 (<see cref="PointValue.WireVersion"/>), so a point queued as 1.0
/// before an upgrade drains as 1.0 after it, and a consumer of 1.0 keeps reading every scalar series. The parts that never change for a stream (gateway, asset, metric, source,
/// tags, model) are encoded once per stream and copied; per point only the timestamp, value, quality and
/// status code are formatted, so the hot path does not allocate.
/// </summary>
public sealed partial class WirePointWriter
{
    /// <summary>The version of scalar points (and of the asset registry's messages).</summary>
    public const string SchemaVersion = "1.0";

    /// <summary>The version of points whose value is an array or a structure.</summary>
    public const string SchemaVersion11 = "1.1";

    private readonly string _gatewayId;

    public WirePointWriter(string gatewayId) => _gatewayId = gatewayId;

    public string GatewayId => _gatewayId;

    /// <summary>Writes one point as a JSON object followed by <paramref name="terminator"/> (e.g. '\n'; 0 for none).</summary>
    public void Write(in TelemetryPoint point, IBufferWriter<byte> output, byte terminator = (byte)'\n')
    {
        var parts = PartsOf(point.Stream);
        var value = point.Value;
        var tag = value.Tag;
        Copy(value.IsExtended ? parts.Prefix11 : parts.Prefix, output);

        var span = output.GetSpan(128);
        var n = 0;
        n += Literal("\"ts\":\"", span[n..]);
        n += WriteTimestamp(point.TimestampTicks, span[n..]);
        n += Literal("\",\"value\":", span[n..]);
        switch (value.Kind)
        {
            case PointValueKind.Number:
                if (!Utf8Formatter.TryFormat(value.Number, span[n..], out var written)) throw new InvalidOperationException("number did not fit");
                // Utf8Formatter writes "E+" exponents, which JSON accepts; NaN/Infinity never reach here (quarantined).
                n += written;
                break;
            case PointValueKind.Boolean:
                n += Literal(value.Boolean ? "true" : "false", span[n..]);
                break;
            case PointValueKind.String:
                output.Advance(n);
                WriteJsonString(value.Text, output);
                span = output.GetSpan(96);
                n = 0;
                break;
            case PointValueKind.Array:
                output.Advance(n);
                WriteArray(value.Array, output);
                span = output.GetSpan(96);
                n = 0;
                break;
            case PointValueKind.Structure:
                output.Advance(n);
                WriteUtf8(value.StructureJson, output);
                span = output.GetSpan(96);
                n = 0;
                break;
            default:
                throw new InvalidOperationException($"point {point.IdempotentKey} has no value");
        }
        n += Literal(",\"quality\":\"", span[n..]);
        n += Literal(QualityCodes.ToWire(point.Quality), span[n..]);
        n += Literal("\",\"status_code\":", span[n..]);
        Utf8Formatter.TryFormat(point.StatusCode, span[n..], out var statusLength);
        n += statusLength;
        output.Advance(n);

        // A per-point tag (an enumeration's name, a text's locale) joins the series' tags: the suffix with the last tag
        // seen on the stream is kept, so a state that repeats its name is not encoded again.
        Copy(tag is { } t ? TaggedSuffix(point.Stream, parts, t) : parts.Suffix, output);
        span = output.GetSpan(64);
        n = 0;
        if (point.EndTicks != 0)
        {
            n += Literal(",\"ts_end\":\"", span[n..]);
            n += WriteTimestamp(point.EndTicks, span[n..]);
            span[n++] = (byte)'"';
        }
        if (point.Replayed) n += Literal(",\"replayed\":true", span[n..]);
        span[n++] = (byte)'}';
        if (terminator != 0) span[n++] = terminator;
        output.Advance(n);
    }

    /// <summary>Formats UTC ticks as ISO 8601 with seven fractional digits: fixed width, so text order is time order.</summary>
    public static int WriteTimestamp(long ticks, Span<byte> destination)
    {
        var dt = new DateTime(ticks, DateTimeKind.Utc);
        // "O" on a UTC time is exactly yyyy-MM-ddTHH:mm:ss.fffffffZ, and .NET formats it without parsing a pattern.
        if (!dt.TryFormat(destination, out var written, "O", System.Globalization.CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException("timestamp did not fit");
        }
        return written;
    }

    private static int Literal(string ascii, Span<byte> destination)
    {
        for (var i = 0; i < ascii.Length; i++) destination[i] = (byte)ascii[i];
        return ascii.Length;
    }

    private static void Copy(byte[] bytes, IBufferWriter<byte> output)
    {
        bytes.CopyTo(output.GetSpan(bytes.Length));
        output.Advance(bytes.Length);
    }

    private static void WriteJsonString(string text, IBufferWriter<byte> output)
    {
        using var writer = new Utf8JsonWriter(output, new JsonWriterOptions { SkipValidation = true });
        writer.WriteStringValue(text);
    }

    private Parts PartsOf(StreamDescriptor stream)
    {
        if (stream.WireCache is Parts cached && ReferenceEquals(cached.GatewayId, _gatewayId)) return cached;
        var parts = new Parts(_gatewayId, EncodePrefix(stream, SchemaVersion), EncodePrefix(stream, SchemaVersion11), EncodeSuffix(stream));
        stream.WireCache = parts;
        return parts;
    }

    private byte[] EncodePrefix(StreamDescriptor stream, string version)
    {
        var (buffer, w) = Scratch();
        w.WriteStartObject();
        w.WriteString("schema_version", version);
        w.WriteString("gateway_id", _gatewayId);
        w.WriteString("asset_id", stream.AssetId);
        w.WriteString("metric", stream.Metric);
        w.WriteString("ts", "");
        w.Flush();
        // Keep everything up to the "ts" property name; the per-point part writes it itself.
        var bytes = buffer.WrittenSpan;
        var cut = bytes.LastIndexOf("\"ts\""u8);
        return bytes[..cut].ToArray();
    }

    private static byte[] EncodeSuffix(StreamDescriptor stream, KeyValuePair<string, string>? pointTag = null)
    {
        var (buffer, w) = Scratch();
        w.WriteStartObject();
        w.WriteString("source", stream.Source);
        if (stream.Tags.Count > 0 || pointTag is not null)
        {
            w.WriteStartObject("tags");
            foreach (var t in stream.Tags)
            {
                if (t.Key != pointTag?.Key) w.WriteString(t.Key, t.Value);
            }
            if (pointTag is { } own) w.WriteString(own.Key, own.Value);
            w.WriteEndObject();
        }
        if (stream.Model is not null) w.WriteString("model", stream.Model);
        if (stream.ModelVersion is not null) w.WriteString("model_version", stream.ModelVersion);
        if (EventKinds.ToWire(stream.EventKind) is { } kind) w.WriteString("event", kind);
        w.WriteEndObject();
        w.Flush();
        // Drop the braces: the suffix continues the point's object after status_code.
        var inner = buffer.WrittenSpan[1..^1];
        var result = new byte[inner.Length + 1];
        result[0] = (byte)',';
        inner.CopyTo(result.AsSpan(1));
        return result;
    }

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_scratchBuffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_scratchWriter;

    /// <summary>
    /// The thread's reusable writer for the per-stream parts: the first sighting of 10,000 streams at start-up then
    /// allocates only the parts themselves, not a writer and buffer per stream.
    /// </summary>
    private static (ArrayBufferWriter<byte> Buffer, Utf8JsonWriter Writer) Scratch()
    {
        var buffer = t_scratchBuffer ??= new ArrayBufferWriter<byte>(512);
        buffer.ResetWrittenCount();
        var writer = t_scratchWriter ??= new Utf8JsonWriter(buffer);
        writer.Reset(buffer);
        return (buffer, writer);
    }

    private static byte[] TaggedSuffix(StreamDescriptor stream, Parts parts, KeyValuePair<string, string> tag)
    {
        // One reference read and written whole: sinks on other threads share the stream's parts.
        var last = parts.LastTagged;
        if (last is not null && string.Equals(last.Key, tag.Key, StringComparison.Ordinal) && string.Equals(last.Value, tag.Value, StringComparison.Ordinal)) return last.Suffix;
        var suffix = EncodeSuffix(stream, tag);
        parts.LastTagged = new TaggedParts(tag.Key, tag.Value, suffix);
        return suffix;
    }

    private sealed record Parts(string GatewayId, byte[] Prefix, byte[] Prefix11, byte[] Suffix)
    {
        /// <summary>The suffix with the stream's last per-point tag.</summary>
        public TaggedParts? LastTagged { get; set; }
    }

    private sealed record TaggedParts(string Key, string Value, byte[] Suffix);
}
