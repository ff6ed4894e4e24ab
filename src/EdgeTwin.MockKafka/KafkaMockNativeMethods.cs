using System.Runtime.InteropServices;

namespace EdgeTwin.MockKafka;

/// <summary>
/// librdkafka's mock cluster (rdkafka_mock.h) in the librdkafka that ships with Confluent.Kafka: a Kafka protocol
/// implementation that runs on loopback sockets inside this process. Functions returning rd_kafka_resp_err_t
/// return 0 for success.
/// </summary>
internal static partial class KafkaMockNativeMethods
{
    private const string Library = "librdkafka";

    static KafkaMockNativeMethods()
    {
        // The same choice Confluent.Kafka makes: the generic build needs the Cyrus SASL of RHEL (libsasl2.so.3), which
        // Debian does not ship under that name, so the self-contained centos8 build is the one that loads here.
        NativeLibrary.SetDllImportResolver(typeof(KafkaMockNativeMethods).Assembly, (name, _, _) =>
        {
            if (name != Library) return 0;
            var folder = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native");
            foreach (var file in new[] { "librdkafka.so", "centos8-librdkafka.so" })
            {
                if (NativeLibrary.TryLoad(Path.Combine(folder, file), out var handle)) return handle;
            }
            throw new DllNotFoundException($"neither librdkafka.so nor centos8-librdkafka.so in {folder} loads on this machine");
        });
    }

    /// <summary>rd_kafka_type_t RD_KAFKA_PRODUCER: the mock cluster needs a client handle to own its thread.</summary>
    public const int ProducerType = 0;

    [LibraryImport(Library, EntryPoint = "rd_kafka_conf_new")]
    public static partial nint ConfNew();

    [LibraryImport(Library, EntryPoint = "rd_kafka_conf_set", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ConfSet(nint conf, string name, string value, byte[] errstr, nuint errstrSize);

    /// <summary>Takes ownership of <paramref name="conf"/> on success; returns 0 and fills errstr on failure.</summary>
    [LibraryImport(Library, EntryPoint = "rd_kafka_new")]
    public static partial nint New(int type, nint conf, byte[] errstr, nuint errstrSize);

    [LibraryImport(Library, EntryPoint = "rd_kafka_destroy")]
    public static partial void Destroy(nint rk);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_cluster_new")]
    public static partial nint ClusterNew(nint rk, int brokerCount);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_cluster_destroy")]
    public static partial void ClusterDestroy(nint cluster);

    /// <summary>The cluster's bootstrap list ("127.0.0.1:port,..."), owned by the cluster.</summary>
    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_cluster_bootstraps")]
    public static partial nint ClusterBootstraps(nint cluster);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_topic_create", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int TopicCreate(nint cluster, string topic, int partitionCount, int replicationFactor);

    /// <summary>Closes the broker's connections and refuses new ones until <see cref="BrokerSetUp"/>.</summary>
    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_broker_set_down")]
    public static partial int BrokerSetDown(nint cluster, int brokerId);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_broker_set_up")]
    public static partial int BrokerSetUp(nint cluster, int brokerId);

    /// <summary>The next <paramref name="count"/> requests of <paramref name="apiKey"/> (any broker) fail with these errors in turn.</summary>
    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_push_request_errors_array")]
    public static partial void PushRequestErrors(nint cluster, short apiKey, nuint count, int[] errors);
}
