using System.Net.Sockets;
using System.Text;

namespace EdgeTwin.Gateway.Systemd;

/// <summary>
/// The sd_notify protocol: one datagram of newline-separated KEY=value lines to the Unix socket named by
/// $NOTIFY_SOCKET (a path, or an abstract name written with a leading '@'). Without the variable every send is
/// a no-op, so the daemon runs the same in a terminal. No libsystemd: a plain socket keeps the binary AOT-clean.
/// </summary>
public sealed class ServiceNotifier : IDisposable
{
    private readonly Socket? _socket;
    private readonly UnixDomainSocketEndPoint? _endpoint;
    private readonly Lock _gate = new();

    public ServiceNotifier(string? notifySocket)
    {
        if (string.IsNullOrEmpty(notifySocket)) return;
        // Linux abstract sockets: '@' stands for the leading NUL byte.
        var name = notifySocket[0] == '@' ? "\0" + notifySocket[1..] : notifySocket;
        _endpoint = new UnixDomainSocketEndPoint(name);
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    }

    public static ServiceNotifier FromEnvironment() => new(Environment.GetEnvironmentVariable("NOTIFY_SOCKET"));

    /// <summary>The watchdog interval systemd asks for ($WATCHDOG_USEC, when $WATCHDOG_PID is absent or ours), else null.</summary>
    public static TimeSpan? WatchdogInterval()
    {
        var pid = Environment.GetEnvironmentVariable("WATCHDOG_PID");
        if (!string.IsNullOrEmpty(pid) && (!int.TryParse(pid, out var p) || p != Environment.ProcessId)) return null;
        var usec = Environment.GetEnvironmentVariable("WATCHDOG_USEC");
        if (string.IsNullOrEmpty(usec) || !long.TryParse(usec, out var us) || us <= 0) return null;
        return TimeSpan.FromTicks(us * 10);
    }

    /// <summary>CLOCK_MONOTONIC in microseconds (Stopwatch reads it on Linux), for RELOADING=1's MONOTONIC_USEC.</summary>
    public static string MonotonicMicroseconds() =>
        ((long)(System.Diagnostics.Stopwatch.GetTimestamp() / (System.Diagnostics.Stopwatch.Frequency / 1_000_000.0))).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public bool Enabled => _socket is not null;

    /// <summary>Sends one notification; false when there is no socket or the send failed (systemd gone: nothing to do about it).</summary>
    public bool Send(string state)
    {
        if (_socket is null) return false;
        var bytes = Encoding.UTF8.GetBytes(state);
        lock (_gate)
        {
            try
            {
                _socket.SendTo(bytes, SocketFlags.None, _endpoint!);
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
            catch (ObjectDisposedException)
            {
                return false;
            }
        }
    }

    public void Dispose() => _socket?.Dispose();
}
