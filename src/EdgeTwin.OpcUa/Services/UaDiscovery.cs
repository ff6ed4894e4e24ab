using EdgeTwin.OpcUa.SecureChannel;

namespace EdgeTwin.OpcUa.Services;

/// <summary>Discovery services that need no session.</summary>
public static class UaDiscovery
{
    /// <summary>The server's endpoints (GetEndpoints, OPC 10000-4 §5.4.4), asked over an open channel.</summary>
    public static async Task<EndpointDescription[]> GetEndpointsAsync(UaSecureChannel channel, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        var response = await channel.CallAsync<GetEndpointsResponse>(channel.CreateRequestHeader(), new GetEndpointsRequest(channel.EndpointUrl), cancellationToken).ConfigureAwait(false);
        return response.Endpoints;
    }

    /// <summary>Opens a channel with SecurityPolicy None, asks for the endpoints and closes it.</summary>
    public static async Task<EndpointDescription[]> GetEndpointsAsync(string endpointUrl, UaSecureChannelOptions? options = null, CancellationToken cancellationToken = default)
    {
        await using var channel = await UaSecureChannel.OpenAsync(endpointUrl, options, cancellationToken).ConfigureAwait(false);
        var endpoints = await GetEndpointsAsync(channel, cancellationToken).ConfigureAwait(false);
        await channel.CloseAsync(cancellationToken).ConfigureAwait(false);
        return endpoints;
    }
}
