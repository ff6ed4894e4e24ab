using EdgeTwin.OpcUa.SecureChannel;
using EdgeTwin.OpcUa.Services;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.OpcUa.Session;

/// <summary>
/// A session on a secure channel (OPC 10000-4 §5.7): created and activated, then used for the attribute and
/// view services. At every activation it reads the server's NamespaceArray and operation limits, so
/// <c>nsu=</c> node ids resolve against this session's indexes and calls are split to the server's limits.
/// </summary>
public sealed partial class UaSession : IAsyncDisposable
{
    private readonly UaSessionOptions _options;
    private byte[]? _serverNonce;

    private UaSession(UaSecureChannel channel, UaSessionOptions options, CreateSessionResponse created)
    {
        Channel = channel;
        _options = options;
        SessionId = created.SessionId;
        AuthenticationToken = created.AuthenticationToken;
        RevisedSessionTimeout = TimeSpan.FromMilliseconds(created.RevisedSessionTimeout);
        ServerEndpoints = created.ServerEndpoints;
        _serverNonce = created.ServerNonce;
        _serverCertificate = created.ServerCertificate;
    }

    public UaSecureChannel Channel { get; private set; }

    public NodeId SessionId { get; }

    /// <summary>The secret that goes into every RequestHeader (not the SessionId).</summary>
    public NodeId AuthenticationToken { get; }

    public TimeSpan RevisedSessionTimeout { get; }

    public IReadOnlyList<EndpointDescription> ServerEndpoints { get; }

    /// <summary>The NamespaceArray read at the last activation.</summary>
    public NamespaceTable Namespaces { get; private set; } = new([]);

    /// <summary>The server's MaxNodesPerRead, or 0 when it states none.</summary>
    public uint MaxNodesPerRead { get; private set; }

    /// <summary>The server's MaxNodesPerBrowse, or 0 when it states none.</summary>
    public uint MaxNodesPerBrowse { get; private set; }

    /// <summary>The server's MaxMonitoredItemsPerCall, or 0 when it states none.</summary>
    public uint MaxMonitoredItemsPerCall { get; private set; }

    /// <summary>The server's MaxNodesPerTranslateBrowsePathsToNodeIds, or 0 when it states none.</summary>
    public uint MaxNodesPerTranslate { get; private set; }

    /// <summary>CreateSession + ActivateSession, then reads the namespace array and operation limits.</summary>
    public static async Task<UaSession> CreateAsync(UaSecureChannel channel, UaSessionOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        options ??= new UaSessionOptions();
        var client = new ApplicationDescription(options.ApplicationUri, "urn:edgetwin", new LocalizedText(null, "EdgeTwin"), 1, null, null, null);
        var clientCertificate = ClientCertificateOf(channel);
        var request = new CreateSessionRequest(client, channel.EndpointUrl, options.SessionName, SessionNonce.Create(),
            options.SessionTimeout.TotalMilliseconds, channel.Limits.MaxResponseSize, clientCertificate);
        var created = await channel.CallAsync<CreateSessionResponse>(channel.CreateRequestHeader(), request, cancellationToken).ConfigureAwait(false);
        VerifyServerSignature(channel, created, request);
        var session = new UaSession(channel, options, created);
        await session.ActivateAsync(channel, cancellationToken).ConfigureAwait(false);
        return session;
    }

    /// <summary>
    /// Takes up a session created earlier, by this process before a restart, whose id and authentication token were
    /// kept: it is activated on <paramref name="channel"/> (OPC 10000-4 §5.7.3). Fails with BadSessionIdInvalid (or
    /// BadSessionClosed) when the server has forgotten it.
    /// </summary>
    public static async Task<UaSession> ResumeAsync(UaSecureChannel channel, NodeId sessionId, NodeId authenticationToken, UaSessionOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        options ??= new UaSessionOptions();
        // The identity token's policy id comes from the server's endpoints, which CreateSession would have returned.
        var endpoints = await UaDiscovery.GetEndpointsAsync(channel, cancellationToken).ConfigureAwait(false);
        var known = new CreateSessionResponse(null!, sessionId, authenticationToken, options.SessionTimeout.TotalMilliseconds, null, null, endpoints, 0);
        var session = new UaSession(channel, options, known);
        await session.ActivateAsync(channel, cancellationToken).ConfigureAwait(false);
        return session;
    }

