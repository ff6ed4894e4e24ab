using System.Text.Json.Serialization;
using EdgeTwin.Connectors.Json;
using EdgeTwin.Core.Config;

namespace EdgeTwin.Connectors.Mqtt;

/// <summary>
/// An MQTT broker the gateway subscribes to (<c>$.sources.mqtt[]</c>). Every message is received with QoS 1 on
/// a persistent session and acknowledged (PUBACK) only once its readings are durable in the queue.
/// config/edgetwin.json documents each key for technicians.
/// </summary>
public sealed class MqttSourceConfig
{
    public string Name { get; set; } = "mqtt";

    public string Host { get; set; } = "";

    /// <summary>Broker port; null means 1883, or 8883 with TLS.</summary>
    public int? Port { get; set; }

    /// <summary><c>5</c> (MQTT 5.0) or <c>3.1.1</c>.</summary>
    [JsonIgnore]
    public MqttVersion ProtocolVersion { get; set; } = MqttVersion.V5;

    /// <summary>The JSON text of <see cref="ProtocolVersion"/> (see <see cref="ConfigEnumConverter"/>).</summary>
    [JsonPropertyName("protocolVersion"), JsonConverter(typeof(MqttVersionJson))]
    public string ProtocolVersionText { get => MqttVersionJson.Names.Text(ProtocolVersion); set => ProtocolVersion = MqttVersionJson.Names.Parse(value); }

    /// <summary>
    /// The session's identity at the broker: it must stay the same across restarts, or the broker forgets what it
    /// queued for the gateway. Null means <c>edgetwin-{gateway.id}-{name}</c>.
    /// </summary>
    public string? ClientId { get; set; }

    /// <summary>
    /// MQTT 5: how long the broker keeps the session (subscriptions and queued messages) after a disconnect. With
    /// 3.1.1 a persistent session lasts as long as the broker's own settings allow.
    /// </summary>
    public long SessionExpirySeconds { get; set; } = 7 * 86400;

    public int KeepAliveSeconds { get; set; } = 30;

    /// <summary>How long connecting (TCP, TLS and CONNACK) and subscribing may take.</summary>
    public double ConnectTimeoutSeconds { get; set; } = 10;

    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>A file holding the password (its first line), instead of <see cref="Password"/> in the config.</summary>
    public string? PasswordFile { get; set; }

    public MqttTlsConfig Tls { get; set; } = new();

    /// <summary>
    /// MQTT 5: most messages the broker may send before their acknowledgements (Receive Maximum, MQTT 5.0 §3.1.2.11.3).
    /// It bounds the memory of messages waiting for durability. With 3.1.1 the broker's own setting applies.
    /// </summary>
    public int ReceiveMaximum { get; set; } = 4096;

    /// <summary>A larger payload is quarantined (payload_too_large) instead of parsed.</summary>
    public int MaxPayloadBytes { get; set; } = 65536;

    /// <summary>Most messages handed to the pipeline in one batch.</summary>
    public int BatchMaxMessages { get; set; } = 2048;

    /// <summary>How long a batch waits for more messages once the broker pauses (0 = hand it over at once).</summary>
    public double BatchLingerMs { get; set; } = 2;

    /// <summary>First delay before reconnecting after a failure; it doubles (with jitter) up to <see cref="ReconnectMaxSeconds"/>.</summary>
    public double ReconnectMinSeconds { get; set; } = 0.5;

    public double ReconnectMaxSeconds { get; set; } = 30;

    public List<MqttSubscriptionConfig> Subscriptions { get; set; } = [];
}

public sealed class MqttTlsConfig
{
    public bool Enabled { get; set; }

    /// <summary>PEM file of the CA certificate(s) the broker's certificate must chain to; null means the system's trust store.</summary>
    public string? CaFile { get; set; }

    /// <summary>PEM client certificate, for brokers that require one (with <see cref="ClientKeyFile"/>).</summary>
    public string? ClientCertFile { get; set; }

    /// <summary>PEM (unencrypted PKCS#8, PKCS#1 or SEC1) private key of the client certificate.</summary>
    public string? ClientKeyFile { get; set; }

    /// <summary>The name the broker's certificate must carry; null means <see cref="MqttSourceConfig.Host"/>.</summary>
    public string? ServerName { get; set; }

    /// <summary>Accept any broker certificate. For a first test on site only: it removes the protection TLS gives.</summary>
    public bool InsecureSkipVerify { get; set; }
}

public sealed class MqttSubscriptionConfig
{
    /// <summary>
    /// A topic filter, whose levels may name the asset and metric: <c>plant/{asset}/{metric}</c> subscribes to
    /// <c>plant/+/+</c> and reads both from the topic.
    /// </summary>
    public string Topic { get; set; } = "";

    /// <summary><c>value</c>, <c>json</c>, <c>multi</c> or <c>raw</c>.</summary>
    [JsonIgnore]
    public MqttPayloadFormat Format { get; set; } = MqttPayloadFormat.Value;

