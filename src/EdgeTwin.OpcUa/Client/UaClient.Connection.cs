using EdgeTwin.OpcUa.SecureChannel;
using EdgeTwin.OpcUa.Services;
using EdgeTwin.OpcUa.Session;
namespace EdgeTwin.OpcUa.Client;

// The connection's life: the supervisor that connects with backoff, one connection attempt (same session on a new
// channel, or a new session), the watch and keep-alive that notice a lost server, and the tear-down.
public sealed partial class UaClient
{
    private async Task SuperviseAsync()
    {
        try
        {
            await SuperviseLoopAsync(_stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private async Task SuperviseLoopAsync(CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            await _retry.ExecuteAsync(static (client, ct) => new ValueTask(client.ConnectOnceAsync(ct)), this, token).ConfigureAwait(false);

            _state = UaClientState.Connected;
            _detail = "connected";
            Volatile.Read(ref _connected).TrySetResult();
            string reason;
            while (true)
            {
                reason = await WatchAsync(token).ConfigureAwait(false);
                if (token.IsCancellationRequested)
                {
                    return;
                }

                if (Interlocked.Exchange(ref _renewedCertificate, null) is not { } renewed)
                {
                    break;
                }

                try
                {
                    await SwitchCertificateAsync(renewed, token).ConfigureAwait(false);
                }
                catch (Exception ex) when (!token.IsCancellationRequested)
                {
                    reason = $"moving to the renewed certificate {renewed} failed: {ex.Message}";
                    break;
                }
            }

            _state = UaClientState.Reconnecting;
            _detail = "reconnecting: " + reason;
            Volatile.Write(ref _connected, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            Log.ConnectionLost(_log, Endpoint, reason);
            await TearDownAsync(closeSession: _renewSession).ConfigureAwait(false);
            await EmitAsync(new UaClientEvent(UaClientEventKind.ConnectionLost, reason), token).ConfigureAwait(false);
        }
    }

    // One attempt: a new channel; the same session on it, or a new session with its subscriptions created again.
    private async Task ConnectOnceAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        UaSecureChannel? channel = null;
        try
        {
            channel = await UaSecureChannel.OpenAsync(Endpoint, _options.Channel, cancellationToken).ConfigureAwait(false);
            var certificate = CertificateOf(channel);
            var hadSession = _hadSession;
            var reactivated = false;
            var resumed = false;
            var transferred = -1;
            // A session the server still has, but created on our certificate before it was renewed, cannot move to
            // this channel (OPC 10000-4 §5.6.3): a new session takes its subscriptions over instead.
            var renewed = _session is not null && !_renewSession && _sessionCertificate != certificate;
            if (_resume is { } resume && _session is null)
            {
                try
                {
                    _session = await UaSession.ResumeAsync(channel, resume.SessionId, resume.AuthenticationToken, _options.Session, cancellationToken).ConfigureAwait(false);
                    Interlocked.Increment(ref _generation);
                    _acks.Clear();
                    _byServerId.Clear();
                    await ResumeSubscriptionsAsync(resume, _session, cancellationToken).ConfigureAwait(false);
                    Interlocked.Increment(ref _sessionsResumed);
                    reactivated = resumed = true;
                }
                catch (UaServiceException ex) when (IsSessionGone(ex.Status) || ex.Status.Is(BadNoValidCertificates))
                {
                    // BadNoValidCertificates: the session was created with the certificate we had before a renewal.
                    Log.SessionGone(_log, Endpoint, resume.SessionId.ToString(), ex.Status.ToString());
                    _session = null;
                }

                _resume = null;
            }
            else if (_session is { } previous && !_renewSession && !renewed)
            {
                try
                {
                    await previous.ActivateAsync(channel, cancellationToken).ConfigureAwait(false);
                    reactivated = true;
                }
                catch (UaServiceException ex) when (IsSessionGone(ex.Status))
                {
                    Log.SessionGone(_log, Endpoint, previous.SessionId.ToString(), ex.Status.ToString());
                }
            }

            if (!reactivated)
            {
                _session = await UaSession.CreateAsync(channel, _options.Session, cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref _generation);
                Interlocked.Increment(ref _sessionsCreated);
                _renewSession = false;
                if (renewed && _subscriptions.Any(s => s.Current is not null))
                {
                    transferred = await TransferSubscriptionsAsync(_session, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    _acks.Clear();
                    _byServerId.Clear();
                    Volatile.Write(ref _ackGeneration, Volatile.Read(ref _generation));
                }
            }
            else if (resumed)
            {
                Volatile.Write(ref _ackGeneration, Volatile.Read(ref _generation));
            }

            _sessionCertificate = certificate;
            var session = _session!;
            _hadSession = true;
            if (transferred >= 0)
            {
                Log.Connected(_log, Endpoint, session.SessionId.ToString(), $"new session for the gateway's certificate {certificate}; subscriptions transferred to it: {transferred}");
            }
            else if (resumed)
            {
                Log.Connected(_log, Endpoint, session.SessionId.ToString(), "session of the previous run resumed");
            }
            else if (reactivated)
            {
                Interlocked.Increment(ref _reconnects);
                Log.Connected(_log, Endpoint, session.SessionId.ToString(), "session activated on a new channel");
            }
            else
            {
                Log.Connected(_log, Endpoint, session.SessionId.ToString(), hadSession ? "new session" : "first session");
                if (hadSession)
                {
                    await EmitAsync(new UaClientEvent(UaClientEventKind.SessionRecreated, $"new session {session.SessionId}; namespaces [{string.Join(", ", session.Namespaces.Uris)}]"), cancellationToken).ConfigureAwait(false);
                }
            }

            await StartPublishingAsync(channel, session, cancellationToken).ConfigureAwait(false);
            if (reactivated && !resumed)
            {
                await EmitAsync(new UaClientEvent(UaClientEventKind.ConnectionRestored, $"session {session.SessionId} activated on a new channel"), cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            if (channel is not null)
            {
                await channel.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    // Waits until the connection is lost, and says why.
    private async Task<string> WatchAsync(CancellationToken token)
    {
        var channel = _channel!;
        using var watch = CancellationTokenSource.CreateLinkedTokenSource(token);
        var keepAlive = KeepAliveAsync(watch.Token);
        var renewal = WatchCertificateAsync(channel, watch.Token);
        var stopped = Task.Delay(Timeout.Infinite, watch.Token);
        var ended = await Task.WhenAny(channel.Completion, _forwarder, keepAlive, renewal, stopped).ConfigureAwait(false);
        await watch.CancelAsync().ConfigureAwait(false);
        try
        {
            await keepAlive.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        if (ended == renewal && renewal.IsCompletedSuccessfully && channel.IsOpen)
        {
            Volatile.Write(ref _renewedCertificate, renewal.Result);
            return "the gateway's certificate was renewed";
        }

        // A failed channel fails its pending requests (ending the Publish loop) just before its Completion: its reason is the one to report.
        if (ended == channel.Completion || !channel.IsOpen)
        {
            await Task.WhenAny(channel.Completion, Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None)).ConfigureAwait(false);
            return channel.Completion.Exception?.InnerException?.Message ?? "the secure channel closed";
        }

        if (ended == keepAlive)
        {
            return "the server did not answer the keep-alive read";
        }

        return _renewSession ? "the server dropped a subscription" : "the Publish loop ended";
    }

    // Reads the server's clock whenever nothing else has been heard for a keep-alive interval: a server that is gone
    // without closing the connection (a cable pulled) is noticed within about two intervals.
    private async Task KeepAliveAsync(CancellationToken token)
    {
        var interval = _options.KeepAliveInterval;
        var session = _session!;
        var publisher = _publisher;
        while (!token.IsCancellationRequested)
        {
            await Task.Delay(interval, _time, token).ConfigureAwait(false);
            if (publisher is not null && DateTime.UtcNow - publisher.LastResponse < interval)
            {
                continue;
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
            timeout.CancelAfter(interval);
            try
            {
                await session.ReadAsync([new ReadValueId(WellKnownNodes.ServerStatusCurrentTime)], TimestampsToReturn.Neither, 0, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (!token.IsCancellationRequested)
            {
                Log.KeepAliveFailed(_log, Endpoint, ex.Message);
                return;
            }
        }
    }

    private async Task TearDownAsync(bool closeSession)
    {
        var publisher = Interlocked.Exchange(ref _publisher, null);
        if (publisher is not null)
        {
            await publisher.DisposeAsync().ConfigureAwait(false);
        }

        // Every message the loop delivered is handed on before the connection events that follow it.
        await _forwarder.ConfigureAwait(false);
        var channel = Interlocked.Exchange(ref _channel, null);
        if (channel is null)
        {
            return;
        }

        if (closeSession && channel.IsOpen && _session is { } session)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await session.CloseAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Log.CloseFailed(_log, Endpoint, ex.Message);
            }

            _session = null;
            _renewSession = true;
        }

        try
        {
            await channel.CloseAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.CloseFailed(_log, Endpoint, ex.Message);
        }

        await channel.DisposeAsync().ConfigureAwait(false);
    }
}
