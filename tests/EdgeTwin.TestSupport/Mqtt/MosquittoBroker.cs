using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace EdgeTwin.TestSupport.Mqtt;

/// <summary>
/// A private Mosquitto (the Debian package) for one test: a generated configuration in its own folder, a plain
/// anonymous listener on a loopback port picked at run time, persistence on (QoS 1 sessions and their queued
/// messages survive a stop), no limit on queued messages. Extra configuration lines add listeners (TLS,
/// passwords). It can be stopped (SIGTERM: it saves its sessions) and started again on the same ports, never
/// depends on a system broker, and fails loudly when mosquitto is missing or does not come up.
/// </summary>
public sealed class MosquittoBroker : IDisposable
{
    private readonly string _configFile;
    private readonly bool _ownsDirectory;
    private Process? _process;

    /// <summary>A broker in a scratch folder of its own, removed on dispose.</summary>
    public MosquittoBroker()
        : this(Path.Combine(Path.GetTempPath(), "edgetwin-mosquitto-" + Guid.NewGuid().ToString("N")), [], ownsDirectory: true)
    {
    }

    private MosquittoBroker(string directory, IEnumerable<string> extra, bool ownsDirectory)
    {
        Directory = directory;
        _ownsDirectory = ownsDirectory;
        System.IO.Directory.CreateDirectory(directory);
        Port = FreePort.Pick();
        _configFile = Path.Combine(directory, "mosquitto.conf");
        // Started as root, mosquitto drops to the 'mosquitto' user unless told otherwise, and could then write
        // neither its persistence file nor its log into this folder: run it as whoever runs the tests.
        List<string> lines =
        [
            $"user {Environment.UserName}",
            "per_listener_settings true",
            "persistence true",
            $"persistence_location {directory}/",
            "autosave_interval 1",
            // 0 = no limit: a persistent session whose client is away keeps everything published for it.
            "max_queued_messages 0",
            "max_queued_bytes 0",
            // For MQTT 3.1.1 clients (MQTT 5 clients state their own Receive Maximum).
            "max_inflight_messages 1000",
            $"log_dest file {LogPath}",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
            "connection_messages true",
            $"listener {Port.ToString(CultureInfo.InvariantCulture)} 127.0.0.1",
            "allow_anonymous true",
            .. extra,
        ];
        File.WriteAllLines(_configFile, lines);
        Start();
    }

    /// <summary>A broker in <paramref name="directory"/> (left in place on dispose), with <paramref name="extra"/> configuration lines.</summary>
    public static MosquittoBroker StartIn(string directory, IEnumerable<string>? extra = null) => new(directory, extra ?? [], ownsDirectory: false);

    public string Directory { get; }

    /// <summary>The plain, anonymous listener on 127.0.0.1.</summary>
    public int Port { get; }

    public string LogPath => Path.Combine(Directory, "mosquitto.log");

    public string Log => File.Exists(LogPath) ? File.ReadAllText(LogPath) : "";

    public void Start()
    {
        if (_process is { HasExited: false }) throw new InvalidOperationException("mosquitto is already running");
        // Debian installs the broker in /usr/sbin, which is not on every user's PATH.
        var program = File.Exists("/usr/sbin/mosquitto") ? "/usr/sbin/mosquitto" : "mosquitto";
        var start = new ProcessStartInfo(program) { ArgumentList = { "-c", _configFile }, RedirectStandardError = true, RedirectStandardOutput = true };
        try
        {
            _process = Process.Start(start) ?? throw new InvalidOperationException("mosquitto did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("mosquitto is not installed (Debian package mosquitto; tests/run.sh installs it)", e);
        }
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"mosquitto exited with {_process.ExitCode}: {_process.StandardError.ReadToEnd()} {Log}");
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(20);
            }
        }
    }

    /// <summary>Stops the broker as a service stop would (SIGTERM): it writes its persistence file and exits.</summary>
    public void Stop()
    {
        if (_process is not { HasExited: false } process) return;
        _process = null;
        using (process)
        {
            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)])) kill.WaitForExit();
            if (process.WaitForExit(20_000)) return;
            process.Kill();
        }
        throw new InvalidOperationException("mosquitto did not stop within 20 s of SIGTERM:" + Environment.NewLine + Log);
    }

    /// <summary>SIGTERM (Mosquitto saves its sessions and queued messages) and start again on the same ports.</summary>
    public void Restart()
    {
        Stop();
        Start();
    }

    /// <summary>Kills the broker (nothing it would save is needed any more) and removes its own folder.</summary>
    public void Dispose()
    {
        if (_process is { } process)
        {
            if (!process.HasExited) process.Kill();
            process.Dispose();
            _process = null;
        }
        if (!_ownsDirectory) return;
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
