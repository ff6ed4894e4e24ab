using System.Net.Sockets;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Polly;
using Polly.Retry;

namespace EdgeTwin.Connectors.Mqtt;

public sealed partial class MqttSource
{
    private TaskCompletionSource<string>? _connectionLost;
    private bool _connectedBefore;

    /// <summary>
    /// Connects, subscribes, and waits for the connection to end; then again, with exponential backoff and jitter
    /// between failed attempts ($.sources.mqtt[].reconnectMinSeconds up to reconnectMaxSeconds), until stopped.
    /// </summary>
    private async Task ConnectionLoopAsync(IMqttClient client, CancellationToken cancellationToken)
    {
        var options = BuildOptions();
        var retry = new ResiliencePipelineBuilder { TimeProvider = _time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is not null && !cancellationToken.IsCancellationRequested),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromSeconds(_config.ReconnectMinSeconds),
                MaxDelay = TimeSpan.FromSeconds(_config.ReconnectMaxSeconds),
                OnRetry = args =>
                {
                    var error = Describe(args.Outcome.Exception!);
                    _status = $"reconnecting in {args.RetryDelay.TotalSeconds:F1} s (attempt {args.AttemptNumber + 1}): {error}";
                    Log.ConnectFailed(_log, Name, _broker, error, args.AttemptNumber + 1, (long)args.RetryDelay.TotalMilliseconds);
                    return default;
                },
            })
            .Build();

        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await retry.ExecuteAsync(ct => ConnectOnceAsync(client, options, ct), cancellationToken).ConfigureAwait(false);
                // The attempt that succeeded armed it: a drop during an earlier, failed attempt does not count.
                var reason = await Volatile.Read(ref _connectionLost)!.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                _status = $"disconnected from {_broker} ({reason}); reconnecting";
                Log.ConnectionLost(_log, Name, _broker, reason);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async ValueTask ConnectOnceAsync(IMqttClient client, MqttClientOptions options, CancellationToken cancellationToken)
    {
        _status = $"connecting to {_broker}";
        // One signal per attempt: a connection that drops while subscribing fails this attempt and must not also
        // end the next, successful one.
        Volatile.Write(ref _connectionLost, new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(_config.ConnectTimeoutSeconds));
        try
        {
            var result = await client.ConnectAsync(options, timeout.Token).ConfigureAwait(false);
            if (result.ResultCode != MqttClientConnectResultCode.Success)
            {
                throw new MqttSourceException($"the broker refused the connection: {result.ResultCode}{(string.IsNullOrEmpty(result.ReasonString) ? "" : " (" + result.ReasonString + ")")}");
            }
            if (!result.IsSessionPresent && _connectedBefore) Log.SessionLost(_log, Name, _broker, ClientId);

            var subscribe = new MqttClientSubscribeOptionsBuilder();
            foreach (var sub in _subscriptions)
            {
                subscribe.WithTopicFilter(f =>
                {
                    f.WithTopic(sub.Template.Filter).WithAtLeastOnceQoS();
                    // Resubscribing after a reconnect must not replay retained messages the session has seen (MQTT 5.0 §3.8.3.1).
                    if (_v5) f.WithRetainHandling(MqttRetainHandling.SendAtSubscribeIfNewSubscriptionOnly);
                });
            }
            var granted = await client.SubscribeAsync(subscribe.Build(), timeout.Token).ConfigureAwait(false);
            var refused = 0;
            foreach (var item in granted.Items)
            {
                switch (item.ResultCode)
                {
                    case MqttClientSubscribeResultCode.GrantedQoS1:
                    case MqttClientSubscribeResultCode.GrantedQoS2:
                        break;
                    case MqttClientSubscribeResultCode.GrantedQoS0:
                        Log.SubscriptionDowngraded(_log, Name, _broker, item.TopicFilter.Topic);
                        break;
                    default:
                        refused++;
                        Log.SubscriptionRefused(_log, Name, _broker, item.TopicFilter.Topic, item.ResultCode.ToString());
                        break;
                }
            }
            _connectedBefore = true;
            var session = result.IsSessionPresent ? "resumed" : "new";
            var version = _v5 ? "5" : "3.1.1";
            var tls = _tls is null ? "" : ", TLS";
            _status = $"connected to {_broker} (MQTT {version}{tls}, session {session}){(refused > 0 ? $", {refused} subscription(s) refused" : "")}";
            Log.Connected(_log, Name, _broker, ClientId, version, tls, session, string.Join(", ", _subscriptions.Select(s => s.Template.Filter)));
        }
        catch (Exception) when (client.IsConnected)
        {
            // Connected but not subscribed: start over with a fresh connection.
            using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await StopQuietly(client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), quick.Token)).ConfigureAwait(false);
            throw;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new MqttSourceException($"no answer from {_broker} within {_config.ConnectTimeoutSeconds} s");
        }
    }

    private Task OnDisconnectedAsync(MqttClientDisconnectedEventArgs e)
    {
        // A failed connection attempt reports a disconnect too; only a connection that was up counts as lost.
        if (e.ClientWasConnected)
        {
            var reason = e.Exception is { } ex ? Describe(ex) : e.ReasonString is { Length: > 0 } text ? $"{e.Reason}: {text}" : e.Reason.ToString();
            Volatile.Read(ref _connectionLost)?.TrySetResult(reason);
        }
        return Task.CompletedTask;
    }

    private MqttClientOptions BuildOptions()
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(_host, _port)
            .WithStreamProvider(_streams)
            .WithClientId(ClientId)
            .WithProtocolVersion(_v5 ? MqttProtocolVersion.V500 : MqttProtocolVersion.V311)
            // A persistent session: the broker keeps the subscriptions and queues QoS 1 messages while we are away.
            .WithCleanStart(false)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(_config.KeepAliveSeconds))
            .WithTimeout(TimeSpan.FromSeconds(_config.ConnectTimeoutSeconds));
        if (_v5)
        {
            builder.WithSessionExpiryInterval((uint)_config.SessionExpirySeconds)
                .WithReceiveMaximum((ushort)_config.ReceiveMaximum);
        }
        if (_config.Username is { } user) builder.WithCredentials(user, _password);
        else if (_password is not null) builder.WithCredentials(null, _password);
        if (_tls is not null) builder.WithTlsOptions(_tls.BuildOptions());
        return builder.Build();
    }

    /// <summary>An exception's message with its causes, and why a broker certificate was refused, if it was.</summary>
    private string Describe(Exception error)
    {
        var parts = new List<string>();
        for (var e = error; e is not null; e = e.InnerException)
        {
            var text = e is SocketException s ? $"{s.SocketErrorCode}: {s.Message}" : e.Message;
            if (!parts.Any(p => p.Contains(text, StringComparison.Ordinal))) parts.Add(text);
        }
        if (_tls?.LastRejection is { } rejected) parts.Add(rejected);
        else if (_tls is { HasClientCertificate: false } && IsTransportFailure(error))
        {
            parts.Add("the broker closed the TLS connection: if it requires a client certificate, set tls.clientCertFile and tls.clientKeyFile");
        }
        return string.Join(" — ", parts);
    }

    private static bool IsTransportFailure(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is IOException or SocketException or System.Security.Authentication.AuthenticationException) return true;
        }
        return false;
    }
}

/// <summary>The broker refused or did not answer; the source reconnects with backoff.</summary>
public sealed class MqttSourceException(string message) : Exception(message);