    /// <summary>The JSON text of <see cref="Format"/> (see <see cref="ConfigEnumConverter"/>).</summary>
    [JsonPropertyName("format"), JsonConverter(typeof(MqttPayloadFormatJson))]
    public string FormatText { get => MqttPayloadFormatJson.Names.Text(Format); set => Format = MqttPayloadFormatJson.Names.Parse(value); }

    /// <summary>The asset, when the topic does not carry it (and, for <c>multi</c>, the payload names none).</summary>
    public string? Asset { get; set; }

    /// <summary>The metric, when the topic does not carry it (not for <c>multi</c>, whose payload names its metrics).</summary>
    public string? Metric { get; set; }

    /// <summary><c>json</c>: where the value is; null means <c>value</c>.</summary>
    public string? ValuePath { get; set; }

    /// <summary><c>json</c>: where the timestamp is; null means <c>ts</c>.</summary>
    public string? TimestampPath { get; set; }

    /// <summary><c>json</c>: where the quality is (optional in the payload); null means <c>quality</c>.</summary>
    public string? QualityPath { get; set; }

    /// <summary><c>json</c>: stamp readings with their arrival time instead of reading a timestamp from the payload.</summary>
    public bool ArrivalTime { get; set; }

    /// <summary><c>json</c> and <c>multi</c>: numeric timestamps are <c>auto</c> (seconds below 1e11, else milliseconds), <c>seconds</c> or <c>milliseconds</c> since 1970.</summary>
    [JsonIgnore]
    public EpochUnit EpochUnit { get; set; } = EpochUnit.Auto;

    /// <summary>The JSON text of <see cref="EpochUnit"/> (see <see cref="ConfigEnumConverter"/>).</summary>
    [JsonPropertyName("epochUnit"), JsonConverter(typeof(EpochUnitJson))]
    public string EpochUnitText { get => EpochUnitJson.Names.Text(EpochUnit); set => EpochUnit = EpochUnitJson.Names.Parse(value); }

    /// <summary><c>raw</c>: float32, float64, int16, uint16, int32, uint32, int64 or uint64.</summary>
    [JsonIgnore]
    public RawNumberType? RawType { get; set; }

    /// <summary>The JSON text of <see cref="RawType"/> (see <see cref="ConfigEnumConverter"/>).</summary>
    [JsonPropertyName("rawType"), JsonConverter(typeof(RawNumberTypeJson))]
    public string? RawTypeText { get => RawType is { } value ? RawNumberTypeJson.Names.Text(value) : null; set => RawType = value is null ? null : RawNumberTypeJson.Names.Parse(value); }

    /// <summary><c>raw</c>: <c>bigEndian</c> (network order, the default) or <c>littleEndian</c>.</summary>
    [JsonIgnore]
    public MqttByteOrder? ByteOrder { get; set; }

    /// <summary>The JSON text of <see cref="ByteOrder"/> (see <see cref="ConfigEnumConverter"/>).</summary>
    [JsonPropertyName("byteOrder"), JsonConverter(typeof(MqttByteOrderJson))]
    public string? ByteOrderText { get => ByteOrder is { } value ? MqttByteOrderJson.Names.Text(value) : null; set => ByteOrder = value is null ? null : MqttByteOrderJson.Names.Parse(value); }
}

/// <summary>$.sources.mqtt[].protocolVersion.</summary>
public enum MqttVersion
{
    /// <summary>MQTT 5.0, written <c>"5"</c>.</summary>
    V5,

    /// <summary>MQTT 3.1.1, written <c>"3.1.1"</c>.</summary>
    V311,
}

/// <summary>$.sources.mqtt[].subscriptions[].byteOrder of a raw payload.</summary>
public enum MqttByteOrder
{
    /// <summary>Network order, the default.</summary>
    BigEndian,
    LittleEndian,
}

public sealed class MqttVersionJson() : ConfigEnumConverter(Names)
{
    public static readonly ConfigEnumNames<MqttVersion> Names = new((MqttVersion.V5, "5"), (MqttVersion.V311, "3.1.1"));
}

public sealed class MqttByteOrderJson() : ConfigEnumConverter(Names)
{
    public static readonly ConfigEnumNames<MqttByteOrder> Names = new((MqttByteOrder.BigEndian, "bigEndian"), (MqttByteOrder.LittleEndian, "littleEndian"));
}

public sealed class MqttPayloadFormatJson() : ConfigEnumConverter(Names)
{
    public static readonly ConfigEnumNames<MqttPayloadFormat> Names =
        new((MqttPayloadFormat.Value, "value"), (MqttPayloadFormat.Json, "json"), (MqttPayloadFormat.Multi, "multi"), (MqttPayloadFormat.Raw, "raw"));
}

public sealed class RawNumberTypeJson() : ConfigEnumConverter(Names)
{
    public static readonly ConfigEnumNames<RawNumberType> Names = new(
        (RawNumberType.Float32, "float32"), (RawNumberType.Float64, "float64"), (RawNumberType.Int16, "int16"), (RawNumberType.UInt16, "uint16"),
        (RawNumberType.Int32, "int32"), (RawNumberType.UInt32, "uint32"), (RawNumberType.Int64, "int64"), (RawNumberType.UInt64, "uint64"));
}
