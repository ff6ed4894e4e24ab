using System.Buffers;
using EdgeTwin.Buffers;
using EdgeTwin.OpcUa.Services;

namespace EdgeTwin.OpcUa.SecureChannel;

/// <summary>
/// A request waiting for its response: collects the response's chunk bodies until the final chunk, within the
/// MaxMessageSize and MaxChunkCount we announced in Hello. With <paramref name="completeInline"/> the caller's
/// continuation runs on the receive loop (saves a thread hand-off per Publish response); failures always complete
/// on a pool thread.
/// </summary>
internal sealed class PendingRequest(uint maxMessageSize, uint maxChunkCount, bool completeInline = false) : IDisposable
{
    private readonly TaskCompletionSource<ResponseMessage> _response = new(completeInline ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lock = new();
    private PooledBufferWriter? _buffer = new();
    private int _chunks;
    private bool _consumed;

    public Task<ResponseMessage> Task => _response.Task;

    /// <summary>Adds one chunk body; on the final chunk hands the whole message to the waiting caller.</summary>
    public void Append(ReadOnlySequence<byte> body, bool final)
    {
        ResponseMessage? complete;
        lock (_lock)
        {
            complete = AppendLocked(body, final);
        }

        // Outside the lock: an inline continuation may dispose this request.
        if (complete is not null && !_response.TrySetResult(complete))
        {
            complete.Dispose();
        }
    }

    private ResponseMessage? AppendLocked(ReadOnlySequence<byte> body, bool final)
    {
        if (_buffer is null)
        {
            return null;
        }

        _chunks++;
        if (maxChunkCount != 0 && _chunks > maxChunkCount)
        {
            FailLocked(new UaServiceException(StatusCode.BadResponseTooLarge, $"the response exceeds {maxChunkCount} chunks"));
            return null;
        }

        if (maxMessageSize != 0 && _buffer.WrittenCount + body.Length > maxMessageSize)
        {
            FailLocked(new UaServiceException(StatusCode.BadResponseTooLarge, $"the response exceeds {maxMessageSize} bytes"));
            return null;
        }

        body.CopyTo(_buffer.GetSpan((int)body.Length));
        _buffer.Advance((int)body.Length);
        if (!final)
        {
            return null;
        }

        var message = new ResponseMessage(_buffer);
        _buffer = null;
        return message;
    }

    public void Fail(Exception error)
    {
        lock (_lock)
        {
            FailLocked(error);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _buffer?.Dispose();
            _buffer = null;
        }

        // A response that arrived after the caller gave up is released here.
        if (_response.Task.IsCompletedSuccessfully && !_consumed)
        {
            _response.Task.Result.Dispose();
        }
    }

    /// <summary>Marks the response as taken by the caller, who disposes it.</summary>
    public void MarkConsumed() => _consumed = true;

    private void FailLocked(Exception error)
    {
        _buffer?.Dispose();
        _buffer = null;
        if (completeInline)
        {
            ThreadPool.QueueUserWorkItem(static state => state.Response.TrySetException(state.Error), (Response: _response, Error: error), preferLocal: false);
        }
        else
        {
            _response.TrySetException(error);
        }
    }
}
