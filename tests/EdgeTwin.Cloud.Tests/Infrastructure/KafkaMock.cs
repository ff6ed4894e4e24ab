using System.Text;
using Confluent.Kafka;
using EdgeTwin.Cloud.Bench;

namespace EdgeTwin.Cloud.Tests.Infrastructure;

/// <summary>
/// librdkafka's mock cluster of this process (<see cref="MockCluster"/>) with the gateway's three topics, and a
/// producer that writes the test's messages; other clients
/// (the service's processes, the gateway) connect to <see cref="BootstrapServers"/>.
/// </summary>
public sealed class KafkaMock : IDisposable
{
    public const string Telemetry = "edge-telemetry";
    public const string Events = "edge-events";
    public const string TwinMetadata = "edge-twin-metadata";

    private readonly MockCluster _cluster;
    private readonly IProducer<byte[], byte[]> _producer;

    public KafkaMock(int brokers = 3, int partitions = 4)
    {
        _cluster = new MockCluster(brokers, partitions, [Telemetry, Events, TwinMetadata]);
        BootstrapServers = _cluster.BootstrapServers;
        Partitions = partitions;
        _producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
        {
            BootstrapServers = BootstrapServers,
            LingerMs = 5,
            // As the gateway's sink: uncompressed backlogs of ~100,000 messages stalled partitions on the mock cluster.
            CompressionType = CompressionType.Lz4,
            Acks = Acks.All,
            EnableIdempotence = true,
        }).SetLogHandler((_, _) => { }).Build();
    }

    public string BootstrapServers { get; }

    public int Partitions { get; }

    public void Produce(string topic, string key, string? value) => Produce(topic, key, value is null ? null : Encoding.UTF8.GetBytes(value));

    public void Produce(string topic, string key, byte[]? value)
    {
        while (true)
        {
            try
            {
                _producer.Produce(topic, new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(key), Value = value! });
                return;
            }
            catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                _producer.Poll(TimeSpan.FromMilliseconds(50));
            }
        }
    }

    public void Flush()
    {
        if (_producer.Flush(TimeSpan.FromSeconds(30)) > 0) throw new TimeoutException("the mock cluster did not take every message within 30 s");
    }

    public void Dispose()
    {
        _producer.Dispose();
        _cluster.Dispose();
    }
}
