using EdgeTwin.Connectors.Mqtt;
using EdgeTwin.Core.Config;

namespace EdgeTwin.Connectors.Tests.Mqtt;

/// <summary>$.sinks.mqtt[] (the MQTT uplink): one mistake at a time gives one error at its JSON path.</summary>
public sealed class MqttSinkConfigValidatorTests
{
    private static readonly Dictionary<string, (Action<List<MqttSinkConfig>> Break, string Path, string Says)> Mistakes = new()
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

    public static TheoryData<string> MistakeNames => [.. Mistakes.Keys];

    [Fact]
    public void Validate_TheBaseSection_HasNoErrors() => Assert.Empty(Validate(Valid()));

    [Theory]
    [MemberData(nameof(MistakeNames))]
    public void Validate_OneMistake_GivesOneErrorAtItsPath(string mistake)
    {
        var (breakIt, path, says) = Mistakes[mistake];
        var section = Valid();
        breakIt(section);

        var error = Assert.Single(Validate(section));

        Assert.Equal(path, error.Path);
        Assert.Contains(says, error.Message, StringComparison.Ordinal);
    }

    private static IReadOnlyList<ConfigError> Validate(List<MqttSinkConfig> section)
    {
        var check = new ConfigCheck([new AssetConfig { Id = "line-1" }, new AssetConfig { Id = "pump-1" }, new AssetConfig { Id = "pump-2" }, new AssetConfig { Id = "valve-1" }], []);
        MqttSinkConfigValidator.Validate(section, "$.sinks.mqtt", check);
        return check.Errors;
    }

    private static List<MqttSinkConfig> Valid() => [];
}
