using EdgeTwin.Connectors.Json;
using EdgeTwin.Core.Assets;

namespace EdgeTwin.Connectors.Mqtt;

/// <summary>One configured subscription, compiled: its topic template, payload format and field paths.</summary>
public sealed class MqttSubscription
{
    private static readonly JsonFieldPath DefaultValuePath = Path("value");
    private static readonly JsonFieldPath DefaultTimestampPath = Path("ts");
    private static readonly JsonFieldPath DefaultQualityPath = Path("quality");

    /// <summary>Compiles a subscription that <see cref="MqttSourceConfigValidator"/> accepted; throws <see cref="ArgumentException"/> otherwise.</summary>
    public MqttSubscription(MqttSubscriptionConfig config, string configPath)
    {
        ConfigPath = configPath;
        if (!TopicTemplate.TryParse(config.Topic, out var template, out var error)) throw new ArgumentException($"{configPath}.topic: '{config.Topic}' {error}");
        Template = template!;
        Format = MqttPayloadFormatJson.Names.IsDefined(config.Format) ? config.Format : throw new ArgumentException($"{configPath}.format: not a payload format");
        Asset = config.Asset;
        Metric = config.Metric;
        ValuePath = config.ValuePath is null ? DefaultValuePath : Path(config.ValuePath);
        TimestampPath = config.ArrivalTime ? null : config.TimestampPath is null ? DefaultTimestampPath : Path(config.TimestampPath);
        QualityPath = config.QualityPath is null ? DefaultQualityPath : Path(config.QualityPath);
        EpochUnit = config.EpochUnit;
        if (Format == MqttPayloadFormat.Raw)
        {
            RawType = config.RawType is { } raw && RawNumberTypeJson.Names.IsDefined(raw) ? raw : throw new ArgumentException($"{configPath}.rawType: not a number type");
            LittleEndian = config.ByteOrder == MqttByteOrder.LittleEndian;
        }
    }

    public string ConfigPath { get; }

    public TopicTemplate Template { get; }

    public MqttPayloadFormat Format { get; }

    /// <summary>The fixed asset, when the topic does not carry one.</summary>
    public string? Asset { get; }

    /// <summary>The fixed metric, when the topic does not carry one.</summary>
    public string? Metric { get; }

    public JsonFieldPath ValuePath { get; }

    /// <summary>Null when readings are stamped with their arrival time.</summary>
    public JsonFieldPath? TimestampPath { get; }

    public JsonFieldPath QualityPath { get; }

    public EpochUnit EpochUnit { get; }

    public RawNumberType RawType { get; }

    public bool LittleEndian { get; }

    /// <summary>Bytes of a <see cref="MqttPayloadFormat.Raw"/> payload.</summary>
    public int RawSize => RawType switch
    {
        RawNumberType.Int16 or RawNumberType.UInt16 => 2,
        RawNumberType.Float32 or RawNumberType.Int32 or RawNumberType.UInt32 => 4,
        _ => 8,
    };

    private static JsonFieldPath Path(string text) =>
        JsonFieldPath.TryParse(text, out var path, out var error) ? path! : throw new ArgumentException($"'{text}' {error}");
}
