using System.Runtime.InteropServices;
using System.Text;

namespace EdgeTwin.Cloud.Bench;

/// <summary>
/// librdkafka's mock cluster in this process (real Kafka protocol on loopback, consumer groups included), owned by
/// a bare client handle, with the gateway's three topics created. For the benchmark and the tests.
/// </summary>
public sealed class MockCluster : IDisposable
{
    private readonly nint _client;
    private nint _cluster;

    public MockCluster(int brokers, int partitions, IEnumerable<string> topics)
    {
        ArgumentNullException.ThrowIfNull(topics);
        var error = new byte[512];
        var conf = MockClusterNative.ConfNew();
        MockClusterNative.ConfSet(conf, "log_level", "0", error, (nuint)error.Length);
        _client = MockClusterNative.New(0, conf, error, (nuint)error.Length);
        if (_client == 0) throw new InvalidOperationException("rd_kafka_new failed: " + Encoding.UTF8.GetString(error).TrimEnd('\0'));
        _cluster = MockClusterNative.ClusterNew(_client, brokers);
        if (_cluster == 0)
        {
            MockClusterNative.Destroy(_client);
            throw new InvalidOperationException($"rd_kafka_mock_cluster_new({brokers}) failed");
        }
        BootstrapServers = Marshal.PtrToStringUTF8(MockClusterNative.Bootstraps(_cluster)) ?? throw new InvalidOperationException("the mock cluster has no bootstrap list");
        foreach (var topic in topics)
        {
            var code = MockClusterNative.TopicCreate(_cluster, topic, partitions, Math.Min(3, brokers));
            if (code != 0) throw new InvalidOperationException($"mock cluster: creating {topic} failed with error {code}");
        }
    }

    public string BootstrapServers { get; }

    public void Dispose()
    {
        if (_cluster == 0) return;
        MockClusterNative.ClusterDestroy(_cluster);
        _cluster = 0;
        MockClusterNative.Destroy(_client);
    }
}
