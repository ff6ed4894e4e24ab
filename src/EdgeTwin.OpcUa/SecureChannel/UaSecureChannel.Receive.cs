using System.Buffers;
using EdgeTwin.OpcUa.Encoding;
using EdgeTwin.OpcUa.Services;
using EdgeTwin.OpcUa.Transport;

namespace EdgeTwin.OpcUa.SecureChannel;

public sealed partial class UaSecureChannel
{
    private async Task ReceiveLoopAsync()
    {
        var input = _connection.Input;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(_shutdown.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                try
                {
                    while (UaTcpChunkScanner.TryRead(ref buffer, Limits.ReceiveChunkSize, out var header, out var chunk))
                    {
                        Interlocked.Increment(ref _chunksReceived);
                        HandleChunk(header, chunk);
                    }
                }
                finally
                {
                    input.AdvanceTo(buffer.Start, buffer.End);
                }

                if (result.IsCompleted)
                {
                    throw new UaTcpProtocolException(StatusCode.BadConnectionClosed, "the server closed the connection");
                }
            }
        }
        catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (_fault is not null && ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The socket was closed under the read by Close/Dispose.
        }
        catch (Exception ex)
        {
            Fail(ex, closing: _closing);
        }
    }

    private void HandleChunk(UaTcpChunkHeader header, ReadOnlySequence<byte> chunk)
    {
        switch (header.MessageType)
        {
            case UaTcpMessageType.Message:
                HandleSymmetricChunk(header, chunk);
                break;
            case UaTcpMessageType.OpenSecureChannel:
                HandleOpenChunk(chunk);
                break;
            case UaTcpMessageType.Error:
                var reader = new UaBinaryReader(chunk.Slice(UaTcpChunkHeader.Size), _options.EncodingLimits, UaTcpChunkHeader.Size);
                var error = UaTcpError.ReadBody(ref reader);
                throw new UaTcpProtocolException(error.Error, $"the server sent Error: {error.Reason}");
            default:
                throw new UaTcpProtocolException(StatusCode.BadTcpMessageTypeInvalid, $"unexpected {header.MessageType} message on an open channel");
        }
    }

    private void HandleSymmetricChunk(UaTcpChunkHeader header, ReadOnlySequence<byte> chunk)
    {
        var reader = new UaBinaryReader(chunk, _options.EncodingLimits);
        reader.Skip(UaTcpChunkHeader.Size);
        var channelId = reader.ReadUInt32();
        var tokenId = reader.ReadUInt32();
        var token = Token;
        if (channelId != token.ChannelId)
        {
            throw new UaTcpProtocolException(StatusCode.BadTcpSecureChannelUnknown, $"a chunk for channel {channelId} arrived on channel {token.ChannelId}");
        }

        // The server may keep using the previous token until it sees the new one (OPC 10000-4 §5.6.2.1).
        if (tokenId != token.TokenId && tokenId != _previousTokenId)
        {
            throw new UaTcpProtocolException(StatusCode.BadSecureChannelTokenUnknown, $"a chunk used token {tokenId}; the channel's token is {token.TokenId}");
        }

        var plain = _policy.VerifySymmetricChunk(chunk, tokenId);
        DispatchSequenced(header.ChunkType, plain, UaChunkLayout.SymmetricHeaderSize);
    }

    private void HandleOpenChunk(ReadOnlySequence<byte> chunk)
    {
        var reader = new UaBinaryReader(chunk, _options.EncodingLimits);
        reader.Skip(UaTcpChunkHeader.Size);
        var channelId = reader.ReadUInt32();
        if (_token is { } token && channelId != token.ChannelId)
        {
            throw new UaTcpProtocolException(StatusCode.BadTcpSecureChannelUnknown, $"an OpenSecureChannel response for channel {channelId} arrived on channel {token.ChannelId}");
        }

        _policy.ReadAsymmetricSecurityHeader(ref reader);
        var consumed = reader.Position;
        var plain = _policy.VerifyAsymmetricChunk(chunk, (int)consumed);
        DispatchSequenced(UaTcpChunkType.Final, plain, consumed);
    }

    /// <summary>Reads the sequence header, checks the sequence number and hands the body to its request.</summary>
    private void DispatchSequenced(UaTcpChunkType chunkType, ReadOnlySequence<byte> sequenced, long offset)
    {
        var reader = new UaBinaryReader(sequenced, _options.EncodingLimits, offset);
        var sequenceNumber = reader.ReadUInt32();
        var requestId = reader.ReadUInt32();
        CheckSequenceNumber(sequenceNumber);
        var body = sequenced.Slice(UaChunkLayout.SequenceHeaderSize);
        if (!_pending.TryGetValue(requestId, out var pending))
        {
            // A response whose caller timed out or gave up: nothing waits for it.
            return;
        }

        switch (chunkType)
        {
            case UaTcpChunkType.Abort:
                var abortReader = new UaBinaryReader(body, _options.EncodingLimits, offset + UaChunkLayout.SequenceHeaderSize);
                var error = UaTcpError.ReadBody(ref abortReader);
                pending.Fail(new UaServiceException(error.Error.IsBad ? error.Error : StatusCode.BadUnexpectedError, $"the server aborted the response: {error.Reason}"));
                break;
            default:
                pending.Append(body, chunkType == UaTcpChunkType.Final);
                break;
        }
    }

    // OPC 10000-6 §6.7.2.4: each chunk's number is the previous one plus one, except for the legacy wrap.
    private void CheckSequenceNumber(uint sequenceNumber)
    {
        if (_lastReceivedSequenceNumber is uint last
            && sequenceNumber != unchecked(last + 1)
            && !(last >= SequenceWrapAbove && sequenceNumber < 1024))
        {
            throw new UaTcpProtocolException(StatusCode.BadSequenceNumberInvalid, $"sequence number {sequenceNumber} does not follow {last}");
        }

        _lastReceivedSequenceNumber = sequenceNumber;
    }
}
