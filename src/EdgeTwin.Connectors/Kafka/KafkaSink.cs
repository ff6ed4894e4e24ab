using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using EdgeTwin.Core.Assets;
using EdgeTwin.Core.Pipeline;
using EdgeTwin.Core.Telemetry;
using EdgeTwin.Core.Wire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeTwin.Connectors.Kafka;

/// <summary>
/// Produces points to Kafka (docs/architecture.md §4): key = asset id, value = the schema-1.0 JSON object, headers
/// <c>schema_version</c>, <c>gateway_id</c>, <c>key</c> (the idempotent key) and <c>content-type</c>. Telemetry
/// goes to the telemetry topic, events (loss ledger, anomalies, gateway state) to the events topic, and the
/// asset registry to the twin-metadata topic, keyed by asset id, when the sink starts.
/// <para>
/// A batch is confirmed only when librdkafka has reported every message delivered (idempotent producer,
/// acks=all). A message refused for good (too large, invalid topic) becomes a rejection, which the queue
/// quarantines with the broker's error; any other failure throws so that the batch is retried, and the
/// messages already delivered in it are not sent again.
/// </para>
/// Not thread-safe: the queue's worker for this sink is its only caller.
/// </summary>
public sealed partial class KafkaSink : ISink, IAsyncDisposable, ISinkLink
{
    private const string ContentType = "application/json";
    private static readonly TimeSpan FlushSlice = TimeSpan.FromMilliseconds(100);

    private readonly KafkaSinkConfig _config;
    private readonly ILogger _logger;
    private readonly WirePointWriter _wire;
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly string _gatewayId;
    private readonly IReadOnlyCollection<AssetDefinition> _assets;
    // Per message only the value and the idempotent-key header change: the message, its header list and the key
    // bytes per asset are made once. Produce copies all of them into librdkafka before it returns, and a delivery
    // report carries none of them back (DeliveryReportFields = none), so reusing them is safe.
    private readonly Message<byte[], byte[]> _message = new();
    private readonly Headers _headers;
    private readonly Dictionary<string, byte[]> _keys = new(StringComparer.Ordinal);
    private readonly Dictionary<SeriesKey, byte[]> _keyPrefixes = [];

    private IProducer<byte[], byte[]>? _producer;
    private volatile Error? _fatal;
    private PendingBatch? _pending;
    private bool _disposed;
    private long _delivered;
    private long _rejected;

    public KafkaSink(KafkaSinkConfig config, string gatewayId, IReadOnlyCollection<AssetDefinition> assets, ILogger<KafkaSink>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentException.ThrowIfNullOrEmpty(gatewayId);
        ArgumentNullException.ThrowIfNull(assets);
        _config = config;
        Name = config.Name;
        _assets = assets;
        _logger = logger ?? (ILogger)NullLogger<KafkaSink>.Instance;
        _wire = new WirePointWriter(gatewayId);
        _gatewayId = gatewayId;
        _headers = ConstantHeaders(gatewayId);
        _message.Headers = _headers;
    }

    public string Name { get; }

