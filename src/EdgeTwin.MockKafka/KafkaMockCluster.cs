using System.Runtime.InteropServices;
using System.Text;

namespace EdgeTwin.MockKafka;

/// <summary>
/// A librdkafka mock cluster of <see cref="BrokerCount"/> brokers on loopback, owned by this process. Clients in
/// this process or any other connect to <see cref="BootstrapServers"/>.
/// </summary>
public sealed class KafkaMockCluster : IDisposable
{
    /// <summary>Kafka's ApiKey of Produce requests.</summary>
    public const short ProduceApiKey = 0;

    private readonly nint _client;
    private nint _cluster;

    public KafkaMockCluster(int brokerCount = 3)
    {
        var error = new byte[512];
        var conf = KafkaMockNativeMethods.ConfNew();
        // The owning handle itself never talks to anyone; it only hosts the cluster's thread.
        KafkaMockNativeMethods.ConfSet(conf, "log_level", "0", error, (nuint)error.Length);
        _client = KafkaMockNativeMethods.New(KafkaMockNativeMethods.ProducerType, conf, error, (nuint)error.Length);
        if (_client == 0) throw new InvalidOperationException("rd_kafka_new failed: " + Text(error));
        _cluster = KafkaMockNativeMethods.ClusterNew(_client, brokerCount);
        if (_cluster == 0)
        {
            KafkaMockNativeMethods.Destroy(_client);
            throw new InvalidOperationException($"rd_kafka_mock_cluster_new({brokerCount}) failed");
        }
        BrokerCount = brokerCount;
        BootstrapServers = Marshal.PtrToStringUTF8(KafkaMockNativeMethods.ClusterBootstraps(_cluster))
            ?? throw new InvalidOperationException("the mock cluster has no bootstrap list");
    }

    public int BrokerCount { get; }

    public string BootstrapServers { get; }

    public void CreateTopic(string topic, int partitions = 4, int replicationFactor = 3) =>
        Check(KafkaMockNativeMethods.TopicCreate(_cluster, topic, partitions, replicationFactor), $"create topic {topic}");

    /// <summary>Broker ids run from 1 to <see cref="BrokerCount"/>.</summary>
    public void SetBrokerDown(int brokerId) => Check(KafkaMockNativeMethods.BrokerSetDown(_cluster, brokerId), $"set broker {brokerId} down");

    public void SetBrokerUp(int brokerId) => Check(KafkaMockNativeMethods.BrokerSetUp(_cluster, brokerId), $"set broker {brokerId} up");

    public void SetAllBrokers(bool up)
    {
        for (var id = 1; id <= BrokerCount; id++)
        {
            if (up) SetBrokerUp(id);
            else SetBrokerDown(id);
        }
    }

    /// <summary>The next Produce requests fail with <paramref name="errors"/> (Kafka protocol error codes), one per request.</summary>
    public void PushProduceErrors(params int[] errors) =>
        KafkaMockNativeMethods.PushRequestErrors(_cluster, ProduceApiKey, (nuint)errors.Length, errors);

    public void Dispose()
    {
        if (_cluster == 0) return;
        KafkaMockNativeMethods.ClusterDestroy(_cluster);
        _cluster = 0;
        KafkaMockNativeMethods.Destroy(_client);
    }

    private static void Check(int error, string what)
    {
        if (error != 0) throw new InvalidOperationException($"mock cluster: {what} failed with error {error}");
    }

    private static string Text(byte[] buffer)
    {
        var end = Array.IndexOf(buffer, (byte)0);
        return Encoding.UTF8.GetString(buffer, 0, end < 0 ? buffer.Length : end);
    }
}
