using EdgeTwin.MockKafka;

namespace EdgeTwin.Cloud.Bench;

/// <summary>
/// librdkafka's mock cluster in this process (real Kafka protocol on loopback, consumer groups included) with the
/// gateway's topics created (the mock brokers do not serve CreateTopics). For the benchmark and the tests.
/// </summary>
public sealed class MockCluster : IDisposable
{
    private readonly KafkaMockCluster _cluster;

    public MockCluster(int brokers, int partitions, IEnumerable<string> topics)
    {
        ArgumentNullException.ThrowIfNull(topics);
        _cluster = new KafkaMockCluster(brokers);
        try
        {
            foreach (var topic in topics) _cluster.CreateTopic(topic, partitions, Math.Min(3, brokers));
        }
        catch
        {
            _cluster.Dispose();
            throw;
        }
    }

    public string BootstrapServers => _cluster.BootstrapServers;

    public void Dispose() => _cluster.Dispose();
}
