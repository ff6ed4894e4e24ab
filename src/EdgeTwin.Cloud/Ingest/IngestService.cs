using System.Diagnostics;
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
/// letter in the same transaction, and its partition goes on.
/// Two batches at most are in hand: one being written while the next is consumed and decoded, so reading Kafka and
/// decoding overlap the database's work. The next batch goes to the database as soon as the previous one is
/// committed and either it is full, no message is waiting, or its first message is <c>batchMilliseconds</c> old;
/// while the database is slow the batch fills up and the loop stops fetching (back-pressure); while it is gone the
/// same batch is retried with exponential backoff. Offsets are committed on the consumer's thread after their
/// batch's transaction, in batch order.
/// </summary>
public sealed partial class IngestService : BackgroundService
{
    private readonly CloudConfig _config;
    private readonly IngestStats _stats;
    private readonly ILogger<IngestService> _logger;
    private Pending _filling = new();
    private Pending _spare = new();
    private Pending? _inflight;
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
            .SetPartitionsRevokedHandler((c, parts) =>
            {
                // The batch being written is finished and its offsets committed while the partitions are still ours;
                // the one being filled is not written, so not committed: the next owner reads those messages again.
                Finish(c, stoppingToken);
                LogRevoked(_logger, string.Join(",", parts.Select(p => p.TopicPartition)), _filling.Messages.Count);
                _filling.Clear();
            })
            .SetErrorHandler((_, e) => LogKafkaError(_logger, e.Code.ToString(), e.Reason))
            .Build();
        consumer.Subscribe([k.TelemetryTopic, k.EventsTopic, k.TwinMetadataTopic]);
        await using var writer = new IngestWriter(_config.Postgres.ConnectionString);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var ready = Fill(consumer, stoppingToken);
                if (_inflight is not null && (ready || _inflight.Write!.IsCompleted)) Finish(consumer, stoppingToken);
                if (ready && _inflight is null) Start(writer, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: an unwritten batch is simply read again by whoever owns its partitions next.
        }
        finally
        {
            if (_inflight?.Write is { } w) await Task.WhenAny(w).ConfigureAwait(false);
            _inflight = null;
            _filling.Clear();
            consumer.Close();
        }
    }

    /// <summary>Hands the filled batch to the database (with retries while it is gone) and takes the spare to fill.</summary>
    private void Start(IngestWriter writer, CancellationToken stoppingToken)
    {
        var batch = _filling;
        _filling = _spare;
        _spare = batch;
        // On the thread pool from the start: the consumer's thread goes straight back to reading the next batch.
        batch.Write = Task.Run(() => _retry.ExecuteAsync(async ct =>
        {
            try
            {
                var written = await writer.WriteAsync(batch.Batch, ct, _stats).ConfigureAwait(false);
                return (written, DateTime.UtcNow);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                await writer.ResetAsync().ConfigureAwait(false);
                throw;
            }
        }, stoppingToken).AsTask(), CancellationToken.None);
        _inflight = batch;
    }

    /// <summary>Waits for the batch being written, then counts it and commits its offsets (on the consumer's thread).</summary>
    private void Finish(IConsumer<byte[], byte[]> consumer, CancellationToken stoppingToken)
    {
        if (_inflight is not { Write: { } write } batch) return;
        var t = Stopwatch.GetTimestamp();
        var (written, committed) = write.WaitAsync(stoppingToken).GetAwaiter().GetResult();
        _inflight = null;
        Interlocked.Add(ref _stats.WaitTicks, Stopwatch.GetTimestamp() - t);
        t = Stopwatch.GetTimestamp();
        Account(batch, written, committed);
        CommitOffsets(consumer, batch);
        batch.Clear();
        Interlocked.Add(ref _stats.OffsetTicks, Stopwatch.GetTimestamp() - t);
    }

    /// <summary>
    /// Consumes and decodes into the batch being filled until it is due: it is full; or the writer is free and either
    /// no message is waiting or the batch's first message is <c>batchMilliseconds</c> old. Returns early (not due) when
    /// the batch being written is committed, so that its offsets are committed without delay.
    /// </summary>
    private bool Fill(IConsumer<byte[], byte[]> consumer, CancellationToken stoppingToken)
    {
        var max = _config.Ingest.BatchMessages;
        var batch = _filling;
        while (!stoppingToken.IsCancellationRequested)
        {
            if (batch.Messages.Count >= max) return true;
            var busy = _inflight is not null;
            if (busy && _inflight!.Write!.IsCompleted) return false;
            TimeSpan wait;
            if (batch.Messages.Count == 0) wait = TimeSpan.FromMilliseconds(busy ? 5 : 200);
            else
            {
                var left = batch.Deadline - DateTime.UtcNow;
                if (!busy && left <= TimeSpan.Zero) return true;
                wait = busy ? TimeSpan.FromMilliseconds(2) : TimeSpan.Zero;
            }
            var t = Stopwatch.GetTimestamp();
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
            finally
            {
                Interlocked.Add(ref _stats.ConsumeTicks, Stopwatch.GetTimestamp() - t);
            }
            if (r is null || r.IsPartitionEOF)
            {
                // Nothing waiting: a batch with messages goes now if the writer is free.
                if (r is null && !busy && batch.Messages.Count > 0) return true;
                if (r is null && batch.Messages.Count == 0 && !busy) return false;
                continue;
            }
            if (batch.Messages.Count == 0) batch.Deadline = DateTime.UtcNow.AddMilliseconds(_config.Ingest.BatchMilliseconds);
            t = Stopwatch.GetTimestamp();
            Decode(r, batch);
            Interlocked.Add(ref _stats.DecodeTicks, Stopwatch.GetTimestamp() - t);
        }
        return false;
    }

    private void Decode(ConsumeResult<byte[], byte[]> m, Pending into)
    {
        into.Messages.Add(m);
        var batch = into.Batch;
        var value = m.Message.Value ?? [];
        try
        {
            if (m.Topic == _config.Kafka.TwinMetadataTopic) batch.Assets.Add(WireDecoder.DecodeAsset(m.Message.Key ?? [], value));
            else
            {
                var row = WireDecoder.DecodePoint(value);
                (row.EventKind is null ? batch.Telemetry : batch.Events).Add(row);
            }
        }
        catch (WireFormatException e)
        {
            batch.DeadLetters.Add(new DeadLetter(m.Topic, m.Partition.Value, m.Offset.Value, m.Message.Key, m.Message.Value, e.Message));
            LogDeadLetter(_logger, m.Topic, m.Partition.Value, m.Offset.Value, e.Message);
        }
    }

    private void Account(Pending batch, WriteResult written, DateTime committed)
    {
        var messages = batch.Messages;
        Interlocked.Add(ref _stats.Messages, messages.Count);
        Interlocked.Add(ref _stats.Telemetry, written.Telemetry);
        Interlocked.Add(ref _stats.Events, written.Events);
        Interlocked.Add(ref _stats.Assets, written.Assets);
        Interlocked.Add(ref _stats.DeadLetters, written.DeadLetters);
        Interlocked.Increment(ref _stats.Batches);
        var produced = new DateTime[messages.Count];
        for (var i = 0; i < produced.Length; i++) produced[i] = messages[i].Message.Timestamp.UtcDateTime;
        _stats.AddDelays(produced, committed);
    }

    private void CommitOffsets(IConsumer<byte[], byte[]> consumer, Pending batch)
    {
        var next = new Dictionary<TopicPartition, long>();
        foreach (var m in batch.Messages)
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
    }

    /// <summary>One batch: its messages (for offsets and delays), its rows, and its write once started.</summary>
    private sealed class Pending
    {
        public List<ConsumeResult<byte[], byte[]>> Messages { get; } = [];

        public IngestBatch Batch { get; } = new();

        public DateTime Deadline { get; set; }

        public Task<(WriteResult Written, DateTime Committed)>? Write { get; set; }

        public void Clear()
        {
            Messages.Clear();
            Batch.Clear();
            Write = null;
        }
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
