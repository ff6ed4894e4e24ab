using Confluent.Kafka;

namespace EdgeTwin.Connectors.Kafka;

// The librdkafka producer: the configuration it is built with (ours first, then the passthrough properties) and its
// creation on first use.
public sealed partial class KafkaSink
{
    /// <summary>The librdkafka configuration this sink produces with: ours, then the passthrough properties.</summary>
    public static ProducerConfig BuildProducerConfig(KafkaSinkConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var p = new ProducerConfig
        {
            BootstrapServers = config.BootstrapServers,
            Acks = Acks.All,
            EnableIdempotence = true,
            CompressionType = config.Compression switch
            {
                KafkaCompression.Zstd => CompressionType.Zstd,
                KafkaCompression.Gzip => CompressionType.Gzip,
                KafkaCompression.Snappy => CompressionType.Snappy,
                KafkaCompression.None => CompressionType.None,
                _ => CompressionType.Lz4,
            },
            LingerMs = config.LingerMs,
            BatchSize = config.BatchBytes,
            BatchNumMessages = config.BatchMessages,
            MessageMaxBytes = config.MaxMessageBytes,
            MessageTimeoutMs = config.DeliveryTimeoutMs,
            // A gateway works through long outages: let librdkafka hold a whole batch of ours, and more.
            QueueBufferingMaxMessages = Math.Max(100_000, config.MaxBatchPoints * 2),
            QueueBufferingMaxKbytes = 1 << 20,
            // librdkafka backs off reconnecting up to 10 s by default; after an outage the live lane's promise (fresh
            // points within about 2 s of the brokers' return) needs a quicker look. A passthrough property overrides it.
            ReconnectBackoffMaxMs = 500,
            // A delivery report is read for its error only: copying each message's key, value and headers back into
            // managed memory cost about a tenth of the drain rate.
            DeliveryReportFields = "none",
            ClientId = "edgetwin-" + config.Name,
        };
        var sec = config.Security;
        p.SecurityProtocol = sec.Protocol switch
        {
            KafkaSecurityProtocol.Ssl => SecurityProtocol.Ssl,
            KafkaSecurityProtocol.SaslPlaintext => SecurityProtocol.SaslPlaintext,
            KafkaSecurityProtocol.SaslSsl => SecurityProtocol.SaslSsl,
            _ => SecurityProtocol.Plaintext,
        };
        if (sec.SaslMechanism is { } mechanism)
        {
            p.SaslMechanism = mechanism switch
            {
                KafkaSaslMechanism.ScramSha256 => SaslMechanism.ScramSha256,
                KafkaSaslMechanism.ScramSha512 => SaslMechanism.ScramSha512,
                _ => SaslMechanism.Plain,
            };
        }
        if (sec.Username is not null) p.SaslUsername = sec.Username;
        if (sec.Password is not null) p.SaslPassword = sec.Password;
        if (sec.CaFile is not null) p.SslCaLocation = sec.CaFile;
        if (sec.CertFile is not null) p.SslCertificateLocation = sec.CertFile;
        if (sec.KeyFile is not null) p.SslKeyLocation = sec.KeyFile;
        if (sec.KeyPassword is not null) p.SslKeyPassword = sec.KeyPassword;
        foreach (var (key, value) in config.Properties) p.Set(key, value);
        return p;
    }

    private IProducer<byte[], byte[]> EnsureProducer()
    {
        if (_producer is not null && _fatal is null) return _producer;
        if (_fatal is { } fatal)
        {
            // An idempotent producer that hit a fatal error (a sequence gap the broker will not accept) refuses all
            // further messages; a new one starts a new producer id, and the queue still holds everything unconfirmed.
            Log.FatalError(_logger, Name, fatal.Code.ToString(), fatal.Reason);
            _producer?.Dispose();
            _producer = null;
            _fatal = null;
        }
        _producer = new ProducerBuilder<byte[], byte[]>(BuildProducerConfig(_config))
            .SetErrorHandler((_, e) => OnClientError(e))
            .SetLogHandler((_, m) => Log.Client(_logger, Name, m.Facility, m.Message))
            .Build();
        var compression = KafkaCompressionJson.Names.NameOf(_config.Compression);
        Log.ProducerCreated(_logger, Name, _config.BootstrapServers, compression);
        return _producer;
    }
}
