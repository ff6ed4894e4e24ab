using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace EdgeTwin.TestSupport;

/// <summary>
/// A TCP relay on a loopback port in front of a server. What the server sends passes at once; what the client sends
/// reaches the server <see cref="Lag"/> later, in order, as to a server slow to read its socket. <see cref="Crash"/>
/// ends every connection as a killed client's ends when data is left unread: a RST on both sides, and what the client
/// sent that the server had not read yet is gone. No connection is accepted after it.
/// </summary>
public sealed class LaggingRelay : IDisposable
{
    private readonly Socket _listener;
    private readonly int _upstreamPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly List<Socket> _sockets = [];
    private long _inFlightBytes;
    private bool _crashed;

    public LaggingRelay(int upstreamPort, TimeSpan lag)
    {
        _upstreamPort = upstreamPort;
        Lag = lag;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(8);
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        _ = AcceptLoopAsync();
    }

    public int Port { get; }

    public TimeSpan Lag { get; }

    /// <summary>Bytes the client had sent that were still on their way to the server when <see cref="Crash"/> dropped them.</summary>
    public long DroppedBytes { get; private set; }

    /// <summary>Resets every connection at once and drops what was on its way to the server.</summary>
    public void Crash()
    {
        lock (_lock)
        {
            if (_crashed) return;
            _crashed = true;
            DroppedBytes = Interlocked.Read(ref _inFlightBytes);
            foreach (var s in _sockets)
            {
                try
                {
                    s.LingerState = new LingerOption(true, 0);
                    s.Close();
                }
                catch (ObjectDisposedException)
                {
                }
            }
            _sockets.Clear();
        }
        _stop.Cancel();
        _listener.Close();
    }

    public void Dispose()
    {
        Crash();
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            Socket client;
            var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
                client.NoDelay = true;
                await server.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _upstreamPort), _stop.Token);
            }
            catch (Exception)
            {
                server.Dispose();
                if (_stop.IsCancellationRequested) return;
                continue;
            }
            lock (_lock)
            {
                if (_crashed)
                {
                    client.Close(0);
                    server.Close(0);
                    return;
                }
                _sockets.Add(client);
                _sockets.Add(server);
            }
            _ = CopyAsync(server, client);
            var lagged = Channel.CreateUnbounded<(long Due, byte[] Bytes)>();
            _ = ReadLaggedAsync(client, lagged.Writer);
            _ = WriteLaggedAsync(lagged.Reader, server);
        }
    }

    private async Task CopyAsync(Socket from, Socket to)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var n = await from.ReceiveAsync(buffer, _stop.Token);
                if (n == 0) break;
                await to.SendAsync(buffer.AsMemory(0, n), _stop.Token);
            }
        }
        catch (Exception)
        {
            // Either side went away, or the relay crashed.
        }
    }

    private async Task ReadLaggedAsync(Socket from, ChannelWriter<(long Due, byte[] Bytes)> lagged)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var n = await from.ReceiveAsync(buffer, _stop.Token);
                if (n == 0) break;
                Interlocked.Add(ref _inFlightBytes, n);
                lagged.TryWrite((Environment.TickCount64 + (long)Lag.TotalMilliseconds, buffer.AsSpan(0, n).ToArray()));
            }
        }
        catch (Exception)
        {
            // The client went away, or the relay crashed.
        }
        lagged.TryComplete();
    }

    private async Task WriteLaggedAsync(ChannelReader<(long Due, byte[] Bytes)> lagged, Socket to)
    {
        try
        {
            await foreach (var (due, bytes) in lagged.ReadAllAsync(_stop.Token))
            {
                var wait = due - Environment.TickCount64;
                if (wait > 0) await Task.Delay(TimeSpan.FromMilliseconds(wait), _stop.Token);
                await to.SendAsync(bytes, _stop.Token);
                Interlocked.Add(ref _inFlightBytes, -bytes.Length);
            }
        }
        catch (Exception)
        {
            // The relay crashed: what was still queued is dropped, as a RST drops unread bytes.
        }
    }
}
