using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using EdgeTwin.Core.Assets;
using EdgeTwin.Core.Telemetry;
using EdgeTwin.Core.Wire;

namespace EdgeTwin.Connectors.Kafka;

// Messages: the constant headers, the per-point message with its idempotent-key header, and the asset registry's
// messages.
public sealed partial class KafkaSink
{
    /// <summary>The header that carries each message's idempotent key.</summary>
    public const string KeyHeader = "key";

    /// <summary>The headers every message carries besides <see cref="KeyHeader"/>: schema_version, gateway_id and content-type.</summary>
    public static Headers ConstantHeaders(string gatewayId) => new()
    {
        { "schema_version", Encoding.UTF8.GetBytes(WirePointWriter.SchemaVersion) },
        { "gateway_id", Encoding.UTF8.GetBytes(gatewayId) },
        { "content-type", Encoding.UTF8.GetBytes(ContentType) },
    };

    private static readonly byte[] Version10 = Encoding.UTF8.GetBytes(WirePointWriter.SchemaVersion);
    private static readonly byte[] Version11 = Encoding.UTF8.GetBytes(WirePointWriter.SchemaVersion11);
    private bool _headerExtended;

    private Message<byte[], byte[]> Encode(in TelemetryPoint point)
    {
        _buffer.ResetWrittenCount();
        _wire.Write(in point, _buffer, terminator: 0);
        _headers.Remove(KeyHeader);
        _headers.Add(KeyHeader, IdempotentKeyBytes(in point));
        // The version header follows the point's own version (1.1 for arrays and structures), as its body does.
        var extended = point.Value.IsExtended;
        if (extended != _headerExtended)
        {
            _headers.Remove("schema_version");
            _headers.Add("schema_version", extended ? Version11 : Version10);
            _headerExtended = extended;
        }
        _message.Key = KeyBytes(point.Stream.AssetId);
        _message.Value = _buffer.WrittenSpan.ToArray();
        return _message;
    }

    /// <summary>The idempotent key (<see cref="IdempotentKey.Format(SeriesKey, long)"/>) as UTF-8, from a prefix made once per series.</summary>
    private byte[] IdempotentKeyBytes(in TelemetryPoint point)
    {
        var series = point.Stream.Series;
        if (!_keyPrefixes.TryGetValue(series, out var prefix))
        {
            prefix = Encoding.UTF8.GetBytes(IdempotentKey.Format(series, 0)[..^1]);
            // Bounded: past the limit the cache starts over, so a million series do not each keep a prefix here.
            if (_keyPrefixes.Count >= MaxCachedPrefixes) _keyPrefixes.Clear();
            _keyPrefixes[series] = prefix;
        }
        Span<byte> ticks = stackalloc byte[20];
        if (!Utf8Formatter.TryFormat(point.TimestampTicks, ticks, out var length)) throw new InvalidOperationException("ticks did not fit");
        var key = new byte[prefix.Length + length];
        prefix.CopyTo(key, 0);
        ticks[..length].CopyTo(key.AsSpan(prefix.Length));
        return key;
    }

    private byte[] KeyBytes(string assetId)
    {
        if (!_keys.TryGetValue(assetId, out var key))
        {
            key = Encoding.UTF8.GetBytes(assetId);
            _keys[assetId] = key;
        }
        return key;
    }

    private byte[] EncodeAsset(AssetDefinition asset)
    {
        _buffer.ResetWrittenCount();
        using (var w = new Utf8JsonWriter(_buffer))
        {
            w.WriteStartObject();
            w.WriteString("schema_version", WirePointWriter.SchemaVersion);
            w.WriteString("gateway_id", _wire.GatewayId);
            w.WriteString("asset_id", asset.Id);
            w.WriteString("name", asset.Name);
            if (asset.Parent is not null) w.WriteString("parent", asset.Parent);
            if (asset.ModelVersion is not null) w.WriteString("model_version", asset.ModelVersion);
            if (asset.Config is { } config)
            {
                w.WritePropertyName("config");
                config.WriteTo(w);
            }
            w.WriteEndObject();
        }
        return _buffer.WrittenSpan.ToArray();
    }
}
