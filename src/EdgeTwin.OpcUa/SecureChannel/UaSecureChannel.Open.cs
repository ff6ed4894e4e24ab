using EdgeTwin.OpcUa.Services;
using EdgeTwin.OpcUa.Transport;

namespace EdgeTwin.OpcUa.SecureChannel;

public sealed partial class UaSecureChannel
{
    /// <summary>Renews the token now (OPN Renew on the same connection and channel id).</summary>
    public Task RenewAsync(CancellationToken cancellationToken = default) => OpenSecureChannelAsync(renew: true, cancellationToken);

    private async Task OpenSecureChannelAsync(bool renew, CancellationToken cancellationToken)
    {
        var sent = _time.GetTimestamp();
        var clientNonce = _policy.CreateClientNonce();
        var request = new OpenSecureChannelRequest(
            renew ? SecurityTokenRequestType.Renew : SecurityTokenRequestType.Issue, _policy.Mode, clientNonce, _options.RequestedLifetime);
        using var response = await SendAsync(UaTcpMessageType.OpenSecureChannel, CreateRequestHeader(), request, cancellationToken).ConfigureAwait(false);
        var opened = DecodeResponse<OpenSecureChannelResponse>(response);
        if (opened.ServerProtocolVersion != 0)
        {
            throw new UaTcpProtocolException(StatusCode.BadProtocolVersionUnsupported, $"the server speaks protocol version {opened.ServerProtocolVersion}; we sent 0 in Hello");
        }

        if (renew && opened.ChannelId != Token.ChannelId)
        {
            throw new UaTcpProtocolException(StatusCode.BadSecureChannelIdInvalid, $"the renewed token is for channel {opened.ChannelId}, not {Token.ChannelId}");
        }

        if (opened.RevisedLifetime == 0)
        {
            throw new UaTcpProtocolException(StatusCode.BadSecurityChecksFailed, "the server issued a token with a lifetime of 0");
        }

        // Timed from when we sent the request, on our clock (OPC 10000-4 §5.6.2.1; the server's CreatedAt may be skewed).
        var renewAfter = TimeSpan.FromMilliseconds(opened.RevisedLifetime * _options.RenewalFraction) - _time.GetElapsedTime(sent);
        if (renewAfter < TimeSpan.Zero)
        {
            renewAfter = TimeSpan.Zero;
        }

        var token = new ChannelSecurityToken(opened.ChannelId, opened.TokenId, opened.CreatedAt, opened.RevisedLifetime, sent, renewAfter);
        // The new token's keys exist before anything is sent with it; the previous token's stay for what the server
        // still sends with it (OPC 10000-6 §6.7.4).
        var previous = _token?.TokenId ?? 0;
        _policy.AddToken(opened.TokenId, clientNonce, opened.ServerNonce, previous);
        _previousTokenId = previous;
        _token = token;
        if (renew)
        {
            Interlocked.Increment(ref _renewals);
        }

        _renewTimer?.Dispose();
        if (_fault is null)
        {
            _renewTimer = _time.CreateTimer(static state => ((UaSecureChannel)state!).RenewInBackground(), this, renewAfter, Timeout.InfiniteTimeSpan);
        }
    }

    private async void RenewInBackground()
    {
        try
        {
            await OpenSecureChannelAsync(renew: true, _shutdown.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // A token that cannot be renewed expires and the server drops the channel: end it now.
            Fail(new UaTcpProtocolException(ex is UaServiceException service ? service.Status : StatusCode.BadSecureChannelClosed, $"renewing the security token failed: {ex.Message}"));
        }
    }
}
