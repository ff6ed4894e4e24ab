using System.Buffers.Binary;
using System.Collections.Concurrent;
using EdgeTwin.Buffers;
using EdgeTwin.OpcUa.Encoding;
using EdgeTwin.OpcUa.SecureChannel.Security;
using EdgeTwin.OpcUa.Services;
using EdgeTwin.OpcUa.Transport;
using EdgeTwin.OpcUa.Types;

namespace EdgeTwin.OpcUa.SecureChannel;

/// <summary>
/// A secure channel over one UA TCP connection (OPC 10000-6 §6.7): opens with OPN Issue, renews the token at
/// 75 % of its lifetime with OPN Renew, numbers every chunk it sends, splits requests into chunks within the
/// server's limits, reassembles responses by request id within ours, and closes with CLO. When the
/// connection fails every pending request fails and <see cref="Completion"/> finishes with the cause.
/// </summary>
public sealed partial class UaSecureChannel : IAsyncDisposable
{
    // OPC 10000-6 §6.7.2.4: legacy sequence numbers wrap after UInt32.MaxValue - 1024 to a value below 1024.
    private const uint SequenceWrapAbove = uint.MaxValue - 1024;

    private readonly UaTcpConnection _connection;
    private readonly UaSecureChannelOptions _options;
    private readonly UaSecurityPolicy _policy;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly ConcurrentDictionary<uint, PendingRequest> _pending = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _shutdown = new();
    private readonly string _endpointUrl;
    private Task? _receiveLoop;
    private ITimer? _renewTimer;
    private uint _nextSequenceNumber = 1;
    private uint _lastRequestId;
    private uint _lastRequestHandle;
    private uint? _lastReceivedSequenceNumber;
    private uint _previousTokenId;
    private volatile ChannelSecurityToken? _token;
    private Exception? _fault;
    private int _renewals;
    private volatile bool _closing;
    private long _chunksSent;
    private long _chunksReceived;

    private UaSecureChannel(UaTcpConnection connection, UaSecureChannelOptions options, string endpointUrl, UaSecurityPolicy policy)
    {
        _connection = connection;
        _options = options;
        _policy = policy;
        _time = options.TimeProvider;
        _endpointUrl = endpointUrl;
    }

    public string EndpointUrl => _endpointUrl;

    /// <summary>The channel's security policy: <see cref="UaSecurityPolicyNone"/> or a <see cref="UaSecuredPolicy"/>.</summary>
    public UaSecurityPolicy SecurityPolicy => _policy;

    /// <summary>The endpoint a secured channel was opened on (from GetEndpoints); null on SecurityPolicy None.</summary>
    public EndpointDescription? Endpoint { get; private init; }

    public UaTcpNegotiatedLimits Limits => _connection.Limits;

    /// <summary>The token in use; its ChannelId is the channel's id.</summary>
    public ChannelSecurityToken Token => _token ?? throw new InvalidOperationException("the channel is not open");

    /// <summary>How many times the token has been renewed.</summary>
    public int Renewals => Volatile.Read(ref _renewals);

    /// <summary>Finishes when the channel ends: normally after <see cref="CloseAsync"/>, faulted when the connection failed.</summary>
    public Task Completion => _completion.Task;

    public bool IsOpen => _fault is null && !_completion.Task.IsCompleted;

    /// <summary>Chunks written to the connection (all message types).</summary>
    public long ChunksSent => Interlocked.Read(ref _chunksSent);

    /// <summary>Chunks framed from the connection (all message types).</summary>
    public long ChunksReceived => Interlocked.Read(ref _chunksReceived);

