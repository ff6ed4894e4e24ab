using EdgeTwin.Connectors.Mqtt;
using EdgeTwin.Core.Config;

namespace EdgeTwin.Connectors.Tests.Mqtt;

/// <summary>$.sinks.mqtt[] (the MQTT uplink).</summary>
public sealed class MqttSinkConfigValidatorTests : ConfigSectionTests<MqttSinkConfigValidatorTests, MqttSinkConfig>, IConfigSectionCases<MqttSinkConfig>
{
    public static string SectionPath => "$.sinks.mqtt";

    public static Dictionary<string, (Action<List<MqttSinkConfig>> Break, string Path, string Says)> Mistakes { get; } = new()
    {
        ["mqtt uplink without a host"] = (l => l.Add(new MqttSinkConfig { Name = "m" }), "$.sinks.mqtt[0].host", "host"),
        ["mqtt uplink port out of range"] = (l => l.Add(new MqttSinkConfig { Name = "m", Host = "b", Port = 0 }), "$.sinks.mqtt[0].port", "between 1 and 65535"),
        ["mqtt uplink template without the asset"] = (l => l.Add(new MqttSinkConfig { Name = "m", Host = "b", TopicTemplate = "plant/{metric}" }), "$.sinks.mqtt[0].topicTemplate", "{asset_id}"),
        ["mqtt template with a wildcard"] = (l => l.Add(new MqttSinkConfig { Name = "m", Host = "b", TopicTemplate = "plant/+/{asset_id}" }), "$.sinks.mqtt[0].topicTemplate", "wildcard"),
        ["mqtt template with an unknown placeholder"] = (l => l.Add(new MqttSinkConfig { Name = "m", Host = "b", TopicTemplate = "{site}/{asset_id}" }), "$.sinks.mqtt[0].topicTemplate", "placeholder"),
        ["mqtt password without a user"] = (l => l.Add(new MqttSinkConfig { Name = "m", Host = "b", Password = "p" }), "$.sinks.mqtt[0].username", "password"),
        ["mqtt ca file without tls"] = (l => l.Add(new MqttSinkConfig { Name = "m", Host = "b", CaFile = "/ca.pem" }), "$.sinks.mqtt[0].tls", "tls is false"),
        ["mqtt infinite drain rate"] = (l => l.Add(new MqttSinkConfig { Name = "m", Host = "b", Drain = new() { MaxPointsPerSecond = double.PositiveInfinity } }), "$.sinks.mqtt[0].drain.maxPointsPerSecond", "positive"),
    };

    static void IConfigSectionCases<MqttSinkConfig>.ValidateSection(List<MqttSinkConfig> section, string path, ConfigCheck check) => MqttSinkConfigValidator.Validate(section, path, check);

    public static List<MqttSinkConfig> Valid() => [];
}
