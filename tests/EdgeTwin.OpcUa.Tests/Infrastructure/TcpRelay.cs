using System.Net;
using System.Net.Sockets;

namespace EdgeTwin.OpcUa.Tests.Infrastructure;

/// <summary>
/// A TCP relay on loopback between the client and the server, so a test can cut every connection (as a network
/// failure would, the server living on) or freeze them (a silent network: nothing flows, nothing closes). A derived
/// relay may watch or change what flows by overriding <see cref="RelayToServerAsync"/> or <see cref="RelayToClientAsync"/>.
/// </summary>
public class TcpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly List<(TcpClient Client, TcpClient Server, CancellationTokenSource Stop)> _links = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public TcpRelay(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Connections { get; private set; }

    public virtual string EndpointUrl => $"opc.tcp://127.0.0.1:{Port}/UA/EdgeTwinTest";

    /// <summary>Closes every connection now; new ones are relayed again.</summary>
    public void CutAll()
    {
        lock (_links)
        {
            foreach (var (client, server, stop) in _links)
            {
                stop.Cancel();
                client.Client.Close(0);
                server.Close();
            }

            _links.Clear();
        }
    }

    /// <summary>Stops moving bytes on the existing connections without closing them; new connections work.</summary>
    public void FreezeExisting()
    {
        lock (_links)
        {
            foreach (var (_, _, stop) in _links)
            {
                stop.Cancel();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        CutAll();
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
            try
            {
                await server.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
            }
            catch (SocketException)
            {
                client.Close();
                continue;
            }

            var stop = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            lock (_links)
            {
                _links.Add((client, server, stop));
                Connections++;
            }

            _ = RelayToServerAsync(client.GetStream(), server.GetStream(), stop.Token);
            _ = RelayToClientAsync(server.GetStream(), client.GetStream(), stop.Token);
        }
    }

    /// <summary>Moves what the client sends to the server.</summary>
    protected virtual Task RelayToServerAsync(NetworkStream from, NetworkStream to, CancellationToken token) => PumpAsync(from, to, null, token);

    /// <summary>Moves what the server sends to the client.</summary>
    protected virtual Task RelayToClientAsync(NetworkStream from, NetworkStream to, CancellationToken token) => PumpAsync(from, to, null, token);

    /// <summary>Copies until either side closes; <paramref name="seen"/> is shown each read before it is passed on.</summary>
    protected static async Task PumpAsync(NetworkStream from, NetworkStream to, Action<ReadOnlyMemory<byte>>? seen, CancellationToken token)
    {
        var buffer = new byte[16384];
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer, token);
                if (read == 0)
                {
                    break;
                }

                seen?.Invoke(buffer.AsMemory(0, read));
                await to.WriteAsync(buffer.AsMemory(0, read), token);
            }

            to.Socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // Cut, frozen or closed by either side.
        }
    }
}
