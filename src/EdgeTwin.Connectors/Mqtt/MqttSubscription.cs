using EdgeTwin.Connectors.Json;
using EdgeTwin.Core.Assets;
using EdgeTwin.Core.Config;

namespace EdgeTwin.Connectors.Mqtt;

/// <summary>One configured subscription, compiled: its topic template, payload format and field paths.</summary>
public sealed class MqttSubscription
{
    private static readonly JsonFieldPath DefaultValuePath = Path("value");
    private static readonly JsonFieldPath DefaultTimestampPath = Path("ts");
    private static readonly JsonFieldPath DefaultQualityPath = Path("quality");

    /// <summary>Compiles a subscription that <see cref="ConfigValidator"/> accepted; throws <see cref="ArgumentException"/> otherwise.</summary>
    public MqttSubscription(MqttSubscriptionConfig config, string configPath)
    {
        ConfigPath = configPath;
        if (!TopicTemplate.TryParse(config.Topic, out var template, out var error)) throw new ArgumentException($"{configPath}.topic: '{config.Topic}' {error}");
        Template = template!;
        Format = config.Format switch
        {
            "value" => MqttPayloadFormat.Value,
            "json" => MqttPayloadFormat.Json,
            "multi" => MqttPayloadFormat.Multi,
            "raw" => MqttPayloadFormat.Raw,
            _ => throw new ArgumentException($"{configPath}.format: '{config.Format}' is not a payload format"),
        };
        Asset = config.Asset;
        Metric = config.Metric;
        ValuePath = config.ValuePath is null ? DefaultValuePath : Path(config.ValuePath);
        TimestampPath = config.ArrivalTime ? null : config.TimestampPath is null ? DefaultTimestampPath : Path(config.TimestampPath);
        QualityPath = config.QualityPath is null ? DefaultQualityPath : Path(config.QualityPath);
        EpochUnit = config.EpochUnit switch
        {
            "seconds" => EpochUnit.Seconds,
            "milliseconds" => EpochUnit.Milliseconds,
            _ => EpochUnit.Auto,
        };
        if (Format == MqttPayloadFormat.Raw)
        {
            RawType = config.RawType switch
            {
                "float32" => RawNumberType.Float32,
                "float64" => RawNumberType.Float64,
                "int16" => RawNumberType.Int16,
                "uint16" => RawNumberType.UInt16,
                "int32" => RawNumberType.Int32,
                "uint32" => RawNumberType.UInt32,
                "int64" => RawNumberType.Int64,
                "uint64" => RawNumberType.UInt64,
                _ => throw new ArgumentException($"{configPath}.rawType: '{config.RawType}' is not a number type"),
            };
            LittleEndian = config.ByteOrder == "littleEndian";
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
