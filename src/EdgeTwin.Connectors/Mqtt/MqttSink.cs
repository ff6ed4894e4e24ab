using System.Buffers;
using System.Security.Cryptography.X509Certificates;
using EdgeTwin.Core.Pipeline;
using EdgeTwin.Core.Telemetry;
using EdgeTwin.Core.Wire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeTwin.Connectors.Mqtt;

/// <summary>
/// Publishes points to an MQTT broker (MQTT 5, QoS 1, persistent session): one schema-1.0 JSON object per message,
/// the idempotent key, schema version and gateway id as user properties. A batch is confirmed when every message
/// has its PUBACK; a reason code no retry can change becomes a rejection, and a lost connection fails the batch,
/// which is retried without the messages already acknowledged. Not thread-safe: the sink's worker is its only caller.
/// </summary>
public sealed class MqttSink : ISink, IAsyncDisposable
{
    private static readonly ReadOnlyMemory<byte> SchemaVersionBytes = System.Text.Encoding.UTF8.GetBytes(WirePointWriter.SchemaVersion);
    private static readonly ReadOnlyMemory<byte> SchemaVersion11Bytes = System.Text.Encoding.UTF8.GetBytes(WirePointWriter.SchemaVersion11);

    private readonly MqttSinkConfig _config;
    private readonly ReadOnlyMemory<byte> _gatewayIdBytes;
    private readonly ILogger _logger;
    private readonly WirePointWriter _wire;
    private readonly string _gatewayId;
    private readonly IMqttClient _client;
    private readonly MqttClientOptions _options;
    private readonly Dictionary<StreamDescriptor, string> _topics = [];
    private const int MaxCachedTopics = 65_536;
    private Progress? _progress;
    private bool _disposed;
    private long _acknowledged;

    public MqttSink(MqttSinkConfig config, string gatewayId, ILogger<MqttSink>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentException.ThrowIfNullOrEmpty(gatewayId);
        _config = config;
        Name = config.Name;
        _gatewayId = gatewayId;
        _gatewayIdBytes = System.Text.Encoding.UTF8.GetBytes(gatewayId);
        _logger = logger ?? (ILogger)NullLogger<MqttSink>.Instance;
        _wire = new WirePointWriter(gatewayId);
        _client = new MqttClientFactory().CreateMqttClient();
        _options = BuildOptions(config, gatewayId);
    }

    public string Name { get; }

    public bool Connected => _client.IsConnected;

    /// <summary>Messages acknowledged by the broker since this instance started.</summary>
    public long Acknowledged => Interlocked.Read(ref _acknowledged);

