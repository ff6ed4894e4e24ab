using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace EdgeTwin.Connectors.Tests.Mqtt;

/// <summary>
/// A private Mosquitto broker on a loopback port picked at run time, with persistence in its own folder, that a
/// test can stop (SIGTERM, so it saves its sessions) and start again on the same port. Fails loudly when
/// mosquitto is missing or does not come up.
/// </summary>
internal sealed class MosquittoBroker : IDisposable
{
    private readonly string _directory;
    private readonly string _configFile;
    private Process? _process;

    public MosquittoBroker()
    {
        _directory = Path.Combine(Path.GetTempPath(), "edgetwin-mosquitto-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        _configFile = Path.Combine(_directory, "mosquitto.conf");
        // Started as root, mosquitto drops to the 'mosquitto' user unless told otherwise, and could then write
        // neither its persistence file nor its log into this folder: run it as whoever runs the tests.
        System.IO.File.WriteAllText(_configFile, $"""
            user {Environment.UserName}
            listener {Port} 127.0.0.1
            allow_anonymous true
            persistence true
            persistence_location {_directory}/
            autosave_interval 1
            max_inflight_messages 0
            max_queued_messages 0
            log_dest file {_directory}/mosquitto.log
            """.Replace("            ", "", StringComparison.Ordinal));
        Start();
    }

    public int Port { get; }

    public string Log => System.IO.File.Exists(Path.Combine(_directory, "mosquitto.log")) ? System.IO.File.ReadAllText(Path.Combine(_directory, "mosquitto.log")) : "";

    public void Start()
    {
        if (_process is { HasExited: false }) throw new InvalidOperationException("mosquitto is already running");
        var start = new ProcessStartInfo("mosquitto") { ArgumentList = { "-c", _configFile }, RedirectStandardError = true, RedirectStandardOutput = true };
        try
        {
            _process = Process.Start(start) ?? throw new InvalidOperationException("mosquitto did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("mosquitto is not installed (Debian package mosquitto; tests/run.sh installs it)", e);
        }
        var deadline = DateTime.UtcNow.AddSeconds(10);
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
                Thread.Sleep(50);
            }
        }
    }

    /// <summary>Stops the broker as a service stop would (SIGTERM): it writes its persistence file and exits.</summary>
    public void Stop()
    {
        if (_process is null || _process.HasExited) return;
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
        if (!_process.WaitForExit(10_000)) _process.Kill();
        _process.Dispose();
        _process = null;
    }

    public void Dispose()
    {
        Stop();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
