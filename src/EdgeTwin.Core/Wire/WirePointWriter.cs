using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using EdgeTwin.Core.Telemetry;

namespace EdgeTwin.Core.Wire;

/// <summary>
/// Writes points in the wire format (docs/architecture.md §4, config/schema/telemetry-point-1.0.schema.json and
/// telemetry-point-1.1.schema.json), one JSON object per point. A point's version follows its value: scalars are
/// written in 1.0, arrays and structures in 1.1 (<see cref="PointValue.WireVersion"/>), so a point queued as 1.0
/// before an upgrade drains as 1.0 after it, and a consumer of 1.0 keeps reading every scalar series. The gateway's
/// part is encoded once per writer; a stream's strings (asset, metric, source, tags, model) are written per point,
/// directly as UTF-8 when they need no escaping, so nothing is kept per stream (at a million series a per-stream
/// cache cost ~250 MB) and the hot path does not allocate.
/// </summary>
public sealed partial class WirePointWriter
{
    /// <summary>The version of scalar points (and of the asset registry's messages).</summary>
    public const string SchemaVersion = "1.0";

    /// <summary>The version of points whose value is an array or a structure.</summary>
    public const string SchemaVersion11 = "1.1";

    private readonly string _gatewayId;
    private readonly byte[] _head;
    private readonly byte[] _head11;

    public WirePointWriter(string gatewayId)
    {
        _gatewayId = gatewayId;
        _head = EncodeHead(SchemaVersion, gatewayId);
        _head11 = EncodeHead(SchemaVersion11, gatewayId);
    }

    public string GatewayId => _gatewayId;

    /// <summary>Writes one point as a JSON object followed by <paramref name="terminator"/> (e.g. '\n'; 0 for none).</summary>
    public void Write(in TelemetryPoint point, IBufferWriter<byte> output, byte terminator = (byte)'\n')
    {
        var stream = point.Stream;
        var value = point.Value;
        var tag = value.Tag;
        Copy(value.IsExtended ? _head11 : _head, output);
        Copy("\"asset_id\":"u8, output);
        WriteJsonString(stream.AssetId, output);
        Copy(",\"metric\":"u8, output);
        WriteJsonString(stream.Metric, output);
        Copy(","u8, output);

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

        // A per-point tag (an enumeration's name, a text's locale) joins the series' tags.
        WriteSuffix(stream, tag, output);
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

    private static void Copy(ReadOnlySpan<byte> bytes, IBufferWriter<byte> output)
    {
        bytes.CopyTo(output.GetSpan(bytes.Length));
        output.Advance(bytes.Length);
    }

    /// <summary>
    /// A JSON string exactly as <see cref="Utf8JsonWriter"/> escapes it: printable ASCII that its default encoder leaves
    /// alone (ids, metrics, addresses) is copied between quotes; anything else goes through the writer.
    /// </summary>
    private static void WriteJsonString(string text, IBufferWriter<byte> output)
    {
        if (TryWritePlain([text], output)) return;
        using var writer = new Utf8JsonWriter(output, new JsonWriterOptions { SkipValidation = true });
        writer.WriteStringValue(text);
    }

    /// <summary>
    /// <paramref name="parts"/> written one after the other as one JSON string, when all of it is plain ASCII that the
    /// default encoder leaves alone; false (nothing written) otherwise. A derived source address is written from its
    /// parts this way, without building it.
    /// </summary>
    private static bool TryWritePlain(ReadOnlySpan<string> parts, IBufferWriter<byte> output)
    {
        var length = 0;
        foreach (var part in parts) length += part.Length;
        if (length > PlainLimit) return false;
        var span = output.GetSpan(length + 2);
        var n = 1;
        foreach (var part in parts)
        {
            if (Ascii.FromUtf16(part, span[n..], out var written) != OperationStatus.Done) return false;
            n += written;
        }
        if (JavaScriptEncoder.Default.FindFirstCharacterToEncodeUtf8(span[1..n]) >= 0) return false;
        span[0] = (byte)'"';
        span[n++] = (byte)'"';
        output.Advance(n);
        return true;
    }

    /// <summary>Longest string tried as plain ASCII (longer ones are rare and go through the writer).</summary>
    private const int PlainLimit = 1024;

    /// <summary><c>{"schema_version":"…","gateway_id":"…",</c>: what every point of this writer starts with.</summary>
    private static byte[] EncodeHead(string version, string gatewayId)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        Copy("{\"schema_version\":"u8, buffer);
        WriteJsonString(version, buffer);
        Copy(",\"gateway_id\":"u8, buffer);
        WriteJsonString(gatewayId, buffer);
        Copy(","u8, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// The stream's part after status_code: source, tags (with <paramref name="pointTag"/>, a per-point tag such as an
    /// enumeration's name, in place of a series tag of its key), model, model version and event kind.
    /// </summary>
    private static void WriteSuffix(StreamDescriptor stream, KeyValuePair<string, string>? pointTag, IBufferWriter<byte> output)
    {
        Copy(",\"source\":"u8, output);
        if (stream.SourcePrefix is not { } prefix || !TryWritePlain([prefix, stream.AssetId, "/", stream.Metric], output))
        {
            WriteJsonString(stream.Source, output);
        }
        var tags = stream.Tags;
        if (tags.Count > 0 || pointTag is not null)
        {
            Copy(",\"tags\":{"u8, output);
            var first = true;
            // Indexed: a foreach over the interface would allocate an enumerator per point.
            for (var i = 0; i < tags.Count; i++)
            {
                var t = tags[i];
                if (t.Key != pointTag?.Key) WriteMember(t.Key, t.Value, ref first, output);
            }
            if (pointTag is { } own) WriteMember(own.Key, own.Value, ref first, output);
            Copy("}"u8, output);
        }
        if (stream.Model is { } model) WriteMember(",\"model\":"u8, model, output);
        if (stream.ModelVersion is { } version) WriteMember(",\"model_version\":"u8, version, output);
        if (EventKinds.ToWire(stream.EventKind) is { } kind) WriteMember(",\"event\":"u8, kind, output);
    }

    private static void WriteMember(string name, string value, ref bool first, IBufferWriter<byte> output)
    {
        if (!first) Copy(","u8, output);
        first = false;
        WriteJsonString(name, output);
        Copy(":"u8, output);
        WriteJsonString(value, output);
    }

    private static void WriteMember(ReadOnlySpan<byte> name, string value, IBufferWriter<byte> output)
    {
        Copy(name, output);
        WriteJsonString(value, output);
    }
}
