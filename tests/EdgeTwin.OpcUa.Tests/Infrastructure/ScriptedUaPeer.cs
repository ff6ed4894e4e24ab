using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace EdgeTwin.OpcUa.Tests.Infrastructure;

/// <summary>
/// A raw TCP peer whose bytes a test writes itself: it accepts one client, reads whole chunks from it and sends
/// whatever the test scripts (an Acknowledge, an Error, a close), to see how the client reacts to each.
/// </summary>
public sealed class ScriptedUaPeer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private Socket? _socket;

    public ScriptedUaPeer() => _listener.Start();

    public string EndpointUrl => $"opc.tcp://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/scripted";

    /// <summary>Accepts the client and answers its Hello with an Acknowledge that grants exactly what it offered.</summary>
    public async Task AcceptHelloAsync()
    {
        _socket = await _listener.AcceptSocketAsync();
        var hello = await ReadChunkAsync();
        Assert.Equal("HELF", System.Text.Encoding.ASCII.GetString(hello, 0, 4));
        var ack = new byte[28];
        "ACKF"u8.CopyTo(ack);
        BinaryPrimitives.WriteUInt32LittleEndian(ack.AsSpan(4), 28);
        hello.AsSpan(8, 20).CopyTo(ack.AsSpan(8));
        await SendAsync(ack);
    }

    /// <summary>Reads one whole chunk: its 8-byte header and the rest its MessageSize announces.</summary>
    public async Task<byte[]> ReadChunkAsync()
    {
        var header = await ReadExactlyAsync(8);
        var size = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(4));
        var chunk = new byte[size];
        header.CopyTo(chunk, 0);
        (await ReadExactlyAsync((int)size - 8)).CopyTo(chunk, 8);
        return chunk;
    }

    /// <summary>Sends an Error message (OPC 10000-6 §7.1.2.5), as a server does before it closes the connection.</summary>
    public Task SendErrorAsync(uint status, string reason)
    {
        var text = System.Text.Encoding.UTF8.GetBytes(reason);
        var error = new byte[16 + text.Length];
        "ERRF"u8.CopyTo(error);
        BinaryPrimitives.WriteUInt32LittleEndian(error.AsSpan(4), (uint)error.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(error.AsSpan(8), status);
        BinaryPrimitives.WriteInt32LittleEndian(error.AsSpan(12), text.Length);
        text.CopyTo(error, 16);
        return SendAsync(error);
    }

    public async Task SendAsync(byte[] bytes) => await Socket.SendAsync(bytes);

    /// <summary>Closes the connection (a FIN, nothing sent before it).</summary>
    public void Close() => Socket.Close();

    public ValueTask DisposeAsync()
    {
        _socket?.Dispose();
        _listener.Stop();
        return ValueTask.CompletedTask;
    }

    private Socket Socket => _socket ?? throw new InvalidOperationException("no client has connected");

    private async Task<byte[]> ReadExactlyAsync(int count)
    {
        var buffer = new byte[count];
        for (var got = 0; got < count;)
        {
            var read = await Socket.ReceiveAsync(buffer.AsMemory(got));
            if (read == 0)
            {
                throw new EndOfStreamException($"the client closed the connection after {got} of {count} bytes");
            }

            got += read;
        }

        return buffer;
    }
}
