namespace EdgeTwin.Connectors.Mqtt;

/// <summary>How a subscription's payloads are read.</summary>
public enum MqttPayloadFormat : byte
{
    /// <summary>UTF-8 text holding one value: a number, true/false, or else a string; stamped on arrival.</summary>
    Value,

    /// <summary>A JSON document with the value, timestamp and quality at configured paths.</summary>
    Json,

    /// <summary><c>{"asset_id":…,"ts":…,"metrics":{"name":value,…}}</c>: one reading per metric.</summary>
    Multi,

    /// <summary>One binary number of a fixed type and byte order; stamped on arrival.</summary>
    Raw,
}

/// <summary>The binary number of a <see cref="MqttPayloadFormat.Raw"/> payload.</summary>
public enum RawNumberType : byte
{
    Float32,
    Float64,
    Int16,
    UInt16,
    Int32,
    UInt32,
    Int64,
    UInt64,
}
