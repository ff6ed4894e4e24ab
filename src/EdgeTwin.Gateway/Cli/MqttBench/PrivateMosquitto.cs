using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace EdgeTwin.Gateway.Cli.MqttBench;

/// <summary>
/// A Mosquitto broker of our own: a generated mosquitto.conf in a scratch directory, listeners on free loopback
/// ports, its log in that directory. It never touches a system broker or its configuration. Used by
/// <c>edgetwin bench mqtt</c> and the MQTT tests (which add TLS and password listeners).
/// </summary>
internal sealed class PrivateMosquitto : IDisposable
{
    private readonly string _configPath;
    private Process? _process;

    private PrivateMosquitto(string directory, string configPath, int port)
    {
        Directory = directory;
        _configPath = configPath;
        Port = port;
    }

    /// <summary>The plain, anonymous listener on 127.0.0.1.</summary>
    public int Port { get; }

    public string Directory { get; }

    public string LogPath => Path.Combine(Directory, "mosquitto.log");

    public string Log => File.Exists(LogPath) ? File.ReadAllText(LogPath) : "(no log)";

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>
    /// Writes the configuration and starts the broker. <paramref name="persistence"/> keeps sessions and queued
    /// messages across a restart; no limit is set on queued messages, so a disconnected persistent session loses
    /// nothing. <paramref name="extra"/> lines are appended (more listeners, with per-listener settings).
    /// </summary>
    public static PrivateMosquitto Start(string directory, bool persistence, IEnumerable<string>? extra = null)
    {
        System.IO.Directory.CreateDirectory(directory);
        var port = FreePort();
        var lines = new List<string>
        {
            "per_listener_settings true",
            $"persistence {(persistence ? "true" : "false")}",
            $"persistence_location {directory}/",
            "autosave_interval 0",
            // 0 = no limit: a persistent session whose client is away keeps everything published for it.
            "max_queued_messages 0",
            "max_queued_bytes 0",
            // For MQTT 3.1.1 clients (MQTT 5 clients state their own Receive Maximum).
            "max_inflight_messages 1000",
            $"log_dest file {Path.Combine(directory, "mosquitto.log")}",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
            "connection_messages true",
            $"listener {port.ToString(CultureInfo.InvariantCulture)} 127.0.0.1",
            "allow_anonymous true",
        };
        // Started as root, Mosquitto would switch to the 'mosquitto' user, who cannot write our scratch directory.
        if (Environment.UserName == "root") lines.Insert(0, "user root");
        if (extra is not null) lines.AddRange(extra);
        var configPath = Path.Combine(directory, "mosquitto.conf");
        File.WriteAllLines(configPath, lines);
        var broker = new PrivateMosquitto(directory, configPath, port);
        broker.Launch();
        return broker;
    }

    /// <summary>A loopback port nobody listens on right now.</summary>
    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>SIGTERM, as a service manager stops it: Mosquitto saves its persistence file on the way out.</summary>
    public void Stop()
    {
        if (_process is null || _process.HasExited) return;
        _ = SendSignal(_process.Id, 15);
        if (!_process.WaitForExit(TimeSpan.FromSeconds(20)))
        {
            _process.Kill();
            throw new InvalidOperationException("mosquitto did not stop within 20 s of SIGTERM:" + Environment.NewLine + Log);
        }
        _process.Dispose();
        _process = null;
    }

    public void Restart()
    {
        Stop();
        Launch();
    }

    public void Dispose()
    {
        try
        {
            Stop();
        }
        catch (InvalidOperationException)
        {
            // Already killed by Stop.
        }
    }

    private void Launch()
    {
        // Debian installs the broker in /usr/sbin, which is not on every user's PATH.
        var program = File.Exists("/usr/sbin/mosquitto") ? "/usr/sbin/mosquitto" : "mosquitto";
        var psi = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(_configPath);
        try
        {
            _process = Process.Start(psi) ?? throw new InvalidOperationException("could not start mosquitto");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("cannot run mosquitto (Debian package 'mosquitto'): " + ex.Message, ex);
        }
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) File.AppendAllText(LogPath, "stderr: " + e.Data + Environment.NewLine); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var watch = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"mosquitto exited with {_process.ExitCode} at start:{Environment.NewLine}{Log}");
            try
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (watch.Elapsed < TimeSpan.FromSeconds(15))
            {
                Thread.Sleep(20);
            }
        }
    }

    // [DllImport] rather than [LibraryImport]: the source generator needs <AllowUnsafeBlocks>; the signature is blittable.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true, ExactSpelling = true)]
    private static extern int SendSignal(int pid, int signal);
}
