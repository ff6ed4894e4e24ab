using Confluent.Kafka;
using EdgeTwin.Cloud.Config;
using EdgeTwin.Cloud.Data;
using Npgsql;
using Polly;
using Polly.Retry;

namespace EdgeTwin.Cloud.Ingest;

/// <summary>
/// The consumer group member: reads the three topics, turns each batch into rows and writes it in one database
/// transaction, and only then commits the batch's offsets. A crash between the two re-reads the batch, whose rows
/// the unique keys absorb; so nothing is lost and nothing doubles. A message that cannot be read becomes a dead
/// letter in the same transaction, and its partition goes on. While the database is slow the loop does not fetch
/// (back-pressure); while it is gone the same batch is retried with exponential backoff.
/// </summary>
public sealed partial class IngestService : BackgroundService
{
    private readonly CloudConfig _config;
    private readonly IngestStats _stats;
    private readonly ILogger<IngestService> _logger;
    private readonly List<ConsumeResult<byte[], byte[]>> _messages = [];
    private readonly IngestBatch _batch = new();
    private readonly ResiliencePipeline _retry;

    public IngestService(CloudConfig config, IngestStats stats, ILogger<IngestService> logger)
    {
        _config = config;
        _stats = stats;
        _logger = logger;
        _retry = new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<NpgsqlException>().Handle<IOException>().Handle<TimeoutException>()
                .Handle<InvalidOperationException>(e => e.InnerException is NpgsqlException),
            MaxRetryAttempts = int.MaxValue,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(100),
            MaxDelay = TimeSpan.FromSeconds(config.Ingest.RetryMaxSeconds),
            OnRetry = args =>
            {
                Interlocked.Increment(ref _stats.DatabaseRetries);
                LogDatabaseDown(_logger, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds, args.Outcome.Exception?.Message ?? "");
                return ValueTask.CompletedTask;
            },
        }).Build();
    }

    public static ConsumerConfig BuildConsumerConfig(KafkaSection kafka)
    {
        ArgumentNullException.ThrowIfNull(kafka);
        var c = new ConsumerConfig
        {
            BootstrapServers = kafka.BootstrapServers,
            GroupId = kafka.GroupId,
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            // Eager rebalancing: every member gives up all its partitions, so a revoke drops the whole unwritten batch
            // and the next owner starts from the last committed offsets.
            PartitionAssignmentStrategy = PartitionAssignmentStrategy.RoundRobin,
            // A member killed with -9 is noticed within seconds, not the default 45.
            SessionTimeoutMs = 6000,
            HeartbeatIntervalMs = 1000,
            // Bounded prefetch: what waits in librdkafka while the database is slow.
            QueuedMaxMessagesKbytes = 32 * 1024,
            ReconnectBackoffMaxMs = 2000,
            ClientId = "edgetwin-cloud",
        };
        foreach (var (key, value) in kafka.Properties) c.Set(key, value);
        return c;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(() => RunAsync(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        var k = _config.Kafka;
        using var consumer = new ConsumerBuilder<byte[], byte[]>(BuildConsumerConfig(k))
            .SetPartitionsAssignedHandler((_, parts) => LogAssigned(_logger, string.Join(",", parts)))
            .SetPartitionsRevokedHandler((_, parts) =>
            {
                // Not yet written, so not committed: the next owner reads these messages again.
                LogRevoked(_logger, string.Join(",", parts.Select(p => p.TopicPartition)), _messages.Count);
                _messages.Clear();
            })
            .SetErrorHandler((_, e) => LogKafkaError(_logger, e.Code.ToString(), e.Reason))
            .Build();
        consumer.Subscribe([k.TelemetryTopic, k.EventsTopic, k.TwinMetadataTopic]);
        await using var writer = new IngestWriter(_config.Postgres.ConnectionString);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                Fill(consumer, stoppingToken);
                if (_messages.Count == 0) continue;
                Decode();
                var written = await _retry.ExecuteAsync(async ct =>
                {
                    try
                    {
                        return await writer.WriteAsync(_batch, ct).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        await writer.ResetAsync().ConfigureAwait(false);
                        throw;
                    }
                }, stoppingToken).ConfigureAwait(false);
                var committed = DateTime.UtcNow;
                Account(written, committed);
                CommitOffsets(consumer);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: an unwritten batch is simply read again by whoever owns its partitions next.
        }
        finally
        {
            consumer.Close();
        }
    }

    /// <summary>Collects messages until the batch is full or its time is up (counted from its first message).</summary>
    private void Fill(IConsumer<byte[], byte[]> consumer, CancellationToken stoppingToken)
    {
        _messages.Clear();
        var max = _config.Ingest.BatchMessages;
        DateTime? deadline = null;
        while (_messages.Count < max && !stoppingToken.IsCancellationRequested)
        {
            var wait = deadline is { } d ? d - DateTime.UtcNow : TimeSpan.FromMilliseconds(200);
            if (wait <= TimeSpan.Zero) break;
            ConsumeResult<byte[], byte[]>? r;
            try
            {
                r = consumer.Consume(wait);
            }
            catch (ConsumeException e)
            {
                LogKafkaError(_logger, e.Error.Code.ToString(), e.Error.Reason);
                continue;
            }
            if (r is null || r.IsPartitionEOF)
            {
                if (deadline is null && _messages.Count == 0) continue;
                if (r is null) break;
                continue;
            }
            _messages.Add(r);
            deadline ??= DateTime.UtcNow.AddMilliseconds(_config.Ingest.BatchMilliseconds);
        }
    }

    private void Decode()
    {
        _batch.Clear();
        var k = _config.Kafka;
        foreach (var m in _messages)
        {
            var value = m.Message.Value ?? [];
            try
            {
                if (m.Topic == k.TwinMetadataTopic) _batch.Assets.Add(WireDecoder.DecodeAsset(m.Message.Key ?? [], value));
                else
                {
                    var row = WireDecoder.DecodePoint(value);
                    (row.EventKind is null ? _batch.Telemetry : _batch.Events).Add(row);
                }
            }
            catch (WireFormatException e)
            {
                _batch.DeadLetters.Add(new DeadLetter(m.Topic, m.Partition.Value, m.Offset.Value, m.Message.Key, m.Message.Value, e.Message));
                LogDeadLetter(_logger, m.Topic, m.Partition.Value, m.Offset.Value, e.Message);
            }
        }
    }

    private void Account(WriteResult written, DateTime committed)
    {
        Interlocked.Add(ref _stats.Messages, _messages.Count);
        Interlocked.Add(ref _stats.Telemetry, written.Telemetry);
        Interlocked.Add(ref _stats.Events, written.Events);
        Interlocked.Add(ref _stats.Assets, written.Assets);
        Interlocked.Add(ref _stats.DeadLetters, written.DeadLetters);
        Interlocked.Increment(ref _stats.Batches);
        var produced = new DateTime[_messages.Count];
        for (var i = 0; i < produced.Length; i++) produced[i] = _messages[i].Message.Timestamp.UtcDateTime;
        _stats.AddDelays(produced, committed);
    }

    private void CommitOffsets(IConsumer<byte[], byte[]> consumer)
    {
        var next = new Dictionary<TopicPartition, long>();
        foreach (var m in _messages)
        {
            if (!next.TryGetValue(m.TopicPartition, out var o) || m.Offset.Value + 1 > o) next[m.TopicPartition] = m.Offset.Value + 1;
        }
        try
        {
            consumer.Commit(next.Select(p => new TopicPartitionOffset(p.Key, p.Value)));
        }
        catch (KafkaException e)
        {
            // A rebalance took the partitions meanwhile: their next owner re-reads rows the database already absorbs.
            LogCommitFailed(_logger, e.Error.Code.ToString(), e.Error.Reason);
        }
        _messages.Clear();
    }

    [LoggerMessage(1, LogLevel.Information, "Partitions assigned: {Partitions}")]
    private static partial void LogAssigned(ILogger logger, string partitions);

    [LoggerMessage(2, LogLevel.Information, "Partitions revoked: {Partitions}; {Pending} unwritten messages left to their next owner")]
    private static partial void LogRevoked(ILogger logger, string partitions, int pending);

    [LoggerMessage(3, LogLevel.Warning, "Kafka: {Code}: {Reason}")]
    private static partial void LogKafkaError(ILogger logger, string code, string reason);

    [LoggerMessage(4, LogLevel.Warning, "Dead letter {Topic}[{Partition}]@{Offset}: {Reason}")]
    private static partial void LogDeadLetter(ILogger logger, string topic, int partition, long offset, string reason);

    [LoggerMessage(5, LogLevel.Warning, "Database unavailable (attempt {Attempt}, next in {DelayMs:F0} ms): {Reason}")]
    private static partial void LogDatabaseDown(ILogger logger, int attempt, double delayMs, string reason);

    [LoggerMessage(6, LogLevel.Warning, "Offset commit failed ({Code}: {Reason}); the rows are written, a re-read is absorbed")]
    private static partial void LogCommitFailed(ILogger logger, string code, string reason);
}
