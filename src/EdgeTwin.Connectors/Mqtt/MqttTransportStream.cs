using System.Net;
using System.Net.Sockets;
using MQTTnet.Channel;

namespace EdgeTwin.Connectors.Mqtt;

/// <summary>
/// Opens the TCP connection to the broker for MQTTnet (which layers TLS on top) and hands it a
/// <see cref="MqttTransportStream"/>. One provider serves every reconnect; <see cref="Current"/> is the newest.
/// </summary>
internal sealed class MqttStreamProvider : IMqttClientStreamProvider
{
    private MqttTransportStream? _current;

    public MqttTransportStream? Current => Volatile.Read(ref _current);

    public async Task<Stream> ConnectAsync(EndPoint brokerEndPoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(brokerEndPoint, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var stream = new MqttTransportStream(new NetworkStream(socket, ownsSocket: true));
        Volatile.Write(ref _current, stream);
        return stream;
    }
}

/// <summary>
/// The broker connection's byte stream, with two economies that matter at tens of thousands of messages a second:
/// reads are buffered (MQTTnet reads a packet's header and body separately, a system call each on a bare socket),
/// and writes can be held while a batch of PUBACKs is produced (<see cref="Hold"/>) and then leave in one send
/// (<see cref="ReleaseAsync"/>), instead of one send of 4 bytes (or one TLS record) per message. Writes made
/// while nothing is held go straight out, in order.
/// </summary>
internal sealed class MqttTransportStream : Stream
{
    private const int ReadBufferSize = 64 * 1024;
    private const int MaxHeldBytes = 256 * 1024;
    private readonly Stream _inner;
    private readonly byte[] _readBuffer = new byte[ReadBufferSize];
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly MemoryStream _held = new();
    private int _readStart;
    private int _readEnd;
    private int _holds;

    public MqttTransportStream(Stream inner) => _inner = inner;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Holds writes until the matching <see cref="ReleaseAsync"/>.</summary>
    public void Hold() => Interlocked.Increment(ref _holds);

    /// <summary>Ends a <see cref="Hold"/>; the last one sends whatever was held, in one write.</summary>
    public async Task ReleaseAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Decrement(ref _holds) > 0) return;
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await SendHeldAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_readStart == _readEnd)
        {
            // A large read goes straight into the caller's buffer; a small one refills ours.
            if (buffer.Length >= ReadBufferSize) return await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            _readStart = 0;
            _readEnd = await _inner.ReadAsync(_readBuffer, cancellationToken).ConfigureAwait(false);
            if (_readEnd == 0) return 0;
        }
        var n = Math.Min(buffer.Length, _readEnd - _readStart);
        _readBuffer.AsMemory(_readStart, n).CopyTo(buffer);
        _readStart += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Volatile.Read(ref _holds) > 0)
            {
                _held.Write(buffer.Span);
                if (_held.Length >= MaxHeldBytes) await SendHeldAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            await SendHeldAsync(cancellationToken).ConfigureAwait(false);
            await _inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
            _held.Dispose();
        }
        base.Dispose(disposing);
    }

    /// <summary>Called with the write lock held.</summary>
    private async Task SendHeldAsync(CancellationToken cancellationToken)
    {
        if (_held.Length == 0) return;
        var held = _held.GetBuffer().AsMemory(0, (int)_held.Length);
        _held.SetLength(0);
        await _inner.WriteAsync(held, cancellationToken).ConfigureAwait(false);
    }
}
