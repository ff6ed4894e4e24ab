using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using EdgeTwin.Buffers;
using EdgeTwin.OpcUa.Encoding;

namespace EdgeTwin.OpcUa.Transport;

/// <summary>
/// A TCP connection to an opc.tcp endpoint after Hello/Acknowledge (OPC 10000-6 §7.1.2), exposed as a pipe pair.
/// Its own receive thread reads the socket into <see cref="Input"/> and runs the reader inline, so notifications
/// wake no pool thread; it stops reading at <see cref="PauseReadingAt"/> unread bytes, so a slow consumer pushes
/// back on the socket. Sends are blocking calls; one not taken within <see cref="SendTimeout"/> fails the connection.
/// </summary>
public sealed class UaTcpConnection : IAsyncDisposable
{
    /// <summary>Unread bytes at which the receive thread stops reading the socket (it resumes at half).</summary>
    public const int PauseReadingAt = 1 << 20;

    /// <summary>How long a send may wait for a server that takes nothing in before the connection fails.</summary>
    public static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(30);

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly Pipe _received;

    // maxChunkSize: the largest chunk we accept. The pause threshold stays above two of them, so an incomplete
    // chunk the reader waits on can never stop the reading that would complete it.
    private UaTcpConnection(Socket socket, UaTcpNegotiatedLimits limits, uint maxChunkSize)
    {
        var pause = Math.Max(PauseReadingAt, 2L * maxChunkSize);
        _received = new Pipe(new PipeOptions(
            pauseWriterThreshold: pause, resumeWriterThreshold: pause / 2, minimumSegmentSize: 65536,
            readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, useSynchronizationContext: false));
        _socket = socket;
        _stream = new BlockingSendStream(socket);
        Input = _received.Reader;
        Output = PipeWriter.Create(_stream, new StreamPipeWriterOptions(minimumBufferSize: 65536, leaveOpen: true));
        Limits = limits;
        new Thread(Receive) { IsBackground = true, Name = "opc.tcp receive" }.Start();
    }

    public PipeReader Input { get; }

    public PipeWriter Output { get; }

    public UaTcpNegotiatedLimits Limits { get; private set; }

    /// <summary>Parses <c>opc.tcp://host[:port][/path]</c>; the port defaults to 4840.</summary>
    public static (string Host, int Port) ParseEndpoint(string endpointUrl)
    {
        if (!Uri.TryCreate(endpointUrl, UriKind.Absolute, out var uri) || !string.Equals(uri.Scheme, "opc.tcp", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"'{endpointUrl}' is not an opc.tcp:// URL", nameof(endpointUrl));
        }

        return (uri.IdnHost, uri.Port < 0 ? 4840 : uri.Port);
    }

