using System.Threading.Channels;
using EdgeTwin.Core.Pipeline;
using EdgeTwin.Core.Telemetry;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeTwin.Connectors.Mqtt;

/// <summary>
/// Subscribes to an MQTT broker and turns each message into readings (<see cref="MqttPayloadParser"/>). QoS 1 on a
/// persistent session with manual acknowledgement: a batch's PUBACKs go out, in arrival order (MQTT §4.6), only
/// once the batch is durable, and only on the connection the messages came on; the broker redelivers the rest.
/// <see cref="MqttFlowGate"/> bounds the unacknowledged messages per connection.
/// </summary>
public sealed partial class MqttSource : ISource
{
    /// <summary>How long a stop waits for the last batches to become durable, so they are acknowledged and not redelivered.</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    private readonly MqttSourceConfig _config;
    private readonly string _broker;
    private readonly string _host;
    private readonly int _port;
    private readonly bool _v5;
    private readonly string? _password;
    private readonly MqttTlsSettings? _tls;
    private readonly MqttSubscription[] _subscriptions;
    private readonly MqttTopicRouter _router;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly List<Reading> _scratch = new(16);
    private readonly MqttStreamProvider _streams = new();

    private Channel<InboundMessage> _inbound = NewInbound(1);
    private Channel<PendingBatch> _pending = NewPending();
    private IMqttClient? _client;
    private volatile bool _accepting;
    private GatedAdapterFactory? _connections;
    private volatile string _status = "starting";
    private long _received;
    private long _acknowledged;
    private long _awaiting;

    /// <summary>
    /// Builds the source from a validated configuration; <paramref name="configPath"/> (<c>$.sources.mqtt[i]</c>) names
    /// it in errors. Reads the password and certificate files: <see cref="ArgumentException"/> when one cannot be read.
    /// </summary>
    public MqttSource(MqttSourceConfig config, string configPath, string gatewayId, TimeProvider time, ILogger<MqttSource> log)
    {
        _config = config;
        _time = time;
        _log = log;
        _host = config.Host;
        _port = config.Port ?? (config.Tls.Enabled ? 8883 : 1883);
        _broker = $"{(config.Tls.Enabled ? "mqtts" : "mqtt")}://{_host}:{_port}";
        _v5 = config.ProtocolVersion == MqttVersion.V5;
        ClientId = config.ClientId ?? $"edgetwin-{gatewayId}-{config.Name}";
        _password = config.Password;
        if (config.PasswordFile is { } file)
        {
            try
            {
                _password = System.IO.File.ReadLines(file).FirstOrDefault() ?? "";
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new ArgumentException($"{configPath}.passwordFile: cannot read {file}: {ex.Message}", ex);
            }
        }
        if (config.Tls.Enabled) _tls = MqttTlsSettings.Load(config.Tls, _host, configPath + ".tls");
        _subscriptions = [.. config.Subscriptions.Select((s, i) => new MqttSubscription(s, $"{configPath}.subscriptions[{i}]"))];
        _router = new MqttTopicRouter(_subscriptions);
    }

    public string Name => _config.Name;

    /// <summary>The session's identity at the broker.</summary>
    public string ClientId { get; }

    public string State =>
        $"{_status}; {Interlocked.Read(ref _received)} received, {Interlocked.Read(ref _acknowledged)} acknowledged, {Interlocked.Read(ref _awaiting)} awaiting durability";

    /// <summary>Connected, with every received message acknowledged: nothing more to do until the broker sends more.</summary>
    public bool IsIdle => _client?.IsConnected == true && Interlocked.Read(ref _awaiting) == 0;

    public long Received => Interlocked.Read(ref _received);

    public long Acknowledged => Interlocked.Read(ref _acknowledged);

