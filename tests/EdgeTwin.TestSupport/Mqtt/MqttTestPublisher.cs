using System.Text;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeTwin.TestSupport.Mqtt;

/// <summary>A field device publishing QoS 1: each message is the broker's once its PUBACK is back.</summary>
public static class MqttTestPublisher
{
    /// <summary>Connects with a fresh client id, publishes <paramref name="messages"/> one PUBACK at a time, in order, and disconnects.</summary>
    public static async Task PublishAsync(int port, IEnumerable<(string Topic, byte[] Payload)> messages)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        var options = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port)
            .WithClientId("test-publisher-" + Guid.NewGuid().ToString("N")[..8])
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).Build();
        await client.ConnectAsync(options, CancellationToken.None);
        foreach (var (topic, payload) in messages)
        {
            var message = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload)
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
            var result = await client.PublishAsync(message, CancellationToken.None);
            if (!result.IsSuccess && result.ReasonCode != MqttClientPublishReasonCode.NoMatchingSubscribers)
            {
                throw new InvalidOperationException($"the broker refused the publish to {topic}: {result.ReasonCode}");
            }
        }
        await client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build());
    }

    public static Task PublishAsync(int port, string topic, string payload) => PublishAsync(port, [(topic, Encoding.UTF8.GetBytes(payload))]);
}
