using System.Collections.Concurrent;
using System.Text;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeTwin.TestSupport.Mqtt;

/// <summary>A cloud-side consumer: persistent session, QoS 1, reconnecting on its own while the broker is away.</summary>
public sealed class MqttTestSubscriber : IAsyncDisposable
{
    private readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();
    private readonly CancellationTokenSource _stop = new();
    private MqttClientOptions _options = null!;
    private Task _reconnect = Task.CompletedTask;
    private volatile bool _subscribed;

    public ConcurrentQueue<(string Topic, string Payload)> Messages { get; } = new();

    public static async Task<MqttTestSubscriber> StartAsync(int port)
    {
        var s = new MqttTestSubscriber();
        s._options = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId("cloud-consumer")
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithCleanStart(false).WithSessionExpiryInterval(3600).Build();
        s._client.ApplicationMessageReceivedAsync += e =>
        {
            s.Messages.Enqueue((e.ApplicationMessage.Topic, Encoding.UTF8.GetString(e.ApplicationMessage.Payload)));
            return Task.CompletedTask;
        };
        await s.ConnectAsync(CancellationToken.None);
        s._reconnect = Task.Run(s.ReconnectLoop);
        return s;
    }

    public async Task WaitForAsync(int distinctAtLeast, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Messages.Select(m => m.Payload).Distinct().Count() < distinctAtLeast)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"subscriber has {Messages.Count} messages, expected {distinctAtLeast} distinct (connected: {_client.IsConnected})");
            await Task.Delay(100);
        }
    }

    public async Task WaitConnectedAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!_client.IsConnected || !_subscribed)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the subscriber did not reconnect to the broker");
            await Task.Delay(20);
        }
    }

    private async Task ConnectAsync(CancellationToken cancellationToken)
    {
        _subscribed = false;
        var result = await _client.ConnectAsync(_options, cancellationToken);
        // A session the broker kept has the subscription already; subscribing again is harmless either way.
        if (!result.IsSessionPresent)
        {
            await _client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("edgetwin/#", MqttQualityOfServiceLevel.AtLeastOnce).Build(), cancellationToken);
        }
        _subscribed = true;
    }

    private async Task ReconnectLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            if (!_client.IsConnected)
            {
                try
                {
                    await ConnectAsync(_stop.Token);
                }
                catch (Exception) when (!_stop.IsCancellationRequested)
                {
                }
            }
            try
            {
                await Task.Delay(100, _stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _reconnect;
        _client.Dispose();
        _stop.Dispose();
    }
}
