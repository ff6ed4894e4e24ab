using System.Buffers;
using Confluent.Kafka;
using EdgeTwin.Core.Assets;
using EdgeTwin.Core.Pipeline;
using EdgeTwin.Core.Telemetry;
using EdgeTwin.Core.Wire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeTwin.Connectors.Kafka;

/// <summary>
/// Produces points to Kafka (docs/architecture.md §4): key = asset id, value = the schema-1.0 JSON object, with the
/// §4 headers; telemetry and events to their topics, the asset registry to twin-metadata at start. A batch is
/// confirmed when librdkafka has reported every message delivered; a message refused for good becomes a rejection,
/// any other failure retries the batch without what was already delivered. Not thread-safe: one caller.
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
    private const int MaxCachedPrefixes = 65_536;

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
            if (WireCheck.Unwritable(point) is { } why)
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
}
