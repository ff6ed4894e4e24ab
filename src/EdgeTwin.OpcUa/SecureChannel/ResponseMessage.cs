using EdgeTwin.Buffers;

namespace EdgeTwin.OpcUa.SecureChannel;

/// <summary>A reassembled response body (type id onwards) in pooled memory; dispose after decoding.</summary>
internal sealed class ResponseMessage(PooledBufferWriter buffer) : IDisposable
{
    public ReadOnlyMemory<byte> Memory => buffer.WrittenMemory;

    public void Dispose() => buffer.Dispose();
}
