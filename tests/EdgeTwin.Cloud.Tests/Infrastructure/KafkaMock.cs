using System.Text;
using Confluent.Kafka;
using System.Runtime.InteropServices;

namespace EdgeTwin.Cloud.Tests.Infrastructure;

/// <summary>
/// librdkafka's mock cluster of this process (owned by a bare client handle): real Kafka
/// protocol on loopback, consumer groups included. The same producer writes the test's messages; other clients
/// (the service's processes, the gateway) connect to <see cref="BootstrapServers"/>.
/// </summary>
public sealed class KafkaMock : IDisposable
{
    public const string Telemetry = "edge-telemetry";
    public const string Events = "edge-events";
    public const string TwinMetadata = "edge-twin-metadata";

    private readonly nint _client;
    private readonly nint _cluster;
    private readonly IProducer<byte[], byte[]> _producer;

    public KafkaMock(int brokers = 3, int partitions = 4)
    {
        var error = new byte[512];
        var conf = MockClusterNative.ConfNew();
        MockClusterNative.ConfSet(conf, "log_level", "0", error, (nuint)error.Length);
        _client = MockClusterNative.New(0, conf, error, (nuint)error.Length);
        if (_client == 0) throw new InvalidOperationException("rd_kafka_new failed: " + Encoding.UTF8.GetString(error).TrimEnd('\0'));
        _cluster = MockClusterNative.ClusterNew(_client, brokers);
        if (_cluster == 0) throw new InvalidOperationException($"rd_kafka_mock_cluster_new({brokers}) failed");
        BootstrapServers = Marshal.PtrToStringUTF8(MockClusterNative.Bootstraps(_cluster)) ?? throw new InvalidOperationException("the mock cluster has no bootstrap list");
        foreach (var topic in new[] { Telemetry, Events, TwinMetadata })
        {
            var code = MockClusterNative.TopicCreate(_cluster, topic, partitions, Math.Min(3, brokers));
            if (code != 0) throw new InvalidOperationException($"mock cluster: creating {topic} failed with error {code}");
        }
        Partitions = partitions;
        _producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
        {
            BootstrapServers = BootstrapServers,
            LingerMs = 5,
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
        MockClusterNative.ClusterDestroy(_cluster);
        MockClusterNative.Destroy(_client);
    }
}
