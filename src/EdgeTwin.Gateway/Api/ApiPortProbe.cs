using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace EdgeTwin.Gateway.Api;

/// <summary>
/// Before anything starts: can the API bind $.api.address:$.api.port? A port already taken is the commonest reason it
/// cannot, and the web host would report it as an exception with a stack trace after the pipeline had started. This
/// binds a socket the way Kestrel does, lets it go, and when the bind fails says in one sentence why, who holds the
/// port when this user can see it (the listening socket's inode in /proc/net/tcp*, found among the processes' open
/// files), and which setting to change.
/// </summary>
internal static class ApiPortProbe
{
    private const string ListenState = "0A"; // TCP_LISTEN in /proc/net/tcp

    /// <summary>Null when the address and port can be bound; otherwise why not, as one sentence.</summary>
    public static string? WhyNotBindable(string address, int port, string configSource)
    {
        if (port == 0) return null; // any free port
        var ip = address == "localhost" ? IPAddress.Loopback : IPAddress.Parse(address);
        using var socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        // As Kestrel binds on Linux: a port whose last connections linger in TIME_WAIT is free to listen on.
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        if (ip.Equals(IPAddress.IPv6Any)) socket.DualMode = true;
        try
        {
            socket.Bind(new IPEndPoint(ip, port));
            socket.Listen(1);
            return null;
        }
        catch (SocketException ex)
        {
            var change = $"change $.api.port (or $.api.address) in {configSource}";
            return ex.SocketErrorCode switch
            {
                SocketError.AddressAlreadyInUse => $"the port is already in use{HolderOf(port)}; {change}, or stop that process",
                SocketError.AccessDenied => $"permission denied (ports below 1024 need CAP_NET_BIND_SERVICE); {change}",
                SocketError.AddressNotAvailable => $"no network interface of this machine has the address {address}; {change}",
                _ => $"{ex.Message}; {change}",
            };
        }
    }

    /// <summary>" by pid N (name)" for the process listening on <paramref name="port"/>, when this user can see it; else a short note.</summary>
    internal static string HolderOf(int port)
    {
        try
        {
            var inodes = ListeningInodes(port);
            if (inodes.Count == 0) return "";
            foreach (var pid in Directory.EnumerateDirectories("/proc"))
            {
                var name = Path.GetFileName(pid);
                if (!int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var id)) continue;
                if (OwnsSocket(pid, inodes)) return $" by pid {id} ({Command(pid)})";
            }
            return " (by a process this user cannot see; `sudo ss -ltnp` shows it)";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    /// <summary>Socket inodes of listeners on <paramref name="port"/> (any address, IPv4 or IPv6).</summary>
    internal static HashSet<string> ListeningInodes(int port)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table)) continue;
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 10 || fields[3] != ListenState) continue;
                var colon = fields[1].LastIndexOf(':');
                if (colon < 0 || !int.TryParse(fields[1].AsSpan(colon + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var local) || local != port) continue;
                if (fields[9] != "0") inodes.Add(fields[9]);
            }
        }
        return inodes;
    }

    private static bool OwnsSocket(string pidFolder, HashSet<string> inodes)
    {
        IEnumerable<string> fds;
        try
        {
            fds = Directory.EnumerateFiles(Path.Combine(pidFolder, "fd")).ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false; // another user's process, or one that just ended
        }
        foreach (var fd in fds)
        {
            string? target;
            try
            {
                target = new FileInfo(fd).LinkTarget;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            // "socket:[12345]"
            if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal) && inodes.Contains(target[8..^1])) return true;
        }
        return false;
    }

    private static string Command(string pidFolder)
    {
        try
        {
            return File.ReadAllText(Path.Combine(pidFolder, "comm")).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "name unknown";
        }
    }
}