    public async Task RunAsync(IIngestWriter writer, CancellationToken cancellationToken)
    {
        _inbound = NewInbound(Math.Max(_config.BatchMaxMessages * 2, _config.ReceiveMaximum));
        _pending = NewPending();
        _connections = new GatedAdapterFactory(_config.ReceiveMaximum);
        using var client = new MqttClientFactory().CreateMqttClient(_connections);
        client.ApplicationMessageReceivedAsync += OnMessageAsync;
        client.DisconnectedAsync += OnDisconnectedAsync;
        _client = client;
        // Cancelled only when a stop runs out of time: until then the last batches are still written and acknowledged.
        using var drain = new CancellationTokenSource();
        var batcher = BatchLoopAsync(writer, _inbound.Reader, drain.Token);
        var acker = AcknowledgeLoopAsync(client, _pending.Reader);
        _accepting = true;
        try
        {
            await ConnectionLoopAsync(client, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Messages that arrive from now on are not acknowledged: the broker redelivers them at the next start.
            _accepting = false;
            _inbound.Writer.TryComplete();
            drain.CancelAfter(DrainTimeout);
            await StopQuietly(batcher).ConfigureAwait(false);
            _pending.Writer.TryComplete();
            await StopQuietly(acker.WaitAsync(drain.Token)).ConfigureAwait(false);
            if (client.IsConnected)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await StopQuietly(client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), timeout.Token)).ConfigureAwait(false);
            }
            _status = "stopped";
            var left = Interlocked.Read(ref _awaiting);
            if (left > 0) Log.StoppedWithUnacknowledged(_log, Name, left);
            Log.Stopped(_log, Name, Received, Acknowledged);
        }
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// Called by MQTTnet for each message, one at a time and in arrival order. Parses it and hands it to the
    /// batcher; when the batcher is behind, waiting here holds further messages back, and the broker sends no
    /// more than Receive Maximum (or its in-flight limit) unacknowledged ones.
    /// </summary>
    private Task OnMessageAsync(MqttApplicationMessageReceivedEventArgs e)
    {
        e.AutoAcknowledge = false;
        var message = e.ApplicationMessage;
        var gate = message.QualityOfServiceLevel == MqttQualityOfServiceLevel.AtMostOnce ? null : _connections!.Current;
        if (!_accepting)
        {
            gate?.Released();
            return Task.CompletedTask;
        }
        _scratch.Clear();
        try
        {
            var binding = _router.Route(message.Topic);
            MqttPayloadParser.Parse(binding, message.Payload, _time.GetUtcNow().UtcTicks, _config.MaxPayloadBytes, _scratch);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A defect in routing or parsing must neither drop the message nor keep its flow-control slot (after
            // Receive Maximum such messages the connection would stop reading): it is quarantined like a bad payload.
            _scratch.Clear();
            _scratch.Add(new Reading("mqtt:" + message.Topic, _time.GetUtcNow().UtcTicks, PointValue.None,
                Raw: System.Text.EncodingExtensions.GetString(System.Text.Encoding.UTF8, message.Payload), Error: $"topic {message.Topic}: the message could not be processed ({ex.GetType().Name}: {ex.Message})"));
        }
        Reading[]? more = null;
        if (_scratch.Count > 1)
        {
            more = new Reading[_scratch.Count - 1];
            _scratch.CopyTo(1, more, 0, more.Length);
        }
        var inbound = new InboundMessage(e, gate, _scratch[0], more);
        Interlocked.Increment(ref _received);
        Interlocked.Increment(ref _awaiting);
        return _inbound.Writer.TryWrite(inbound) ? Task.CompletedTask : WaitToHandOver(inbound);
    }

    private async Task WaitToHandOver(InboundMessage inbound)
    {
        try
        {
            await _inbound.Writer.WriteAsync(inbound).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            // Stopping: the message stays unacknowledged and comes back at the next start.
            Interlocked.Decrement(ref _awaiting);
            inbound.Gate?.Released();
        }
    }

    /// <summary>
    /// Gathers messages into batches: everything that is waiting, up to $.sources.mqtt[].batchMaxMessages, after
    /// at most one linger of $.sources.mqtt[].batchLingerMs when the broker pauses. Ends when the inbound channel
    /// is completed and empty.
    /// </summary>
    private async Task BatchLoopAsync(IIngestWriter writer, ChannelReader<InboundMessage> reader, CancellationToken abort)
    {
        var messages = new List<InboundMessage>(_config.BatchMaxMessages);
        var linger = TimeSpan.FromMilliseconds(_config.BatchLingerMs);
        while (await reader.WaitToReadAsync(abort).ConfigureAwait(false))
        {
            var readings = 0;
            var lingered = linger <= TimeSpan.Zero;
            while (messages.Count < _config.BatchMaxMessages)
            {
                if (reader.TryRead(out var m))
                {
                    messages.Add(m);
                    readings += m.ReadingCount;
                    continue;
                }
                if (lingered || reader.Completion.IsCompleted) break;
                await Task.Delay(linger, _time, abort).ConfigureAwait(false);
                lingered = true;
            }
            await HandOverAsync(writer, messages, readings, abort).ConfigureAwait(false);
            messages.Clear();
        }
    }

    private async Task HandOverAsync(IIngestWriter writer, List<InboundMessage> messages, int readings, CancellationToken abort)
    {
        var batch = IngestBatch.Rent(Name, readings);
        var acks = new PendingMessage[messages.Count];
        for (var i = 0; i < messages.Count; i++)
        {
            var m = messages[i];
            batch.Add(m.First);
            if (m.More is { } more)
            {
                foreach (var r in more) batch.Add(r);
            }
            acks[i] = new PendingMessage(m.Message, m.Gate);
        }
        _pending.Writer.TryWrite(new PendingBatch(batch.Durable, acks));
        try
        {
            await writer.WriteAsync(batch, abort).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Never reached the pipeline: not durable, so not acknowledged.
            batch.Fail(ex);
            throw;
        }
    }

    /// <summary>
    /// Sends the PUBACKs, strictly in arrival order: batches are awaited one after the other (the pipeline makes
    /// them durable in the order it received them), and a batch's messages are acknowledged in its order.
    /// </summary>
    private async Task AcknowledgeLoopAsync(IMqttClient client, ChannelReader<PendingBatch> reader)
    {
        await foreach (var batch in reader.ReadAllAsync().ConfigureAwait(false))
        {
            var durable = true;
            try
            {
                await batch.Durable.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The gateway stopped before the batch was committed: it stays unacknowledged and is redelivered.
                durable = false;
            }
            var acknowledged = 0;
            if (durable)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(_config.ConnectTimeoutSeconds));
                // The batch's PUBACKs leave together, in one send, once all are written.
                var stream = _streams.Current;
                stream?.Hold();
                try
                {
                    foreach (var m in batch.Messages)
                    {
                        // QoS 0 needs no acknowledgement; a message of an earlier connection is redelivered on the
                        // current one, and acknowledged then.
                        if (m.Gate is null || m.Gate != _connections!.Current || !client.IsConnected) continue;
                        try
                        {
                            await m.Message.AcknowledgeAsync(timeout.Token).ConfigureAwait(false);
                            acknowledged++;
                        }
                        catch (Exception ex)
                        {
                            Log.AcknowledgeFailed(_log, Name, ex.Message);
                        }
                    }
                }
                finally
                {
                    if (stream is not null) await StopQuietly(stream.ReleaseAsync(timeout.Token)).ConfigureAwait(false);
                }
            }
            foreach (var m in batch.Messages) m.Gate?.Released();
            Interlocked.Add(ref _acknowledged, acknowledged);
            Interlocked.Add(ref _awaiting, -batch.Messages.Length);
        }
    }

    private static async Task StopQuietly(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Stopping: whatever did not finish stays unacknowledged and is redelivered.
        }
    }

    private static Channel<InboundMessage> NewInbound(int capacity) =>
        Channel.CreateBounded<InboundMessage>(new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });

    private static Channel<PendingBatch> NewPending() =>
        Channel.CreateUnbounded<PendingBatch>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    /// <summary>A parsed message: its readings (most messages have one) and what acknowledging it needs.</summary>
    /// <remarks><see cref="Gate"/> is the connection the message came on; null for QoS 0, which is never acknowledged.</remarks>
    private readonly record struct InboundMessage(MqttApplicationMessageReceivedEventArgs Message, MqttFlowGate? Gate, Reading First, Reading[]? More)
    {
        public int ReadingCount => 1 + (More?.Length ?? 0);
    }

    private readonly record struct PendingMessage(MqttApplicationMessageReceivedEventArgs Message, MqttFlowGate? Gate);

    private sealed record PendingBatch(Task<IngestResult> Durable, PendingMessage[] Messages);
}
