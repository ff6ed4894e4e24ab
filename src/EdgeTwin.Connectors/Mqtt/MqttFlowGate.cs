using System.Net;
using System.Security.Cryptography.X509Certificates;
using MQTTnet;
using MQTTnet.Adapter;
using MQTTnet.Diagnostics.Logger;
using MQTTnet.Formatter;
using MQTTnet.Implementations;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace EdgeTwin.Connectors.Mqtt;

/// <summary>
/// Enforces the receive window on our side: once <see cref="Limit"/> QoS 1/2 messages of a connection are
/// unacknowledged, its next packet is not read until one is acknowledged, so the broker meets TCP back-pressure
/// instead of filling our memory. Not every broker honours the Receive Maximum we announce (MQTT 5.0 §4.9).
/// </summary>
internal sealed class MqttFlowGate
{
    private readonly Lock _lock = new();
    private int _outstanding;
    private TaskCompletionSource? _opened;

    public MqttFlowGate(int limit) => Limit = limit;

    public int Limit { get; }

    public int Outstanding
    {
        get { lock (_lock) return _outstanding; }
    }

    /// <summary>Completes when fewer than <see cref="Limit"/> messages are unacknowledged.</summary>
    public Task WaitOpenAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_outstanding < Limit) return Task.CompletedTask;
            _opened ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _opened.Task.WaitAsync(cancellationToken);
        }
    }

    public void Received()
    {
        lock (_lock) _outstanding++;
    }

    /// <summary>A message was acknowledged, or will never be (its connection is gone, or we are stopping).</summary>
    public void Released(int count = 1)
    {
        TaskCompletionSource? open = null;
        lock (_lock)
        {
            _outstanding -= count;
            if (_outstanding < Limit && _opened is not null)
            {
                open = _opened;
                _opened = null;
            }
        }
        open?.TrySetResult();
    }
}

/// <summary>Creates MQTTnet's own channel adapters, each behind a fresh <see cref="MqttFlowGate"/> (one per connection).</summary>
internal sealed class GatedAdapterFactory : IMqttClientAdapterFactory
{
    private readonly MqttClientAdapterFactory _inner = new();
    private readonly int _limit;
    private MqttFlowGate _current;

    public GatedAdapterFactory(int limit)
    {
        _limit = limit;
        _current = new MqttFlowGate(limit);
    }

    /// <summary>The gate of the newest connection: messages MQTTnet hands over belong to it.</summary>
    public MqttFlowGate Current => Volatile.Read(ref _current);

    public IMqttChannelAdapter CreateClientAdapter(MqttClientOptions options, MqttPacketInspector packetInspector, IMqttNetLogger logger)
    {
        var gate = new MqttFlowGate(_limit);
        Volatile.Write(ref _current, gate);
        return new GatedChannelAdapter(_inner.CreateClientAdapter(options, packetInspector, logger), gate);
    }

    private sealed class GatedChannelAdapter(IMqttChannelAdapter inner, MqttFlowGate gate) : IMqttChannelAdapter
    {
        public long BytesReceived => inner.BytesReceived;

        public long BytesSent => inner.BytesSent;

        public X509Certificate2 ClientCertificate => inner.ClientCertificate;

        public EndPoint RemoteEndPoint => inner.RemoteEndPoint;

        public EndPoint LocalEndPoint => inner.LocalEndPoint;

        public bool IsSecureConnection => inner.IsSecureConnection;

        public MqttPacketFormatterAdapter PacketFormatterAdapter => inner.PacketFormatterAdapter;

        public Task ConnectAsync(CancellationToken cancellationToken) => inner.ConnectAsync(cancellationToken);

        public Task DisconnectAsync(CancellationToken cancellationToken) => inner.DisconnectAsync(cancellationToken);

        public async Task<MqttPacket> ReceivePacketAsync(CancellationToken cancellationToken)
        {
            await gate.WaitOpenAsync(cancellationToken).ConfigureAwait(false);
            var packet = await inner.ReceivePacketAsync(cancellationToken).ConfigureAwait(false);
            if (packet is MqttPublishPacket { QualityOfServiceLevel: not MqttQualityOfServiceLevel.AtMostOnce }) gate.Received();
            return packet;
        }

        public void ResetStatistics() => inner.ResetStatistics();

        public Task SendPacketAsync(MqttPacket packet, CancellationToken cancellationToken) => inner.SendPacketAsync(packet, cancellationToken);

        public void Dispose() => inner.Dispose();
    }
}
