using System.Text;
using System.Text.Json;
using Confluent.Kafka;

namespace EdgeTwin.TestSupport.Kafka;

/// <summary>One consumed message, decoded.</summary>
public sealed record ConsumedMessage(string Topic, int Partition, long Offset, string? Key, string Value, IReadOnlyDictionary<string, string> Headers)
{
    public JsonElement Json => JsonDocument.Parse(Value).RootElement;
}

/// <summary>Reads a topic from the beginning with a real Confluent.Kafka consumer, every partition assigned directly.</summary>
public sealed class KafkaTopicReader : IDisposable
{
    private readonly IConsumer<string?, byte[]> _consumer;
    private readonly List<ConsumedMessage> _messages = [];

    public KafkaTopicReader(string bootstrapServers, string topic, int partitions)
    {
        _consumer = new ConsumerBuilder<string?, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = "edgetwin-test-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            IsolationLevel = IsolationLevel.ReadUncommitted,
            // The mock cluster answers a fetch with one message batch per partition, so reading back is a long run of
            // fetches: keep each one short.
            FetchWaitMaxMs = 1,
        }).Build();
        _consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
    }

    public IReadOnlyList<ConsumedMessage> Messages => _messages;

    /// <summary>Consumes until <paramref name="done"/> holds for what was read, or fails after <paramref name="timeout"/>.</summary>
    public IReadOnlyList<ConsumedMessage> ReadUntil(Func<IReadOnlyList<ConsumedMessage>, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!done(_messages))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the consumer read {_messages.Count} messages in {timeout} without reaching the expected state");
            var r = _consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (r is not null && !r.IsPartitionEOF) _messages.Add(Decode(r));
        }
        return _messages;
    }

    /// <summary>Reads for a quiet period after the expected state, to catch anything extra (duplicates beyond dedup, stray points).</summary>
    public IReadOnlyList<ConsumedMessage> ReadFor(TimeSpan period)
    {
        var deadline = DateTime.UtcNow + period;
        while (DateTime.UtcNow < deadline)
        {
            var r = _consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (r is not null && !r.IsPartitionEOF) _messages.Add(Decode(r));
        }
        return _messages;
    }

    private static ConsumedMessage Decode(ConsumeResult<string?, byte[]> r)
    {
        var headers = r.Message.Headers?.ToDictionary(h => h.Key, h => Encoding.UTF8.GetString(h.GetValueBytes())) ?? [];
        return new ConsumedMessage(r.Topic, r.Partition.Value, r.Offset.Value, r.Message.Key, Encoding.UTF8.GetString(r.Message.Value), headers);
    }

    public void Dispose()
    {
        _consumer.Close();
        _consumer.Dispose();
    }
}
