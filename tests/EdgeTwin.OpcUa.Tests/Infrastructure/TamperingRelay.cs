using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace EdgeTwin.OpcUa.Tests.Infrastructure;

/// <summary>
/// A TCP relay on loopback that keeps what the client sent and, when armed, flips one byte in the next MSG chunk the
/// server sends: an attacker on the wire, or a bit error a checksum would not catch. It is reached by the machine's
/// host name, which the node-opcua server's certificate names.
/// </summary>
public sealed class TamperingRelay(int targetPort) : TcpRelay(targetPort)
{
    private readonly MemoryStream _fromClient = new();
    private int _armed;
    private int _flipped;

    public override string EndpointUrl => $"opc.tcp://{Dns.GetHostName()}:{Port}/UA/EdgeTwinTest";

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

    protected override Task RelayToServerAsync(NetworkStream from, NetworkStream to, CancellationToken token) => PumpAsync(from, to, bytes =>
    {
        lock (_fromClient)
        {
            _fromClient.Write(bytes.Span);
        }
    }, token);

    // Chunk by chunk, so that one byte of a whole MSG chunk can be flipped.
    protected override async Task RelayToClientAsync(NetworkStream from, NetworkStream to, CancellationToken token)
    {
        var header = new byte[8];
        try
        {
            while (true)
            {
                await from.ReadExactlyAsync(header, token);
                var size = (int)BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(4));
                var chunk = new byte[size];
                header.CopyTo(chunk, 0);
                await from.ReadExactlyAsync(chunk.AsMemory(8), token);
                if (header[0] == (byte)'M' && header[1] == (byte)'S' && header[2] == (byte)'G' && size > 64 && Interlocked.Exchange(ref _armed, 0) == 1)
                {
                    chunk[size - 40] ^= 0x01;
                    Interlocked.Increment(ref _flipped);
                }

                await to.WriteAsync(chunk, token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException or EndOfStreamException)
        {
            // Closed by either side.
        }
        finally
        {
            from.Socket.Close();
            to.Socket.Close();
        }
    }
}