    /// <summary>Messages confirmed by the brokers since this instance started (retries of delivered ones not counted).</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Messages refused for good since this instance started.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>The librdkafka configuration this sink produces with: ours, then the passthrough properties.</summary>
    public static ProducerConfig BuildProducerConfig(KafkaSinkConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var p = new ProducerConfig
        {
            BootstrapServers = config.BootstrapServers,
            Acks = Acks.All,
            EnableIdempotence = true,
            CompressionType = config.Compression switch
            {
                KafkaCompression.Zstd => CompressionType.Zstd,
                KafkaCompression.Gzip => CompressionType.Gzip,
                KafkaCompression.Snappy => CompressionType.Snappy,
                KafkaCompression.None => CompressionType.None,
                _ => CompressionType.Lz4,
            },
            LingerMs = config.LingerMs,
            BatchSize = config.BatchBytes,
            BatchNumMessages = config.BatchMessages,
            MessageMaxBytes = config.MaxMessageBytes,
            MessageTimeoutMs = config.DeliveryTimeoutMs,
            // A gateway works through long outages: let librdkafka hold a whole batch of ours, and more.
            QueueBufferingMaxMessages = Math.Max(100_000, config.MaxBatchPoints * 2),
            QueueBufferingMaxKbytes = 1 << 20,
            // librdkafka backs off reconnecting up to 10 s by default; after an outage the live lane's promise (fresh
            // points within about 2 s of the brokers' return) needs a quicker look. A passthrough property overrides it.
            ReconnectBackoffMaxMs = 500,
            // A delivery report is read for its error only: copying each message's key, value and headers back into
            // managed memory cost about a tenth of the drain rate.
            DeliveryReportFields = "none",
            ClientId = "edgetwin-" + config.Name,
        };
        var sec = config.Security;
        p.SecurityProtocol = sec.Protocol switch
        {
            KafkaSecurityProtocol.Ssl => SecurityProtocol.Ssl,
            KafkaSecurityProtocol.SaslPlaintext => SecurityProtocol.SaslPlaintext,
            KafkaSecurityProtocol.SaslSsl => SecurityProtocol.SaslSsl,
            _ => SecurityProtocol.Plaintext,
        };
        if (sec.SaslMechanism is { } mechanism)
        {
            p.SaslMechanism = mechanism switch
            {
                KafkaSaslMechanism.ScramSha256 => SaslMechanism.ScramSha256,
                KafkaSaslMechanism.ScramSha512 => SaslMechanism.ScramSha512,
                _ => SaslMechanism.Plain,
            };
        }
        if (sec.Username is not null) p.SaslUsername = sec.Username;
        if (sec.Password is not null) p.SaslPassword = sec.Password;
        if (sec.CaFile is not null) p.SslCaLocation = sec.CaFile;
        if (sec.CertFile is not null) p.SslCertificateLocation = sec.CertFile;
        if (sec.KeyFile is not null) p.SslKeyLocation = sec.KeyFile;
        if (sec.KeyPassword is not null) p.SslKeyPassword = sec.KeyPassword;
        foreach (var (key, value) in config.Properties) p.Set(key, value);
        return p;
    }