    /// <summary>
    /// Connects, exchanges Hello/Acknowledge and opens the channel (OPN Issue). With a secured
    /// <see cref="UaSecureChannelOptions.Security"/>, first asks the server for its endpoints over SecurityPolicy None,
    /// chooses one, validates its certificate, and opens the channel on that endpoint's policy and mode.
    /// </summary>
    public static async Task<UaSecureChannel> OpenAsync(string endpointUrl, UaSecureChannelOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new UaSecureChannelOptions();
        if (options.Security.IsNone)
        {
            return await OpenWithPolicyAsync(endpointUrl, options, UaSecurityPolicyNone.Instance, null, cancellationToken).ConfigureAwait(false);
        }

        var discovery = await UaDiscovery.GetEndpointsAsync(endpointUrl, options with { Security = UaChannelSecurity.None }, cancellationToken).ConfigureAwait(false);
        var (endpoint, policy) = UaEndpointChoice.Prepare(discovery, options.Security, endpointUrl);
        try
        {
            return await OpenWithPolicyAsync(endpointUrl, options, policy, endpoint, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            policy.Dispose();
            throw;
        }
    }

    private static async Task<UaSecureChannel> OpenWithPolicyAsync(string endpointUrl, UaSecureChannelOptions options, UaSecurityPolicy policy, EndpointDescription? endpoint, CancellationToken cancellationToken)
    {
        var connection = await UaTcpConnection.ConnectAsync(endpointUrl, options.TcpLimits, cancellationToken).ConfigureAwait(false);
        var channel = new UaSecureChannel(connection, options, endpointUrl, policy) { Endpoint = endpoint };
        try
        {
            channel._receiveLoop = Task.Run(channel.ReceiveLoopAsync, CancellationToken.None);
            await channel.OpenSecureChannelAsync(renew: false, cancellationToken).ConfigureAwait(false);
            return channel;
        }
        catch
        {
            await channel.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The next RequestHandle for a RequestHeader on this channel.</summary>
    public uint NextRequestHandle() => Interlocked.Increment(ref _lastRequestHandle);

    /// <summary>A RequestHeader stamped now, with the given session token (null for sessionless services).</summary>
    public RequestHeader CreateRequestHeader(NodeId authenticationToken = default, TimeSpan? timeout = null) =>
        new(authenticationToken, _time.GetUtcNow().UtcDateTime, NextRequestHandle(), (uint)(timeout ?? _options.RequestTimeout).TotalMilliseconds);

    /// <summary>
    /// Sends a request and decodes its response. A ServiceFault or a bad ServiceResult becomes
    /// <see cref="UaServiceException"/>; so does an abort chunk, a timeout, or a request over the server's limits.
    /// </summary>
    public async Task<TResponse> CallAsync<TResponse>(RequestHeader header, IUaRequest request, CancellationToken cancellationToken = default)
        where TResponse : IUaResponse<TResponse>
    {
        using var response = await SendAsync(UaTcpMessageType.Message, header, request, cancellationToken).ConfigureAwait(false);
        return DecodeResponse<TResponse>(response);
    }

    /// <summary>
    /// As <see cref="CallAsync{TResponse}(RequestHeader, IUaRequest, CancellationToken)"/>, but waits for the
    /// response as long as the header's TimeoutHint plus a margin (Publish requests are held by the server).
    /// </summary>
    public Task<TResponse> CallWithHintAsync<TResponse>(RequestHeader header, IUaRequest request, CancellationToken cancellationToken = default)
        where TResponse : IUaResponse<TResponse> =>
        CallWithHintAsync<TResponse>(header, request, completeInline: false, cancellationToken);

    /// <summary>
    /// As the public overload; with <paramref name="completeInline"/> a successful response is decoded and the
    /// caller continues on the receive loop, with no thread hand-off. Only for a caller that does little with
    /// the response and never blocks (the Publish loop): the next chunk is read when it awaits again.
    /// </summary>
    internal async Task<TResponse> CallWithHintAsync<TResponse>(RequestHeader header, IUaRequest request, bool completeInline, CancellationToken cancellationToken)
        where TResponse : IUaResponse<TResponse>
    {
        var wait = TimeSpan.FromMilliseconds(header.TimeoutHint) + _options.RequestTimeout;
        using var response = await SendAsync(UaTcpMessageType.Message, header, request, cancellationToken, wait, completeInline).ConfigureAwait(false);
        return DecodeResponse<TResponse>(response);
    }

    internal TResponse DecodeResponse<TResponse>(ResponseMessage response)
        where TResponse : IUaResponse<TResponse>
    {
        var reader = new UaBinaryReader(response.Memory, _options.EncodingLimits);
        var typeId = reader.ReadNodeId();
        var header = ResponseHeader.Read(ref reader);
        if (typeId == new NodeId(UaEncodingIds.ServiceFault))
        {
            throw new UaServiceException(header.ServiceResult.IsBad ? header.ServiceResult : StatusCode.BadUnexpectedError, $"the server answered with a ServiceFault");
        }

        if (typeId != new NodeId(TResponse.EncodingId))
        {
            throw new UaServiceException(StatusCode.BadUnknownResponse, $"expected response type i={TResponse.EncodingId}, got {typeId}");
        }

        if (header.ServiceResult.IsBad)
        {
            throw new UaServiceException(header.ServiceResult, $"the service failed");
        }

        return TResponse.Decode(ref reader, header);
    }

    /// <summary>Sends CloseSecureChannel (the server answers by closing the socket) and ends the channel.</summary>
    public async Task CloseAsync(CancellationToken cancellationToken = default)
    {
        if (IsOpen)
        {
            // The server answers CLO by closing the socket: that end is expected, not a failure.
            _closing = true;
            try
            {
                var request = new CloseSecureChannelRequest();
                await WriteMessageAsync(UaTcpMessageType.CloseSecureChannel, CreateRequestHeader(), request, NextRequestId(), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UaTcpProtocolException or ObjectDisposedException or OperationCanceledException)
            {
                // The channel is going away either way.
            }
        }

        Fail(new UaServiceException(StatusCode.BadSecureChannelClosed, "the secure channel was closed"), closing: true);
    }

    public async ValueTask DisposeAsync()
    {
        Fail(new UaServiceException(StatusCode.BadSecureChannelClosed, "the secure channel was disposed"), closing: true);
        if (_receiveLoop is not null)
        {
            await _receiveLoop.ConfigureAwait(false);
        }

        await _connection.DisposeAsync().ConfigureAwait(false);
        _renewTimer?.Dispose();
        _shutdown.Dispose();
        _sendLock.Dispose();
        (_policy as IDisposable)?.Dispose();
    }

    private uint NextRequestId()
    {
        var id = Interlocked.Increment(ref _lastRequestId);
        return id == 0 ? Interlocked.Increment(ref _lastRequestId) : id;
    }

    private async Task<ResponseMessage> SendAsync(UaTcpMessageType type, RequestHeader header, IUaRequest request, CancellationToken cancellationToken, TimeSpan? wait = null, bool completeInline = false)
    {
        var timeout = wait ?? _options.RequestTimeout;
        if (_fault is { } fault)
        {
            throw new UaServiceException(StatusCode.BadSecureChannelClosed, $"the secure channel is closed: {fault.Message}");
        }

        var requestId = NextRequestId();
        var pending = new PendingRequest(Limits.MaxResponseSize, Limits.MaxResponseChunks, completeInline);
        _pending[requestId] = pending;
        try
        {
            await WriteMessageAsync(type, header, request, requestId, cancellationToken).ConfigureAwait(false);
            var message = await pending.Task.WaitAsync(timeout, _time, cancellationToken).ConfigureAwait(false);
            pending.MarkConsumed();
            return message;
        }
        catch (TimeoutException)
        {
            throw new UaServiceException(StatusCode.BadRequestTimeout, $"no response to request {requestId} within {timeout.TotalSeconds:0.#} s");
        }
        finally
        {
            if (_pending.TryRemove(requestId, out var removed))
            {
                removed.Dispose();
            }
        }
    }

    private async Task WriteMessageAsync(UaTcpMessageType type, RequestHeader header, IUaRequest request, uint requestId, CancellationToken cancellationToken)
    {
        using var body = new PooledBufferWriter();
        var writer = new UaBinaryWriter(body);
        writer.WriteNodeId(new NodeId(request.EncodingId));
        header.Write(ref writer);
        request.EncodeBody(ref writer);

        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_fault is { } fault)
            {
                throw new UaServiceException(StatusCode.BadSecureChannelClosed, $"the secure channel is closed: {fault.Message}");
            }

            if (type == UaTcpMessageType.OpenSecureChannel)
            {
                WriteOpenChunk(body.WrittenSpan, requestId);
            }
            else
            {
                WriteSymmetricChunks(type, body.WrittenSpan, requestId);
            }

            var flush = await _connection.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (flush.IsCompleted)
            {
                throw new UaServiceException(StatusCode.BadConnectionClosed, "the connection is closed");
            }
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>
    /// Splits a message into MSG/CLO chunks. A message over the server's MaxMessageSize or MaxChunkCount is
    /// refused before any chunk is written (OPC 10000-6 §7.1.2.4: BadRequestTooLarge).
    /// </summary>
    private void WriteSymmetricChunks(UaTcpMessageType type, ReadOnlySpan<byte> body, uint requestId)
    {
        var chunkSize = (int)Limits.SendChunkSize;
        var maxBody = _policy.MaxSymmetricBodySize(chunkSize);
        var chunks = Math.Max(1, (body.Length + maxBody - 1) / maxBody);
        if (Limits.MaxRequestSize != 0 && body.Length > Limits.MaxRequestSize)
        {
            throw new UaServiceException(StatusCode.BadRequestTooLarge, $"the request is {body.Length} bytes; the server accepts at most {Limits.MaxRequestSize}");
        }

        if (Limits.MaxRequestChunks != 0 && chunks > Limits.MaxRequestChunks)
        {
            throw new UaServiceException(StatusCode.BadRequestTooLarge, $"the request needs {chunks} chunks; the server accepts at most {Limits.MaxRequestChunks}");
        }

        var token = Token;
        var offset = 0;
        for (var i = 0; i < chunks; i++)
        {
            var part = body.Slice(offset, Math.Min(maxBody, body.Length - offset));
            offset += part.Length;
            var span = _connection.Output.GetSpan(chunkSize);
            var length = UaChunkLayout.SymmetricHeaderSize + UaChunkLayout.SequenceHeaderSize + part.Length;
            var secured = _policy.SecuredSymmetricLength(length);
            var chunkType = i == chunks - 1 ? UaTcpChunkType.Final : UaTcpChunkType.Intermediate;
            UaTcpChunkScanner.WriteHeader(span, type, chunkType, (uint)secured);
            BinaryPrimitives.WriteUInt32LittleEndian(span[8..], token.ChannelId);
            BinaryPrimitives.WriteUInt32LittleEndian(span[12..], token.TokenId);
            BinaryPrimitives.WriteUInt32LittleEndian(span[16..], NextSequenceNumber());
            BinaryPrimitives.WriteUInt32LittleEndian(span[20..], requestId);
            part.CopyTo(span[24..]);
            _policy.SecureSymmetricChunk(span, length, token.TokenId);
            _connection.Output.Advance(secured);
            Interlocked.Increment(ref _chunksSent);
        }
    }

    private void WriteOpenChunk(ReadOnlySpan<byte> body, uint requestId)
    {
        using var chunk = new PooledBufferWriter(256 + body.Length);
        var writer = new UaBinaryWriter(chunk);
        writer.WriteUInt32(0); // header placeholder
        writer.WriteUInt32(0);
        writer.WriteUInt32(_token?.ChannelId ?? 0);
        _policy.WriteAsymmetricSecurityHeader(ref writer);
        var sequenceOffset = chunk.WrittenCount;
        writer.WriteUInt32(NextSequenceNumber());
        writer.WriteUInt32(requestId);
        writer.WriteRaw(body);
        var plain = chunk.WrittenSpan.ToArray();
        UaTcpChunkScanner.WriteHeader(plain, UaTcpMessageType.OpenSecureChannel, UaTcpChunkType.Final, (uint)plain.Length);
        var secured = _policy.SecureAsymmetricChunk(plain, plain.Length, sequenceOffset);
        if (secured.Length > Limits.SendChunkSize)
        {
            throw new UaServiceException(StatusCode.BadRequestTooLarge, $"the OpenSecureChannel request is {secured.Length} bytes, over the {Limits.SendChunkSize}-byte chunk size");
        }

        secured.Span.CopyTo(_connection.Output.GetSpan(secured.Length));
        _connection.Output.Advance(secured.Length);
        Interlocked.Increment(ref _chunksSent);
    }

    private uint NextSequenceNumber()
    {
        var number = _nextSequenceNumber;
        _nextSequenceNumber = number >= SequenceWrapAbove ? 1 : number + 1;
        return number;
    }

    private void Fail(Exception cause, bool closing = false)
    {
        if (Interlocked.CompareExchange(ref _fault, cause, null) is not null)
        {
            return;
        }

        _renewTimer?.Dispose();
        _connection.Abort();
        try
        {
            _shutdown.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }

        // A waiting call learns the status that ended the channel: an ERR's own (say BadTcpMessageTooLarge), not just "closed".
        var failure = cause switch
        {
            UaServiceException => cause,
            UaTcpProtocolException protocol => new UaServiceException(protocol.Status, $"the connection failed: {protocol.Detail}"),
            _ => new UaServiceException(StatusCode.BadConnectionClosed, $"the connection failed: {cause.Message}"),
        };
        foreach (var (id, pending) in _pending)
        {
            if (_pending.TryRemove(id, out _))
            {
                pending.Fail(failure);
            }
        }

        if (closing)
        {
            _completion.TrySetResult();
        }
        else
        {
            _completion.TrySetException(cause);
        }
    }
}