    public ValueTask<long?> RecoverAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return ValueTask.FromResult<long?>(null);
    }

    public async ValueTask<SinkResult> SendAsync(SinkBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ObjectDisposedException.ThrowIf(_disposed, this);
        await EnsureConnectedAsync(cancellationToken).ConfigureAwait(false);

        var points = batch.Points;
        var progress = _progress is { } p && p.Matches(batch) ? p : new Progress(batch);
        _progress = progress;

        using var window = new SemaphoreSlim(_config.MaxInflight);
        var inflight = new List<Task>(Math.Min(points.Count, 4096));
        for (var i = 0; i < points.Count; i++)
        {
            if (progress.State[i] != Progress.Pending) continue;
            var point = points[i];
            if (WireCheck.Unwritable(point) is { } why)
            {
                progress.Refuse(i, why);
                continue;
            }
            var message = Encode(point);
            await window.WaitAsync(cancellationToken).ConfigureAwait(false);
            inflight.Add(PublishAsync(progress, i, message, window, cancellationToken));
        }
        try
        {
            await Task.WhenAll(inflight).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            SinkLog.BatchIncomplete(_logger, Name, batch.FirstSegmentId, batch.LastSegmentId, progress.AcknowledgedCount, points.Count, e.Message);
            throw new IOException($"MQTT sink '{Name}': {points.Count - progress.AcknowledgedCount - progress.Rejections.Count} of {points.Count} messages without PUBACK: {e.Message}", e);
        }
        _progress = null;
        return progress.Rejections.Count == 0 ? SinkResult.Delivered : new SinkResult([.. progress.Rejections.OrderBy(r => r.Index)]);
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        if (_client.IsConnected)
        {
            // A normal disconnect keeps the session (its expiry is set at connect), so nothing unacknowledged is lost.
            try
            {
                await _client.DisconnectAsync(new MqttClientDisconnectOptions()).ConfigureAwait(false);
            }
            catch (Exception e) when (e is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException or InvalidOperationException)
            {
                SinkLog.DisconnectFailed(_logger, Name, e.Message);
            }
        }
        _client.Dispose();
    }

    /// <summary>PUBACK reason codes (MQTT 5 §3.4.2.1) that a retry cannot change.</summary>
    internal static bool IsPermanent(MqttClientPublishReasonCode code) => code is MqttClientPublishReasonCode.TopicNameInvalid
        or MqttClientPublishReasonCode.PayloadFormatInvalid or MqttClientPublishReasonCode.NotAuthorized;

    private static MqttClientOptions BuildOptions(MqttSinkConfig config, string gatewayId)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(config.Host, config.Port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            .WithClientId(string.IsNullOrEmpty(config.ClientId) ? $"edgetwin-{gatewayId}-{config.Name}" : config.ClientId)
            // A persistent session: the broker keeps it (and what it has not delivered) across our reconnects.
            .WithCleanStart(false)
            .WithSessionExpiryInterval(config.SessionExpirySeconds)
            .WithTimeout(TimeSpan.FromSeconds(config.TimeoutSeconds));
        if (config.Username is not null) builder.WithCredentials(config.Username, config.Password);
        if (config.Tls)
        {
            builder.WithTlsOptions(tls =>
            {
                tls.UseTls();
                if (config.CaFile is not null)
                {
                    var chain = new X509Certificate2Collection();
                    chain.ImportFromPemFile(config.CaFile);
                    tls.WithTrustChain(chain);
                }
                if (config.CertFile is not null && config.KeyFile is not null)
                {
                    tls.WithClientCertificates([X509Certificate2.CreateFromPemFile(config.CertFile, config.KeyFile)]);
                }
            });
        }
        return builder.Build();
    }

    private async Task EnsureConnectedAsync(CancellationToken cancellationToken)
    {
        if (_client.IsConnected) return;
        var result = await _client.ConnectAsync(_options, cancellationToken).ConfigureAwait(false);
        if (result.ResultCode != MqttClientConnectResultCode.Success)
        {
            throw new IOException($"MQTT sink '{Name}': {_config.Host}:{_config.Port} refused the connection: {result.ResultCode} {result.ReasonString}");
        }
        SinkLog.Connected(_logger, Name, _config.Host, _config.Port, result.IsSessionPresent);
    }

    private async Task PublishAsync(Progress progress, int index, MqttApplicationMessage message, SemaphoreSlim window, CancellationToken cancellationToken)
    {
        try
        {
            var result = await _client.PublishAsync(message, cancellationToken).ConfigureAwait(false);
            if (result.IsSuccess)
            {
                progress.Acknowledge(index);
                Interlocked.Increment(ref _acknowledged);
            }
            else if (IsPermanent(result.ReasonCode))
            {
                progress.Refuse(index, $"refused by the MQTT broker: {result.ReasonCode} {result.ReasonString}");
            }
            else
            {
                throw new IOException($"PUBACK {result.ReasonCode} {result.ReasonString}");
            }
        }
        finally
        {
            window.Release();
        }
    }

    private MqttApplicationMessage Encode(in TelemetryPoint point)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        _wire.Write(in point, buffer, terminator: 0);
        return new MqttApplicationMessageBuilder()
            .WithTopic(TopicOf(point.Stream))
            .WithPayload(buffer.WrittenMemory.ToArray())
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithContentType("application/json")
            .WithUserProperty("schema_version", point.Value.IsExtended ? SchemaVersion11Bytes : SchemaVersionBytes)
            .WithUserProperty("gateway_id", _gatewayIdBytes)
            .WithUserProperty("key", System.Text.Encoding.UTF8.GetBytes(point.IdempotentKey).AsMemory())
            .Build();
    }

    private string TopicOf(StreamDescriptor stream)
    {
        if (_topics.TryGetValue(stream, out var topic)) return topic;
        topic = _config.TopicTemplate
            .Replace("{gateway_id}", _gatewayId, StringComparison.Ordinal)
            .Replace("{asset_id}", stream.AssetId, StringComparison.Ordinal)
            .Replace("{metric}", stream.Metric, StringComparison.Ordinal);
        // Bounded: past the limit the cache starts over, so a million series do not each keep a topic here.
        if (_topics.Count >= MaxCachedTopics) _topics.Clear();
        _topics[stream] = topic;
        return topic;
    }

    /// <summary>Which messages of one batch have their PUBACK, kept across retries of the same batch.</summary>
    private sealed class Progress
    {
        public const byte Pending = 0, Acknowledged = 1, Refused = 2;

        private readonly long _first;
        private readonly long _last;
        private int _acknowledged;

        public Progress(SinkBatch batch)
        {
            _first = batch.FirstSegmentId;
            _last = batch.LastSegmentId;
            State = new byte[batch.Points.Count];
        }

        public byte[] State { get; }

        public List<SinkRejection> Rejections { get; } = [];

        public int AcknowledgedCount => Volatile.Read(ref _acknowledged);

        public bool Matches(SinkBatch batch) => batch.FirstSegmentId == _first && batch.LastSegmentId == _last && batch.Points.Count == State.Length;

        public void Acknowledge(int index)
        {
            State[index] = Acknowledged;
            Interlocked.Increment(ref _acknowledged);
        }

        public void Refuse(int index, string reason)
        {
            lock (Rejections)
            {
                State[index] = Refused;
                Rejections.Add(new SinkRejection(index, reason));
            }
        }
    }
}