    /// <summary>Creates the producer and publishes the asset registry; Kafka keeps no position of ours, so returns null.</summary>
    public async ValueTask<long?> RecoverAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        EnsureProducer();
        await PublishRegistryAsync(_assets, cancellationToken).ConfigureAwait(false);
        return null;
    }

    /// <summary>
    /// Publishes each asset to the twin-metadata topic keyed by its id (the topic is meant to be compacted, so
    /// the latest definition per asset is what a consumer sees). Throws when a transient error prevented it.
    /// </summary>
    public async Task PublishRegistryAsync(IReadOnlyCollection<AssetDefinition> assets, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(assets);
        var producer = EnsureProducer();
        var topic = _config.Topics.TwinMetadata;
        var tasks = new List<(AssetDefinition Asset, Task<DeliveryResult<byte[], byte[]>> Task)>(assets.Count);
        foreach (var asset in assets)
        {
            var message = new Message<byte[], byte[]> { Key = KeyBytes(asset.Id), Value = EncodeAsset(asset), Headers = ConstantHeaders(_gatewayId) };
            tasks.Add((asset, producer.ProduceAsync(topic, message, cancellationToken)));
        }
        Exception? transient = null;
        foreach (var (asset, task) in tasks)
        {
            try
            {
                await task.ConfigureAwait(false);
            }
            catch (ProduceException<byte[], byte[]> e) when (IsPermanent(e.Error.Code))
            {
                Log.RegistryRejected(_logger, Name, asset.Id, topic, Describe(e.Error));
            }
            catch (ProduceException<byte[], byte[]> e)
            {
                transient ??= new KafkaException(e.Error);
            }
        }
        if (transient is not null) throw new IOException($"Kafka sink '{Name}': publishing the asset registry to {topic} failed: {transient.Message}", transient);
        Log.RegistryPublished(_logger, Name, assets.Count, topic);
    }

    public async ValueTask<SinkResult> SendAsync(SinkBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_producer is null) throw new InvalidOperationException($"Kafka sink '{Name}': RecoverAsync must be called before the first batch");
        cancellationToken.ThrowIfCancellationRequested();
        var producer = EnsureProducer();

        var points = batch.Points;
        // A retry of the batch that failed last: what the brokers already confirmed is not sent again.
        var pending = _pending is { } p && p.Matches(batch) ? p : new PendingBatch(batch);
        _pending = pending;
        var attempt = pending.BeginAttempt();
        var sent = 0;

        for (var i = 0; i < points.Count; i++)
        {
            if (pending.IsSettled(i)) continue;
            var point = points[i];
            if (Unwritable(point) is { } why)
            {
                pending.Reject(i, why);
                continue;
            }
            var message = Encode(point);
            var topic = point.Stream.EventKind == EventKind.None ? _config.Topics.Telemetry : _config.Topics.Events;
            sent++;
            var index = i;
            while (true)
            {
                try
                {
                    producer.Produce(topic, message, report => OnDelivery(pending, attempt, index, report));
                    break;
                }
                catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                {
                    // librdkafka's queue is full: wait for deliveries to make room (the producer polls on its own thread).
                    await Task.Delay(5, cancellationToken).ConfigureAwait(false);
                }
                catch (ProduceException<byte[], byte[]> e)
                {
                    pending.Report(attempt, index, e.Error, IsPermanent(e.Error.Code));
                    break;
                }
            }
        }

        var done = pending.WaitAsync(sent, cancellationToken);
        // The batch is complete: no more messages will join librdkafka's last partial batches before this one is
        // confirmed, so waiting out linger.ms would only idle. A flush sends them now (as kcat does at the end of its input).
        if (!done.IsCompleted) await FlushAsync(producer, done, cancellationToken).ConfigureAwait(false);
        await done.ConfigureAwait(false);
        if (pending.Failure is { } failure)
        {
            Log.BatchIncomplete(_logger, Name, pending.FailedCount, points.Count, batch.FirstSegmentId, batch.LastSegmentId, Describe(failure), pending.DeliveredCount);
            throw new KafkaException(failure);
        }
        _pending = null;
        Interlocked.Add(ref _rejected, pending.Rejections.Count);
        return pending.Rejections.Count == 0 ? SinkResult.Delivered : new SinkResult(pending.Rejections);
    }

    public ValueTask DisposeAsync()
    {
        if (_disposed) return ValueTask.CompletedTask;
        _disposed = true;
        // Every confirmed batch is delivered already; what is in flight is unconfirmed and comes back from the queue.
        _producer?.Dispose();
        _producer = null;
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Errors that no retry can cure for this message: it is too large, or its topic cannot exist. Everything
    /// else (brokers down, leader changes, timeouts, throttling) is worth retrying.
    /// </summary>
    internal static bool IsPermanent(ErrorCode code) => code is ErrorCode.MsgSizeTooLarge
        or ErrorCode.RecordListTooLarge or ErrorCode.InvalidMsgSize or ErrorCode.InvalidMsg or ErrorCode.InvalidRecord
        or ErrorCode.TopicException or ErrorCode.Local_UnknownTopic or ErrorCode.TopicAuthorizationFailed
        or ErrorCode.PolicyViolation or ErrorCode.Local_InvalidArg;

    private static string Describe(Error error) => $"{error.Code} ({(int)error.Code}): {error.Reason}";

    /// <summary>
    /// Asks librdkafka to send what lingers now, on a pool thread (a flush blocks), until the batch is settled or the
    /// wait is cancelled; the batch's own completion stays what the caller waits for.
    /// </summary>
    private static Task FlushAsync(IProducer<byte[], byte[]> producer, Task done, CancellationToken cancellationToken) => Task.Run(() =>
    {
        // Each flush call wakes the broker threads to send their lingering batches; they return once nothing is queued,
        // or after the slice when something still waits (brokers down: the messages stay queued until they time out).
        while (!done.IsCompleted && !cancellationToken.IsCancellationRequested && producer.Flush(FlushSlice) > 0)
        {
        }
    }, CancellationToken.None);

    private void OnDelivery(PendingBatch pending, int attempt, int index, DeliveryReport<byte[], byte[]> report)
    {
        if (report.Error.IsError)
        {
            pending.Report(attempt, index, report.Error, IsPermanent(report.Error.Code));
            return;
        }
        Interlocked.Increment(ref _delivered);
        if (_uplinkDown)
        {
            _uplinkDown = false;
            _lastTransportError = null;
            Log.UplinkUp(_logger, Name);
        }
        pending.Report(attempt, index, null, permanent: false);
    }

    private IProducer<byte[], byte[]> EnsureProducer()
    {
        if (_producer is not null && _fatal is null) return _producer;
        if (_fatal is { } fatal)
        {
            // An idempotent producer that hit a fatal error (a sequence gap the broker will not accept) refuses all
            // further messages; a new one starts a new producer id, and the queue still holds everything unconfirmed.
            Log.FatalError(_logger, Name, fatal.Code.ToString(), fatal.Reason);
            _producer?.Dispose();
            _producer = null;
            _fatal = null;
        }
        _producer = new ProducerBuilder<byte[], byte[]>(BuildProducerConfig(_config))
            .SetErrorHandler((_, e) => OnClientError(e))
            .SetLogHandler((_, m) => Log.Client(_logger, Name, m.Facility, m.Message))
            .Build();
        var compression = KafkaCompressionJson.Names.NameOf(_config.Compression);
        Log.ProducerCreated(_logger, Name, _config.BootstrapServers, compression);
        return _producer;
    }

    /// <summary>The header that carries each message's idempotent key.</summary>
    public const string KeyHeader = "key";

    /// <summary>The headers every message carries besides <see cref="KeyHeader"/>: schema_version, gateway_id and content-type.</summary>
    public static Headers ConstantHeaders(string gatewayId) => new()
    {
        { "schema_version", Encoding.UTF8.GetBytes(WirePointWriter.SchemaVersion) },
        { "gateway_id", Encoding.UTF8.GetBytes(gatewayId) },
        { "content-type", Encoding.UTF8.GetBytes(ContentType) },
    };

    private Message<byte[], byte[]> Encode(in TelemetryPoint point)
    {
        _buffer.ResetWrittenCount();
        _wire.Write(in point, _buffer, terminator: 0);
        _headers.Remove(KeyHeader);
        _headers.Add(KeyHeader, IdempotentKeyBytes(in point));
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

    /// <summary>Why a point cannot become a valid JSON message, or null (the pipeline quarantines such points earlier).</summary>
    private static string? Unwritable(in TelemetryPoint point)
    {
        if (point.Stream is null) return "point has no stream";
        return point.Value.Kind switch
        {
            PointValueKind.None => "point has no value",
            PointValueKind.Number when point.Value.IsNonFinite => "value is NaN or infinite, which JSON cannot carry",
            _ => null,
        };
    }

    /// <summary>
    /// One batch's delivery reports, kept across retries of the same batch. Reports arrive on librdkafka's poll
    /// thread; the counts and the completion are the only state shared with it.
    /// </summary>
    private sealed class PendingBatch
    {
        private const byte Pending = 0, Delivered = 1, Refused = 2;

        private readonly long _first;
        private readonly long _last;
        private readonly byte[] _state;
        private readonly List<SinkRejection> _rejections = [];
        private readonly object _gate = new();
        private int _attempt;
        private int _outstanding;
        private int _failed;
        private Error? _failure;
        private bool _allSent;
        private TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public PendingBatch(SinkBatch batch)
        {
            _first = batch.FirstSegmentId;
            _last = batch.LastSegmentId;
            _state = new byte[batch.Points.Count];
        }

        public Error? Failure => _failure;

        public int FailedCount => _failed;

        public int DeliveredCount => _state.Count(s => s == Delivered);

        public List<SinkRejection> Rejections
        {
            get
            {
                lock (_gate)
                {
                    _rejections.Sort((a, b) => a.Index.CompareTo(b.Index));
                    return _rejections;
                }
            }
        }

        public bool Matches(SinkBatch batch) => batch.FirstSegmentId == _first && batch.LastSegmentId == _last && batch.Points.Count == _state.Length;

        public bool IsSettled(int index) => Volatile.Read(ref _state[index]) != Pending;

        /// <summary>Starts an attempt and returns its number; reports of an abandoned (cancelled) attempt only record deliveries.</summary>
        public int BeginAttempt()
        {
            lock (_gate)
            {
                _attempt++;
                _outstanding = 0;
                _failed = 0;
                _failure = null;
                _allSent = false;
                _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
                return _attempt;
            }
        }

        public void Reject(int index, string reason)
        {
            lock (_gate)
            {
                _state[index] = Refused;
                _rejections.Add(new SinkRejection(index, reason));
            }
        }

        public void Report(int attempt, int index, Error? error, bool permanent)
        {
            lock (_gate)
            {
                if (attempt != _attempt)
                {
                    if (error is null && _state[index] == Pending) Volatile.Write(ref _state[index], Delivered);
                    return;
                }
                if (error is null) Volatile.Write(ref _state[index], Delivered);
                else if (permanent)
                {
                    _state[index] = Refused;
                    _rejections.Add(new SinkRejection(index, $"refused by Kafka: {Describe(error)}"));
                }
                else
                {
                    _failed++;
                    _failure ??= error;
                }
                _outstanding--;
                if (_allSent && _outstanding == 0) _done.TrySetResult();
            }
        }

        /// <summary>Declares how many messages this attempt produced (their reports may have come already) and waits for the rest.</summary>
        public Task WaitAsync(int sent, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                _outstanding += sent;
                _allSent = true;
                if (_outstanding == 0) _done.TrySetResult();
                return _done.Task.WaitAsync(cancellationToken);
            }
        }
    }
}
