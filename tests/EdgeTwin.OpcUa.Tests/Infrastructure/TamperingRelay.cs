using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace EdgeTwin.OpcUa.Tests.Infrastructure;

/// <summary>
/// A TCP relay on loopback that keeps what the client sent and, when armed, flips one byte in the next MSG chunk the
/// server sends: an attacker on the wire, or a bit error a checksum would not catch. It is reached by the machine's
/// host name, which the node-opcua server's certificate names.
/// </summary>
public sealed class TamperingRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly MemoryStream _fromClient = new();
    private readonly Task _accepting;
    private int _armed;
    private int _flipped;

    public TamperingRelay(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public string EndpointUrl => $"opc.tcp://{Dns.GetHostName()}:{((IPEndPoint)_listener.LocalEndpoint).Port}/UA/EdgeTwinTest";

    /// <summary>How many chunks had a byte flipped.</summary>
    public int Flipped => Volatile.Read(ref _flipped);

    /// <summary>Everything every client sent so far.</summary>
    public byte[] ClientBytes
    {
        get
        {
            lock (_fromClient)
            {
                return _fromClient.ToArray();
            }
        }
    }

    /// <summary>Flips one byte, 40 bytes before the end, of the next MSG chunk from the server.</summary>
    public void FlipNextServerChunk() => Interlocked.Exchange(ref _armed, 1);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            var server = new TcpClient();
            await server.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
            _ = CopyAsync(client, server);
            _ = ChunksAsync(server, client);
        }
    }

    private async Task CopyAsync(TcpClient client, TcpClient server)
    {
        var buffer = new byte[16384];
        try
        {
            while (true)
            {
                var read = await client.GetStream().ReadAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    break;
                }

                lock (_fromClient)
                {
                    _fromClient.Write(buffer, 0, read);
                }

                await server.GetStream().WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            server.Close();
            client.Close();
        }
    }

    private async Task ChunksAsync(TcpClient server, TcpClient client)
    {
        var header = new byte[8];
        try
        {
            while (true)
            {
                await server.GetStream().ReadExactlyAsync(header, _stop.Token);
                var size = (int)BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(4));
                var chunk = new byte[size];
                header.CopyTo(chunk, 0);
                await server.GetStream().ReadExactlyAsync(chunk.AsMemory(8), _stop.Token);
                if (header[0] == (byte)'M' && header[1] == (byte)'S' && header[2] == (byte)'G' && size > 64 && Interlocked.Exchange(ref _armed, 0) == 1)
                {
                    chunk[size - 40] ^= 0x01;
                    Interlocked.Increment(ref _flipped);
                }

                await client.GetStream().WriteAsync(chunk, _stop.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException or EndOfStreamException)
        {
        }
        finally
        {
            server.Close();
            client.Close();
        }
    }
}
