using EdgeTwin.Connectors.Json;
using EdgeTwin.Connectors.Mqtt;
using EdgeTwin.Core.Config;

namespace EdgeTwin.Connectors.Tests.Mqtt;

/// <summary>$.sources.mqtt[].</summary>
public sealed class MqttSourceConfigValidatorTests : ConfigSectionTests<MqttSourceConfigValidatorTests, MqttSourceConfig>, IConfigSectionCases<MqttSourceConfig>
{
    public static string SectionPath => "$.sources.mqtt";

    public static Dictionary<string, (Action<List<MqttSourceConfig>> Break, string Path, string Says)> Mistakes { get; } = new()
    {
        ["null mqtt source"] = (l => l.Add(null!), "$.sources.mqtt[1]", "null"),
        ["mqtt without a host"] = (l => l[0].Host = " ", "$.sources.mqtt[0].host", "host"),
        ["mqtt port 0"] = (l => l[0].Port = 0, "$.sources.mqtt[0].port", "between 1 and 65535"),
        ["mqtt empty client id"] = (l => l[0].ClientId = "", "$.sources.mqtt[0].clientId", "1 to 65535"),
        ["mqtt session that ends at disconnect"] = (l => l[0].SessionExpirySeconds = 0, "$.sources.mqtt[0].sessionExpirySeconds", "outlive"),
        ["mqtt keep-alive of zero"] = (l => l[0].KeepAliveSeconds = 0, "$.sources.mqtt[0].keepAliveSeconds", "between 1 and 65535"),
        ["mqtt NaN connect timeout"] = (l => l[0].ConnectTimeoutSeconds = double.NaN, "$.sources.mqtt[0].connectTimeoutSeconds", "between"),
        ["mqtt password twice"] = (l => l[0].PasswordFile = "/etc/edgetwin/mqtt.pw", "$.sources.mqtt[0].passwordFile", "not both"),
        ["mqtt 3.1.1 password without user"] = (l => { l[0].ProtocolVersion = MqttVersion.V311; l[0].Username = null; }, "$.sources.mqtt[0].username", "3.1.1"),
        ["mqtt client certificate without key"] = (l => l[0].Tls.ClientKeyFile = null, "$.sources.mqtt[0].tls.clientKeyFile", "private key"),
        ["mqtt blank CA file"] = (l => l[0].Tls.CaFile = "", "$.sources.mqtt[0].tls.caFile", "blank"),
        ["mqtt insecure beside a CA"] = (l => l[0].Tls.InsecureSkipVerify = true, "$.sources.mqtt[0].tls.insecureSkipVerify", "caFile"),
        ["mqtt receive maximum 0"] = (l => l[0].ReceiveMaximum = 0, "$.sources.mqtt[0].receiveMaximum", "between 1 and 65535"),
        ["mqtt tiny payload limit"] = (l => l[0].MaxPayloadBytes = 1, "$.sources.mqtt[0].maxPayloadBytes", "between"),
        ["mqtt batch of zero"] = (l => l[0].BatchMaxMessages = 0, "$.sources.mqtt[0].batchMaxMessages", "between"),
        ["mqtt negative linger"] = (l => l[0].BatchLingerMs = -1, "$.sources.mqtt[0].batchLingerMs", "between"),
        ["mqtt reconnect max under min"] = (l => l[0].ReconnectMaxSeconds = 0.1, "$.sources.mqtt[0].reconnectMaxSeconds", "reconnectMinSeconds"),
        ["mqtt subscribed to nothing"] = (l => l[0].Subscriptions.Clear(), "$.sources.mqtt[0].subscriptions", "nothing"),
        ["mqtt null subscription"] = (l => l[0].Subscriptions.Add(null!), "$.sources.mqtt[0].subscriptions[3]", "null"),
        ["mqtt '#' mid-topic"] = (l => l[0].Subscriptions[0].Topic = "plant/#/{asset}/{metric}", "$.sources.mqtt[0].subscriptions[0].topic", "'#'"),
        ["mqtt unknown placeholder"] = (l => l[0].Subscriptions[0].Topic = "plant/{site}/{metric}", "$.sources.mqtt[0].subscriptions[0].topic", "{asset} or {metric}"),
        ["mqtt same filter twice"] = (l => l[0].Subscriptions[1].Topic = "plant/+/+", "$.sources.mqtt[0].subscriptions[1].topic", "subscriptions[0]"),
        ["mqtt fixed asset unknown"] = (l => l[0].Subscriptions[1].Asset = "pump-9", "$.sources.mqtt[0].subscriptions[1].asset", "'pump-9'"),
        ["mqtt asset in topic and config"] = (l => l[0].Subscriptions[0].Asset = "pump-1", "$.sources.mqtt[0].subscriptions[0].asset", "already"),
        ["mqtt metric with the key separator"] = (l => l[0].Subscriptions[1].Metric = "a|b", "$.sources.mqtt[0].subscriptions[1].metric", "'|'"),
        ["mqtt asset without metric"] = (l => l[0].Subscriptions[1].Metric = null, "$.sources.mqtt[0].subscriptions[1].metric", "not the metric"),
        ["mqtt multi with a metric"] = (l => l[0].Subscriptions[2].Metric = "x", "$.sources.mqtt[0].subscriptions[2].metric", "names its metrics"),
        ["mqtt multi with {metric}"] = (l => l[0].Subscriptions[2].Topic = "multi/{asset}/{metric}", "$.sources.mqtt[0].subscriptions[2].topic", "drop {metric}"),
        ["mqtt value path on a value payload"] = (l => l[0].Subscriptions[0].ValuePath = "v", "$.sources.mqtt[0].subscriptions[0].valuePath", "\"json\" only"),
        ["mqtt malformed value path"] = (l => l[0].Subscriptions[1].ValuePath = "data..v", "$.sources.mqtt[0].subscriptions[1].valuePath", "empty name"),
        ["mqtt arrival time with a timestamp path"] = (l => l[0].Subscriptions[1].ArrivalTime = true, "$.sources.mqtt[0].subscriptions[1].timestampPath", "arrivalTime"),
        ["mqtt raw without a type"] = (l => { l[0].Subscriptions[0].Format = MqttPayloadFormat.Raw; }, "$.sources.mqtt[0].subscriptions[0].rawType", "needs the number type"),
        ["mqtt raw type on json"] = (l => l[0].Subscriptions[1].RawType = RawNumberType.Int16, "$.sources.mqtt[0].subscriptions[1].rawType", "\"raw\" only"),
    };

    static void IConfigSectionCases<MqttSourceConfig>.ValidateSection(List<MqttSourceConfig> section, string path, ConfigCheck check) => MqttSourceConfigValidator.Validate(section, path, check);

    public static List<MqttSourceConfig> Valid() => [
        new MqttSourceConfig
        {
            Name = "broker",
            Host = "broker.local",
            Username = "gw",
            Password = "secret",
            Tls = new MqttTlsConfig { Enabled = true, CaFile = "/etc/edgetwin/ca.pem", ClientCertFile = "/etc/edgetwin/gw.pem", ClientKeyFile = "/etc/edgetwin/gw.key" },
            Subscriptions =
            [
                new MqttSubscriptionConfig { Topic = "plant/{asset}/{metric}", Format = MqttPayloadFormat.Value },
                new MqttSubscriptionConfig { Topic = "line1/pump2/status", Format = MqttPayloadFormat.Json, Asset = "pump-2", Metric = "status", TimestampPath = "$.t" },
                new MqttSubscriptionConfig { Topic = "multi/{asset}", Format = MqttPayloadFormat.Multi, EpochUnit = EpochUnit.Milliseconds },
            ],
        },
    ];
}
