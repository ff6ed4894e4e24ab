using System.Text.Json.Nodes;
using EdgeTwin.Gateway.Api;

namespace EdgeTwin.Gateway.Tests.Api;

public class ConfigRedactorTests
{
    [Theory]
    [InlineData("password")]
    [InlineData("saslPassword")]
    [InlineData("sasl.password")]
    [InlineData("ssl.key.password")]
    [InlineData("ssl.key.pem")]
    [InlineData("sasl.oauthbearer.client.secret")]
    [InlineData("token")]
    [InlineData("apiKey")]
    [InlineData("privateKey")]
    [InlineData("Authorization")]
    [InlineData("proxy-authorization")]
    [InlineData("Cookie")]
    [InlineData("set_cookie")]
    [InlineData("connectionString")]
    [InlineData("historian_connection_string")]
    [InlineData("bearerToken")]
    public void IsSecretName_NamesThatHoldSecrets_AreSecret(string name) => Assert.True(ConfigRedactor.IsSecretName(name), name);

    [Theory]
    [InlineData("tokenFile")]
    [InlineData("keyPath")]
    [InlineData("ssl.keystore.location")]
    [InlineData("ssl.ca.location")]
    [InlineData("certificateDirectory")]
    [InlineData("url")]
    [InlineData("metric")]
    [InlineData("topic")]
    public void IsSecretName_NamesOfPlacesAndPlainSettings_AreKept(string name) => Assert.False(ConfigRedactor.IsSecretName(name), name);

    [Fact]
    public void Redact_PassthroughPropertiesAndHeaders_HidesEveryValueThatIsASecret()
    {
        var node = JsonNode.Parse("""
        {
          "sinks": { "kafka": [ { "properties": { "ssl.key.pem": "-----BEGIN PRIVATE KEY-----", "ssl.ca.location": "/etc/ssl/ca.pem", "linger.ms": "5" } } ] },
          "assets": [ { "config": { "historian": { "connectionString": "Host=db;Password=x", "headers": { "Authorization": "Bearer abc", "Cookie": "s=1" } } } } ],
          "broker": "mqtts://gw:hunter2@broker.example:8883"
        }
        """)!;

        ConfigRedactor.Redact(node);

        var props = node["sinks"]!["kafka"]![0]!["properties"]!;
        Assert.Equal(ConfigRedactor.Redacted, (string?)props["ssl.key.pem"]);
        Assert.Equal("/etc/ssl/ca.pem", (string?)props["ssl.ca.location"]);
        Assert.Equal("5", (string?)props["linger.ms"]);
        var historian = node["assets"]![0]!["config"]!["historian"]!;
        Assert.Equal(ConfigRedactor.Redacted, (string?)historian["connectionString"]);
        Assert.Equal(ConfigRedactor.Redacted, (string?)historian["headers"]!["Authorization"]);
        Assert.Equal(ConfigRedactor.Redacted, (string?)historian["headers"]!["Cookie"]);
        Assert.Equal($"mqtts://gw:{ConfigRedactor.Redacted}@broker.example:8883", (string?)node["broker"]);
        Assert.DoesNotContain("hunter2", node.ToJsonString());
        Assert.DoesNotContain("PRIVATE KEY", node.ToJsonString());
    }
}