    /// <summary>Connects, sends Hello and waits for Acknowledge; an ERR or a bad ACK fails the call.</summary>
    public static async Task<UaTcpConnection> ConnectAsync(string endpointUrl, UaTcpLimits limits, CancellationToken cancellationToken)
    {
        var (host, port) = ParseEndpoint(endpointUrl);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, SendTimeout = (int)SendTimeout.TotalMilliseconds };
        UaTcpConnection? connection = null;
        try
        {
            // A blocking connect on a pool thread (see the remarks); cancelling closes the socket under it.
            using (cancellationToken.Register(static s => ((Socket)s!).Dispose(), socket))
            {
                try
                {
                    await Task.Run(() => socket.Connect(host, port), cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (cancellationToken.IsCancellationRequested && ex is SocketException or ObjectDisposedException)
                {
                    throw new OperationCanceledException("connecting was cancelled", ex, cancellationToken);
                }
            }

            var hello = new UaTcpHello(0, limits.ReceiveBufferSize, limits.SendBufferSize, limits.MaxMessageSize, limits.MaxChunkCount, endpointUrl);
            connection = new UaTcpConnection(socket, null!, limits.ReceiveBufferSize);
            WriteHello(connection.Output, hello);
            await connection.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
            var ack = await connection.ReadAcknowledgeAsync(hello, cancellationToken).ConfigureAwait(false);
            connection.Limits = UaTcpNegotiatedLimits.Negotiate(hello, ack);
            return connection;
        }
        catch
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                socket.Dispose();
            }

            throw;
        }
    }

    internal static void WriteHello(IBufferWriter<byte> output, UaTcpHello hello)
    {
        using var body = new PooledBufferWriter(256);
        var writer = new UaBinaryWriter(body);
        hello.WriteBody(ref writer);
        var span = output.GetSpan(UaTcpChunkHeader.Size + body.WrittenCount);
        UaTcpChunkScanner.WriteHeader(span, UaTcpMessageType.Hello, UaTcpChunkType.Final, (uint)(UaTcpChunkHeader.Size + body.WrittenCount));
        body.WrittenSpan.CopyTo(span[UaTcpChunkHeader.Size..]);
        output.Advance(UaTcpChunkHeader.Size + body.WrittenCount);
    }

    private async Task<UaTcpAcknowledge> ReadAcknowledgeAsync(UaTcpHello hello, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await Input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (UaTcpChunkScanner.TryRead(ref buffer, hello.ReceiveBufferSize, out var header, out var chunk))
            {
                var ack = DecodeAcknowledge(header, chunk);
                Input.AdvanceTo(buffer.Start);
                return ack;
            }

            if (result.IsCompleted)
            {
                throw new UaTcpProtocolException(StatusCode.BadConnectionClosed, "the server closed the connection before acknowledging Hello");
            }

            Input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    internal static UaTcpAcknowledge DecodeAcknowledge(UaTcpChunkHeader header, ReadOnlySequence<byte> chunk)
    {
        var reader = new UaBinaryReader(chunk.Slice(UaTcpChunkHeader.Size), baseOffset: UaTcpChunkHeader.Size);
        switch (header.MessageType)
        {
            case UaTcpMessageType.Acknowledge:
                return UaTcpAcknowledge.ReadBody(ref reader);
            case UaTcpMessageType.Error:
                var error = UaTcpError.ReadBody(ref reader);
                throw new UaTcpProtocolException(error.Error, $"the server refused Hello: {error.Reason}");
            default:
                throw new UaTcpProtocolException(StatusCode.BadTcpMessageTypeInvalid, $"expected ACK or ERR after Hello, got {header.MessageType}");
        }
    }

    // The receive thread: socket to pipe until the server closes, the socket is closed under it, or the reader is done.
    private void Receive()
    {
        var writer = _received.Writer;
        Exception? error = null;
        try
        {
            while (true)
            {
                var memory = writer.GetMemory(65536);
                var read = _socket.Receive(memory.Span);
                if (read == 0)
                {
                    break;
                }

                writer.Advance(read);
                var flush = writer.FlushAsync();
                var result = flush.IsCompleted ? flush.Result : flush.AsTask().GetAwaiter().GetResult();
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            error = new IOException($"reading from the server failed: {ex.Message}", ex);
        }
        catch (Exception ex)
        {
            // Anything the reader threw while it ran on this thread: it ends the connection, not the process.
            error = ex;
        }

        writer.Complete(error);
    }

    /// <summary>Closes the socket at once; pending reads end.</summary>
    public void Abort()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        _socket.Close();
    }

    public async ValueTask DisposeAsync()
    {
        Abort();
        // The socket is shut down: completing the pipes may flush into a closed stream. That is expected here, and
        // an exception from it would replace whatever error the caller is disposing us for.
        try
        {
            await Input.CompleteAsync().ConfigureAwait(false);
            await Output.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException)
        {
        }
        await _stream.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// The socket as a stream whose writes block until the kernel has the bytes: the output pipe flushes through
    /// it without registering the socket with the async socket engine.
    /// </summary>
    private sealed class BlockingSendStream(Socket socket) : NetworkStream(socket, ownsSocket: true)
    {
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
