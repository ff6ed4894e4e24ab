using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace EdgeTwin.Gateway.Cli.MqttBench;

/// <summary>
/// Publishes QoS 1 messages and counts only those the broker acknowledged (PUBACK): after
/// <see cref="PublishAsync(IEnumerable{ValueTuple{string, byte[]}}, int, CancellationToken)"/> returns, every
/// message is the broker's responsibility. Keeps up to a window of publishes in flight for throughput. Used by
/// <c>edgetwin bench mqtt</c> and the MQTT tests.
/// </summary>
internal sealed class MqttLoadPublisher : IAsyncDisposable
{
    private readonly IMqttClient _client;

    private MqttLoadPublisher(IMqttClient client) => _client = client;

    public static async Task<MqttLoadPublisher> ConnectAsync(string host, int port, string clientId, CancellationToken cancellationToken)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer(host, port)
            .WithClientId(clientId)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithCleanStart(true)
            .WithTimeout(TimeSpan.FromSeconds(30))
            .Build();
        var result = await client.ConnectAsync(options, cancellationToken).ConfigureAwait(false);
        if (result.ResultCode != MqttClientConnectResultCode.Success)
        {
            client.Dispose();
            throw new InvalidOperationException($"publisher could not connect to {host}:{port}: {result.ResultCode}");
        }
        return new MqttLoadPublisher(client);
    }

    public long Acknowledged { get; private set; }

    /// <summary>Publishes one message and waits for its PUBACK.</summary>
    public Task PublishAsync(string topic, byte[] payload, CancellationToken cancellationToken = default) =>
        PublishAsync([(topic, payload)], 1, cancellationToken);

    /// <summary>Publishes in order with up to <paramref name="window"/> unacknowledged; returns when the broker acknowledged all.</summary>
    public async Task PublishAsync(IEnumerable<(string Topic, byte[] Payload)> messages, int window, CancellationToken cancellationToken)
    {
        var inFlight = new Queue<Task<MqttClientPublishResult>>(window);
        foreach (var (topic, payload) in messages)
        {
            if (inFlight.Count >= window) await Settle(inFlight.Dequeue()).ConfigureAwait(false);
            var message = new MqttApplicationMessageBuilder()
                .WithTopic(topic)
                .WithPayload(payload)
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .Build();
            inFlight.Enqueue(_client.PublishAsync(message, cancellationToken));
        }
        while (inFlight.Count > 0) await Settle(inFlight.Dequeue()).ConfigureAwait(false);
    }

    private async Task Settle(Task<MqttClientPublishResult> publish)
    {
        var result = await publish.ConfigureAwait(false);
        if (result.ReasonCode is not (MqttClientPublishReasonCode.Success or MqttClientPublishReasonCode.NoMatchingSubscribers))
        {
            throw new InvalidOperationException($"the broker refused a publish: {result.ReasonCode} {result.ReasonString}");
        }
        Acknowledged++;
    }

    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected)
        {
            await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build()).ConfigureAwait(false);
        }
        _client.Dispose();
    }
}
