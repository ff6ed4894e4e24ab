using EdgeTwin.OpcUa.SecureChannel;
using EdgeTwin.OpcUa.SecureChannel.Security;
using EdgeTwin.OpcUa.Services;
using EdgeTwin.OpcUa.Session;
using EdgeTwin.OpcUa.Subscriptions;

namespace EdgeTwin.OpcUa.Client;

// The gateway's own certificate renewed while connected. A server ties a session to the certificate of the channel it
// was created on (OPC 10000-4 §5.6.3), so the client opens a channel on the new certificate and a session on it, moves
// the subscriptions there with TransferSubscriptions (§5.13.7), and only then closes the old session and channel.
// Nothing is lost across the switch: the old Publish loop hands on all it received first, and whatever the server had
// sent on the old session after that is still held for retransmission and republished on the new one.
public sealed partial class UaClient
{
    private static readonly StatusCode BadNoValidCertificates = new(0x8059_0000);

    // The thumbprint of our certificate on the channel the session was created (or last activated) on; null over None.
    private string? _sessionCertificate;

    // Set by the watch when the certificate the channel factory gives differs from the open channel's.
    private string? _renewedCertificate;

    // A switch that failed (the server may not trust the new certificate yet) is not tried again before this timestamp.
    private long _switchNotBefore;

    private static string? CertificateOf(UaSecureChannel channel) => channel.SecurityPolicy is UaSecuredPolicy secured ? secured.ClientCertificate.Thumbprint : null;

    // Completes with the new certificate's thumbprint once the certificate a new channel would use is another than this
    // channel's; checked every keep-alive interval. Null when the watch is cancelled.
    private async Task<string?> WatchCertificateAsync(UaSecureChannel channel, CancellationToken token)
    {
        try
        {
            if (_options.Channel.Security.ClientCertificate is not { } current || CertificateOf(channel) is not { } inUse)
            {
                await Task.Delay(Timeout.Infinite, token).ConfigureAwait(false);
                return null;
            }

            while (true)
            {
                await Task.Delay(_options.KeepAliveInterval, _time, token).ConfigureAwait(false);
                if (_time.GetTimestamp() < Volatile.Read(ref _switchNotBefore))
                {
                    continue;
                }

                string now;
                try
                {
                    now = current().Thumbprint;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The store cannot be read just now: the channel in use goes on, and the next look may succeed.
                    continue;
                }

                if (now != inUse)
                {
                    return now;
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            return null;
        }
    }

    private async Task SwitchCertificateAsync(string renewed, CancellationToken token)
    {
        await _gate.WaitAsync(token).ConfigureAwait(false);
        try
        {
            UaSecureChannel? channel = null;
            UaSession session;
            try
            {
                channel = await UaSecureChannel.OpenAsync(Endpoint, _options.Channel, token).ConfigureAwait(false);
                session = await UaSession.CreateAsync(channel, _options.Session, token).ConfigureAwait(false);
            }
            catch (Exception ex) when (!token.IsCancellationRequested)
            {
                // The old channel goes on as it is; the switch is tried again after the longest reconnection delay.
                if (channel is not null)
                {
                    await channel.DisposeAsync().ConfigureAwait(false);
                }

                Volatile.Write(ref _switchNotBefore, _time.GetTimestamp() + (long)(_options.ReconnectMaxDelay.TotalSeconds * _time.TimestampFrequency));
                Log.CertificateSwitchFailed(_log, Endpoint, renewed, ex.Message);
                return;
            }

            var (oldChannel, oldSession) = (_channel, _session);
            try
            {
                var publisher = Interlocked.Exchange(ref _publisher, null);
                if (publisher is not null)
                {
                    await publisher.DisposeAsync().ConfigureAwait(false);
                }

                await _forwarder.ConfigureAwait(false);
                _session = session;
                _sessionCertificate = CertificateOf(channel);
                Interlocked.Increment(ref _generation);
                Interlocked.Increment(ref _sessionsCreated);
                var transferred = await TransferSubscriptionsAsync(session, token).ConfigureAwait(false);
                Log.Connected(_log, Endpoint, session.SessionId.ToString(), $"new session for the gateway's renewed certificate {renewed}; subscriptions transferred to it: {transferred}");
                await StartPublishingAsync(channel, session, token).ConfigureAwait(false);
            }
            catch
            {
                // The old channel stays the client's: the supervisor tears it down and reconnects.
                await channel.DisposeAsync().ConfigureAwait(false);
                throw;
            }
            finally
            {
                if (oldChannel is not null && oldChannel != _channel)
                {
                    await CloseQuietlyAsync(oldChannel, oldSession).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    // Moves the subscriptions the previous session had to the new one; one that cannot move is detached, and created
    // again by the caller. Returns how many moved.
    private async Task<int> TransferSubscriptionsAsync(UaSession session, CancellationToken cancellationToken)
    {
        var attached = _subscriptions.Where(s => s.Current is not null).ToList();
        if (attached.Count == 0)
        {
            return 0;
        }

        (StatusCode Status, UaSubscription? Moved)[] results;
        try
        {
            results = await UaSubscription.TransferAsync(session, [.. attached.Select(s => s.Current!)], cancellationToken).ConfigureAwait(false);
        }
        catch (UaServiceException ex)
        {
            // A server without TransferSubscriptions: every subscription is created anew.
            results = [.. attached.Select(_ => (ex.Status, (UaSubscription?)null))];
        }

        var moved = 0;
        for (var i = 0; i < attached.Count; i++)
        {
            var id = attached[i].Current!.SubscriptionId;
            if (results[i].Moved is { } subscription)
            {
                attached[i].Move(subscription, Volatile.Read(ref _generation));
                moved++;
            }
            else
            {
                Log.TransferRefused(_log, Endpoint, id, results[i].Status.ToString());
                _byServerId.TryRemove(id, out _);
                attached[i].Detach();
            }
        }

        return moved;
    }

    private async Task CloseQuietlyAsync(UaSecureChannel channel, UaSession? session)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            if (session is not null && channel.IsOpen)
            {
                await session.CloseAsync(timeout.Token).ConfigureAwait(false);
            }

            await channel.CloseAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.CloseFailed(_log, Endpoint, ex.Message);
        }

        await channel.DisposeAsync().ConfigureAwait(false);
    }
}
