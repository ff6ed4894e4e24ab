using System.Runtime.InteropServices;

namespace EdgeTwin.Cloud.Bench;

/// <summary>
/// librdkafka's mock-cluster API (rdkafka_mock.h), which Confluent.Kafka does not wrap: a mock cluster owned by a
/// bare client handle of this process, and topics in it with a chosen partition count (the mock brokers do not
/// serve the admin CreateTopics request). Functions returning rd_kafka_resp_err_t return 0 on success.
/// </summary>
internal static partial class MockClusterNative
{
    private const string Library = "librdkafka";

    static MockClusterNative()
    {
        // The file Confluent.Kafka itself loads on Debian (the generic build needs RHEL's libsasl2.so.3): the same
        // library instance, so that the handles it made are valid here.
        NativeLibrary.SetDllImportResolver(typeof(MockClusterNative).Assembly, (name, _, _) =>
        {
            if (name != Library) return 0;
            var folder = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native");
            foreach (var file in new[] { "librdkafka.so", "centos8-librdkafka.so" })
            {
                if (NativeLibrary.TryLoad(Path.Combine(folder, file), out var handle)) return handle;
            }
            throw new DllNotFoundException($"no librdkafka in {folder} loads on this machine");
        });
    }

    [LibraryImport(Library, EntryPoint = "rd_kafka_conf_new")]
    public static partial nint ConfNew();

    [LibraryImport(Library, EntryPoint = "rd_kafka_conf_set", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ConfSet(nint conf, string name, string value, byte[] errstr, nuint errstrSize);

    /// <summary>rd_kafka_new(RD_KAFKA_PRODUCER = 0, ...): takes the conf on success.</summary>
    [LibraryImport(Library, EntryPoint = "rd_kafka_new")]
    public static partial nint New(int type, nint conf, byte[] errstr, nuint errstrSize);

    [LibraryImport(Library, EntryPoint = "rd_kafka_destroy")]
    public static partial void Destroy(nint rk);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_cluster_new")]
    public static partial nint ClusterNew(nint rk, int brokers);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_cluster_destroy")]
    public static partial void ClusterDestroy(nint mcluster);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_cluster_bootstraps")]
    public static partial nint Bootstraps(nint mcluster);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_topic_create", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int TopicCreate(nint mcluster, string topic, int partitions, int replicationFactor);
}