    /// <summary>
    /// Activates the session on <paramref name="channel"/> (the one it was created on, or a new one after the
    /// old connection was lost), then re-reads the namespace array and limits.
    /// </summary>
    public async Task ActivateAsync(UaSecureChannel channel, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        var (token, tokenSignature) = IdentityToken(channel);
        var request = new ActivateSessionRequest(token, null, ClientSignature(channel), tokenSignature);
        ActivateSessionResponse activated;
        try
        {
            activated = await channel.CallAsync<ActivateSessionResponse>(channel.CreateRequestHeader(AuthenticationToken), request, cancellationToken).ConfigureAwait(false);
        }
        catch (UaServiceException ex) when (ex.Status.Is(StatusCode.BadUserAccessDenied) || ex.Status.Is(StatusCode.BadIdentityTokenRejected) || ex.Status.Is(StatusCode.BadIdentityTokenInvalid))
        {
            throw new UaServiceException(ex.Status, _options.Identity.IsAnonymous
                ? "the server refused an anonymous session"
                : _options.Identity.Certificate is not null
                    ? $"the server refused the user {_options.Identity} (not trusted, or the user may not log in)"
                    : $"the server refused user '{_options.Identity.UserName}' (wrong user name or password, or the user may not log in)");
        }

        _serverNonce = activated.ServerNonce;
        Channel = channel;
        await RefreshServerInfoAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads the NamespaceArray and the operation limits again.</summary>
    public async Task RefreshServerInfoAsync(CancellationToken cancellationToken = default)
    {
        var nodes = new[]
        {
            new ReadValueId(WellKnownNodes.NamespaceArray),
            new ReadValueId(WellKnownNodes.MaxNodesPerRead),
            new ReadValueId(WellKnownNodes.MaxNodesPerBrowse),
            new ReadValueId(WellKnownNodes.MaxMonitoredItemsPerCall),
            new ReadValueId(WellKnownNodes.MaxNodesPerTranslate),
        };
        var response = await CallAsync<ReadResponse>(new ReadRequest(0, TimestampsToReturn.Neither, nodes), cancellationToken).ConfigureAwait(false);
        if (response.Results.Length != nodes.Length)
        {
            throw new UaServiceException(StatusCode.BadUnknownResponse, $"the server returned {response.Results.Length} values for {nodes.Length} nodes");
        }

        var namespaces = response.Results[0];
        if (namespaces.EffectiveStatus.IsBad || namespaces.Value.Type != BuiltInType.String || !namespaces.Value.IsArray)
        {
            throw new UaServiceException(namespaces.EffectiveStatus.IsBad ? namespaces.EffectiveStatus : StatusCode.BadUnexpectedError, "the server's NamespaceArray (i=2255) is not a readable String array");
        }

        Namespaces = new NamespaceTable(namespaces.Value.GetArray<string?>());
        MaxNodesPerRead = LimitOf(response.Results[1]);
        MaxNodesPerBrowse = LimitOf(response.Results[2]);
        MaxMonitoredItemsPerCall = LimitOf(response.Results[3]);
        MaxNodesPerTranslate = LimitOf(response.Results[4]);
    }

    /// <summary>Sends a request with this session's authentication token.</summary>
    public Task<TResponse> CallAsync<TResponse>(IUaRequest request, CancellationToken cancellationToken = default)
        where TResponse : IUaResponse<TResponse> =>
        Channel.CallAsync<TResponse>(Channel.CreateRequestHeader(AuthenticationToken), request, cancellationToken);

    /// <summary>
    /// Reads attributes, split into calls of at most MaxNodesPerRead nodes. Results come back in the order asked.
    /// </summary>
    public async Task<DataValue[]> ReadAsync(IReadOnlyList<ReadValueId> nodes, TimestampsToReturn timestamps = TimestampsToReturn.Both, double maxAge = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        return await UaBatches.CallAsync(nodes, MaxNodesPerRead, _options.DefaultMaxNodesPerCall, "nodes to read", async (slice, token) =>
            (await CallAsync<ReadResponse>(new ReadRequest(maxAge, timestamps, slice), token).ConfigureAwait(false)).Results, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads the Value attribute of each node.</summary>
    public Task<DataValue[]> ReadValuesAsync(IReadOnlyList<NodeId> nodes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        return ReadAsync(nodes.Select(n => new ReadValueId(n)).ToArray(), TimestampsToReturn.Both, 0, cancellationToken);
    }

    /// <summary>
    /// Browses each node and follows continuation points with BrowseNext until every node's references are
    /// complete; calls are split to MaxNodesPerBrowse. The results carry no continuation point.
    /// </summary>
    public async Task<BrowseResult[]> BrowseAsync(IReadOnlyList<BrowseDescription> nodes, uint maxReferencesPerNode = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        var results = await UaBatches.CallAsync(nodes, MaxNodesPerBrowse, _options.DefaultMaxNodesPerCall, "nodes to browse", async (slice, token) =>
            (await CallAsync<BrowseResponse>(new BrowseRequest(maxReferencesPerNode, slice), token).ConfigureAwait(false)).Results, cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < results.Length; i++)
        {
            results[i] = await CompleteBrowseAsync(results[i], cancellationToken).ConfigureAwait(false);
        }

        return results;
    }

    /// <summary>The forward hierarchical children of one node.</summary>
    public async Task<IReadOnlyList<ReferenceDescription>> BrowseChildrenAsync(NodeId nodeId, uint maxReferencesPerNode = 0, CancellationToken cancellationToken = default)
    {
        var results = await BrowseAsync([BrowseDescription.Children(nodeId)], maxReferencesPerNode, cancellationToken).ConfigureAwait(false);
        var result = results[0];
        return result.StatusCode.IsBad
            ? throw new UaServiceException(result.StatusCode, $"browsing {nodeId} failed")
            : result.References;
    }

    /// <summary>
    /// Resolves browse paths to node ids (TranslateBrowsePathsToNodeIds), split to the server's
    /// MaxNodesPerTranslateBrowsePathsToNodeIds when it states one. Results come back in the order asked.
    /// </summary>
    public async Task<BrowsePathResult[]> TranslateBrowsePathsAsync(IReadOnlyList<BrowsePath> paths, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(paths);
        return await UaBatches.CallAsync(paths, MaxNodesPerTranslate, _options.DefaultMaxNodesPerCall, "browse paths", async (slice, token) =>
            (await CallAsync<TranslateBrowsePathsResponse>(new TranslateBrowsePathsRequest(slice), token).ConfigureAwait(false)).Results, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>CloseSession, deleting the subscriptions the session still has on the server.</summary>
    public async Task CloseAsync(CancellationToken cancellationToken = default) =>
        await CallAsync<CloseSessionResponse>(new CloseSessionRequest(DeleteSubscriptions: true), cancellationToken).ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        if (Channel.IsOpen)
        {
            try
            {
                await CloseAsync().ConfigureAwait(false);
            }
            catch (UaServiceException)
            {
                // The server may already have dropped the session; nothing else to release.
            }
        }
    }

    private async Task<BrowseResult> CompleteBrowseAsync(BrowseResult first, CancellationToken cancellationToken)
    {
        if (first.StatusCode.IsBad || first.ContinuationPoint is not { Length: > 0 })
        {
            return first with { ContinuationPoint = null };
        }

        var references = new List<ReferenceDescription>(first.References);
        var point = first.ContinuationPoint;
        while (point is { Length: > 0 })
        {
            var next = await CallAsync<BrowseNextResponse>(new BrowseNextRequest(false, [point]), cancellationToken).ConfigureAwait(false);
            if (next.Results.Length != 1)
            {
                throw new UaServiceException(StatusCode.BadUnknownResponse, $"the server returned {next.Results.Length} results for one continuation point");
            }

            var result = next.Results[0];
            if (result.StatusCode.IsBad)
            {
                return new BrowseResult(result.StatusCode, null, references);
            }

            if (result.References.Count == 0 && result.ContinuationPoint is { Length: > 0 })
            {
                // A server that hands out continuation points without references would loop us forever.
                await CallAsync<BrowseNextResponse>(new BrowseNextRequest(true, [result.ContinuationPoint]), cancellationToken).ConfigureAwait(false);
                throw new UaServiceException(StatusCode.BadUnexpectedError, "BrowseNext returned a continuation point but no references");
            }

            references.AddRange(result.References);
            point = result.ContinuationPoint;
        }

        return new BrowseResult(first.StatusCode, null, references);
    }

    internal int DefaultMaxNodesPerCall => _options.DefaultMaxNodesPerCall;

    private static uint LimitOf(DataValue value) =>
        value.EffectiveStatus.IsGood && !value.Value.IsArray && value.Value.Type == BuiltInType.UInt32 ? value.Value.AsUInt32() : 0;
}
