using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace EdgeTwin.Gateway.Tests.Infrastructure;

/// <summary>What systemd does for Type=notify: a Unix datagram socket that records every notification with its arrival time.</summary>
public sealed class NotifyListener : IDisposable
{
    private readonly Socket _socket;
    private readonly List<(TimeSpan At, string Message)> _messages = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Thread _thread;

    public NotifyListener(string path)
    {
        Path = path;
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        _socket.Bind(new UnixDomainSocketEndPoint(path));
        _thread = new Thread(Receive) { IsBackground = true, Name = "notify-listener" };
        _thread.Start();
    }

    public string Path { get; }

    public TimeSpan Now => _clock.Elapsed;

    public IReadOnlyList<(TimeSpan At, string Message)> Messages
    {
        get { lock (_messages) return [.. _messages]; }
    }

    /// <summary>Every KEY=value line received since <paramref name="since"/>, with its arrival time.</summary>
    public List<(TimeSpan At, string Line)> Lines(TimeSpan since = default) =>
        [.. Messages.Where(m => m.At >= since).SelectMany(m => m.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => (m.At, l)))];

    private void Receive()
    {
        var buffer = new byte[65536];
        while (true)
        {
            int n;
            try
            {
                n = _socket.Receive(buffer);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                return;
            }
            var text = Encoding.UTF8.GetString(buffer, 0, n);
            lock (_messages) _messages.Add((_clock.Elapsed, text));
        }
    }

    public void Dispose()
    {
        _socket.Dispose();
        File.Delete(Path);
    }
}
