using System.Net;
using System.Net.Sockets;

namespace EdgeTwin.OpcUa.Tests.Infrastructure;

/// <summary>
/// A TCP relay between a client and the node-opcua server that keeps every byte each side sent, per connection:
/// the live traffic the golden captures are made of.
/// </summary>
public sealed class RecordingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _serverPort;
    private readonly List<Recording> _connections = [];
    private readonly List<Task> _relays = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accept;

    public RecordingProxy(int serverPort)
    {
        _serverPort = serverPort;
        _listener.Start();
        _accept = AcceptAsync();
    }

    public string EndpointUrl => $"opc.tcp://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/UA/EdgeTwinTest";

    /// <summary>The bytes of each connection, in the order they were accepted. Call after the clients have closed.</summary>
    public async Task<IReadOnlyList<Recording>> StopAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accept.ConfigureAwait(false);
        Task[] relays;
        lock (_connections)
        {
            relays = [.. _relays];
        }

        await Task.WhenAll(relays).WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        lock (_connections)
        {
            return [.. _connections];
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
            _listener.Stop();
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var server = new TcpClient();
            await server.ConnectAsync(IPAddress.Loopback, _serverPort).ConfigureAwait(false);
            var recording = new Recording();
            lock (_connections)
            {
                _connections.Add(recording);
                _relays.Add(RelayAsync(client, server, recording));
            }
        }
    }

    private static async Task RelayAsync(TcpClient client, TcpClient server, Recording recording)
    {
        using (client)
        using (server)
        {
            var up = CopyAsync(client.GetStream(), server, recording.FromClient);
            var down = CopyAsync(server.GetStream(), client, recording.FromServer);
            await Task.WhenAll(up, down).ConfigureAwait(false);
        }
    }

    /// <summary>Copies until the source closes, then half-closes the other side so it sees the end too.</summary>
    private static async Task CopyAsync(NetworkStream from, TcpClient to, MemoryStream record)
    {
        var buffer = new byte[65536];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                lock (record)
                {
                    record.Write(buffer, 0, read);
                }

                await to.GetStream().WriteAsync(buffer.AsMemory(0, read)).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            // One side went away: the recording ends here.
        }

        try
        {
            to.Client.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }

    public sealed class Recording
    {
        public MemoryStream FromClient { get; } = new();

        public MemoryStream FromServer { get; } = new();
    }
}
